"""Pytest plugin: a local HTTP mirror on 127.0.0.1 with switchable faults.

It speaks the two protocols Hearth downloads from:

* **Hugging Face** (and HF-compatible mirrors): ``/{repo}/resolve/{revision}/{filename}``.
  ``HEAD`` answers with the metadata headers ``huggingface_hub`` reads
  (``X-Repo-Commit``, ``X-Linked-Etag``, ``X-Linked-Size``, ``ETag``, ``Content-Length``);
  optionally it redirects to a ``/cdn/{sha256}`` path, as huggingface.co does.
* **ModelScope**: files at ``/api/v1/models/{owner}/{repo}/repo?Revision=..&FilePath=..``
  and the listing at ``/api/v1/models/{owner}/{repo}/repo/files?Revision=..&Recursive=True``
  (``{"Code": 200, "Success": true, "Data": {"Files": [{"Path", "Size", "Sha256", ...}]}}``).

File bodies honour ``Range`` (206 + ``Content-Range``; 416 past the end). Faults are
switched on per mirror (see :class:`LocalMirror`), and counters record what was served.

Fixtures: ``local_mirror`` (one mirror), ``local_mirror_factory`` (call it for more
independent mirrors, or an https one), ``gguf_payload`` (a few MB starting with the GGUF
magic) and ``socket_trap`` (records and refuses every connect / lookup, except to hosts
it is told to allow). Every mirror stops at the end of the test; a stalled or dripping
answer wakes up at once because it waits on the mirror's stop event, not on a sleep.
``LocalMirror`` is usable outside pytest too (``scripts/bench_downloads.py``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.loopback import LoopbackServer, drop_connection

HF_DEFAULT_REVISION = "main"
MS_DEFAULT_REVISION = "master"
#: Size of each write to the socket for an unthrottled body.
SEND_CHUNK = 256 * 1024
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Access denied</title></head>"
    b"<body><h1>Please sign in to continue</h1></body></html>\n"
)


def make_gguf_payload(size: int, *, seed: int = 0) -> bytes:
    """``size`` bytes that start with the GGUF magic (random after it; fine for downloads)."""
    if size < 4:
        raise ValueError("a GGUF payload needs at least 4 bytes")
    return b"GGUF" + _random_bytes(size - 4, seed)


def _random_bytes(size: int, seed: int) -> bytes:
    """Reproducible random bytes; large sizes repeat a 16 MiB block (benchmarks)."""
    generator = random.Random(seed)
    block = 16 * 1024 * 1024
    if size <= block:
        return generator.randbytes(size)
    pattern = generator.randbytes(block)
    repeats, rest = divmod(size, block)
    return pattern * repeats + pattern[:rest]


@dataclass
class MirrorFile:
    repo: str
    filename: str
    data: bytes
    revision: str
    commit: str
    sha256: str = field(init=False)
    git_oid: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.data).hexdigest()
        pointer = (
            "version https://git-lfs.github.com/spec/v1\n"
            f"oid sha256:{self.sha256}\nsize {len(self.data)}\n"
        ).encode()
        self.git_oid = hashlib.sha1(b"blob %d\0" % len(pointer) + pointer).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class RequestRecord:
    """One request the mirror saw."""

    method: str
    path: str
    query: str
    range_header: str | None
    status: int = 0
    bytes_sent: int = 0


@dataclass
class _CountedFault:
    """A fault with an optional budget: ``times=None`` means every time."""

    times: int | None

    def take(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class _ResetFault(_CountedFault):
    after: int = 0
    hard: bool = False


@dataclass
class _StatusFault(_CountedFault):
    code: int = 500
    retry_after: str | None = None


@dataclass
class _StallFault(_CountedFault):
    after: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class _BodyFaults:
    """The faults one answer's body is sent with."""

    reset: _ResetFault | None
    stall: _StallFault | None
    drip: float | None
    corrupt: tuple[int, int] | None


class LocalMirror(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1:<free port> serving registered files."""

    def __init__(self, *, tls: tuple[str, str] | None = None) -> None:
        """``tls=(certfile, keyfile)`` serves https instead of http."""
        self._files_hf: dict[tuple[str, str], MirrorFile] = {}
        self._lock = threading.Lock()
        self.stalled = threading.Event()
        """Set whenever an answer starts stalling (tests wait on it instead of sleeping)."""
        # faults
        self._reset: _ResetFault | None = None
        self._status: _StatusFault | None = None
        self._stall: _StallFault | None = None
        self._ignore_range = False
        self._html_instead = False
        self._corrupt: tuple[int, int] | None = None
        self._drip_bytes_per_s: float | None = None
        self._redirect_base: str | None = None
        self._redirect_body = 0
        self._redirect_hook: Callable[[], None] | None = None
        self._range_shift = 0
        # counters
        self._bytes_served = 0
        self._requests: list[RequestRecord] = []
        super().__init__(_MirrorHandler, name="local-mirror", tls=tls)

    # --- addresses -------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin

    def add_file(
        self,
        repo: str,
        filename: str,
        data: bytes,
        *,
        revision: str = HF_DEFAULT_REVISION,
        commit: str | None = None,
    ) -> MirrorFile:
        """Serve ``data`` as ``repo``/``filename`` on both protocols."""
        commit = commit or hashlib.sha1(f"{repo}@{revision}".encode()).hexdigest()
        entry = MirrorFile(repo, filename, data, revision, commit)
        with self._lock:
            self._files_hf[(repo, filename)] = entry
        return entry

    def hf_url(self, repo: str, filename: str, revision: str = HF_DEFAULT_REVISION) -> str:
        return f"{self.base_url}/{repo}/resolve/{revision}/{quote(filename)}"

    def modelscope_url(self, repo: str, filename: str, revision: str = MS_DEFAULT_REVISION) -> str:
        return (
            f"{self.base_url}/api/v1/models/{repo}/repo"
            f"?Revision={quote(revision, safe='')}&FilePath={quote(filename, safe='')}"
        )

    def modelscope_files_url(self, repo: str, revision: str = MS_DEFAULT_REVISION) -> str:
        return (
            f"{self.base_url}/api/v1/models/{repo}/repo/files"
            f"?Revision={quote(revision, safe='')}&Recursive=True"
        )

    # --- faults --------------------------------------------------------------------------

    def reset_after(self, n_bytes: int, *, hard: bool = False, times: int | None = None) -> None:
        """Drop the connection after ``n_bytes`` of a file body.

        ``hard`` sends a TCP RST (unread data may be lost on the client); otherwise the
        server closes cleanly mid-body, which the client sees as a truncated answer.
        """
        self._reset = _ResetFault(times=times, after=n_bytes, hard=hard)

    def status(self, code: int, *, times: int | None = None) -> None:
        """Answer every request (or the next ``times``) with HTTP ``code``."""
        self._status = _StatusFault(times=times, code=code)

    def too_many_requests(self, retry_after: float | str, *, times: int | None = 1) -> None:
        """Answer 429 with ``Retry-After`` (seconds or an HTTP date)."""
        value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        self._status = _StatusFault(times=times, code=429, retry_after=value)

    def ignore_range(self, on: bool = True) -> None:
        """Answer ``Range`` requests with ``200`` and the whole body."""
        self._ignore_range = on

    def html_instead(self, on: bool = True) -> None:
        """Answer file requests with a 200 HTML page (a captive portal or login wall)."""
        self._html_instead = on

    def corrupt_bytes(self, offset: int, length: int = 1) -> None:
        """Serve flipped bytes at ``offset`` (a sha256 mismatch)."""
        self._corrupt = (offset, length)

    def stall_after(self, n_bytes: int, seconds: float, *, times: int | None = 1) -> None:
        """After ``n_bytes`` of a body, send nothing for ``seconds`` (then go on)."""
        self._stall = _StallFault(times=times, after=n_bytes, seconds=seconds)

    def slow_drip(self, bytes_per_s: float | None) -> None:
        """Send file bodies at about ``bytes_per_s`` (``None`` switches it off)."""
        self._drip_bytes_per_s = bytes_per_s

    def redirect_to(
        self,
        base_url: str | None,
        *,
        body_bytes: int = 0,
        before: Callable[[], None] | None = None,
    ) -> None:
        """Answer HF resolve URLs with 302 to ``{base_url}/cdn/{sha256}`` (as HF does).

        ``base_url`` may be this mirror's own (a same-host CDN) or another mirror's.
        ``body_bytes`` sends that many bytes of body with the 302 (``-1``: without end);
        ``before`` runs on the server thread just before the 302 is sent.
        """
        self._redirect_base = base_url
        self._redirect_body = body_bytes
        self._redirect_hook = before

    def shift_range_start(self, delta: int) -> None:
        """Answer range requests with a 206 whose ``Content-Range`` (and body) start
        ``delta`` bytes away from the offset asked for."""
        self._range_shift = delta

    def clear_faults(self) -> None:
        self._reset = self._status = self._stall = None
        self._ignore_range = self._html_instead = False
        self._corrupt = None
        self._drip_bytes_per_s = None
        self._redirect_base = None
        self._redirect_body = 0
        self._redirect_hook = None
        self._range_shift = 0

    # --- counters ------------------------------------------------------------------------

    @property
    def bytes_served(self) -> int:
        """File-body bytes written to sockets (HTML pages and JSON not included)."""
        with self._lock:
            return self._bytes_served

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen, in order. A request is recorded when it arrives, its status
        before the answer is sent and its bytes before they are written, so a client
        that has its answer always finds it counted here."""
        with self._lock:
            return list(self._requests)

    @property
    def requests_seen(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def ranges_asked(self) -> list[str]:
        """The ``Range`` header of every file request that had one."""
        return [r.range_header for r in self.requests if r.range_header is not None]

    def reset_counters(self) -> None:
        with self._lock:
            self._bytes_served = 0
            self._requests.clear()

    # --- used by the handler -------------------------------------------------------------

    def _record(self, record: RequestRecord) -> int:
        with self._lock:
            self._requests.append(record)
            return len(self._requests) - 1

    def _update(self, index: int, *, status: int | None = None, sent: int = 0) -> None:
        with self._lock:
            if index >= len(self._requests):  # counters were reset meanwhile
                return
            record = self._requests[index]
            self._requests[index] = replace(
                record,
                status=record.status if status is None else status,
                bytes_sent=record.bytes_sent + sent,
            )
            self._bytes_served += sent

    def _claim_body_faults(self) -> _BodyFaults:
        with self._lock:
            reset = self._reset if self._reset is not None and self._reset.take() else None
            stall = self._stall if self._stall is not None and self._stall.take() else None
            return _BodyFaults(reset, stall, self._drip_bytes_per_s, self._corrupt)

    def _lookup(self, repo: str, filename: str) -> MirrorFile | None:
        with self._lock:
            return self._files_hf.get((repo, filename))

    def _by_sha(self, sha: str) -> MirrorFile | None:
        with self._lock:
            for entry in self._files_hf.values():
                if entry.sha256 == sha:
                    return entry
        return None

    def _files_of(self, repo: str) -> list[MirrorFile]:
        with self._lock:
            return [f for (r, _), f in self._files_hf.items() if r == repo]


_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")
_HF_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_MS_FILE = re.compile(r"^/api/v1/models/(?P<repo>[^/]+/[^/]+)/repo$")
_MS_LIST = re.compile(r"^/api/v1/models/(?P<repo>[^/]+/[^/]+)/repo/files$")
_CDN = re.compile(r"^/cdn/(?P<sha>[0-9a-f]{64})$")


class _MirrorHandler(BaseHTTPRequestHandler):
    owner: LocalMirror
    protocol_version = "HTTP/1.1"
    server_version = "HearthTestMirror/1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for the tests."""

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    # --- routing ---------------------------------------------------------------------------

    def _handle(self, *, head: bool) -> None:
        mirror = self.owner
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        range_header = self.headers.get("Range")
        self._record_index = mirror._record(
            RequestRecord(method=self.command, path=path, query=query, range_header=range_header)
        )
        try:
            self._route(path, query, range_header, head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(self, path: str, query: str, range_header: str | None, *, head: bool) -> None:
        mirror = self.owner
        with mirror._lock:
            fault = mirror._status
            if fault is not None and not fault.take():
                fault = None
        if fault is not None:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send_small(fault.code, b"error\n", "text/plain", extra, head=head)
            return
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if match := _HF_PATH.match(path):
            entry = mirror._lookup(match["repo"], match["file"])
            if entry is None or match["rev"] not in (entry.revision, entry.commit):
                self._send_small(404, b"Entry not found\n", "text/plain", head=head)
                return
            if mirror._redirect_base is not None:
                location = f"{mirror._redirect_base}/cdn/{entry.sha256}"
                if mirror._redirect_hook is not None:
                    mirror._redirect_hook()
                if mirror._redirect_body:
                    self._send_redirect_with_body(location, mirror._redirect_body, head=head)
                    return
                self._send_small(
                    302, b"", "text/plain", {"Location": location, **_hf_meta(entry)}, head=head
                )
                return
            self._send_file(entry, range_header, head=head, meta=_hf_meta(entry))
            return
        if match := _CDN.match(path):
            entry = mirror._by_sha(match["sha"])
            if entry is None:
                self._send_small(404, b"NoSuchKey\n", "text/plain", head=head)
                return
            self._send_file(entry, range_header, head=head, meta={"ETag": f'"{entry.sha256}"'})
            return
        if match := _MS_LIST.match(path):
            self._send_listing(match["repo"], params, head=head)
            return
        if match := _MS_FILE.match(path):
            entry = mirror._lookup(match["repo"], params.get("FilePath", ""))
            revision = params.get("Revision", MS_DEFAULT_REVISION)
            if entry is None or revision not in (MS_DEFAULT_REVISION, entry.commit):
                self._send_json(404, _ms_body(None, code=404, message="file not found"), head)
                return
            self._send_file(entry, range_header, head=head, meta={})
            return
        self._send_small(404, b"Not found\n", "text/plain", head=head)

    # --- answers ----------------------------------------------------------------------------

    def _send_small(
        self,
        code: int,
        body: bytes,
        content_type: str,
        extra: dict[str, str] | None = None,
        *,
        head: bool,
    ) -> None:
        self.owner._update(self._record_index, status=code)
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_redirect_with_body(self, location: str, n_bytes: int, *, head: bool) -> None:
        """A 302 whose body is ``n_bytes`` long, or endless (chunked) when negative."""
        self.owner._update(self._record_index, status=302)
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        if n_bytes >= 0:
            self.send_header("Content-Length", str(n_bytes))
        else:
            self.send_header("Transfer-Encoding", "chunked")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        block = b"<p>moved</p>" * 5000
        sent = 0
        try:
            while (n_bytes < 0 or sent < n_bytes) and not self.owner._stop.is_set():
                piece = block if n_bytes < 0 else block[: n_bytes - sent]
                if n_bytes < 0:
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            self.close_connection = True

    def _send_json(self, code: int, payload: object, head: bool) -> None:
        body = json.dumps(payload).encode()
        self._send_small(code, body, "application/json", head=head)

    def _send_listing(self, repo: str, params: dict[str, str], *, head: bool) -> None:
        files = self.owner._files_of(repo)
        if not files:
            self._send_json(404, _ms_body(None, code=404, message="model not found"), head)
            return
        listing = [
            {
                "CommitMessage": "upload",
                "CommittedDate": 1737500000,
                "CommitterName": "mirror",
                "InCheck": False,
                "IsLFS": True,
                "Mode": "33188",
                "Name": entry.filename.rsplit("/", 1)[-1],
                "Path": entry.filename,
                "Revision": entry.commit,
                "Sha256": entry.sha256,
                "Size": entry.size,
                "Type": "blob",
            }
            for entry in files
        ]
        self._send_json(200, _ms_body({"Files": listing}), head)

    def _send_file(
        self, entry: MirrorFile, range_header: str | None, *, head: bool, meta: dict[str, str]
    ) -> None:
        mirror = self.owner
        if mirror._html_instead:
            self._send_small(200, HTML_PAGE, "text/html; charset=utf-8", head=head)
            return
        size = entry.size
        start, end = 0, size - 1
        partial = False
        if range_header is not None and not mirror._ignore_range:
            match = _RANGE.match(range_header.strip())
            if match is None:
                self._send_small(400, b"bad range\n", "text/plain", head=head)
                return
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
            if mirror._range_shift and start > 0:
                start = max(0, min(start + mirror._range_shift, size - 1))
            if start >= size or end < start:
                self._send_small(
                    416, b"", "text/plain", {"Content-Range": f"bytes */{size}"}, head=head
                )
                return
            partial = True
        # Faults are claimed before the answer starts: once a client has the headers, a
        # fault set afterwards belongs to the next request, never to this one.
        faults = None if head else mirror._claim_body_faults()
        self.owner._update(self._record_index, status=206 if partial else 200)
        self.send_response(206 if partial else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        for name, value in meta.items():
            self.send_header(name, value)
        self.end_headers()
        if faults is None:
            return
        self._send_body(entry.data, start, end + 1, faults)

    def _send_body(self, data: bytes, start: int, stop: int, faults: _BodyFaults) -> None:
        mirror = self.owner
        view = memoryview(data)
        reset, stall = faults.reset, faults.stall
        drip, corrupt = faults.drip, faults.corrupt
        # Slices are cut so that every fault point falls on a boundary.
        piece = SEND_CHUNK if drip is None else max(1, int(drip / 20))
        position = start
        while position < stop:
            if mirror._stop.is_set():
                self.close_connection = True
                return
            sent_here = position - start
            if reset is not None and sent_here >= reset.after:
                self._drop(hard=reset.hard)
                return
            if stall is not None and sent_here >= stall.after:
                mirror.stalled.set()
                mirror._stop.wait(stall.seconds)
                stall = None
                continue
            limit = stop
            if reset is not None:
                limit = min(limit, start + reset.after)
            if stall is not None:
                limit = min(limit, start + stall.after)
            limit = min(limit, position + piece)
            chunk: bytes | memoryview = view[position:limit]
            if corrupt is not None:
                chunk = _corrupted(chunk, position, corrupt)
            mirror._update(self._record_index, sent=len(chunk))
            try:
                self.wfile.write(chunk)
            except OSError:
                mirror._update(self._record_index, sent=-len(chunk))
                raise
            position = limit
            if drip is not None and mirror._stop.wait(len(chunk) / drip):
                self.close_connection = True
                return

    def _drop(self, *, hard: bool) -> None:
        """End the connection mid-body, cleanly (FIN) or with a TCP reset (RST)."""
        drop_connection(self, hard=hard)


def _corrupted(chunk: bytes | memoryview, position: int, corrupt: tuple[int, int]) -> bytes:
    offset, length = corrupt
    lo = max(offset, position)
    hi = min(offset + length, position + len(chunk))
    if lo >= hi:
        return bytes(chunk)
    buffer = bytearray(chunk)
    for i in range(lo - position, hi - position):
        buffer[i] ^= 0xFF
    return bytes(buffer)


def _hf_meta(entry: MirrorFile) -> dict[str, str]:
    """The metadata headers huggingface.co sends for an LFS file."""
    return {
        "X-Repo-Commit": entry.commit,
        "X-Linked-Etag": f'"{entry.sha256}"',
        "X-Linked-Size": str(entry.size),
        "ETag": f'"{entry.git_oid}"',
    }


def _ms_body(data: object, *, code: int = 200, message: str = "success") -> dict[str, object]:
    return {
        "Code": code,
        "Data": data,
        "Message": message,
        "RequestId": os.urandom(8).hex(),
        "Success": code == 200,
    }


@dataclass(frozen=True)
class TrappedCall:
    """One attempt to touch the network: ``kind`` is connect, create_connection or getaddrinfo."""

    kind: str
    host: str
    port: int | None
    allowed: bool


class SocketTrap:
    """Records every attempt to reach the network, and fails it unless the host is allowed.

    Installed by the ``socket_trap`` fixture over ``socket.socket.connect``,
    ``socket.create_connection`` and ``socket.getaddrinfo``.
    """

    def __init__(self) -> None:
        self.allowed_hosts: set[str] = set()
        self._calls: list[TrappedCall] = []
        self._lock = threading.Lock()

    def allow(self, *hosts: str) -> None:
        self.allowed_hosts.update(hosts)

    @property
    def calls(self) -> list[TrappedCall]:
        with self._lock:
            return list(self._calls)

    @property
    def connected(self) -> set[str]:
        """``host:port`` of every allowed TCP connection made."""
        return {f"{c.host}:{c.port}" for c in self.calls if c.kind == "connect" and c.allowed}

    def _check(self, kind: str, host: object, port: object) -> bool:
        host_text = str(host)
        port_number = port if isinstance(port, int) else None
        allowed = host_text in self.allowed_hosts
        with self._lock:
            self._calls.append(TrappedCall(kind, host_text, port_number, allowed))
        return allowed

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect = socket.socket.connect
        real_create_connection = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo
        trap = self

        def connect(sock: socket.socket, address: object) -> None:
            host, port = address if isinstance(address, tuple) else (address, None)
            if not trap._check("connect", host, port):
                raise OSError(errno.ENETUNREACH, f"socket trap: connect to {address!r} refused")
            real_connect(sock, address)  # type: ignore[arg-type]

        def create_connection(address: tuple[str, int], *args: object, **kwargs: object) -> object:
            if not trap._check("create_connection", address[0], address[1]):
                raise OSError(errno.ENETUNREACH, f"socket trap: connection to {address!r} refused")
            return real_create_connection(address, *args, **kwargs)  # type: ignore[arg-type]

        def getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> object:
            if not trap._check("getaddrinfo", host, port):
                raise socket.gaierror(socket.EAI_NONAME, f"socket trap: lookup of {host!r} refused")
            return real_getaddrinfo(host, port, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket, "create_connection", create_connection)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def socket_trap(monkeypatch: pytest.MonkeyPatch) -> SocketTrap:
    """Record and refuse every network attempt; ``socket_trap.allow("127.0.0.1")`` to permit."""
    trap = SocketTrap()
    trap.install(monkeypatch)
    return trap


@pytest.fixture
def local_mirror_factory() -> Iterator[Callable[..., LocalMirror]]:
    """Make as many independent mirrors as a test needs (``tls=`` for https); all stop
    when the test ends."""
    mirrors: list[LocalMirror] = []

    def make(*, tls: tuple[str, str] | None = None) -> LocalMirror:
        mirror = LocalMirror(tls=tls)
        mirrors.append(mirror)
        return mirror

    yield make
    for mirror in mirrors:
        mirror.close()


@pytest.fixture
def local_mirror(local_mirror_factory: Callable[..., LocalMirror]) -> LocalMirror:
    """One local mirror on 127.0.0.1, stopped at the end of the test."""
    return local_mirror_factory()


@pytest.fixture
def gguf_payload() -> bytes:
    """A 3 MiB stand-in model file: the GGUF magic, then reproducible random bytes."""
    return make_gguf_payload(3 * 1024 * 1024 + 12345)


__all__ = [
    "HTML_PAGE",
    "LocalMirror",
    "MirrorFile",
    "RequestRecord",
    "SocketTrap",
    "TrappedCall",
    "make_gguf_payload",
]
