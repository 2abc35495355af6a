"""Resumable, verified model downloads with failover between sources, in the middle of a file.

:func:`download_file` is one plain function (no Qt): sources in, a verified file out.

* **Resume.** Bytes go to ``<dest>.part``. A later call (even in a new process) re-hashes
  what is there and asks for the rest with ``Range``. A ``206`` must carry a
  ``Content-Range`` that starts at our offset and names the expected total; a ``200`` to
  a range request means the source ignored it, so the ``.part`` restarts from zero
  (never appended to).
* **One download per file.** A lock beside the file (``filelock``) is held for the whole
  download, so two windows, or a window and the CLI, never share a ``.part``: the second
  waits (saying so), then reuses the file the first one installed.
* **Verify what is on disk.** When the bytes are in, the ``.part`` is fsynced and hashed
  again from the disk (not from the stream), and only a file whose size and sha256 match is
  moved into place with ``os.replace``.
* **A bad source is a failed source.** A file that fails verification counts against the
  source that served it: its bytes are dropped and the next source starts from zero. When
  the bytes came from several sources (or an earlier session) and so the culprit is
  unknown, each source is then tried alone. Only when every source has failed does the
  error come, and it names what each one did.
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
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from app.core.atomic import fsync_directory
from app.core.cancel import CancelToken
from app.core.download_io import (
    GGUF_MAGIC,
    MAX_RETRY_WAIT_S,
    DownloadBusyError,
    DownloadProgress,
    HashingWriter,
    PartFile,
    ProgressCallback,
    ProgressReporter,
    Source,
    abort_on_cancel,
    acquire_lock,
    delete_partial,
    format_size,
    int_or_none,
    is_html,
    lock_path,
    parse_content_range,
    parse_retry_after,
    part_path,
    rank_sources,
    strip_query,
    unsatisfied_range_total,
)
from app.core.errors import (
    CancelledError,
    DiskFullError,
    DownloadError,
    HearthError,
    IntegrityError,
)
from app.core.network import NetworkError, NetworkGateway, StreamResponse

__all__ = [
    "GGUF_MAGIC",
    "DownloadBusyError",
    "DownloadProgress",
    "PartFile",
    "ProgressCallback",
    "Source",
    "delete_partial",
    "download_file",
    "format_size",
    "lock_path",
    "part_path",
    "rank_sources",
]

log = logging.getLogger(__name__)


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
    wait_for_other: bool = True,
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
    * ``wait_for_other``: when another process or thread is downloading ``dest``, wait for
      it (phase ``waiting``) and then reuse its file if it verifies; False raises
      :class:`DownloadBusyError` at once.

    Raises :class:`CancelledError` (``.part`` kept), :class:`DiskFullError` (``.part``
    kept), :class:`~app.core.errors.OfflineError`, :class:`DownloadBusyError`, or, when every
    source failed, :class:`IntegrityError` if one of them served bad bytes (nothing at
    ``dest``) and :class:`DownloadError` otherwise (a ``.part`` of good standing is kept).
    """
    if not sources:
        raise DownloadError.of("download.no_source", name=Path(dest).name)
    if expected_sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expected_sha256):
        raise ValueError(f"not a sha256 hex digest: {expected_sha256!r}")
    job = _Download(
        dest=Path(dest),
        gateway=gateway,
        expected_size=expected_size,
        expected_sha256=expected_sha256.lower() if expected_sha256 else None,
        reporter=ProgressReporter(progress),
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
    job.dest.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path(job.dest)))
    acquire_lock(
        lock,
        name=job.name,
        cancel=job.cancel,
        reporter=job.reporter,
        expected_size=job.expected_size,
        wait=wait_for_other,
    )
    try:
        return job.run(
            list(sources), rank=rank, pinned_source=pinned_source, probe_timeout=probe_timeout
        )
    finally:
        lock.release()


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
    reporter: ProgressReporter
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
    writer: HashingWriter | None = None
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
        if self.dest.is_file() and self._installed_is_good():
            # Another window or command installed it while we waited for the lock.
            log.info("downloads: %s was installed by another download; reusing it", self.name)
            size = self.dest.stat().st_size
            self.reporter.report("done", size, size, "", "Done", force=True)
            return self.dest
        self._load_existing_part()
        if self.total is not None:
            self._check_free_space()
        try:
            self.part = PartFile(self.part_path)
            self.writer = HashingWriter(
                self.part, self.hasher, capacity=max(self.chunk_size // 2, 65536)
            )
            if self.part.size != self.offset:  # the file changed under us; be safe
                self._restart()
            if self.total is not None and self.offset == self.total and self.offset > 0:
                log.info("downloads: %s is already complete on disk; verifying", self.name)
                if self._verify_on_disk() is None:
                    return self._install()
                log.warning("downloads: the complete .part of %s is bad; starting over", self.name)
                self._restart()
            ordered = self._order(
                sources, rank=rank, pinned=pinned_source, probe_timeout=probe_timeout
            )
            return self._fetch(ordered)
        finally:
            if self.writer is not None:
                self.writer.close()
            if self.part is not None:
                self.part.close()
                if self.part.size == 0:  # nothing worth keeping
                    with contextlib.suppress(OSError):
                        self.part_path.unlink()

    def _installed_is_good(self) -> bool:
        """Whether the file already at ``dest`` is the one wanted (hashed from disk)."""
        size = self.dest.stat().st_size
        if self.total is not None and size != self.total:
            return False
        if self.expected_sha256 is None:
            return True
        self.reporter.report("verifying", 0, size, "", "Verifying", force=True)
        return self._hash_from_disk(self.dest, size) == self.expected_sha256

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

    def _fetch(self, sources: list[Source]) -> Path:
        """Try the sources in order until one yields a verified file; install it."""
        failures: dict[int, tuple[Source, str, str]] = {}
        # After a bad file whose bytes came from several sources, the culprit is unknown:
        # from then on each source serves a whole file alone, so the next bad one is named.
        alone = False
        while True:
            restart_pass = False
            for index, source in enumerate(sources):
                if index in failures:
                    continue
                if alone and self.offset > 0:
                    self._restart()
                failure = self._from_source(source, switching=bool(failures) or alone)
                if failure is not None:
                    failures[index] = (source, *failure)
                    continue
                problem = self._verify_on_disk()
                if problem is None:
                    return self._install()
                culprits = self._contributors()
                detail = self._spans_detail()
                self._restart()  # keep no bytes of a file that proved bad
                if alone or culprits in ([], [source.name]):
                    log.warning("downloads: %s served a file that %s", source.name, problem)
                    failures[index] = (source, f"served a file that {problem}", detail)
                    continue
                log.warning(
                    "downloads: %s %s; its bytes came from %s; trying each source alone",
                    self.name,
                    problem,
                    ", ".join(culprits),
                )
                # Sources that only failed to deliver get another chance, alone.
                failures = {i: f for i, f in failures.items() if _BAD_FILE in f[1]}
                alone = restart_pass = True
                break
            if not restart_pass:
                self._all_failed([failures[i] for i in sorted(failures)])

    def _from_source(self, source: Source, *, switching: bool) -> tuple[str, str] | None:
        """Fetch the rest of the file from ``source`` with retries; (reason, detail) if it
        failed for good, None when the bytes are all in."""
        if switching:
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
                return None
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
                    return failure.reason + tries, failure.detail
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

    def _retry_delay(self, consecutive: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        delay: float = self.backoff_base * 2.0 ** (consecutive - 1)
        return min(delay, self.max_retry_after)

    def _all_failed(self, failures: list[tuple[Source, str, str]]) -> None:
        clauses = "; ".join(f"{source.name} {reason}" for source, reason, _ in failures)
        # The per-source reasons stay English (they name HTTP statuses and hosts); the
        # sentence around them is translated by its code.
        kept = "_kept" if self.offset > 0 else ""
        downloaded = format_size(self.offset)
        detail = "\n".join(f"{s.name} <{strip_query(s.url)}>: {r} {d}" for s, r, d in failures)
        bad = [s.name for s, reason, _ in failures if _BAD_FILE in reason]
        if bad:
            raise IntegrityError.of(
                f"download.bad_file{kept}",
                name=self.name,
                reasons=clauses,
                downloaded=downloaded,
                detail=detail,
                source=", ".join(bad),
            )
        raise DownloadError.of(
            f"download.all_sources_failed{kept}",
            name=self.name,
            reasons=clauses,
            downloaded=downloaded,
            detail=detail,
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
                abort_on_cancel(response, self.cancel),
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
            complete_size = unsatisfied_range_total(headers.get("Content-Range"))
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
                retry_after=parse_retry_after(headers.get("Retry-After")),
            )
        if status >= 500:
            raise _SourceFailedError(f"had a server error (HTTP {status})", retryable=True)
        if status not in (200, 206):
            raise _SourceFailedError(f"gave an unexpected answer (HTTP {status})", retryable=False)
        if is_html(headers):
            raise _SourceFailedError(
                _WEB_PAGE, retryable=False, detail=f"Content-Type {headers.get('Content-Type')}"
            )
        if status == 206:
            start, end, size = parse_content_range(headers.get("Content-Range"))
            if start != self.offset or size is None or end != size - 1:
                raise _SourceFailedError(
                    "answered with the wrong part of the file",
                    retryable=False,
                    detail=f"asked from {self.offset}, got {headers.get('Content-Range')}",
                )
            self._learn_total(size)
            return False
        length = int_or_none(headers.get("Content-Length"))
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
        return DownloadError.of(
            "download.write_failed",
            name=self.part_path.name,
            reason=str(exc.strerror or exc),
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

    def _verify_on_disk(self) -> str | None:
        """Check the finished ``.part`` as it is on disk; None if good, else what is wrong
        (completing "served a file that ...")."""
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
            size = self.part_path.stat().st_size
        except OSError as exc:
            raise self._write_error(exc) from exc
        if self.total is not None and size != self.total:
            return f"{_BAD_FILE} ({format_size(size)} instead of {format_size(self.total)})"
        if self.expected_sha256 is None:
            return None
        # Hashed again from the disk, not from the stream: what gets installed is what
        # is checked.
        digest = self._hash_from_disk(self.part_path, size)
        if digest != self.expected_sha256:
            log.warning(
                "downloads: %s has sha256 %s, expected %s (%s)",
                self.name,
                digest,
                self.expected_sha256,
                self._spans_detail(),
            )
            return f"{_BAD_FILE} (its sha256 checksum did not match)"
        return None

    def _hash_from_disk(self, path: Path, size: int) -> str:
        digest = hashlib.sha256()
        done = 0
        buffer = bytearray(min(max(self.chunk_size, 1 << 16), 4 << 20))
        view = memoryview(buffer)
        with open(path, "rb") as handle:
            while n := handle.readinto(buffer):
                self.cancel.raise_if_cancelled()
                digest.update(view[:n])
                done += n
                self.reporter.report("verifying", done, size, self.source_name)
        return digest.hexdigest()

    def _install(self) -> Path:
        """Move the verified ``.part`` into place."""
        assert self.part is not None
        self.part.close()
        self.part_path.replace(self.dest)
        fsync_directory(self.dest.parent)
        log.info("downloads: installed %s (%d bytes)", self.dest, self.offset)
        self.reporter.report("done", self.offset, self.offset, self.source_name, "Done", force=True)
        return self.dest

    def _contributors(self) -> list[str]:
        """Where the bytes of the ``.part`` came from, in order."""
        names = list(dict.fromkeys(span.source for span in self.spans if span.end > span.start))
        if self.resumed_bytes:
            names.insert(0, "an earlier session")
        return names

    def _spans_detail(self) -> str:
        detail = "; ".join(f"{s.source}: bytes {s.start}-{s.end}" for s in self.spans)
        if self.resumed_bytes:
            detail = f"earlier session: bytes 0-{self.resumed_bytes}; " + detail
        return detail

    # --- helpers ---------------------------------------------------------------------

    def _check_free_space(self, have: int | None = None) -> None:
        assert self.total is not None
        still_needed = max(self.total - (self.offset if have is None else have), 0)
        required = still_needed + self.disk_margin
        free = shutil.disk_usage(self.dest.parent).free
        if free < required:
            raise DiskFullError.of(
                "download.no_space",
                name=self.name,
                needed=format_size(still_needed),
                margin=format_size(self.disk_margin),
                free=format_size(free),
                folder=str(self.dest.parent),
                detail=f"free={free} needed={still_needed} margin={self.disk_margin}",
            )

    def _disk_full(self, exc: OSError) -> DiskFullError:
        stopped_at = self.part.size if self.part is not None else self.offset
        return DiskFullError.of(
            "download.disk_full_of" if self.total else "download.disk_full",
            name=self.name,
            downloaded=format_size(stopped_at),
            total=format_size(self.total or 0),
            detail=repr(exc),
        )

    def _at_offset(self) -> str:
        if self.offset <= 0:
            return ""
        if self.total:
            return f" at {100 * self.offset / self.total:.0f}%"
        return f" at {format_size(self.offset)}"


_WEB_PAGE = "answered with a web page instead of the model file"
#: How a verification failure is worded ("<source> served a file that failed verification").
_BAD_FILE = "failed verification"
