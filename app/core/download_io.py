"""The pieces under :mod:`app.core.downloads`: sources, progress, the ``.part`` file and
its writer thread, source ranking, and the HTTP header parsing.

Kept apart so the download itself (:func:`app.core.downloads.download_file`) reads as one
sequence; everything public here is re-exported from :mod:`app.core.downloads`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

import filelock

from app.core.cancel import CancelToken
from app.core.errors import CancelledError, DownloadError
from app.core.network import NetworkError, NetworkGateway, StreamResponse

log = logging.getLogger("app.core.downloads")

GGUF_MAGIC = b"GGUF"
PART_SUFFIX = ".part"
#: Progress callbacks arrive at most this often (a final "done" always arrives).
PROGRESS_INTERVAL_S = 0.1
#: Speed is averaged over this many recent seconds.
SPEED_WINDOW_S = 3.0
#: The longest wait between retries, whatever ``Retry-After`` or the backoff say.
MAX_RETRY_WAIT_S = 60.0
#: How often the cancel watcher looks at the token while a read may be blocked.
CANCEL_POLL_S = 0.1

SourceKind = Literal["huggingface", "mirror", "modelscope", "custom"]
Phase = Literal["waiting", "checking", "probing", "downloading", "verifying", "done"]
#: How often a download waiting for another one's lock looks at its cancel token.
LOCK_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class Source:
    """One place a file can be downloaded from."""

    name: str
    url: str
    kind: SourceKind = "custom"


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    phase: Phase
    #: Bytes of the file in hand (on disk), including any resumed from an earlier session.
    downloaded: int
    #: The file size, 0 while unknown.
    total: int
    bytes_per_s: float
    eta_s: float | None
    #: Name of the source in use ("" when none is, e.g. while checking the ``.part``).
    source: str
    message: str = ""


ProgressCallback = Callable[[DownloadProgress], None]


def part_path(dest: Path) -> Path:
    """Where the partial download of ``dest`` lives: beside it, so ``os.replace`` is atomic."""
    dest = Path(dest)
    return dest.with_name(dest.name + PART_SUFFIX)


def lock_path(dest: Path) -> Path:
    """The lock file of ``dest``'s download: hidden, beside it, shared by every process."""
    dest = Path(dest)
    return dest.with_name(f".{dest.name}.lock")


class DownloadBusyError(DownloadError):
    """Another process or thread is downloading the same file, and waiting was not wanted."""


def delete_partial(dest: Path) -> bool:
    """Remove the ``.part`` of ``dest``; True if there was one."""
    try:
        part_path(dest).unlink()
    except FileNotFoundError:
        return False
    return True


def format_size(n_bytes: float) -> str:
    """``1117320576`` -> ``"1.1 GB"`` (decimal units, as disks are sold)."""
    value = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


# --- the .part file -------------------------------------------------------------------


class PartFile:
    """The growing ``.part`` file: appends, truncate to restart, fsync to finish.

    Writes are not buffered here: bytes leave the process as soon as the writer thread
    has them, so a process killed mid-download loses only what was still queued.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open(path, "ab", buffering=0)  # noqa: SIM115
        self.size = self._handle.seek(0, os.SEEK_END)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = self._handle.write(view)
            if written is None:  # non-blocking files only; not expected here
                raise OSError(errno.EAGAIN, "write would block")
            self.size += written
            view = view[written:]

    def truncate(self) -> None:
        self._handle.truncate(0)
        self._handle.seek(0)
        self.size = 0

    def sync(self) -> None:
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._handle.close()


class HashingWriter:
    """Hashes and writes on a helper thread, so the network thread only reads.

    sha256 and ``write`` both release the GIL, so hashing overlaps the next read instead
    of adding to it. Each socket read is handed over at once; whenever the writer is
    free it takes everything that is waiting, so batches form by themselves when the
    disk or the hash falls behind, and nothing sits in memory while the network is
    quiet. At most ``capacity`` bytes wait: the download thread blocks beyond that. So
    about ``2 * capacity`` bytes at most are in memory and not yet on disk, which bounds
    what a killed process has to fetch again. A write error is kept and raised in the
    download thread by the next :meth:`put` or :meth:`drain`.
    """

    def __init__(self, part: PartFile, hasher: hashlib._Hash, *, capacity: int) -> None:
        self.part = part
        self.hasher = hasher
        self._capacity = capacity
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._busy = False
        self._closing = False
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="download-writer", daemon=True)
        self._thread.start()

    def put(self, piece: bytes) -> None:
        with self._cond:
            while self._pending_bytes >= self._capacity and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            self._pending.append(piece)
            self._pending_bytes += len(piece)
            self._cond.notify_all()

    def drain(self) -> None:
        """Wait until every piece handed over is on disk and hashed; raise a write error."""
        with self._cond:
            while (self._pending or self._busy) and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closing:
                    self._cond.wait()
                if not self._pending:
                    return
                batch, self._pending, self._pending_bytes = self._pending, [], 0
                self._busy = True
                self._cond.notify_all()  # room again for the download thread
            error: OSError | None = None
            try:
                for piece in batch:
                    self.part.write(piece)
                    self.hasher.update(piece)
            except OSError as exc:
                error = exc
            with self._cond:
                self._busy = False
                if error is not None:
                    self._error = error
                    self._pending, self._pending_bytes = [], 0  # nothing after a failed write
                self._cond.notify_all()


# --- ranking --------------------------------------------------------------------------


def rank_sources(
    sources: Sequence[Source],
    gateway: NetworkGateway,
    *,
    cancel: CancelToken,
    probe_bytes: int = 65536,
    timeout: float = 5.0,
    require_magic: bytes | None = GGUF_MAGIC,
) -> list[Source]:
    """Order ``sources`` fastest first; the unreachable ones go last, in their given order.

    Each source gets one probe, all at once: a ranged read of the first ``probe_bytes``.
    Its score is the time to first byte plus the time to read the probe. A source that
    fails, answers with the wrong content, or takes longer than ``timeout`` is
    unreachable.
    """
    if len(sources) < 2:
        return list(sources)
    cancel.raise_if_cancelled()
    scores: dict[int, float | None] = {}
    executor = ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="probe")
    try:
        futures: dict[Future[float | None], int] = {
            executor.submit(_probe, source, gateway, probe_bytes, timeout, require_magic): index
            for index, source in enumerate(sources)
        }
        pending = set(futures)
        while pending:
            if cancel.cancelled:
                raise CancelledError()
            done, pending = wait_futures(
                pending, timeout=CANCEL_POLL_S, return_when=FIRST_COMPLETED
            )
            for future in done:
                scores[futures[future]] = future.result()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    reachable = sorted(
        (index for index, score in scores.items() if score is not None),
        key=lambda index: (scores[index], index),
    )
    unreachable = [index for index in range(len(sources)) if scores.get(index) is None]
    ranking = [sources[index] for index in (*reachable, *unreachable)]
    log.info(
        "downloads: source ranking %s",
        ", ".join(
            f"{sources[i].name}="
            + (f"{scores[i]:.3f}s" if scores.get(i) is not None else "unreachable")
            for i in range(len(sources))
        ),
    )
    return ranking


def _probe(
    source: Source,
    gateway: NetworkGateway,
    probe_bytes: int,
    timeout: float,
    require_magic: bytes | None,
) -> float | None:
    started = time.monotonic()
    received = 0
    head = b""
    try:
        with gateway.stream(
            source.url,
            headers={"Range": f"bytes=0-{probe_bytes - 1}"},
            connect_timeout=timeout,
            read_timeout=timeout,
        ) as response:
            if response.status not in (200, 206) or is_html(response.headers):
                return None
            for piece in response.iter_bytes():
                if len(head) < 8:
                    head += piece[: 8 - len(head)]
                received += len(piece)
                if received >= probe_bytes or time.monotonic() - started > timeout:
                    break
    except NetworkError as exc:
        log.info("downloads: probe of %s failed: %s", source.name, exc.detail or exc)
        return None
    elapsed = time.monotonic() - started
    if received == 0 or elapsed > timeout:
        return None
    if require_magic is not None and not head.startswith(require_magic):
        return None
    # Extrapolate to a full probe, so a source that sent less (a short file) is comparable.
    return elapsed * probe_bytes / min(received, probe_bytes)


@contextlib.contextmanager
def abort_on_cancel(response: StreamResponse, cancel: CancelToken) -> Iterator[None]:
    """While the block runs, a cancel unblocks a read stuck waiting for bytes."""
    finished = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        while not finished.is_set():
            if cancel.wait(CANCEL_POLL_S):
                with lock:
                    if not finished.is_set():
                        response.abort()
                return

    watcher = threading.Thread(target=watch, name="download-cancel-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            finished.set()


class ProgressReporter:
    """Throttles progress to ~10 per second and computes speed over a moving window."""

    def __init__(
        self, callback: ProgressCallback, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._callback = callback
        self._clock = clock
        self._last_emit = 0.0
        self._samples: deque[tuple[float, int]] = deque()
        self._received = 0
        self._last_downloaded: int | None = None

    def report(
        self,
        phase: Phase,
        downloaded: int,
        total: int,
        source: str,
        message: str = "",
        *,
        force: bool = False,
    ) -> None:
        now = self._clock()
        if phase == "downloading":
            if self._last_downloaded is not None and downloaded > self._last_downloaded:
                self._received += downloaded - self._last_downloaded
            self._last_downloaded = downloaded
            self._samples.append((now, self._received))
            while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
                self._samples.popleft()
        if not force and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        speed = self._speed(now) if phase == "downloading" else 0.0
        eta = (total - downloaded) / speed if speed > 0 and total > 0 else None
        self._callback(
            DownloadProgress(
                phase=phase,
                downloaded=downloaded,
                total=total,
                bytes_per_s=speed,
                eta_s=eta,
                source=source,
                message=message,
            )
        )

    def _speed(self, now: float) -> float:
        if len(self._samples) < 2:
            return 0.0
        first_time, first_bytes = self._samples[0]
        elapsed = now - first_time
        return (self._received - first_bytes) / elapsed if elapsed > 0 else 0.0


# --- header parsing ----------------------------------------------------------------------

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None, None
    size = None if match[3] == "*" else int(match[3])
    return int(match[1]), int(match[2]), size


def unsatisfied_range_total(value: str | None) -> int | None:
    match = _UNSATISFIED_RANGE.match(value or "")
    return int(match[1]) if match else None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def is_html(headers: Mapping[str, str]) -> bool:
    return headers.get("Content-Type", "").split(";")[0].strip().lower() in (
        "text/html",
        "application/xhtml+xml",
    )


def strip_query(url: str) -> str:
    return url.split("?", 1)[0]


# --- the lock --------------------------------------------------------------------------


def acquire_lock(
    lock: filelock.FileLock,
    *,
    name: str,
    cancel: CancelToken,
    reporter: ProgressReporter,
    expected_size: int | None,
    wait: bool,
) -> None:
    """Take a file's download lock, waiting (cancellably) while another holder has it."""
    announced = False
    while True:
        cancel.raise_if_cancelled()
        try:
            lock.acquire(timeout=LOCK_POLL_S if announced else 0)
            return
        except filelock.Timeout:
            if not wait:
                raise DownloadBusyError.of(
                    "download.busy",
                    name=name,
                    detail=f"lock held: {lock.lock_file}",
                ) from None
        except OSError as exc:
            raise DownloadError.of(
                "download.lock_failed", name=name, reason=str(exc.strerror or exc), detail=repr(exc)
            ) from exc
        if not announced:
            announced = True
            log.info("downloads: %s is locked by another download; waiting", name)
            reporter.report(
                "waiting",
                0,
                expected_size or 0,
                "",
                f"Another Hearth window or command is downloading {name}; waiting for it",
                force=True,
            )
