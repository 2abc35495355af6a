"""One generic task runner: any plain ``fn(cancel, progress)`` off the GUI thread.

Long work in Hearth is a plain function taking a :class:`~app.core.cancel.CancelToken` and a
progress callback ``progress(done, total)``. :class:`TaskRunner` runs such functions on a
private thread pool and reports back with signals that carry the task's id:

* ``started(id)``, then any number of ``progressed(id, done, total)`` (at most about 20 a
  second; the last value, done == total, always passes), then exactly **one** of
  ``finished(id, result)``, ``failed(id, message)`` or ``cancelled(id)``.
* ``failed`` carries a sentence for the user: a :class:`~app.core.errors.HearthError`'s own
  text, or, for any other exception (a bug), a generic sentence; the traceback goes to the
  log. A :class:`~app.core.errors.CancelledError` (or a cancel before the task started)
  ends as ``cancelled``.

Signals are emitted on pool threads, so connections to GUI objects are queued: receivers run
on the GUI thread, in the order the task emitted. Callers who prefer callbacks pass
``on_finished`` / ``on_failed`` / ``on_cancelled`` / ``on_progress`` to :meth:`TaskRunner.submit`;
they too run on the GUI thread.

    runner = TaskRunner(parent=window)
    task_id = runner.submit(
        lambda cancel, progress: export_chats(..., cancel=cancel, progress=progress),
        on_finished=lambda path: show(path),
        on_failed=lambda message: show_error(message),
    )
    runner.cancel(task_id)          # the function sees cancel.cancelled / raise_if_cancelled()
    runner.shutdown(timeout_ms=5000)  # at quit: cancel everything, wait for the threads
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from app.core.cancel import CancelToken, ProgressCallback
from app.core.errors import CancelledError, HearthError

log = logging.getLogger(__name__)

#: The shortest interval between two progress signals of one task (the final one excepted).
PROGRESS_INTERVAL_S = 0.05
DEFAULT_MAX_THREADS = 2

TaskFunction = Callable[[CancelToken, ProgressCallback], Any]


@dataclass
class _Task:
    id: str
    name: str
    token: CancelToken
    on_finished: Callable[[Any], None] | None = None
    on_failed: Callable[[str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    on_progress: Callable[[int, int], None] | None = None


class TaskRunner(QObject):
    """Runs plain ``fn(cancel, progress)`` functions on a private thread pool."""

    #: task id
    started = Signal(str)
    #: task id, done, total (total 0 when unknown); Python ints, as byte counts pass 2**31
    progressed = Signal(str, object, object)
    #: task id, the function's return value
    finished = Signal(str, object)
    #: task id, a sentence for the user
    failed = Signal(str, str)
    #: task id
    cancelled = Signal(str)

    def __init__(
        self, *, max_threads: int = DEFAULT_MAX_THREADS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._lock = threading.Lock()
        self._tasks: dict[str, _Task] = {}
        self._callbacks: dict[str, _Task] = {}
        self._ids = itertools.count(1)
        self._closed = False
        # Queued to this object (GUI thread): the callbacks run where widgets may be used.
        self.finished.connect(self._dispatch_finished)
        self.failed.connect(self._dispatch_failed)
        self.cancelled.connect(self._dispatch_cancelled)
        self.progressed.connect(self._dispatch_progress)

    # --- requests (GUI thread) ---------------------------------------------------------------

    def submit(
        self,
        fn: TaskFunction,
        *,
        name: str = "task",
        on_finished: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> str | None:
        """Queue ``fn`` and return its task id; None when the runner is shut down.

        ``name`` appears in the log (never chat text). The callbacks run on the GUI thread.
        """
        with self._lock:
            if self._closed:
                log.info("tasks: %s refused: the runner is shut down", name)
                return None
            task = _Task(
                id=f"{name}-{next(self._ids)}",
                name=name,
                token=CancelToken(),
                on_finished=on_finished,
                on_failed=on_failed,
                on_cancelled=on_cancelled,
                on_progress=on_progress,
            )
            self._tasks[task.id] = task
            self._callbacks[task.id] = task
        self._pool.start(lambda: self._run(task, fn))
        return task.id

    def cancel(self, task_id: str) -> bool:
        """Ask a task to stop; False if it is not running. ``cancelled`` follows if it stops."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None:
            return False
        task.token.cancel()
        return True

    def is_running(self, task_id: str | None) -> bool:
        with self._lock:
            return task_id is not None and task_id in self._tasks

    def running(self) -> list[str]:
        with self._lock:
            return list(self._tasks)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Refuse new tasks, cancel the running ones and wait for the threads. True if in time."""
        with self._lock:
            self._closed = True
            tasks = list(self._tasks.values())
        for task in tasks:
            task.token.cancel()
        done = bool(self._pool.waitForDone(timeout_ms))
        if not done:
            log.warning("tasks: still running %d ms after shutdown", timeout_ms)
        return done

    # --- the pool thread ---------------------------------------------------------------------

    def _run(self, task: _Task, fn: TaskFunction) -> None:
        """Pool thread: run one task; exactly one final signal."""
        final: Callable[[], None]
        try:
            if task.token.cancelled:
                raise CancelledError()
            self._emit(self.started, task.id)
            result = fn(task.token, self._progress_for(task))
            final = partial(self._emit, self.finished, task.id, result)
        except CancelledError:
            log.info("tasks: %s cancelled", task.id)
            final = partial(self._emit, self.cancelled, task.id)
        except HearthError as exc:
            log.info("tasks: %s failed: %s (%s)", task.id, exc, exc.detail)
            final = partial(self._emit, self.failed, task.id, str(exc))
        except Exception as exc:  # a bug: report it as a sentence, keep the app running
            log.exception("tasks: %s failed unexpectedly", task.id)
            message = (
                f"The work stopped because of an unexpected error ({type(exc).__name__}). "
                "The details are in the log."
            )
            final = partial(self._emit, self.failed, task.id, message)
        finally:
            # Forgotten before the last signal, so a receiver may start it again.
            with self._lock:
                self._tasks.pop(task.id, None)
        final()

    def _progress_for(self, task: _Task) -> ProgressCallback:
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if not (total and done >= total) and now - last[0] < PROGRESS_INTERVAL_S:
                return
            last[0] = now
            self._emit(self.progressed, task.id, int(done), int(total))

        return progress

    def _emit(self, signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the runner was deleted while the task ran (app closing)
            log.info("tasks: %s finished after its runner was deleted", args[0])

    # --- callbacks (GUI thread) ----------------------------------------------------------------

    def _take(self, task_id: str) -> _Task | None:
        with self._lock:
            return self._callbacks.pop(task_id, None)

    @Slot(str, object)
    def _dispatch_finished(self, task_id: str, result: object) -> None:
        task = self._take(task_id)
        if task is not None and task.on_finished is not None:
            task.on_finished(result)

    @Slot(str, str)
    def _dispatch_failed(self, task_id: str, message: str) -> None:
        task = self._take(task_id)
        if task is not None and task.on_failed is not None:
            task.on_failed(message)

    @Slot(str)
    def _dispatch_cancelled(self, task_id: str) -> None:
        task = self._take(task_id)
        if task is not None and task.on_cancelled is not None:
            task.on_cancelled()

    @Slot(str, object, object)
    def _dispatch_progress(self, task_id: str, done: int, total: int) -> None:
        with self._lock:
            task = self._callbacks.get(task_id)
        if task is not None and task.on_progress is not None:
            task.on_progress(done, total)
