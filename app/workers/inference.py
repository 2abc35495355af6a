"""The GUI's handle on the engine host: Qt signals in and out, nothing else.

The model lives in :class:`~app.core.host.EngineHost`, on the host's own thread; this
module holds no engine. :class:`InferenceClient` submits jobs to the host and turns the
host's sink calls (made on the host thread) into queued signals, so every public signal is
emitted on the GUI thread. Stop and "answer now" are thread-safe flags on the job's
:class:`~app.core.cancel.TurnControl`, set directly from the GUI thread, so they land
between tokens and between prompt batches (and inside a batch, through llama.cpp's abort
callback) without waiting for any event loop.

Token deltas are batched on the host side (~40 ms) so the GUI thread receives a handful of
small signals per second instead of one per token. Results of a replaced turn or load
(stale job ids) are dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.core.calibrate import CacheType, FlashAttnMode
from app.core.chat import (
    AnswerDelta,
    ContextTrimmed,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.local_load import CALIBRATION_FILE_NAME, LocalLoad
from app.core.host import (
    EngineFactory,
    EngineHost,
    HostEvent,
    HostState,
    Job,
    JobFailed,
    ModelLoaded,
    ModelUnloaded,
    Origin,
    Sink,
)

log = logging.getLogger(__name__)

#: How often the host thread hands batched text to the GUI thread.
BATCH_INTERVAL_S = 0.040


@dataclass(frozen=True, slots=True)
class _Tokens:
    """A batch of deltas, with the reasoning token count so far (for "Thinking… N")."""

    reasoning: str
    answer: str
    reasoning_tokens: int


class _TurnSink:
    """The sink of one turn, called on the host thread: batches deltas, relays the rest."""

    def __init__(self, relay: Callable[[int, object], None], alive: threading.Event) -> None:
        self._relay = relay
        self._alive = alive
        self._reasoning: list[str] = []
        self._answer: list[str] = []
        # The engine yields one reasoning delta per generated token, so counting them gives
        # the live "Thinking… N tokens" figure exactly (text length would not, e.g. for CJK).
        self._reasoning_tokens = 0
        self._last_flush = time.monotonic()

    def __call__(self, job_id: int, event: HostEvent) -> None:
        if not self._alive.is_set():
            return
        if isinstance(event, AnswerDelta):
            self._answer.append(event.text)
        elif isinstance(event, ReasoningDelta):
            self._reasoning.append(event.text)
            self._reasoning_tokens += 1
        else:
            # Text first, so a close or the end never overtakes the words before it.
            self._flush(job_id)
            self._relay(job_id, event)
            return
        if time.monotonic() - self._last_flush >= BATCH_INTERVAL_S:
            self._flush(job_id)

    def _flush(self, job_id: int) -> None:
        if self._reasoning or self._answer:
            batch = _Tokens("".join(self._reasoning), "".join(self._answer), self._reasoning_tokens)
            self._reasoning.clear()
            self._answer.clear()
            self._relay(job_id, batch)
        self._last_flush = time.monotonic()


class InferenceClient(QObject):
    """The GUI thread's handle on the engine host.

    It submits turns and loads, forwards stop/answer-now as flags, and re-emits only the
    results of the current request (stale ids are dropped). Given a host it shares it (the
    API server may use the same one) and leaves closing it to its owner; without one it
    creates its own and closes it in :meth:`shutdown`.
    """

    model_loading = Signal(str)  # path or engine name
    model_loaded = Signal(object, str)  # ModelInfo (local) or EngineInfo, template warning
    model_load_failed = Signal(str)  # human message ("" when cancelled)
    model_unloaded = Signal()
    prompt_progressed = Signal(int, int)
    context_trimmed = Signal(int)
    tokens_ready = Signal(str, str)
    reasoning_counted = Signal(int)
    reasoning_closed = Signal(str)
    turn_finished = Signal(str, object)  # end state, TurnStats
    turn_failed = Signal(str)
    #: Every change of the host's state (HostState): idle/loading/busy, queue, who runs.
    host_state_changed = Signal(object)

    # Sink calls arrive on the host thread; these queue them to this object's thread.
    _relayed = Signal(int, object)
    _state_relayed = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        host: EngineHost | None = None,
        origin: Origin = "gui",
    ) -> None:
        super().__init__(parent)
        self._owns_host = host is None
        self._host = host if host is not None else EngineHost()
        self._origin: Origin = origin
        self._alive = threading.Event()
        self._alive.set()
        self._turn: Job | None = None
        self._load: Job | None = None
        self._model_info: Any = None
        self._relayed.connect(self._on_relayed)
        self._state_relayed.connect(self._on_state)
        # The newest host state version relayed; see _on_state.
        self._state_version = 0
        self._unsubscribe = self._host.add_state_listener(self._relay_state)
        self._running = True

    # --- state ---------------------------------------------------------------------------

    @property
    def host(self) -> EngineHost:
        return self._host

    @property
    def model_info(self) -> Any:
        return self._model_info

    @property
    def is_generating(self) -> bool:
        return self._turn is not None

    @property
    def is_loading(self) -> bool:
        return self._load is not None

    @property
    def host_state(self) -> HostState:
        return self._host.state

    # --- requests ------------------------------------------------------------------------

    def load_model(
        self,
        path: str | Path,
        *,
        n_ctx: int = 0,
        n_threads: int = 0,
        flash_attn: FlashAttnMode = "auto",
        cache_type: CacheType = "f16",
        options: LocalLoad | None = None,
    ) -> int:
        """Load a GGUF with the local engine; returns the job id.

        ``options`` (the window passes :meth:`LocalLoad.from_settings`) wins over the
        single arguments. Flash attention "auto" is calibrated once per CPU and model on the
        host thread (cancellable like the load) and cached in the cache folder
        (app/core/calibrate.py).
        """
        from app.core.paths import app_paths

        chosen = options or LocalLoad(
            n_ctx=n_ctx or 4096,
            n_threads=n_threads,
            flash_attn=flash_attn,
            cache_type=cache_type,
            calibration_file=app_paths().cache / CALIBRATION_FILE_NAME,
        )

        def factory(cancel: Any) -> Any:
            return chosen.load(path, cancel)

        return self.load_engine(factory, label=str(path))

    def load_engine(self, factory: EngineFactory, *, label: str = "") -> int:
        """Swap to the engine ``factory`` builds on the host thread; returns the job id."""
        self.stop()
        if self._load is not None:
            self._load.cancel()
        self._model_info = None
        self.model_loading.emit(label)
        job = self._host.load(factory, self._relay_terminal, origin=self._origin)
        self._load = job
        return job.id

    def unload_model(self) -> int:
        self.stop()
        self._model_info = None
        return self._host.unload(self._relay_terminal, origin=self._origin).id

    def start_turn(self, request: TurnRequest) -> int:
        """Queue a turn (stopping this client's previous one); returns the job id.

        A full host queue ends the turn at once with ``turn_failed``.
        """
        from app.core.errors import HearthError

        self.stop()
        sink = _TurnSink(self._relayed.emit, self._alive)
        try:
            job = self._host.submit_turn(request, sink, origin=self._origin)
        except HearthError as exc:
            self._turn = None
            self.turn_failed.emit(str(exc))
            return 0
        self._turn = job
        return job.id

    def stop(self) -> None:
        """Stop the current turn at once: a flag the decode loop and abort callback read."""
        if self._turn is not None:
            self._turn.cancel()

    def answer_now(self) -> None:
        if self._turn is not None:
            self._turn.control.request_answer_now()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop this client's work (and its own host). True if everything ended in time."""
        if not self._running:
            return True
        self._running = False
        # From here no sink of ours relays anything: the window is going away, and the
        # QObject may be deleted while the host thread still finishes a job.
        self._alive.clear()
        self._unsubscribe()
        self.stop()
        if self._load is not None:
            self._load.cancel()
        if self._owns_host:
            finished = self._host.close(timeout_ms / 1000)
        else:
            jobs = [job for job in (self._turn, self._load) if job is not None]
            finished = all(job.wait(timeout_ms / 1000) for job in jobs)
        self._turn = self._load = None
        if not finished:
            log.warning("the engine host did not stop within %d ms", timeout_ms)
        return finished

    # --- from the host thread --------------------------------------------------------------

    @property
    def _relay_terminal(self) -> Sink:
        def sink(job_id: int, event: HostEvent) -> None:
            if self._alive.is_set():
                self._relayed.emit(job_id, event)

        return sink

    def _relay_state(self, state: HostState) -> None:
        if self._alive.is_set():
            self._state_relayed.emit(state)

    # --- on the GUI thread -----------------------------------------------------------------

    @Slot(object)
    def _on_state(self, state: HostState) -> None:
        # States from the host thread arrive queued, but one from a submit on this thread
        # arrives at once, and may overtake an older one still in the queue: keep only
        # newer versions, so the last state shown is the host's current one.
        if state.version <= self._state_version:
            return
        self._state_version = state.version
        self.host_state_changed.emit(state)

    @Slot(int, object)
    def _on_relayed(self, job_id: int, event: object) -> None:
        if self._load is not None and job_id == self._load.id:
            self._on_load_event(event)
            return
        if isinstance(event, ModelUnloaded):
            self.model_unloaded.emit()
            return
        if self._turn is None or job_id != self._turn.id:
            return  # a replaced turn's late results
        if isinstance(event, _Tokens):
            if event.reasoning:
                self.reasoning_counted.emit(event.reasoning_tokens)
            self.tokens_ready.emit(event.reasoning, event.answer)
        elif isinstance(event, PromptProgress):
            self.prompt_progressed.emit(event.done, event.total)
        elif isinstance(event, ContextTrimmed):
            self.context_trimmed.emit(event.dropped)
        elif isinstance(event, ReasoningClosed):
            self.reasoning_closed.emit(event.reason)
        elif isinstance(event, TurnFinished):
            self._turn = None
            self.turn_finished.emit(event.reason, event.stats)
        elif isinstance(event, JobFailed):
            self._turn = None
            if event.state == "failed":
                self.turn_failed.emit(str(event.error))
            else:
                self.turn_finished.emit(event.state, event.stats or TurnStats())

    def _on_load_event(self, event: object) -> None:
        if isinstance(event, ModelLoaded):
            self._load = None
            self._model_info = event.details if event.details is not None else event.info
            self.model_loaded.emit(self._model_info, event.warning)
        elif isinstance(event, JobFailed):
            self._load = None
            self.model_load_failed.emit("" if event.state != "failed" else str(event.error))
