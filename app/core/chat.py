"""One chat turn, as data: messages in, typed events out.

These values cross threads (GUI → worker → GUI), so they are small and immutable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant"]

#: How a turn ended: the one vocabulary used unchanged by the engine, the host, the session,
#: the store (a message's state is ``"streaming"`` or an EndState), the UI and exports. Only the
#: OpenAI wire edge of the API renames (finished → "stop").
#: ``finished``: the model emitted end-of-sequence; ``stopped``: the user (or a client) cancelled;
#: ``length``: max new tokens reached or the context window filled up; ``failed``: an error ended
#: the turn; ``interrupted``: the process or host went away mid-turn (shutdown, crash, kill).
EndState = Literal["finished", "stopped", "length", "failed", "interrupted"]

#: The end states an engine itself reports in ``TurnFinished``; the host and the session add
#: ``failed`` and ``interrupted``.
FinishReason = Literal["finished", "stopped", "length"]

END_STATES: tuple[EndState, ...] = ("finished", "stopped", "length", "failed", "interrupted")

#: Why the reasoning block closed.
#: ``model``: the model wrote ``</think>``; ``budget``: the thinking budget ran out;
#: ``answer_now``: the user asked for the answer; ``loop``: the loop guard fired.
ReasoningCloseReason = Literal["model", "budget", "answer_now", "loop"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a conversation as the model sees it."""

    role: Role
    content: str
    #: The assistant's reasoning (text inside ``<think>``), kept for display and storage.
    #: Templates for R1 models drop it from earlier turns.
    reasoning: str = ""


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Sampling settings for one turn. Defaults follow DeepSeek's advice for R1 distills."""

    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    max_tokens: int = 4096
    #: ``None`` draws a fresh random seed per turn; the seed used is reported in stats.
    seed: int | None = None
    #: Maximum reasoning tokens before the engine closes the reasoning itself; None: no cap.
    thinking_budget: int | None = None
    #: Close the reasoning when it starts repeating itself.
    loop_guard: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TurnRequest:
    """Everything the engine needs for one turn."""

    messages: tuple[ChatMessage, ...]
    params: SamplingParams = field(default_factory=SamplingParams)
    #: When True the last message is a partial assistant answer to continue, not redo.
    continue_last: bool = False
    system_prompt: str = ""


@dataclass(frozen=True, slots=True)
class TurnStats:
    """Figures for one finished turn."""

    prompt_tokens: int = 0
    #: Prompt tokens reused from the KV cache (not evaluated again).
    cached_tokens: int = 0
    #: Prompt tokens actually evaluated this turn (prompt_tokens - cached_tokens).
    evaluated_tokens: int = 0
    generated_tokens: int = 0
    reasoning_tokens: int = 0
    #: Milliseconds from the request to the first generated token.
    ttft_ms: float = 0.0
    prompt_ms: float = 0.0
    generation_ms: float = 0.0
    prompt_tokens_per_s: float = 0.0
    #: Generation speed, excluding prompt processing.
    tokens_per_s: float = 0.0
    n_ctx: int = 0
    #: Tokens in the KV cache at the end of the turn (context meter).
    context_used: int = 0
    seed: int = 0
    #: Messages dropped from the start of the history to fit the context.
    trimmed_messages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- Events streamed by Engine.stream_turn -------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptProgress:
    """Prompt processing progress, in tokens evaluated of those to evaluate."""

    done: int
    total: int


@dataclass(frozen=True, slots=True)
class ContextTrimmed:
    """The oldest ``dropped`` messages were left out so the prompt fits the context."""

    dropped: int


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningClosed:
    reason: ReasoningCloseReason


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TurnFinished:
    reason: FinishReason
    stats: TurnStats


TurnEvent = (
    PromptProgress | ContextTrimmed | ReasoningDelta | ReasoningClosed | AnswerDelta | TurnFinished
)
