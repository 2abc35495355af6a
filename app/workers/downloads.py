"""The download worker: runs the core's model downloads (and verify/import jobs) off the GUI thread.

:class:`DownloadWorker` lives on the GUI thread and owns a private thread pool. Each job
(a download, a re-hash of an installed file, or an import copy) runs on a pool thread with
its own :class:`~app.core.cancel.CancelToken`; at most one job runs per key (the model id),
while jobs for different keys run in parallel. Results come back as signals carrying the
key, emitted from the pool thread and so queued to the GUI thread.

A download is the one install sequence, :func:`~app.core.install.install_catalog_entry`,
shared with ``python -m app models download``: ask the sources, download with failover
(holding the file's lock, so another window or the CLI waits for this one), verify the
bytes on disk, move into place, record.

* **Pause** is a cancel that keeps the ``.part``; **resume** is a new start, which picks up
  from the ``.part``. **Cancel** also deletes the ``.part``.
* Progress is throttled here to about ten signals a second per job, whatever the core sends;
  phase changes and new messages (retries, a switch of source) always go through.
* :meth:`DownloadWorker.shutdown` stops every job, keeping ``.part`` files so the next
  session resumes, and waits for the threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.core.cancel import CancelToken
from app.core.catalog import Catalog, CatalogEntry
from app.core.downloads import DownloadProgress, Source, delete_partial
from app.core.errors import CancelledError, HearthError
from app.core.install import install_catalog_entry
from app.core.models import InstalledModel, import_gguf, verify_installed
from app.core.network import NetworkGateway
from app.core.settings import Settings

log = logging.getLogger(__name__)

#: The shortest interval between two progress signals of one job (phase changes excepted).
PROGRESS_INTERVAL_S = 0.1
#: Downloads (and other jobs) that run at once; more wait for a free thread.
DEFAULT_MAX_PARALLEL = 4

StopMode = Literal["pause", "cancel"]
JobKind = Literal["download", "verify", "import"]


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    """One catalog model to download, from these sources (in catalog order)."""

    entry: CatalogEntry
    sources: tuple[Source, ...]
    #: A source name or kind to try first without probing (the user's preference).
    pinned_source: str | None = None
    #: Probe the sources and start with the fastest.
    rank: bool = True

    @property
    def model_id(self) -> str:
        return self.entry.id


def request_for(entry: CatalogEntry, catalog: Catalog, settings: Settings) -> DownloadRequest:
    """The request for ``entry`` with the user's own mirror and source preference applied."""
    sources = catalog.sources_for(entry, custom_endpoint=settings.custom_hf_endpoint)
    pinned = None if settings.source_preference == "auto" else settings.source_preference
    return DownloadRequest(entry=entry, sources=tuple(sources), pinned_source=pinned)


class ProgressThrottle:
    """Passes on at most one progress value per ``interval``; phase or message changes pass.

    The last value held back is not lost on purpose: a later value supersedes it, and every
    job ends with a signal of its own (finished, paused, ...).
    """

    def __init__(
        self,
        emit: Callable[[DownloadProgress], None],
        *,
        interval: float = PROGRESS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._emit = emit
        self._interval = interval
        self._clock = clock
        self._last_time: float | None = None
        self._last_phase = ""
        self._last_message = ""
        self.latest: DownloadProgress | None = None

    def __call__(self, progress: DownloadProgress) -> None:
        now = self._clock()
        changed = progress.phase != self._last_phase or (
            bool(progress.message) and progress.message != self._last_message
        )
        if not changed and self._last_time is not None and now - self._last_time < self._interval:
            return
        self._last_time = now
        self._last_phase = progress.phase
        if progress.message:
            self._last_message = progress.message
        self.latest = progress
        self._emit(progress)


@dataclass
class _Job:
    key: str
    kind: JobKind
    token: CancelToken
    #: What a cancel of the token means when the job sees it: keep the .part or delete it.
    stop_mode: StopMode = "pause"
    stopping: bool = False
    progress: DownloadProgress | None = None


class DownloadWorker(QObject):
    """Runs downloads, verifications and import copies on a private thread pool.

    Every signal carries the job's key first: the catalog model id for downloads, the key
    the caller chose for verify and import jobs. Signals are emitted on pool threads, so
    connections to GUI objects are queued. Call :meth:`shutdown` before the app quits.
    """

    #: key: a job was accepted and is about to run.
    started = Signal(str)
    #: key, :class:`~app.core.downloads.DownloadProgress` (about ten a second at most).
    progressed = Signal(str, object)
    #: key, path of the installed file (downloads).
    finished = Signal(str, str)
    #: key, a sentence for the user (any job).
    failed = Signal(str, str)
    #: key: a download stopped by :meth:`pause` (its .part is kept).
    paused = Signal(str)
    #: key: a job stopped by :meth:`cancel` (a download's .part is deleted).
    cancelled = Signal(str)
    #: key, ok (True: matches, False: damaged, None: nothing to compare with), message.
    verified = Signal(str, object, str)
    #: key, bytes copied, total bytes (import copies; throttled like ``progressed``).
    import_progressed = Signal(str, int, int)
    #: key, the :class:`~app.core.models.InstalledModel` now in the list.
    imported = Signal(str, object)

    def __init__(
        self,
        *,
        gateway: NetworkGateway,
        models_dir: Path,
        max_parallel: int = DEFAULT_MAX_PARALLEL,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._models_dir = Path(models_dir)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, max_parallel))
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        #: File names of the downloads started this session, for cancel() of a paused one.
        self._files: dict[str, str] = {}
        self._closed = False

    # --- state ---------------------------------------------------------------------------

    @property
    def models_dir(self) -> Path:
        return self._models_dir

    def is_active(self, key: str) -> bool:
        """True from :meth:`start` until the job's last signal is on its way."""
        with self._lock:
            return key in self._jobs

    def is_stopping(self, key: str) -> bool:
        """True while a paused or cancelled job is winding down."""
        with self._lock:
            job = self._jobs.get(key)
            return job is not None and job.stopping

    def active_keys(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def job_kind(self, key: str) -> JobKind | None:
        with self._lock:
            job = self._jobs.get(key)
            return job.kind if job is not None else None

    def last_progress(self, key: str) -> DownloadProgress | None:
        """The last progress signalled for an active job (None before the first)."""
        with self._lock:
            job = self._jobs.get(key)
            return job.progress if job is not None else None

    # --- requests (GUI thread) -------------------------------------------------------------

    def start(self, request: DownloadRequest) -> bool:
        """Start (or resume) downloading; False if that model is already busy or we are closed."""
        key = request.model_id
        job = self._claim(key, "download")
        if job is None:
            return False
        self._files[key] = request.entry.file
        self.started.emit(key)
        self._pool.start(lambda: self._run_download(job, request))
        return True

    def verify(self, key: str, model: InstalledModel) -> bool:
        """Re-hash an installed model; ends with ``verified`` (or ``failed``/``cancelled``)."""
        job = self._claim(key, "verify")
        if job is None:
            return False
        self.started.emit(key)
        self._pool.start(lambda: self._run_verify(job, model))
        return True

    def import_file(
        self, key: str, path: Path, *, copy: bool, catalog: Catalog | None = None
    ) -> bool:
        """Import a GGUF (copy it in, or register it in place); ends with ``imported``."""
        job = self._claim(key, "import")
        if job is None:
            return False
        self.started.emit(key)
        self._pool.start(lambda: self._run_import(job, Path(path), copy, catalog))
        return True

    def pause(self, key: str) -> bool:
        """Stop a download, keeping its .part; ``paused`` follows. False if it is not running."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.kind != "download":
                return False
            job.stopping = True
            job.token.cancel()
        return True

    def cancel(self, key: str, *, file_name: str | None = None) -> None:
        """Stop a job; for a download also delete its .part. ``cancelled`` follows.

        A download that is not running (paused, or left by an earlier session) has its
        .part deleted at once; ``file_name`` names it when it was not started this session.
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                job.stop_mode = "cancel"
                job.stopping = True
                job.token.cancel()
                return
        name = file_name or self._files.get(key)
        if name:
            delete_partial(self._models_dir / name)
            log.info("downloads: deleted the partial download of %s", name)
        self.cancelled.emit(key)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop every job (keeping .part files) and wait for the threads. True if in time."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                job.stopping = True
                job.token.cancel()
        done = bool(self._pool.waitForDone(timeout_ms))
        if not done:
            log.warning("downloads: jobs still running %d ms after shutdown", timeout_ms)
        return done

    # --- internals ---------------------------------------------------------------------------

    def _claim(self, key: str, kind: JobKind) -> _Job | None:
        with self._lock:
            if self._closed or key in self._jobs:
                return None
            job = _Job(key=key, kind=kind, token=CancelToken())
            self._jobs[key] = job
            return job

    def _release(self, job: _Job) -> None:
        with self._lock:
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]

    def _throttle_for(self, job: _Job) -> ProgressThrottle:
        def emit(progress: DownloadProgress) -> None:
            job.progress = progress
            self.progressed.emit(job.key, progress)

        return ProgressThrottle(emit)

    def _run_download(self, job: _Job, request: DownloadRequest) -> None:
        """Pool thread: the whole download; exactly one final signal."""
        entry = request.entry
        dest = self._models_dir / entry.file
        throttle = self._throttle_for(job)
        final: Callable[[], None]
        try:
            final = self._download(job, request, throttle)
        except CancelledError:
            if job.stop_mode == "cancel":
                delete_partial(dest)
                log.info("downloads: cancelled %s", entry.file)
                final = partial(self.cancelled.emit, job.key)
            else:
                log.info("downloads: paused %s", entry.file)
                final = partial(self.paused.emit, job.key)
        except HearthError as exc:
            log.warning("downloads: %s failed: %s (%s)", entry.file, exc, exc.detail)
            message = str(exc)
            final = partial(self.failed.emit, job.key, message)
        except Exception as exc:  # a bug or an unexpected OS error: report it, keep running
            log.exception("downloads: unexpected error while downloading %s", entry.file)
            message = (
                f"The download of {entry.file} stopped because of an unexpected error "
                f"({exc}). What was downloaded is kept; try again."
            )
            final = partial(self.failed.emit, job.key, message)
        finally:
            # Forget the job before the last signal, so a receiver may start it again.
            self._release(job)
        final()

    def _download(
        self, job: _Job, request: DownloadRequest, throttle: ProgressThrottle
    ) -> Callable[[], None]:
        result = install_catalog_entry(
            request.entry,
            request.sources,
            models_dir=self._models_dir,
            gateway=self._gateway,
            progress=throttle,
            cancel=job.token,
            rank=request.rank,
            pinned_source=request.pinned_source,
        )
        return partial(self.finished.emit, job.key, str(result.path))

    def _run_verify(self, job: _Job, model: InstalledModel) -> None:
        throttle = self._throttle_for(job)
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            speed = done / elapsed if elapsed > 0 else 0.0
            eta = (total - done) / speed if speed > 0 and total > 0 else None
            throttle(DownloadProgress("verifying", done, total, speed, eta, "", "Verifying"))

        final: Callable[[], None]
        try:
            result = verify_installed(model, progress, job.token)
            final = partial(self.verified.emit, job.key, result.ok, result.message)
        except CancelledError:
            final = partial(self.cancelled.emit, job.key)
        except HearthError as exc:
            message = str(exc)
            final = partial(self.failed.emit, job.key, message)
        except OSError as exc:
            log.warning("downloads: verifying %s failed: %r", model.path, exc)
            message = f"{model.name} could not be read: {exc.strerror or exc}."
            final = partial(self.failed.emit, job.key, message)
        finally:
            self._release(job)
        final()

    def _run_import(self, job: _Job, path: Path, copy: bool, catalog: Catalog | None) -> None:
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if done < total and now - last[0] < PROGRESS_INTERVAL_S:
                return
            last[0] = now
            self.import_progressed.emit(job.key, done, total)

        final: Callable[[], None]
        try:
            model = import_gguf(
                path,
                copy=copy,
                progress=progress,
                cancel=job.token,
                models_dir=self._models_dir,
                catalog=catalog,
            )
            final = partial(self.imported.emit, job.key, model)
        except CancelledError:
            final = partial(self.cancelled.emit, job.key)
        except HearthError as exc:
            log.info("downloads: import of %s refused: %s (%s)", path, exc, exc.detail)
            message = str(exc)
            final = partial(self.failed.emit, job.key, message)
        except OSError as exc:
            log.warning("downloads: import of %s failed: %r", path, exc)
            message = f"{path.name} could not be imported: {exc.strerror or exc}."
            final = partial(self.failed.emit, job.key, message)
        finally:
            self._release(job)
        final()
