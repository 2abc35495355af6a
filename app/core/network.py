"""The one gateway between Hearth and the network.

Every byte Hearth sends or receives over the network goes through :class:`NetworkGateway`:
model downloads, mirror probes and metadata look-ups. No other module imports an HTTP
client. That gives three guarantees a person can check:

* **Offline means offline.** With offline mode on (in settings, or forced by
  ``HEARTH_OFFLINE=1``) every call raises :class:`~app.core.errors.OfflineError` before
  any name lookup or socket is touched.
* **Everything is written down.** Each HTTP request (each redirect hop too) and each
  refusal appends one line to a private JSON-lines log (0600): time, method, host, path,
  status, bytes in and out, result. Query strings are never logged, since they can carry
  tokens. A streamed download is logged when its headers arrive and logged again, with
  the final byte count, when the stream closes; readers keep the last line per request,
  so a crash mid-download still leaves a trace.
* **TLS is always verified.** There is no switch to turn verification off, and a
  redirect from https to plain http is refused.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import certifi
import httpx

from app import __version__
from app.core.atomic import PRIVATE_FILE_MODE
from app.core.errors import HearthError, OfflineError

if TYPE_CHECKING:
    from app.core.network_events import EventStreamResponse

log = logging.getLogger(__name__)

ENV_OFFLINE = "HEARTH_OFFLINE"
OFFLINE_MESSAGE = "Hearth is offline; turn off offline mode to download."
DEFAULT_USER_AGENT = f"Hearth/{__version__}"
MAX_REDIRECTS = 10
#: ``request`` is for small bodies (JSON, metadata); anything larger is a mistake.
MAX_SMALL_BODY = 16 << 20
#: The most of a redirect's body read (to reuse the connection); past it the connection
#: is closed instead. A redirect body is a line of HTML at most.
MAX_REDIRECT_BODY = 64 << 10

#: What went wrong with a transfer, for callers that decide whether to retry.
NetworkErrorKind = Literal[
    "connect", "timeout", "stall", "reset", "tls", "redirect", "cancelled", "other"
]

RESULT_OK = "ok"
RESULT_OFFLINE = "refused: offline"
RESULT_IN_PROGRESS = "in progress"
RESULT_INTERRUPTED = "error: interrupted"
RESULT_STOPPED = "error: stopped early"


class NetworkError(HearthError):
    """A request could not be completed at the transport level (no usable HTTP answer).

    ``kind`` says what happened, so callers can tell a dropped connection (worth a retry)
    from a certificate failure (not worth one).
    """

    def __init__(self, message: str, *, kind: NetworkErrorKind, host: str, detail: str = ""):
        super().__init__(message, detail=detail)
        self.kind: NetworkErrorKind = kind
        self.host = host


def offline_forced_by_environment() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes", "on"}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1): this machine."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class NetworkLogEntry:
    """One request the gateway made, or refused to make."""

    #: ISO 8601, UTC, when the request started.
    time: str
    method: str
    #: Host name, with ``:port`` when the port is not the scheme's default.
    host: str
    #: URL path only; the query string is deliberately left out.
    path: str
    status: int | None
    #: Body bytes received (counted as they stream in).
    bytes_in: int
    #: Bytes sent: request line, headers and body.
    bytes_out: int
    #: ``"ok"``, ``"refused: offline"``, ``"in progress"`` (still streaming), or
    #: ``"error: <short reason>"``: ``HTTP 404``, ``could not connect``, ``timed out``,
    #: ``stalled``, ``connection dropped``, ``certificate not trusted``, ``bad redirect``,
    #: ``stopped`` (cancelled), ``stopped early`` (the body was not wanted after all),
    #: ``interrupted`` (the process ended mid-transfer).
    result: str


@dataclass(frozen=True)
class GatewayResponse:
    """A complete, small HTTP answer."""

    status: int
    headers: Mapping[str, str]
    final_url: str
    content: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class StreamResponse:
    """An HTTP answer whose body is read as it arrives. Only valid inside ``stream()``."""

    def __init__(self, response: httpx.Response, host: str) -> None:
        self._response = response
        self._host = host
        self._aborted = threading.Event()
        self.error: NetworkError | None = None

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        """Case-insensitive."""
        return self._response.headers

    @property
    def final_url(self) -> str:
        return str(self._response.url)

    @property
    def bytes_received(self) -> int:
        return self._response.num_bytes_downloaded

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as it arrives; ``None`` yields each piece as the socket delivers it.

        Transport failures are raised as :class:`NetworkError` (kind ``stall`` when no
        byte arrived within the read timeout, ``reset`` when the connection dropped).
        """
        encoding = self._response.headers.get("Content-Encoding", "identity").strip().lower()
        # Without a content encoding the raw bytes are the body: skip the decoder layer.
        pieces = (
            self._response.iter_raw(chunk_size)
            if encoding in ("", "identity")
            else self._response.iter_bytes(chunk_size)
        )
        try:
            yield from pieces
        except httpx.HTTPError as exc:
            error = _network_error(exc, self._host)
            if self._aborted.is_set():
                error = NetworkError(
                    "", kind="cancelled", host=self._host, detail=repr(exc)
                ).with_code("network.stopped")
            self.error = error
            raise error from exc

    def abort(self) -> None:
        """Unblock a read in progress, from any thread (used to make cancel instant).

        Shutting the socket down wakes a thread blocked in ``recv``; the reader then sees
        a dropped connection.
        """
        self._aborted.set()
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _host_of(url: httpx.URL) -> str:
    host = url.host
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    if url.port is not None and url.port != default_port:
        return f"{host}:{url.port}"
    return host


_SHORT_REASONS: dict[str, str] = {
    "connect": "could not connect",
    "timeout": "timed out",
    "stall": "stalled",
    "reset": "connection dropped",
    "tls": "certificate not trusted",
    "redirect": "bad redirect",
    "cancelled": "stopped",
    "other": "failed",
}


def _short_reason(error: NetworkError) -> str:
    return _SHORT_REASONS.get(error.kind, "failed")


def _network_error(exc: httpx.HTTPError, host: str) -> NetworkError:
    """Translate an httpx failure into a sentence and a kind."""
    detail = repr(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError("", kind="timeout", host=host, detail=detail).with_code(
            "network.connect_timeout", host=host
        )
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate" in str(exc).lower():
            return NetworkError("", kind="tls", host=host, detail=detail).with_code(
                "network.tls", host=host
            )
        return NetworkError("", kind="connect", host=host, detail=detail).with_code(
            "network.connect_failed", host=host
        )
    if isinstance(exc, httpx.ReadTimeout):
        return NetworkError("", kind="stall", host=host, detail=detail).with_code(
            "network.stalled", host=host
        )
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError("", kind="timeout", host=host, detail=detail).with_code(
            "network.timeout", host=host
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return NetworkError("", kind="reset", host=host, detail=detail).with_code(
            "network.dropped", host=host
        )
    return NetworkError("", kind="other", host=host, detail=detail).with_code(
        "network.failed", host=host
    )


def _drain_bounded(response: httpx.Response, limit: int) -> int:
    """Read and drop up to about ``limit`` bytes of a body; returns how many were read."""
    seen = 0
    for piece in response.iter_raw():
        seen += len(piece)
        if seen >= limit:
            break
    return seen


def _request_size(request: httpx.Request) -> int:
    """Bytes on the wire for the request line, headers and body (HTTP/1.1)."""
    target = request.url.raw_path.decode("ascii", errors="replace")
    size = len(f"{request.method} {target} HTTP/1.1\r\n")
    for name, value in request.headers.raw:
        size += len(name) + len(value) + 4
    size += 2
    with contextlib.suppress(ValueError):
        size += int(request.headers.get("Content-Length", "0"))
    return size


class NetworkGateway:
    """All network access for the app. Thread-safe; one per process is enough."""

    def __init__(
        self,
        *,
        log_path: Path | None,
        offline: bool = False,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._log_path = Path(log_path) if log_path is not None else None
        self._offline = offline
        self._user_agent = user_agent
        self._client: httpx.Client | None = None
        #: Clients that also trust a user-supplied CA file (remote engines), by file path.
        self._ca_clients: dict[str, httpx.Client] = {}
        self._client_lock = threading.Lock()
        self._log_lock = threading.Lock()
        #: Entries in order of first appearance, keyed by request id (last write wins).
        self._entries: dict[str, NetworkLogEntry] = {}
        #: Requests whose answer is still being read, by id (they survive clear_log).
        self._open: dict[str, NetworkLogEntry] = {}
        self._closed = False

    # --- offline switch ----------------------------------------------------------

    @property
    def offline(self) -> bool:
        return self._offline or offline_forced_by_environment()

    def set_offline(self, value: bool) -> None:
        """Turn offline mode on or off; ``HEARTH_OFFLINE=1`` keeps it on regardless."""
        if not value and offline_forced_by_environment():
            log.info("network: offline mode is forced by %s=1; staying offline", ENV_OFFLINE)
        self._offline = value

    # --- requests ----------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 15.0,
        follow_redirects: bool = True,
        max_bytes: int = MAX_SMALL_BODY,
        ca_file: str | None = None,
        allow_loopback: bool = False,
    ) -> GatewayResponse:
        """Make one request with a small body (JSON, metadata) and return the answer.

        HTTP error statuses are returned, not raised; transport failures raise
        :class:`NetworkError`. ``follow_redirects=False`` returns the first answer, which
        is where Hugging Face puts ``X-Linked-Etag`` / ``X-Linked-Size``. ``ca_file`` adds a
        trusted CA (a remote engine with its own certificate authority);
        ``allow_loopback`` lets a request to this machine through even in offline mode.
        """
        method = method.upper()
        self._refuse_if_offline(method, url, allow_loopback=allow_loopback)
        with self._send(
            method, url, headers, httpx.Timeout(timeout), follow_redirects, ca_file=ca_file
        ) as (
            response,
            host,
            entry_id,
        ):
            try:
                content = bytearray()
                for piece in response.iter_bytes():
                    content.extend(piece)
                    if len(content) > max_bytes:
                        raise NetworkError(
                            "",
                            kind="other",
                            host=host,
                            detail=f"more than {max_bytes} bytes from {url}",
                        ).with_code("network.too_large", host=host)
            except httpx.HTTPError as exc:
                error = _network_error(exc, host)
                self._finish_entry(entry_id, response, error)
                raise error from exc
            except NetworkError as error:
                self._finish_entry(entry_id, response, error)
                raise
            self._finish_entry(entry_id, response, None)
            return GatewayResponse(
                status=response.status_code,
                headers=response.headers,
                final_url=str(response.url),
                content=bytes(content),
            )

    @contextlib.contextmanager
    def stream(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> Iterator[StreamResponse]:
        """GET ``url`` and yield the answer with its body unread; follows redirects.

        ``read_timeout`` is the longest wait for the next byte (a stall). The log entry
        gets its final byte count when the block exits.
        """
        self._refuse_if_offline("GET", url)
        merged = {"Accept-Encoding": "identity", **(headers or {})}
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        with self._send("GET", url, merged, timeout, True) as (
            response,
            host,
            entry_id,
        ):
            wrapped = StreamResponse(response, host)
            with self._logged_body(entry_id, response, wrapped):
                yield wrapped

    @contextlib.contextmanager
    def post_events(
        self,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        ca_file: str | None = None,
        allow_loopback: bool = False,
    ) -> Iterator[EventStreamResponse]:
        """POST a JSON ``body`` and yield the answer unread, to be read as server-sent events
        (an OpenAI-compatible streamed chat completion). Redirects are not followed.

        Only the host, path and byte counts are logged, never the body (it holds the
        prompt) or the headers (they may hold an API key). ``read_timeout`` is the longest
        wait for the next byte; :meth:`StreamResponse.abort` ends a read from another thread.
        """
        from app.core.network_events import EventStreamResponse

        self._refuse_if_offline("POST", url, allow_loopback=allow_loopback)
        merged = {
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",
            "Cache-Control": "no-store",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        with self._send("POST", url, merged, timeout, False, content=body, ca_file=ca_file) as (
            response,
            host,
            entry_id,
        ):
            wrapped = EventStreamResponse(response, host)
            with self._logged_body(entry_id, response, wrapped):
                yield wrapped

    @contextlib.contextmanager
    def _logged_body(
        self, entry_id: str, response: httpx.Response, wrapped: StreamResponse
    ) -> Iterator[None]:
        """Finish the log entry of a body read by the caller, however the reading ends."""
        try:
            yield
        except BaseException as exc:
            error = wrapped.error
            if error is None and isinstance(exc, NetworkError):
                error = exc
            # The caller gave up on the body (wrong content, cancel): say so.
            stopped = error is None and response.status_code < 400
            self._finish_entry(
                entry_id, response, error, result=RESULT_STOPPED if stopped else None
            )
            raise
        self._finish_entry(entry_id, response, wrapped.error)

    def close(self) -> None:
        with self._client_lock:
            self._closed = True
            if self._client is not None:
                self._client.close()
                self._client = None
            for client in self._ca_clients.values():
                client.close()
            self._ca_clients.clear()

    # --- the log -------------------------------------------------------------------

    def log_entries(self) -> list[NetworkLogEntry]:
        """Every logged request, oldest first (from the log file when there is one)."""
        with self._log_lock:
            entries = dict(self._entries) if self._log_path is None else self._read_log_file()
            open_ids = set(self._open)
        result = []
        for entry_id, entry in entries.items():
            if entry.result == RESULT_IN_PROGRESS and entry_id not in open_ids:
                # Logged when the headers arrived, never closed: the process ended mid-transfer.
                entry = replace(entry, result=RESULT_INTERRUPTED)
            result.append(entry)
        return result

    def record(self, entry: NetworkLogEntry) -> None:
        """Add a line written elsewhere: the local API server logs its start and stop and
        each request it answers (client address, status, model, token counts; no text)."""
        self._write_entry(uuid.uuid4().hex, entry)

    def clear_log(self) -> None:
        with self._log_lock:
            self._entries.clear()
            if self._log_path is not None and self._log_path.exists():
                fd = os.open(self._log_path, os.O_WRONLY | os.O_TRUNC)
                os.close(fd)

    # --- internals -------------------------------------------------------------------

    def _client_instance(self, *, ca_file: str | None = None, direct: bool = False) -> httpx.Client:
        """The shared client; ``ca_file`` or ``direct`` (no proxy: loopback) get their own."""
        if ca_file or direct:
            return self._extra_client(ca_file or "", direct=direct)
        with self._client_lock:
            if self._closed:
                raise RuntimeError("the network gateway is closed")
            if self._client is None:
                self._client = httpx.Client(
                    # Always verify certificates; there is deliberately no way to turn this off.
                    verify=True,
                    http2=False,
                    follow_redirects=False,
                    headers={"User-Agent": self._user_agent},
                    # Proxies from the environment are honoured: many users reach the
                    # model hosts only through one.
                    trust_env=True,
                )
                # No cookies are kept: nothing we fetch needs them, and they would let a
                # host link one download to the next.
                self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            return self._client

    def _extra_client(self, ca_file: str, *, direct: bool) -> httpx.Client:
        """A client that also trusts ``ca_file`` (on top of the usual roots), and/or one that
        never goes through a proxy (a loopback engine must stay on this machine)."""
        key = f"{'direct' if direct else 'env'}:{ca_file}"
        with self._client_lock:
            if self._closed:
                raise RuntimeError("the network gateway is closed")
            client = self._ca_clients.get(key)
            if client is not None:
                return client
            try:
                # The same roots httpx trusts from the environment (SSL_CERT_FILE/DIR, else
                # certifi), built here because a direct client does not read the environment.
                context = ssl.create_default_context(
                    cafile=os.environ.get("SSL_CERT_FILE") or certifi.where(),
                    capath=os.environ.get("SSL_CERT_DIR") or None,
                )
                if ca_file:
                    # Adds trust; verification itself stays on (there is no way to turn it off).
                    context.load_verify_locations(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise NetworkError("", kind="tls", host="?", detail=repr(exc)).with_code(
                    "network.bad_ca_file", path=str(ca_file)
                ) from exc
            client = httpx.Client(
                verify=context,
                http2=False,
                follow_redirects=False,
                headers={"User-Agent": self._user_agent},
                trust_env=not direct,
            )
            client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
            self._ca_clients[key] = client
            return client

    def _refuse_if_offline(self, method: str, url: str, *, allow_loopback: bool = False) -> None:
        if not self.offline:
            return
        try:
            parsed = httpx.URL(url)
            host, path = _host_of(parsed), parsed.path
        except httpx.InvalidURL:
            host, path = "?", "?"
            parsed = None
        if allow_loopback and parsed is not None and is_loopback_host(parsed.host):
            # Offline mode keeps words on this machine; a server on loopback is on it.
            return
        self._write_entry(
            uuid.uuid4().hex,
            NetworkLogEntry(
                time=_now(),
                method=method,
                host=host,
                path=path,
                status=None,
                bytes_in=0,
                bytes_out=0,
                result=RESULT_OFFLINE,
            ),
        )
        raise OfflineError.of("network.offline_download", detail=f"{method} {host}{path}")

    @contextlib.contextmanager
    def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        timeout: httpx.Timeout,
        follow_redirects: bool,
        *,
        content: bytes | None = None,
        ca_file: str | None = None,
    ) -> Iterator[tuple[httpx.Response, str, str]]:
        """Send, following redirects hop by hop so each hop is logged with its host."""
        try:
            direct = is_loopback_host(httpx.URL(url).host)
        except httpx.InvalidURL:
            direct = False
        client = self._client_instance(ca_file=ca_file, direct=direct)
        try:
            request = client.build_request(
                method, url, headers=headers, timeout=timeout, content=content
            )
        except httpx.InvalidURL as exc:
            raise NetworkError("", kind="other", host="?", detail=url).with_code(
                "network.bad_url"
            ) from exc
        for _hop in range(MAX_REDIRECTS + 1):
            host = _host_of(request.url)
            entry_id = uuid.uuid4().hex
            started = _now()
            bytes_out = _request_size(request)
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                error = _network_error(exc, host)
                self._write_entry(
                    entry_id,
                    NetworkLogEntry(
                        started,
                        method,
                        host,
                        request.url.path,
                        None,
                        0,
                        bytes_out,
                        f"error: {_short_reason(error)}",
                    ),
                )
                raise error from exc
            entry = NetworkLogEntry(
                started,
                method,
                host,
                request.url.path,
                response.status_code,
                0,
                bytes_out,
                RESULT_IN_PROGRESS,
            )
            try:
                next_request = response.next_request if response.is_redirect else None
            except httpx.HTTPError as exc:  # a Location header that is not a URL
                response.close()
                raise NetworkError("", kind="redirect", host=host, detail=repr(exc)).with_code(
                    "network.bad_redirect", host=host
                ) from exc
            if follow_redirects and next_request is not None:
                with contextlib.suppress(httpx.HTTPError):
                    _drain_bounded(response, MAX_REDIRECT_BODY)
                response.close()
                self._write_entry(
                    entry_id,
                    replace(entry, bytes_in=response.num_bytes_downloaded, result=RESULT_OK),
                )
                if request.url.scheme == "https" and next_request.url.scheme != "https":
                    raise NetworkError(
                        "",
                        kind="redirect",
                        host=host,
                        detail=str(next_request.url.copy_with(query=None)),
                    ).with_code("network.insecure_redirect", host=host)
                request = next_request
                # Offline mode may have been switched on while the first hop was answered.
                self._refuse_if_offline(method, str(request.url))
                continue
            # Logged now so that a crash mid-transfer still leaves a line behind.
            self._write_entry(entry_id, entry, opening=True)
            try:
                yield response, host, entry_id
            finally:
                response.close()
            return
        raise NetworkError("", kind="redirect", host=_host_of(request.url), detail=url).with_code(
            "network.too_many_redirects"
        )

    def _finish_entry(
        self,
        entry_id: str,
        response: httpx.Response,
        error: NetworkError | None,
        *,
        result: str | None = None,
    ) -> None:
        with self._log_lock:
            entry = self._open.pop(entry_id, None)
        if entry is None:
            return
        status = response.status_code
        if result is not None:
            pass
        elif error is not None:
            result = f"error: {_short_reason(error)}"
        elif status >= 400:
            result = f"error: HTTP {status}"
        else:
            result = RESULT_OK
        self._write_entry(
            entry_id, replace(entry, bytes_in=response.num_bytes_downloaded, result=result)
        )

    def _write_entry(self, entry_id: str, entry: NetworkLogEntry, *, opening: bool = False) -> None:
        line = json.dumps({"id": entry_id, **asdict(entry)}, ensure_ascii=False) + "\n"
        with self._log_lock:
            self._entries[entry_id] = entry
            if opening:
                self._open[entry_id] = entry
            if self._log_path is None:
                return
            try:
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(
                    self._log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE
                )
                try:
                    if os.name == "posix":
                        os.fchmod(fd, PRIVATE_FILE_MODE)
                    os.write(fd, line.encode("utf-8"))
                finally:
                    os.close(fd)
            except OSError:
                # The log must never break a download; the entry stays in memory.
                log.warning(
                    "network: could not write the network log at %s", self._log_path, exc_info=True
                )

    def _read_log_file(self) -> dict[str, NetworkLogEntry]:
        assert self._log_path is not None
        entries: dict[str, NetworkLogEntry] = {}
        try:
            text = self._log_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return entries
        except OSError:
            log.warning("network: could not read the network log", exc_info=True)
            return dict(self._entries)
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                entry_id = str(raw.pop("id", f"line-{number}"))
                entries[entry_id] = NetworkLogEntry(
                    time=str(raw["time"]),
                    method=str(raw["method"]),
                    host=str(raw["host"]),
                    path=str(raw["path"]),
                    status=None if raw["status"] is None else int(raw["status"]),
                    bytes_in=int(raw["bytes_in"]),
                    bytes_out=int(raw["bytes_out"]),
                    result=str(raw["result"]),
                )
            except (ValueError, KeyError, TypeError):
                log.warning("network: skipping unreadable line %d of the network log", number)
        return entries


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
