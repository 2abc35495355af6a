"""The vocabulary of :mod:`app.core.session`: its events, options, refusals and the parts of
the store and the host it uses.

Events are small, immutable and carry the host's job id; the session emits them on the host
thread. Every name here is importable from :mod:`app.core.session` as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from app.core.cancel import TurnControl
from app.core.chat import EndState, SamplingParams, TurnRequest, TurnStats
from app.core.errors import HearthError, english
from app.core.host import HostEvent, HostState, Job, Origin
from app.core.store import StoredMessage

TurnKind = Literal["ask", "regenerate", "edit", "continue", "summary"]

#: Why the reasoning ended: the engine's reasons, or ``"turn_end"`` when the turn ended
#: (stopped, failed, cut off) while the model was still thinking.
ReasoningEndReason = Literal["model", "budget", "answer_now", "loop", "turn_end"]


class NoModelError(HearthError):
    """A turn was asked for while no model is loaded; nothing was saved."""

    def __init__(self) -> None:
        super().__init__(english("chat.no_model", {}), code="chat.no_model")


class BusyError(HearthError):
    """This session is still answering."""

    def __init__(self) -> None:
        super().__init__(english("chat.busy", {}), code="chat.busy")


class SessionStore(Protocol):
    """The parts of :class:`app.core.store.ChatStore` a session reads and writes."""

    def create_conversation(self, title: str = ...) -> Any: ...
    def get_conversation(self, conversation_id: str) -> Any: ...
    def get_message(self, message_id: str) -> StoredMessage: ...
    def active_path(self, conversation_id: str) -> list[StoredMessage]: ...
    def path_to(self, message_id: str) -> list[StoredMessage]: ...
    def start_turn(
        self,
        conversation_id: str,
        parent_id: str | None,
        prompt: str,
        *,
        provenance: Any = ...,
    ) -> tuple[StoredMessage, StoredMessage]: ...
    def add_message(
        self,
        conversation_id: str,
        parent_id: str | None,
        role: Any,
        content: str,
        reasoning: str = ...,
        state: Any = ...,
        provenance: Any = ...,
    ) -> StoredMessage: ...
    def save_streaming(self, message_id: str, content: str, reasoning: str) -> bool: ...
    def resume_streaming(self, message_id: str) -> StoredMessage: ...
    def finish_message(
        self,
        message_id: str,
        *,
        content: str,
        reasoning: str,
        state: Any = ...,
        provenance: Any = ...,
    ) -> StoredMessage: ...
    def delete_message(self, message_id: str) -> int: ...
    def switch_branch(self, message_id: str) -> list[StoredMessage]: ...


class SessionHost(Protocol):
    """The parts of :class:`app.core.host.EngineHost` a session uses."""

    @property
    def state(self) -> HostState: ...

    def submit_turn(
        self,
        request: TurnRequest,
        sink: Callable[[int, HostEvent], None] | None,
        *,
        origin: Origin = ...,
        control: TurnControl | None = ...,
    ) -> Job: ...


@dataclass(frozen=True, slots=True)
class TurnOptions:
    """Sampling and system prompt for one turn of one conversation."""

    params: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str = ""


# --- Events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """A turn was submitted. ``message_id`` is the streaming answer ("" for a summary)."""

    job_id: int
    kind: TurnKind
    conversation_id: str
    message_id: str
    #: The question this answers ("" for a summary).
    user_message_id: str
    #: True while the model is expected to think first.
    reasoning_open: bool
    #: Text already there before this turn (*Continue*): the view starts from it.
    prefix_answer: str = ""
    prefix_reasoning: str = ""


@dataclass(frozen=True, slots=True)
class TextAppended:
    """New reasoning and/or answer text; ``reasoning_tokens`` counts the reasoning so far.

    ``reasoning_length`` and ``answer_length`` are the totals after this delta (a *Continue*
    prefix included), so a view rebuilt from :meth:`ChatSession.live_snapshot` can skip what
    it already shows.
    """

    job_id: int
    message_id: str
    reasoning: str
    answer: str
    reasoning_tokens: int
    reasoning_length: int
    answer_length: int


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The running turn's text and reasoning state at one moment."""

    job_id: int
    kind: TurnKind
    conversation_id: str
    message_id: str
    reasoning: str
    answer: str
    reasoning_open: bool
    reasoning_seconds: float | None
    reasoning_tokens: int


@dataclass(frozen=True, slots=True)
class PromptProgressed:
    job_id: int
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class HistoryTrimmed:
    """The oldest ``dropped`` messages were left out; the model's view begins at
    ``first_kept_id`` (the id of a stored message, "" if unknown)."""

    job_id: int
    conversation_id: str
    dropped: int
    first_kept_id: str


@dataclass(frozen=True, slots=True)
class ReasoningEnded:
    """The reasoning block closed: decided once, here, for every front end."""

    job_id: int
    message_id: str
    reason: ReasoningEndReason
    seconds: float


@dataclass(frozen=True, slots=True)
class TurnEnded:
    """The turn is over and stored. ``message`` is the stored answer (None for a summary
    or when the final save failed); ``error`` is a sentence for ``failed``; for a summary
    that worked, ``new_conversation_id`` is the chat that continues from it."""

    job_id: int
    kind: TurnKind
    conversation_id: str
    message_id: str
    state: EndState
    stats: TurnStats
    message: StoredMessage | None = None
    error: str = ""
    new_conversation_id: str = ""
    #: The error itself when there is one, for a UI that shows it translated (code, params).
    failure: HearthError | None = None


SessionEvent = (
    TurnStarted | TextAppended | PromptProgressed | HistoryTrimmed | ReasoningEnded | TurnEnded
)
Listener = Callable[[SessionEvent], None]
