"""What a single turn and a vote's samples share: incremental UTF-8 decoding of token
bytes, the counters a turn gathers, and the stats made from them.
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass

from app.core.cancel import TurnControl
from app.core.chat import ReasoningCloseReason, TurnStats


class Utf8Stream:
    """Bytes in, text out, never splitting a character across two outputs.

    A token can end in the middle of a multi-byte character (CJK, emoji); the incomplete
    bytes wait for the next token. Invalid bytes become U+FFFD instead of raising.
    """

    __slots__ = ("_decode",)

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode

    def feed(self, data: bytes) -> str:
        return self._decode(data)

    def flush(self) -> str:
        """Text for any bytes still waiting (as U+FFFD if they never completed)."""
        return self._decode(b"", True)


@dataclass(slots=True)
class TurnCounters:
    """Figures gathered while a turn (or one sample of a vote) runs."""

    prompt_tokens: int
    cached: int
    evaluated: int
    started: float
    prompt_started: float
    prompt_ended: float
    seed: int
    trimmed: int
    generated: int = 0
    reasoning: int = 0
    sampled: int = 0
    first_token_at: float = 0.0
    last_token_at: float = 0.0
    ended: float = 0.0


def turn_stats(c: TurnCounters, *, n_ctx: int, context_used: int) -> TurnStats:
    """The stats of a turn (or of one sample) from its counters."""
    prompt_s = c.prompt_ended - c.prompt_started
    ended = c.ended or time.perf_counter()
    gen_s = max(0.0, ended - c.prompt_ended)
    # Steady decode rate: one llama_decode per interval between sampled tokens.
    interval_s = c.last_token_at - c.first_token_at
    tokens_per_s = (c.sampled - 1) / interval_s if c.sampled > 1 and interval_s > 0 else 0.0
    ttft_ms = (c.first_token_at - c.started) * 1000 if c.sampled else 0.0
    return TurnStats(
        prompt_tokens=c.prompt_tokens,
        cached_tokens=c.cached,
        evaluated_tokens=c.evaluated,
        generated_tokens=c.generated,
        reasoning_tokens=c.reasoning,
        ttft_ms=ttft_ms,
        prompt_ms=prompt_s * 1000,
        generation_ms=gen_s * 1000 if c.sampled else 0.0,
        prompt_tokens_per_s=c.evaluated / prompt_s if prompt_s > 0 else 0.0,
        tokens_per_s=tokens_per_s,
        n_ctx=n_ctx,
        context_used=context_used,
        seed=c.seed,
        trimmed_messages=c.trimmed,
    )


def forced_close(
    control: TurnControl, budget: int | None, reasoning_tokens: int, looping: bool
) -> ReasoningCloseReason | None:
    """Why the engine must close the reasoning itself now, if it must (checked per token)."""
    if control.answer_now_requested:
        return "answer_now"
    if budget is not None and reasoning_tokens >= budget:
        return "budget"
    if looping:
        return "loop"
    return None
