"""The Engine protocol: anything that streams a chat turn.

The local llama.cpp engine and the remote OpenAI-compatible engine both implement it.
Only :class:`app.core.host.EngineHost` drives an engine, on the host's one thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from app.core.cancel import TurnControl
from app.core.chat import TurnEvent, TurnRequest

EngineKind = Literal["local", "remote"]


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What a front end may show or record about the engine that answers."""

    #: Human name of the model ("DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M", "qwen2.5:7b").
    name: str
    kind: EngineKind = "local"
    #: The model id a client asks for (file name for local models, server id for remote).
    model_id: str = ""
    #: Context window in tokens (0 when unknown).
    n_ctx: int = 0
    #: Where the words go: "this computer" for local, the host:port for remote.
    location: str = "this computer"
    #: Extra provenance (quant, fingerprint, engine name, server kind). Never a secret.
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SampleEvent:
    """One event of sample ``index`` when several answers are sampled at once (a vote).

    ``event`` is that sample's ReasoningDelta, AnswerDelta, ReasoningClosed or its own
    TurnFinished. Prompt events are shared and come unwrapped, and the job as a whole
    still ends with one unwrapped TurnFinished.
    """

    index: int
    event: TurnEvent


@runtime_checkable
class Engine(Protocol):
    """One loaded model. Not thread-safe: only the host's thread calls it (close() aside).

    An engine may also offer ``stream_samples(request, n, control, seeds)`` yielding
    :class:`SampleEvent` values (N answers decoded together, for a vote); the host answers
    ``submit_samples`` with it when present and with N turns in a row otherwise. A
    ``template_warning`` attribute, when present, is shown once the engine has loaded.
    """

    @property
    def engine_info(self) -> EngineInfo: ...

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        """Run one turn. Always ends with exactly one TurnFinished, unless it raises a
        HearthError. Cancelling ``control`` ends it promptly with reason "stopped"."""
        ...

    def count_tokens(self, request: TurnRequest) -> int: ...

    def close(self) -> None:
        """Free the model. Safe from any thread; stops a running turn first."""
        ...
