"""The engine host: the one owner of the loaded engine.

One thread owns the engine. Every front end (the window, the CLI, the API server) submits
jobs to one FIFO queue: chat turns, loads, unloads and calls. Each job has an id, a
:class:`~app.core.cancel.TurnControl` (stop / answer now) and an event sink.

The sink is called on the host thread with ``(job_id, event)``: the ``TurnEvent`` values of
:mod:`app.core.chat` plus the host events below. Every job gets exactly one terminal event
(see :func:`is_terminal`): ``TurnFinished`` for a turn that ran, ``ModelLoaded`` for a load,
``ModelUnloaded`` for an unload, or ``JobFailed`` for anything that did not end normally
(an error, a cancelled load, a job dropped because the host closed). Sinks must be quick and
must never block: they run between tokens on the thread that generates them.

State listeners are told whenever the status, the queue length, the running job or the
engine changes. They run on the thread that made the change (the host thread or a caller
of ``submit_*``/``close``), one thread at a time, and that thread goes on only once they
have run. Each snapshot carries a ``version`` that grows with every change; snapshots are
delivered in version order (a change already covered by a newer delivered snapshot is not
delivered again), so the last state a listener sees is always the current one. A listener
that forwards states to another thread (e.g. a Qt signal, which is direct from that thread
and queued from others) should drop any snapshot whose version is not newer than the last
one it kept. Listeners must be quick, must never block (waiting on a job or a ``call`` from
a listener would deadlock) and must not call back into the host while holding locks of
their own.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from app.core.cancel import CancelToken, TurnControl
from app.core.chat import (
    EndState,
    FinishReason,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import Engine, EngineInfo, SampleEvent
from app.core.engines.local_load import LocalLoad
from app.core.errors import (
    CancelledError,
    GenerationError,
    HearthError,
    ModelLoadError,
    english,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Who asked for a job; the window shows "API request running" for ``"api"``.
Origin = Literal["gui", "api", "cli"]
JobKind = Literal["turn", "samples", "load", "unload", "call"]
HostStatus = Literal["idle", "loading", "busy"]

#: Turns waiting (not counting the running job) before ``submit_turn`` refuses more.
DEFAULT_MAX_QUEUE: Final = 16

#: Builds an engine on the host thread. It receives the load job's cancel token and should
#: give up promptly (raising ``CancelledError``) once it is cancelled.
EngineFactory = Callable[[CancelToken], Engine]


# --- Errors -------------------------------------------------------------------------------


class QueueFullError(HearthError):
    """Too many turns are waiting for the model."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            english("host.queue_full", {"limit": limit}),
            detail=f"queue limit {limit}",
            code="host.queue_full",
            params={"limit": limit},
        )
        self.limit = limit


class NoModelLoadedError(HearthError):
    """A turn was submitted while no model is loaded."""

    def __init__(self) -> None:
        super().__init__(english("host.no_model", {}), code="host.no_model")


class HostClosedError(HearthError):
    """The host shut down before or while the job ran."""

    def __init__(self) -> None:
        super().__init__(english("host.closed", {}), code="host.closed")


# --- Host events --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelLoaded:
    """A load job finished: ``info`` describes the new engine.

    ``warning`` is a sentence to show (e.g. a broken chat template replaced), or "".
    ``details`` is the engine's own richer description when it has one (the local engine's
    ``ModelInfo``), else None.
    """

    info: EngineInfo
    warning: str = ""
    details: Any = None


@dataclass(frozen=True, slots=True)
class ModelUnloaded:
    """An unload job finished; no engine is loaded now."""


@dataclass(frozen=True, slots=True)
class JobFailed:
    """A job ended without its normal terminal event.

    ``state`` is ``"failed"`` for an error, ``"stopped"`` for a job cancelled before it
    produced anything (a queued turn, a load), ``"interrupted"`` when the host closed.
    ``stats`` carries what a turn had done before it ended, when it got that far.
    """

    error: HearthError
    state: EndState
    stats: TurnStats | None = None


HostEvent = TurnEvent | SampleEvent | ModelLoaded | ModelUnloaded | JobFailed
Sink = Callable[[int, HostEvent], None]


def is_terminal(event: object) -> bool:
    """True for the one event that ends a job."""
    return isinstance(event, TurnFinished | ModelLoaded | ModelUnloaded | JobFailed)


@dataclass(frozen=True, slots=True)
class HostState:
    status: HostStatus = "idle"
    #: Jobs waiting behind the running one.
    queue_length: int = 0
    engine: EngineInfo | None = None
    #: The running job, if any, and who asked for it.
    job_id: int | None = None
    origin: Origin | None = None
    kind: JobKind | None = None
    #: Grows with every change; a listener receiving states through a queue keeps the
    #: newest. Not part of equality: two snapshots of the same state compare equal.
    version: int = field(default=0, compare=False)


# --- Jobs ---------------------------------------------------------------------------------


class Job:
    """One request to the host. ``cancel()`` and ``control`` are safe from any thread."""

    def __init__(
        self,
        job_id: int,
        kind: JobKind,
        origin: Origin,
        sink: Sink | None,
        control: TurnControl | None = None,
    ) -> None:
        self.id = job_id
        self.kind: JobKind = kind
        self.origin: Origin = origin
        self.control = control if control is not None else TurnControl()
        self._sink = sink
        self._done = threading.Event()
        self._result: HostEvent | None = None

    def cancel(self) -> None:
        """Stop the job: a queued job ends without running; a running turn stops."""
        self.control.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended; True if it has."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def result(self) -> HostEvent | None:
        """The terminal event once the job is done, else None."""
        return self._result

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.kind}, origin={self.origin}, done={self.done})"


@dataclass(slots=True)
class _Pending:
    job: Job
    request: TurnRequest | None = None
    #: For a "samples" job: how many answers, and their seeds (None: the turn's seed + i).
    samples: int = 0
    seeds: tuple[int, ...] | None = None
    factory: EngineFactory | None = None
    call: Callable[[Engine | None], Any] | None = None
    future: Future[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_STOP: Final = object()


# --- The host -----------------------------------------------------------------------------


class EngineHost:
    """Owns one engine on one thread; runs jobs one at a time, in submission order."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        max_queue: int = DEFAULT_MAX_QUEUE,
        name: str = "engine-host",
    ) -> None:
        self._engine: Engine | None = engine
        # Read once per load, so other threads never call into the engine for its state.
        self._engine_info: EngineInfo | None = _describe(engine) if engine is not None else None
        self._max_queue = max(0, max_queue)
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._running: _Pending | None = None
        self._status: HostStatus = "idle"
        self._closing = False
        self._listeners: list[Callable[[HostState], None]] = []
        # State versions (see _notify): bumped on every change, and the last one delivered.
        # One thread delivers at a time (under _notify_lock), so listeners never see an
        # older state after a newer one; _delivering is that thread, so that a listener
        # calling back into the host cannot start a nested round inside the outer one.
        self._version = 0
        self._delivered = 0
        self._notify_lock = threading.Lock()
        self._delivering: threading.Thread | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- submitting ---------------------------------------------------------------------

    def submit_turn(
        self,
        request: TurnRequest,
        sink: Sink | None,
        *,
        origin: Origin = "gui",
        control: TurnControl | None = None,
    ) -> Job:
        """Queue one chat turn. Raises QueueFullError when too many turns are waiting."""
        job = Job(self._next_id(), "turn", origin, sink, control)
        self._enqueue(_Pending(job, request=request), limit=True)
        return job

    def submit_samples(
        self,
        request: TurnRequest,
        n: int,
        sink: Sink | None,
        *,
        seeds: tuple[int, ...] | None = None,
        origin: Origin = "gui",
        control: TurnControl | None = None,
    ) -> Job:
        """Queue ``n`` answers to one prompt (majority vote); counts as one turn in the queue.

        Each sample's events arrive as :class:`SampleEvent`; the job ends with one plain
        TurnFinished. An engine with ``stream_samples`` decodes them together; any other
        engine answers them one after another with the same events.
        """
        if n < 1:
            raise ValueError("at least one sample")
        job = Job(self._next_id(), "samples", origin, sink, control)
        self._enqueue(_Pending(job, request=request, samples=n, seeds=seeds), limit=True)
        return job

    def load(
        self, factory: EngineFactory, sink: Sink | None = None, *, origin: Origin = "gui"
    ) -> Job:
        """Queue a swap to the engine ``factory`` builds (the old engine is closed first)."""
        job = Job(self._next_id(), "load", origin, sink)
        self._enqueue(_Pending(job, factory=factory), limit=False)
        return job

    def load_local(
        self,
        path: str | Path,
        *,
        n_ctx: int = 0,
        n_threads: int = 0,
        options: LocalLoad | None = None,
        sink: Sink | None = None,
        origin: Origin = "gui",
    ) -> Job:
        """Queue loading a GGUF file with the local llama.cpp engine.

        ``options`` (usually :meth:`LocalLoad.from_settings`) carries the user's attention
        and thread choices; ``n_ctx``/``n_threads`` alone load with the defaults.
        """
        chosen = options or LocalLoad(n_ctx=n_ctx or 4096, n_threads=n_threads)

        def factory(cancel: CancelToken) -> Engine:
            return chosen.load(path, cancel)

        return self.load(factory, sink, origin=origin)

    def unload(self, sink: Sink | None = None, *, origin: Origin = "gui") -> Job:
        """Queue closing the engine; ends with ModelUnloaded."""
        job = Job(self._next_id(), "unload", origin, sink)
        self._enqueue(_Pending(job), limit=False)
        return job

    def call(self, fn: Callable[[Engine | None], T], *, origin: Origin = "gui") -> Future[T]:
        """Run ``fn(engine)`` on the host thread in queue order (e.g. counting tokens).

        The engine is None when no model is loaded. The future carries the result or the
        exception; it is cancelled if the host closes first.
        """
        future: Future[T] = Future()
        job = Job(self._next_id(), "call", origin, None)
        self._enqueue(_Pending(job, call=fn, future=future), limit=False)
        return future

    # --- state --------------------------------------------------------------------------

    @property
    def state(self) -> HostState:
        with self._lock:
            return self._state_locked()

    @property
    def engine_info(self) -> EngineInfo | None:
        """What is loaded now (read without waiting for the queue)."""
        with self._lock:
            return self._info_locked()

    @property
    def running_job(self) -> Job | None:
        with self._lock:
            return self._running.job if self._running is not None else None

    @property
    def closed(self) -> bool:
        return self._closing

    def add_state_listener(self, callback: Callable[[HostState], None]) -> Callable[[], None]:
        """Call ``callback(state)`` on every change; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    # --- shutdown -----------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> bool:
        """Stop everything and join the thread; True if it ended within ``timeout`` seconds.

        A running turn ends as ``interrupted``, queued jobs too (each with one JobFailed).
        The engine is closed on the host thread, or from here if that thread is stuck.
        """
        with self._lock:
            if not self._closing:
                self._closing = True
                dropped = list(self._queue)
                self._queue.clear()
                if self._running is not None:
                    self._running.job.cancel()
                self._lock.notify_all()
            else:
                dropped = []
        for pending in dropped:
            pending.job.cancel()
            self._finish(pending, JobFailed(HostClosedError(), "interrupted"))
        self._notify()
        if threading.current_thread() is self._thread:
            return False
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the engine host thread did not stop within %.1f s", timeout)
            engine = self._engine
            if engine is not None:
                # Engine.close() is safe from any thread: it stops the turn and frees later.
                try:
                    engine.close()
                except Exception:
                    log.exception("closing the engine failed")
            return False
        return True

    # --- internals ----------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._ids)

    def _enqueue(self, pending: _Pending, *, limit: bool) -> None:
        with self._lock:
            if self._closing:
                closed = True
            else:
                closed = False
                if limit:
                    waiting = sum(1 for p in self._queue if p.job.kind in ("turn", "samples"))
                    if waiting >= self._max_queue:
                        raise QueueFullError(self._max_queue)
                self._queue.append(pending)
                self._lock.notify_all()
        if closed:
            self._finish(pending, JobFailed(HostClosedError(), "interrupted"))
            return
        self._notify()

    def _state_locked(self) -> HostState:
        running = self._running
        return HostState(
            status=self._status,
            queue_length=len(self._queue),
            engine=self._info_locked(),
            job_id=running.job.id if running is not None else None,
            origin=running.job.origin if running is not None else None,
            kind=running.job.kind if running is not None else None,
            version=self._version,
        )

    def _info_locked(self) -> EngineInfo | None:
        return self._engine_info if self._engine is not None else None

    def _notify(self) -> None:
        """Tell the listeners that the state changed (call after every change).

        Every change bumps the version under ``_lock``; deliveries happen one thread at a
        time under ``_notify_lock``, each of the newest snapshot, and only while it is newer
        than the last one delivered. So listeners see snapshots strictly in version order,
        the last one is the current state, and the changing thread goes on only once its
        change has been delivered (the host thread announces "busy" before a job runs). A
        listener that calls back into the host (a nested change on the delivering thread)
        only bumps the version: the outer loop delivers it after the current round, instead
        of a nested round after which the rest of the outer, older round would follow.
        """
        with self._lock:
            self._version += 1
        if self._delivering is threading.current_thread():
            return
        with self._notify_lock:
            self._delivering = threading.current_thread()
            try:
                while True:
                    with self._lock:
                        if self._delivered == self._version:
                            return
                        self._delivered = self._version
                        state = self._state_locked()
                        listeners = list(self._listeners)
                    for listener in listeners:
                        try:
                            listener(state)
                        except Exception:
                            log.exception("a host state listener failed")
            finally:
                self._delivering = None

    def _emit(self, pending: _Pending, event: HostEvent) -> None:
        sink = pending.job._sink
        if sink is None:
            return
        try:
            sink(pending.job.id, event)
        except Exception:
            # A broken front end must not take the model down for every other client.
            log.exception("the sink of job %d failed on %s", pending.job.id, type(event).__name__)

    def _finish(self, pending: _Pending, event: HostEvent) -> None:
        """Deliver the terminal event and mark the job done (exactly once per job)."""
        job = pending.job
        if job.done:
            return
        job._result = event
        if pending.future is not None and not pending.future.done():
            pending.future.cancel()
        self._emit(pending, event)
        job._done.set()

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._queue and not self._closing:
                        self._lock.wait()
                    if self._closing:
                        break
                    pending = self._queue.popleft()
                    self._running = pending
                    kind = pending.job.kind
                    self._status = "loading" if kind in ("load", "unload") else "busy"
                self._notify()
                try:
                    self._run_job(pending)
                except Exception:  # a bug in the host itself: keep serving other jobs
                    log.exception("job %d crashed the host loop", pending.job.id)
                    self._finish(
                        pending,
                        JobFailed(GenerationError.of("host.unexpected"), "failed"),
                    )
                finally:
                    with self._lock:
                        self._running = None
                        self._status = "idle"
                    self._notify()
        finally:
            self._close_engine()
            self._notify()

    def _run_job(self, pending: _Pending) -> None:
        job = pending.job
        if job.control.cancelled:
            # Cancelled while it waited: it never runs.
            if pending.future is not None:
                pending.future.cancel()
            state: EndState = "interrupted" if self._closing else "stopped"
            error: HearthError = HostClosedError() if self._closing else CancelledError()
            self._finish(pending, JobFailed(error, state))
            return
        if job.kind in ("turn", "samples"):
            self._run_turn(pending)
        elif job.kind == "load":
            self._run_load(pending)
        elif job.kind == "unload":
            self._close_engine()
            self._finish(pending, ModelUnloaded())
        else:
            self._run_call(pending)

    def _run_turn(self, pending: _Pending) -> None:
        engine = self._engine
        if engine is None:
            self._finish(pending, JobFailed(NoModelLoadedError(), "failed"))
            return
        assert pending.request is not None
        stats: TurnStats | None = None
        control = pending.job.control
        try:
            if pending.job.kind == "samples":
                events = _samples(engine, pending.request, pending.samples, control, pending.seeds)
            else:
                events = iter(engine.stream_turn(pending.request, control))
            for event in events:
                if isinstance(event, TurnFinished):
                    stats = event.stats
                    if self._closing and event.reason == "stopped":
                        self._finish(
                            pending, JobFailed(HostClosedError(), "interrupted", event.stats)
                        )
                    else:
                        self._finish(pending, event)
                    return
                self._emit(pending, event)
        except HearthError as exc:
            log.warning("turn %d failed: %s (%s)", pending.job.id, exc, exc.detail)
            # An engine may say how the turn ended (a remote stream that dropped mid-answer is
            # "interrupted", keeping what arrived) and what it had done by then.
            ended: EndState = getattr(exc, "end_state", "failed")
            self._finish(pending, JobFailed(exc, ended, getattr(exc, "stats", None) or stats))
            return
        except Exception as exc:
            log.exception("unexpected error during turn %d", pending.job.id)
            error = GenerationError.of("host.turn_crashed", reason=str(exc), detail=repr(exc))
            self._finish(pending, JobFailed(error, "failed", stats))
            return
        # An engine must end with TurnFinished; one that did not still ends the job.
        log.error("the engine ended turn %d without TurnFinished", pending.job.id)
        if self._closing:
            self._finish(pending, JobFailed(HostClosedError(), "interrupted"))
        else:
            self._finish(pending, TurnFinished("finished", TurnStats()))

    def _run_load(self, pending: _Pending) -> None:
        assert pending.factory is not None
        # Free the old model first: two models at once may not fit in memory.
        self._close_engine()
        self._notify()
        control = pending.job.control
        try:
            engine = pending.factory(control)
        except CancelledError as exc:
            state: EndState = "interrupted" if self._closing else "stopped"
            self._finish(pending, JobFailed(exc, state))
            return
        except HearthError as exc:
            log.warning("model load failed: %s (%s)", exc, exc.detail)
            self._finish(pending, JobFailed(exc, "failed"))
            return
        except Exception as exc:
            log.exception("unexpected error while loading a model")
            error = ModelLoadError.of("model.load_failed_reason", reason=str(exc), detail=repr(exc))
            self._finish(pending, JobFailed(error, "failed"))
            return
        if control.cancelled:
            # Cancelled after the factory returned: do not keep a model nobody wants.
            _close_quietly(engine)
            state = "interrupted" if self._closing else "stopped"
            error2: HearthError = HostClosedError() if self._closing else CancelledError()
            self._finish(pending, JobFailed(error2, state))
            return
        try:
            info = engine.engine_info
        except HearthError as exc:
            _close_quietly(engine)
            self._finish(pending, JobFailed(exc, "failed"))
            return
        with self._lock:
            self._engine = engine
            self._engine_info = info
        warning = getattr(engine, "template_warning", None) or ""
        details = getattr(engine, "info", None)
        self._finish(pending, ModelLoaded(info, str(warning), details))

    def _run_call(self, pending: _Pending) -> None:
        assert pending.call is not None and pending.future is not None
        future = pending.future
        if not future.set_running_or_notify_cancel():
            self._finish(pending, JobFailed(CancelledError(), "stopped"))
            return
        try:
            value = pending.call(self._engine)
        except BaseException as exc:
            future.set_exception(exc)
            error = exc if isinstance(exc, HearthError) else GenerationError(str(exc))
            self._finish(pending, JobFailed(error, "failed"))
            return
        future.set_result(value)
        pending.job._result = None
        pending.job._done.set()

    def _close_engine(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
            self._engine_info = None
        if engine is not None:
            _close_quietly(engine)


def _samples(
    engine: Engine,
    request: TurnRequest,
    n: int,
    control: TurnControl,
    seeds: tuple[int, ...] | None,
) -> Iterator[TurnEvent | SampleEvent]:
    """``n`` answers: batched when the engine can, else one turn after another."""
    batched = getattr(engine, "stream_samples", None)
    if batched is not None:
        yield from batched(request, n, control, seeds)
        return
    base = request.params.seed
    if base is None and seeds is None:
        base = random.SystemRandom().randrange(1 << 31)
    finals: list[TurnFinished] = []
    for index in range(n):
        seed = seeds[index] if seeds is not None else (base or 0) + index
        params = replace(request.params, seed=seed)
        for event in engine.stream_turn(replace(request, params=params), control):
            yield SampleEvent(index, event)
            if isinstance(event, TurnFinished):
                finals.append(event)
        if control.cancelled:
            break
    reasons = [final.reason for final in finals]
    reason: FinishReason = (
        "stopped" if control.cancelled else "finished" if "finished" in reasons else "length"
    )
    first = finals[0].stats if finals else TurnStats()
    stats = replace(
        first,
        generated_tokens=sum(f.stats.generated_tokens for f in finals),
        reasoning_tokens=sum(f.stats.reasoning_tokens for f in finals),
        generation_ms=sum(f.stats.generation_ms for f in finals),
    )
    yield TurnFinished(reason, stats)


def llama_system_info() -> str:
    """llama.cpp's system info (CPU features); imports llama.cpp on first use.

    The window reaches the local engine's facts through the host, never the engine modules.
    """
    from app.core.engines import native

    return native.llama_system_info()


def cpu_variant() -> str:
    """Which ggml CPU backend is in use; imports llama.cpp on first use."""
    from app.core.engines import native

    return native.cpu_variant()


def _describe(engine: Engine) -> EngineInfo | None:
    try:
        return engine.engine_info
    except HearthError:
        return None


def _close_quietly(engine: Engine) -> None:
    try:
        engine.close()
    except Exception:
        log.exception("closing the engine failed")
