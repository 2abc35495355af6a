"""Resumable, verified model downloads with failover between sources, in the middle of a file.

:func:`download_file` is one plain function (no Qt): sources in, a verified file out.

* **Resume.** Bytes go to ``<dest>.part``. A later call (even in a new process) re-hashes
  what is there and asks for the rest with ``Range``. A ``206`` must carry a
  ``Content-Range`` that starts at our offset and names the expected total; a ``200`` to
  a range request means the source ignored it, so the ``.part`` restarts from zero
  (never appended to).
* **Verify while streaming.** sha256 is computed as bytes arrive; at the end the size
  and hash are checked, the file is fsynced and moved into place with ``os.replace``. A file
  with the wrong hash never reaches ``dest``: the ``.part`` is deleted and the error
  names the source(s) that served it.
* **Check early.** A file starting at byte 0 must begin with the GGUF magic; a source
  that answers with a web page is dropped at once.
* **Fail over mid-file.** A dropped connection, a stall, a 5xx or a 429 is retried with
  backoff (``Retry-After`` honoured, capped); then the next source continues from the
  same byte offset. A 404/403 moves on at once.
* **Stop at any time.** Cancel (and pause, which is cancel) takes effect within a
  fraction of a second, even in the middle of a stalled read, and keeps the ``.part``.
* **Disk space** is checked before the first byte; a full disk mid-way stops cleanly.

All network access goes through :class:`~app.core.network.NetworkGateway`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

from app.core.atomic import fsync_directory
from app.core.cancel import CancelToken
from app.core.errors import (
    CancelledError,
    DiskFullError,
    DownloadError,
    HearthError,
    IntegrityError,
)
from app.core.network import NetworkError, NetworkGateway, StreamResponse

log = logging.getLogger(__name__)

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
Phase = Literal["checking", "probing", "downloading", "verifying", "done"]


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


class _HashingWriter:
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
            if response.status not in (200, 206) or _is_html(response.headers):
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


# --- the download -------------------------------------------------------------------------


def download_file(
    sources: Sequence[Source],
    dest: Path,
    *,
    gateway: NetworkGateway,
    expected_size: int | None,
    expected_sha256: str | None,
    progress: ProgressCallback,
    cancel: CancelToken,
    rank: bool = True,
    pinned_source: str | None = None,
    stall_timeout: float = 30.0,
    max_retries_per_source: int = 3,
    backoff_base: float = 1.0,
    chunk_size: int = 1 << 20,
    disk_margin_bytes: int = 100 << 20,
    connect_timeout: float = 10.0,
    max_retry_after: float = MAX_RETRY_WAIT_S,
    require_magic: bytes | None = GGUF_MAGIC,
    probe_timeout: float = 5.0,
) -> Path:
    """Download one file from ``sources`` into ``dest``, verified; returns ``dest``.

    * ``sources`` are tried in order, after ranking them by a probe when ``rank`` is
      set. ``pinned_source`` names a source (by ``name`` or ``kind``, as settings store
      it) to use first without probing; the others stay as fallbacks.
    * ``expected_size`` / ``expected_sha256`` may be None: the size is then learned from
      the first answer, and no hash is checked (the caller should have one).
    * ``stall_timeout``: seconds without a byte before a source counts as stalled.
    * ``max_retries_per_source`` retries after transient failures (reset, stall, 5xx,
      429), waiting ``backoff_base * 2**n`` s or ``Retry-After`` (at most
      ``max_retry_after``), before the next source continues from the same byte.
    * ``chunk_size``: the most bytes held in memory before they reach the ``.part``,
      so also about the most a killed process has to fetch again.
    * ``disk_margin_bytes``: free space to leave on the disk beyond the file itself.
    * ``require_magic``: the bytes the file must start with (GGUF; None for any file).

    Raises :class:`CancelledError` (``.part`` kept), :class:`DiskFullError` (``.part``
    kept), :class:`IntegrityError` (``.part`` deleted, nothing at ``dest``),
    :class:`~app.core.errors.OfflineError`, or :class:`DownloadError` when every source
    failed (``.part`` kept).
    """
    if not sources:
        raise DownloadError(f"There is no source to download {Path(dest).name} from.")
    if expected_sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expected_sha256):
        raise ValueError(f"not a sha256 hex digest: {expected_sha256!r}")
    job = _Download(
        dest=Path(dest),
        gateway=gateway,
        expected_size=expected_size,
        expected_sha256=expected_sha256.lower() if expected_sha256 else None,
        reporter=_ProgressReporter(progress),
        cancel=cancel,
        stall_timeout=stall_timeout,
        connect_timeout=connect_timeout,
        max_retries=max(0, max_retries_per_source),
        backoff_base=backoff_base,
        max_retry_after=max_retry_after,
        chunk_size=max(chunk_size, 4096),
        disk_margin=disk_margin_bytes,
        require_magic=require_magic,
    )
    return job.run(
        list(sources), rank=rank, pinned_source=pinned_source, probe_timeout=probe_timeout
    )


class _SourceFailedError(Exception):
    """One attempt on one source failed; ``reason`` completes "<source name> ..."."""

    def __init__(
        self, reason: str, *, retryable: bool, retry_after: float | None = None, detail: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.detail = detail


@dataclass
class _Span:
    """Bytes ``start``..``end`` of the file came from ``source`` in this session."""

    source: str
    start: int
    end: int


@dataclass
class _Download:
    dest: Path
    gateway: NetworkGateway
    expected_size: int | None
    expected_sha256: str | None
    reporter: _ProgressReporter
    cancel: CancelToken
    stall_timeout: float
    connect_timeout: float
    max_retries: int
    backoff_base: float
    max_retry_after: float
    chunk_size: int
    disk_margin: int
    require_magic: bytes | None
    total: int | None = None
    offset: int = 0
    resumed_bytes: int = 0
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)
    spans: list[_Span] = field(default_factory=list)
    part: PartFile | None = None
    writer: _HashingWriter | None = None
    source_name: str = ""

    @property
    def name(self) -> str:
        return self.dest.name

    @property
    def part_path(self) -> Path:
        return part_path(self.dest)

    # --- the whole job -------------------------------------------------------------

    def run(
        self, sources: list[Source], *, rank: bool, pinned_source: str | None, probe_timeout: float
    ) -> Path:
        self.total = self.expected_size
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.cancel.raise_if_cancelled()
        self._load_existing_part()
        if self.total is not None:
            self._check_free_space()
        try:
            self.part = PartFile(self.part_path)
            self.writer = _HashingWriter(
                self.part, self.hasher, capacity=max(self.chunk_size // 2, 65536)
            )
            if self.part.size != self.offset:  # the file changed under us; be safe
                self._restart()
            if self.total is not None and self.offset == self.total:
                log.info("downloads: %s is already complete on disk; verifying", self.name)
                return self._finish()
            ordered = self._order(
                sources, rank=rank, pinned=pinned_source, probe_timeout=probe_timeout
            )
            self._fetch(ordered)
            return self._finish()
        finally:
            if self.writer is not None:
                self.writer.close()
            if self.part is not None:
                self.part.close()
                if self.part.size == 0:  # nothing worth keeping
                    with contextlib.suppress(OSError):
                        self.part_path.unlink()

    def _load_existing_part(self) -> None:
        """Take over a ``.part`` left by an earlier session: re-hash it (no re-fetch)."""
        path = self.part_path
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return
        if self.total is not None and size > self.total:
            log.warning("downloads: %s is larger than the file; starting over", path.name)
            path.unlink()
            return
        hasher = hashlib.sha256()
        done = 0
        buffer = bytearray(self.chunk_size)
        view = memoryview(buffer)
        self.reporter.report(
            "checking", 0, self.total or 0, "", "Checking the partial download", force=True
        )
        with open(path, "rb") as handle:
            while True:
                self.cancel.raise_if_cancelled()
                n = handle.readinto(buffer)
                if not n:
                    break
                magic = self.require_magic
                if done == 0 and magic is not None and not buffer[:n].startswith(magic):
                    # Too short to tell, or not our file: nothing worth keeping.
                    log.warning(
                        "downloads: %s does not start with the magic; starting over", path.name
                    )
                    handle.close()
                    path.unlink()
                    return
                hasher.update(view[:n])
                done += n
                self.reporter.report("checking", done, self.total or 0, "")
        self.hasher = hasher
        self.offset = done
        self.resumed_bytes = done
        log.info("downloads: resuming %s at %d bytes", self.name, done)

    def _order(
        self, sources: list[Source], *, rank: bool, pinned: str | None, probe_timeout: float
    ) -> list[Source]:
        if pinned:
            first = [s for s in sources if pinned in (s.name, s.kind)]
            if first:
                return first + [s for s in sources if s not in first]
            log.warning("downloads: pinned source %r is not among the sources; ignoring", pinned)
        if rank and len(sources) > 1:
            self.reporter.report(
                "probing",
                self.offset,
                self.total or 0,
                "",
                "Finding the fastest source",
                force=True,
            )
            return rank_sources(
                sources,
                self.gateway,
                cancel=self.cancel,
                timeout=probe_timeout,
                require_magic=self.require_magic,
            )
        return sources

    def _fetch(self, sources: list[Source]) -> None:
        failures: list[tuple[Source, str, str]] = []
        for index, source in enumerate(sources):
            if index > 0:
                self.reporter.report(
                    "downloading",
                    self.offset,
                    self.total or 0,
                    source.name,
                    f"Switching to {source.name}" + self._at_offset(),
                    force=True,
                )
            consecutive = 0
            while True:
                self.cancel.raise_if_cancelled()
                before = self.offset
                try:
                    self._attempt(source)
                    return
                except _SourceFailedError as failure:
                    if self.offset > before:
                        consecutive = 0  # it was making progress: a hiccup, not a bad source
                    log.info(
                        "downloads: %s %s at byte %d (%s)",
                        source.name,
                        failure.reason,
                        self.offset,
                        failure.detail,
                    )
                    consecutive += 1
                    if not failure.retryable or consecutive > self.max_retries:
                        tries = f" ({consecutive} tries)" if failure.retryable else ""
                        failures.append((source, failure.reason + tries, failure.detail))
                        break
                    delay = self._retry_delay(consecutive, failure.retry_after)
                    self.reporter.report(
                        "downloading",
                        self.offset,
                        self.total or 0,
                        source.name,
                        f"{source.name} {failure.reason}; retrying in {delay:.0f} s",
                        force=True,
                    )
                    if self.cancel.wait(delay):
                        raise CancelledError() from None
        self._all_failed(failures)

    def _retry_delay(self, consecutive: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        delay: float = self.backoff_base * 2.0 ** (consecutive - 1)
        return min(delay, self.max_retry_after)

    def _all_failed(self, failures: list[tuple[Source, str, str]]) -> None:
        clauses = "; ".join(f"{source.name} {reason}" for source, reason, _ in failures)
        kept = ""
        if self.offset > 0:
            of_total = f" of {format_size(self.total)}" if self.total else ""
            kept = f" The {format_size(self.offset)}{of_total} already downloaded are kept."
        raise DownloadError(
            f"Could not download {self.name}: {clauses}.{kept} Check your connection or add "
            "another source, then try again.",
            detail="\n".join(f"{s.name} <{_strip_query(s.url)}>: {r} {d}" for s, r, d in failures),
            source=failures[-1][0].name if len(failures) == 1 else "",
        )

    # --- one attempt on one source -----------------------------------------------

    def _attempt(self, source: Source) -> None:
        """Fetch from ``self.offset`` to the end from ``source``, or raise _SourceFailedError."""
        self.source_name = source.name
        headers = {"Range": f"bytes={self.offset}-"} if self.offset > 0 else {}
        try:
            with (
                self.gateway.stream(
                    source.url,
                    headers=headers,
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.stall_timeout,
                ) as response,
                _abort_on_cancel(response, self.cancel),
            ):
                restart = self._accept_answer(response, source)
                if restart is None:  # 416 for a range that is exactly the end: complete
                    return
                self._stream_body(response, source, restart=restart)
        except NetworkError as exc:
            if self.cancel.cancelled:
                raise CancelledError() from None
            raise self._transport_failure(exc) from exc
        finally:
            # The next attempt asks for bytes from self.offset: they must all be on disk.
            self._settle()

    def _transport_failure(self, exc: NetworkError) -> _SourceFailedError:
        detail = exc.detail or str(exc)
        if exc.kind == "stall":
            return _SourceFailedError(
                f"stopped sending data for more than {self.stall_timeout:g} s",
                retryable=True,
                detail=detail,
            )
        if exc.kind == "reset":
            return _SourceFailedError("kept dropping the connection", retryable=True, detail=detail)
        if exc.kind in ("connect", "timeout"):
            return _SourceFailedError("could not be reached", retryable=True, detail=detail)
        if exc.kind == "tls":
            return _SourceFailedError(
                "has a security certificate that could not be verified",
                retryable=False,
                detail=detail,
            )
        return _SourceFailedError(f"failed ({exc})", retryable=False, detail=detail)

    def _accept_answer(self, response: StreamResponse, source: Source) -> bool | None:
        """Check status and headers before any byte is written.

        Returns True when the body starts the file over (a 200 to a range request), False
        when it continues at ``self.offset``, None when the file turned out complete.
        """
        status = response.status
        headers = response.headers
        if status == 416 and self.offset > 0:
            complete_size = _unsatisfied_range_total(headers.get("Content-Range"))
            if complete_size == self.offset and self.total in (None, complete_size):
                self.total = complete_size
                return None
            raise _SourceFailedError(
                "answered with the wrong part of the file",
                retryable=False,
                detail=f"416 with Content-Range {headers.get('Content-Range')}",
            )
        if status in (401, 403):
            raise _SourceFailedError(f"refused access (HTTP {status})", retryable=False)
        if status in (404, 410):
            raise _SourceFailedError(f"does not have the file (HTTP {status})", retryable=False)
        if status == 429:
            raise _SourceFailedError(
                "asked us to slow down (HTTP 429)",
                retryable=True,
                retry_after=_parse_retry_after(headers.get("Retry-After")),
            )
        if status >= 500:
            raise _SourceFailedError(f"had a server error (HTTP {status})", retryable=True)
        if status not in (200, 206):
            raise _SourceFailedError(f"gave an unexpected answer (HTTP {status})", retryable=False)
        if _is_html(headers):
            raise _SourceFailedError(
                _WEB_PAGE, retryable=False, detail=f"Content-Type {headers.get('Content-Type')}"
            )
        if status == 206:
            start, end, size = _parse_content_range(headers.get("Content-Range"))
            if start != self.offset or size is None or end != size - 1:
                raise _SourceFailedError(
                    "answered with the wrong part of the file",
                    retryable=False,
                    detail=f"asked from {self.offset}, got {headers.get('Content-Range')}",
                )
            self._learn_total(size)
            return False
        length = _int_or_none(headers.get("Content-Length"))
        if length is not None:
            self._learn_total(length, from_zero=True)
        return self.offset > 0

    def _learn_total(self, size: int, *, from_zero: bool = False) -> None:
        if self.total is None:
            self.total = size
            # A 200 restarts from zero, so what we already have does not count then.
            self._check_free_space(have=0 if from_zero else self.offset)
        elif size != self.total:
            raise _SourceFailedError(
                f"reports a different file size ({format_size(size)} instead of "
                f"{format_size(self.total)})",
                retryable=False,
                detail=f"{size} != {self.total}",
            )

    def _stream_body(self, response: StreamResponse, source: Source, *, restart: bool) -> None:
        part = self.part
        assert part is not None
        magic = self.require_magic if (restart or self.offset == 0) else None
        head = b""
        span: _Span | None = None
        self.reporter.report(
            "downloading",
            self.offset,
            self.total or 0,
            source.name,
            f"Downloading from {source.name}" + self._at_offset(),
            force=True,
        )
        for piece in response.iter_bytes():
            if self.cancel.cancelled:
                raise CancelledError()
            if magic is not None:
                # Hold the first bytes back until the magic can be checked: a web page
                # must not replace (or be appended to) the bytes we have.
                head += piece
                if len(head) < len(magic):
                    continue
                if not head.startswith(magic):
                    looks_html = head.lstrip()[:1] == b"<"
                    raise _SourceFailedError(
                        _WEB_PAGE if looks_html else "sent something that is not a GGUF file",
                        retryable=False,
                        detail=f"first bytes {head[:16]!r}",
                    )
                piece, head, magic = head, b"", None
            if restart:
                log.info("downloads: %s ignored the range request; starting over", source.name)
                self._restart()
                restart = False
            if span is None:
                span = _Span(source.name, self.offset, self.offset)
                self.spans.append(span)
            if self.total is not None and self.offset + len(piece) > self.total:
                piece = piece[: self.total - self.offset]
            self._write(piece)
            span.end = self.offset
            self.reporter.report("downloading", self.offset, self.total or 0, source.name)
            if self.total is not None and self.offset >= self.total:
                return
        if magic is not None:
            raise _SourceFailedError(
                "sent an empty answer", retryable=True, detail=f"{len(head)} bytes"
            )
        if self.total is None:
            self.total = self.offset  # no size was announced; the body's end is the end
            return
        if self.offset < self.total:
            raise _SourceFailedError(
                "kept dropping the connection",
                retryable=True,
                detail=f"body ended at {self.offset} of {self.total}",
            )

    def _write(self, piece: bytes) -> None:
        assert self.writer is not None
        try:
            self.writer.put(piece)
        except OSError as exc:
            raise self._write_error(exc) from exc
        self.offset += len(piece)

    def _settle(self) -> None:
        """Wait for the writer; afterwards the .part holds exactly ``self.offset`` bytes."""
        if self.writer is None:
            return
        try:
            self.writer.drain()
        except OSError as exc:
            raise self._write_error(exc) from exc

    def _write_error(self, exc: OSError) -> HearthError:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return self._disk_full(exc)
        return DownloadError(
            f"Could not write {self.part_path.name}: {exc.strerror or exc}. The partial "
            "download is kept; check the models folder and try again.",
            detail=repr(exc),
        )

    def _restart(self) -> None:
        assert self.part is not None and self.writer is not None
        self._settle()
        self.part.truncate()
        self.hasher = self.writer.hasher = hashlib.sha256()
        self.offset = 0
        self.resumed_bytes = 0
        self.spans.clear()

    # --- the end -------------------------------------------------------------------

    def _finish(self) -> Path:
        part = self.part
        assert part is not None
        self.reporter.report(
            "verifying",
            self.offset,
            self.total or self.offset,
            self.source_name,
            "Verifying",
            force=True,
        )
        self._settle()
        try:
            part.sync()
        except OSError as exc:
            raise self._write_error(exc) from exc
        if self.total is not None and self.offset != self.total:
            self._reject(f"is {format_size(self.offset)} instead of {format_size(self.total)}")
        digest = self.hasher.hexdigest()
        if self.expected_sha256 is not None and digest != self.expected_sha256:
            self._reject("did not match its expected checksum", digest=digest)
        part.close()
        self.part_path.replace(self.dest)
        fsync_directory(self.dest.parent)
        log.info("downloads: installed %s (%d bytes, sha256 %s)", self.dest, self.offset, digest)
        self.reporter.report("done", self.offset, self.offset, self.source_name, "Done", force=True)
        return self.dest

    def _reject(self, problem: str, *, digest: str = "") -> None:
        """Delete the bad ``.part`` and say where its bytes came from."""
        assert self.part is not None
        self.part.close()
        with contextlib.suppress(FileNotFoundError):
            self.part_path.unlink()
        names = list(dict.fromkeys(span.source for span in self.spans if span.end > span.start))
        if self.resumed_bytes:
            names.insert(0, "an earlier session")
        if len(names) == 1:
            origin = f"It came from {names[0]}, which served bad bytes."
        elif names:
            origin = (
                f"Its bytes came from {', '.join(names[:-1])} and {names[-1]}; one of them "
                "served bad bytes."
            )
        else:
            origin = ""
        detail = "; ".join(f"{s.source}: bytes {s.start}-{s.end}" for s in self.spans)
        if self.resumed_bytes:
            detail = f"earlier session: bytes 0-{self.resumed_bytes}; " + detail
        raise IntegrityError(
            f"The downloaded {self.name} {problem}, so it was deleted. {origin} Try again, or "
            "choose another source.".replace("  ", " "),
            detail=f"sha256 {digest} expected {self.expected_sha256}; {detail}",
            source=", ".join(n for n in names if n != "an earlier session"),
        )

    # --- helpers ---------------------------------------------------------------------

    def _check_free_space(self, have: int | None = None) -> None:
        assert self.total is not None
        still_needed = max(self.total - (self.offset if have is None else have), 0)
        required = still_needed + self.disk_margin
        free = shutil.disk_usage(self.dest.parent).free
        if free < required:
            raise DiskFullError(
                f"There is not enough free disk space to download {self.name}: it needs "
                f"{format_size(still_needed)} more plus {format_size(self.disk_margin)} to "
                f"spare, but only {format_size(free)} is free in {self.dest.parent}. Free some "
                "space and try again.",
                detail=f"free={free} needed={still_needed} margin={self.disk_margin}",
            )

    def _disk_full(self, exc: OSError) -> DiskFullError:
        of_total = f" of {format_size(self.total)}" if self.total else ""
        stopped_at = self.part.size if self.part is not None else self.offset
        return DiskFullError(
            f"The disk is full, so the download of {self.name} stopped at "
            f"{format_size(stopped_at)}{of_total}. Free some space and resume; the partial "
            "download is kept.",
            detail=repr(exc),
        )

    def _at_offset(self) -> str:
        if self.offset <= 0:
            return ""
        if self.total:
            return f" at {100 * self.offset / self.total:.0f}%"
        return f" at {format_size(self.offset)}"


_WEB_PAGE = "answered with a web page instead of the model file"


@contextlib.contextmanager
def _abort_on_cancel(response: StreamResponse, cancel: CancelToken) -> Iterator[None]:
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


class _ProgressReporter:
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


def _parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None, None
    size = None if match[3] == "*" else int(match[3])
    return int(match[1]), int(match[2]), size


def _unsatisfied_range_total(value: str | None) -> int | None:
    match = _UNSATISFIED_RANGE.match(value or "")
    return int(match[1]) if match else None


def _parse_retry_after(value: str | None) -> float | None:
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


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _is_html(headers: Mapping[str, str]) -> bool:
    return headers.get("Content-Type", "").split(";")[0].strip().lower() in (
        "text/html",
        "application/xhtml+xml",
    )


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]
