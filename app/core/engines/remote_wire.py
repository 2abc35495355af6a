"""The OpenAI wire, client side: endpoints, error sentences, and one streamed request.

:class:`RemoteEndpoint` says where a server is; :func:`http_error` and
:func:`transport_error` turn every fault into a sentence for the user; :class:`Pump` reads
one ``POST /chat/completions`` stream on a helper thread, through the network gateway,
and hands parsed chunks to the engine (:mod:`app.core.engines.remote`) through a queue.
"""

from __future__ import annotations

import email.utils
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit

from app.core.chat import EndState, TurnStats
from app.core.errors import ErrorArg, HearthError, OfflineError
from app.core.network import NetworkError, NetworkGateway, is_loopback_host
from app.core.network_events import EventStreamResponse

log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT: Final = 10.0
#: A big model on a busy server can take a while to read a long prompt before its first byte.
DEFAULT_READ_TIMEOUT: Final = 120.0
#: One SSE line longer than this (characters) is not a chat chunk.
MAX_EVENT_LINE: Final = 1 << 20
#: The whole streamed answer, in bytes on the wire.
MAX_STREAM_BYTES: Final = 64 << 20
#: Consecutive events that are not OpenAI chunks before we give up on the stream.
MAX_GARBAGE_EVENTS: Final = 200

#: Servers we can tell apart from their ``/v1/models`` answer; "" when unknown.
SERVER_KINDS: Final = {
    "llama.cpp": "llama.cpp server",
    "llama-cpp-python": "llama-cpp-python server",
    "vllm": "vLLM",
    "sglang": "SGLang",
    "ollama": "Ollama",
    "lmstudio": "LM Studio",
    "hearth": "Hearth",
    "openai": "OpenAI",
}

RemoteErrorKind = Literal[
    "bad_url",
    "offline",
    "connect",
    "dns",
    "tls",
    "timeout",
    "stall",
    "auth",
    "model",
    "busy",
    "unavailable",
    "not_openai",
    "protocol",
    "too_large",
    "context",
    "server",
    "redirect",
    "interrupted",
]


class RemoteEngineError(HearthError):
    """A remote engine could not answer; ``str()`` is the sentence for the user.

    ``end_state`` is how the turn ends: ``"interrupted"`` when the connection dropped after
    part of the answer arrived (the part is kept), ``"failed"`` otherwise. ``stats`` holds
    what the turn had done by then, when it got that far.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: RemoteErrorKind,
        detail: str = "",
        retry_after: float | None = None,
        end_state: EndState = "failed",
    ) -> None:
        super().__init__(message, detail=detail)
        self.kind: RemoteErrorKind = kind
        self.retry_after = retry_after
        self.end_state: EndState = end_state
        self.stats: TurnStats | None = None


@dataclass(frozen=True, slots=True)
class RemoteEndpoint:
    """Where a remote engine lives and which of its models answers. The key is a secret:
    it is never part of ``repr``, logs, exports or provenance."""

    name: str
    base_url: str
    model: str = ""
    api_key: str = field(default="", repr=False)
    #: A PEM file with the CA that signed the server's certificate (added to the usual ones).
    ca_file: str = ""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    #: A key of SERVER_KINDS when known (from "Test connection" or the preset), else "".
    server_kind: str = ""
    #: Context window reported by the server, 0 when unknown.
    n_ctx: int = 0

    @property
    def host(self) -> str:
        """``host:port`` of the server, for the user to read ("answers come from …")."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if ":" in host:  # IPv6
            host = f"[{host}]"
        try:
            port = parts.port
        except ValueError:
            port = None
        return (f"{host}:{port}" if port else host) or self.base_url

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.base_url).hostname or "")

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


def normalize_base_url(text: str) -> str:
    """The API root a user means: scheme added, trailing ``/chat/completions`` or slash
    removed, ``/v1`` added when there is no path. Raises RemoteEngineError when unusable."""
    raw = text.strip()
    if not raw:
        raise RemoteEngineError("", kind="bad_url").with_code("remote.no_address")
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteEngineError("", kind="bad_url").with_code(
            "remote.bad_address", text=text.strip()
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise RemoteEngineError("", kind="bad_url", detail=repr(exc)).with_code(
            "remote.bad_port", text=text.strip()
        ) from exc
    if parts.username or parts.password:
        # It would be saved in plain text with the address; the key field keeps it safe.
        raise RemoteEngineError("", kind="bad_url").with_code("remote.credentials_in_url")
    path = parts.path.rstrip("/")
    for suffix in ("/chat/completions", "/completions", "/models"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


# --- Errors: one sentence per fault ------------------------------------------------------


_DNS_MARKERS: Final = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
    "eai_noname",
    "-2]",
    "-3]",
    "-5]",
)


def transport_error(
    error: NetworkError, endpoint: RemoteEndpoint, *, started: bool
) -> RemoteEngineError:
    """A transport failure as a sentence; ``started``: part of the answer had arrived."""
    host = endpoint.host
    if started and error.kind in ("reset", "stall", "other", "timeout"):
        code = (
            "remote.stopped_mid_answer"
            if error.kind in ("stall", "timeout")
            else "remote.dropped_mid_answer"
        )
        return RemoteEngineError(
            "",
            kind="interrupted" if error.kind != "stall" else "stall",
            detail=error.detail,
            end_state="interrupted",
        ).with_code(code, name=endpoint.name, host=host)
    lowered = error.detail.lower()
    if error.kind == "tls" and error.host == "?":
        # The user's CA file itself could not be used; the gateway's sentence names it.
        return RemoteEngineError(str(error), kind="tls", detail=error.detail)
    if error.kind == "tls":
        return RemoteEngineError("", kind="tls", detail=error.detail).with_code(
            "remote.tls", host=host
        )
    if error.kind == "connect" and any(marker in lowered for marker in _DNS_MARKERS):
        return RemoteEngineError("", kind="dns", detail=error.detail).with_code(
            "remote.dns", server=str(urlsplit(endpoint.base_url).hostname)
        )
    if error.kind == "connect":
        return RemoteEngineError("", kind="connect", detail=error.detail).with_code(
            "remote.nothing_answered", host=host
        )
    if error.kind == "timeout":
        return RemoteEngineError("", kind="timeout", detail=error.detail).with_code(
            "remote.connect_timeout", host=host, seconds=endpoint.connect_timeout
        )
    if error.kind == "stall":
        return RemoteEngineError("", kind="stall", detail=error.detail).with_code(
            "remote.read_timeout", host=host, seconds=endpoint.read_timeout
        )
    if error.kind == "reset":
        return RemoteEngineError("", kind="connect", detail=error.detail).with_code(
            "remote.dropped", host=host
        )
    return RemoteEngineError("", kind="connect", detail=error.detail).with_code(
        "remote.request_failed", host=host, reason=str(error)
    )


def offline_error(endpoint: RemoteEndpoint, *, detail: str = "") -> RemoteEngineError:
    """The sentence for an engine that offline mode blocks."""
    return RemoteEngineError("", kind="offline", detail=detail).with_code(
        "remote.offline", name=endpoint.name, host=endpoint.host
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_message(body: bytes) -> str:
    """The server's own short explanation from an error body, if it has one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if not isinstance(data, dict):
        return ""
    error = data.get("error", data)
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or ""
    else:
        message = error
    if not message and isinstance(data.get("detail"), str | list):
        message = data["detail"]
    text = message if isinstance(message, str) else json.dumps(message)[:300]
    return " ".join(text.split())[:300]


def _wait_code(prefix: str, seconds: float | None) -> tuple[str, dict[str, ErrorArg]]:
    """The code (and values) of ``prefix``'s sentence that ends "Try again in a moment.",
    "… in N s." or "… in N minutes." (from the server's Retry-After, if any)."""
    if seconds is None:
        return prefix, {}
    if seconds < 90:
        return f"{prefix}_seconds", {"seconds": max(1, round(seconds))}
    return f"{prefix}_minutes", {"minutes": max(2, round(seconds / 60))}


def http_error(
    status: int, headers: Any, body: bytes, endpoint: RemoteEndpoint
) -> RemoteEngineError:
    """An HTTP error status (or a redirect) as a sentence."""
    host = endpoint.host
    said = _without_key(_error_message(body), endpoint)
    lowered = said.lower()
    detail = _without_key(f"HTTP {status}: {said or body[:200]!r}", endpoint)
    retry = parse_retry_after(headers.get("Retry-After"))
    if status in (401, 403):
        return RemoteEngineError("", kind="auth", detail=detail).with_code(
            "remote.bad_key" if endpoint.api_key else "remote.no_key",
            name=endpoint.name,
            host=host,
            status=status,
        )
    if status == 429:
        code, wait = _wait_code("remote.busy", retry)
        return RemoteEngineError("", kind="busy", detail=detail, retry_after=retry).with_code(
            code, name=endpoint.name, host=host, **wait
        )
    if status == 503:
        code, wait = _wait_code("remote.loading", retry)
        return RemoteEngineError(
            "", kind="unavailable", detail=detail, retry_after=retry
        ).with_code(code, name=endpoint.name, host=host, **wait)
    model_words = ("model" in lowered) and any(
        word in lowered
        for word in (
            "not found",
            "does not exist",
            "unknown",
            "no such",
            "not loaded",
            "invalid model",
        )
    )
    if model_words or (status == 404 and "model" in lowered):
        return RemoteEngineError("", kind="model", detail=detail).with_code(
            "remote.no_model", name=endpoint.name, host=host, model=endpoint.model
        )
    if status in (400, 413) and (
        "context" in lowered
        or "too long" in lowered
        or ("maximum" in lowered and "token" in lowered)
    ):
        return RemoteEngineError("", kind="context", detail=detail).with_code(
            "remote.context", model=endpoint.model, host=host
        )
    if status in (404, 405):
        return RemoteEngineError("", kind="not_openai", detail=detail).with_code(
            "remote.no_api", host=host, path=urlsplit(endpoint.base_url).path
        )
    if 300 <= status < 400:
        target = headers.get("Location", "")
        error = RemoteEngineError("", kind="redirect", detail=detail)
        if not target:
            return error.with_code("remote.redirect_unknown", host=host)
        return error.with_code("remote.redirect", host=host, target=target)
    if 400 <= status < 500:
        refused = RemoteEngineError("", kind="server", detail=detail)
        if not said:
            return refused.with_code("remote.refused", name=endpoint.name, host=host, status=status)
        return refused.with_code(
            "remote.refused_said",
            name=endpoint.name,
            host=host,
            status=status,
            said=said if said.endswith(".") else said + ".",
        )
    return RemoteEngineError("", kind="server", detail=detail).with_code(
        "remote.server_failed", name=endpoint.name, host=host, status=status
    )


def _without_key(detail: str, endpoint: RemoteEndpoint) -> str:
    """``detail`` (which quotes the server and goes to the log) with the API key masked: a
    server may echo the key back ("Incorrect API key provided: sk-…")."""
    key = endpoint.api_key
    return detail.replace(key, "***") if len(key) >= 4 else detail


def not_openai_error(endpoint: RemoteEndpoint, content_type: str, body: bytes) -> RemoteEngineError:
    host = endpoint.host
    if len(endpoint.api_key) >= 4:  # the detail quotes the body (see _without_key)
        body = body.replace(endpoint.api_key.encode("utf-8"), b"***")
    looks_html = "html" in content_type or body.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    )
    if looks_html:
        return RemoteEngineError(
            "", kind="not_openai", detail=f"Content-Type {content_type!r}: {body[:200]!r}"
        ).with_code("remote.web_page", host=host)
    return RemoteEngineError(
        "", kind="not_openai", detail=f"Content-Type {content_type!r}: {body[:200]!r}"
    ).with_code("remote.not_openai", host=host)


# --- The pump: one HTTP stream, read on its own thread --------------------------------------


@dataclass(frozen=True, slots=True)
class Chunk:
    """What one OpenAI chunk carried that we use."""

    at: float
    reasoning: str = ""
    content: str = ""
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class End:
    """The stream ended: ``done`` when ``[DONE]`` arrived, else the body just ended."""

    done: bool


@dataclass(frozen=True, slots=True)
class Failure:
    error: HearthError


PumpItem = Chunk | End | Failure


def _chunk_from(data: Any, at: float) -> Chunk | None:
    """An OpenAI ``chat.completion.chunk`` (or a whole ``chat.completion``), else None."""
    if not isinstance(data, dict):
        return None
    choices = data.get("choices")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
    timings = data.get("timings") if isinstance(data.get("timings"), dict) else None
    if not isinstance(choices, list):
        return Chunk(at, usage=usage, timings=timings) if usage or timings else None
    if not choices:
        return Chunk(at, usage=usage, timings=timings)
    choice = choices[0]
    if not isinstance(choice, dict):
        return None
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        delta = choice.get("message")
    if not isinstance(delta, dict):
        delta = {"content": choice.get("text")} if isinstance(choice.get("text"), str) else {}
    reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
    content = delta.get("content") or ""
    finish = choice.get("finish_reason")
    return Chunk(
        at,
        reasoning=reasoning if isinstance(reasoning, str) else "",
        content=content if isinstance(content, str) else "",
        finish_reason=finish if isinstance(finish, str) else None,
        usage=usage,
        timings=timings,
    )


class Pump:
    """Streams one chat completion on a helper thread into a queue of PumpItem."""

    def __init__(self, gateway: NetworkGateway, endpoint: RemoteEndpoint, body: bytes) -> None:
        self._gateway = gateway
        self._endpoint = endpoint
        self._body = body
        self.items: queue.Queue[PumpItem] = queue.Queue()
        self._abandoned = threading.Event()
        self._response: EventStreamResponse | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="remote-engine-stream", daemon=True)

    def start(self) -> Pump:
        self._thread.start()
        return self

    def abandon(self) -> None:
        """Stop reading, from any thread: the connection is shut down if it is open."""
        self._abandoned.set()
        with self._lock:
            response = self._response
        if response is not None:
            response.abort()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _put(self, item: PumpItem) -> None:
        if not self._abandoned.is_set():
            self.items.put(item)

    def _run(self) -> None:
        endpoint = self._endpoint
        try:
            with self._gateway.post_events(
                endpoint.url("chat/completions"),
                body=self._body,
                headers=endpoint.headers(),
                connect_timeout=endpoint.connect_timeout,
                read_timeout=endpoint.read_timeout,
                ca_file=endpoint.ca_file or None,
                allow_loopback=endpoint.is_loopback,
            ) as response:
                with self._lock:
                    self._response = response
                if self._abandoned.is_set():
                    return
                self._read(response)
        except OfflineError as exc:
            self._put(Failure(offline_error(endpoint, detail=exc.detail)))
        except NetworkError as exc:
            if not self._abandoned.is_set():
                self._put(Failure(exc))
        except Exception as exc:  # a bug here must end the turn, not hang it
            log.exception("remote engine: the stream reader failed")
            self._put(
                Failure(
                    RemoteEngineError("", kind="protocol", detail=repr(exc)).with_code(
                        "remote.read_failed", host=endpoint.host
                    )
                )
            )

    def _read(self, response: EventStreamResponse) -> None:
        endpoint = self._endpoint
        if response.status >= 300:
            body = response.read_small()
            self._put(Failure(http_error(response.status, response.headers, body, endpoint)))
            return
        if response.content_type != "text/event-stream":
            body = response.read_small(MAX_EVENT_LINE)
            chunk = None
            if "json" in response.content_type:
                try:
                    chunk = _chunk_from(json.loads(body), time.perf_counter())
                except (ValueError, UnicodeDecodeError):
                    chunk = None
            if chunk is None or (
                not chunk.content and not chunk.reasoning and not chunk.finish_reason
            ):
                self._put(Failure(not_openai_error(endpoint, response.content_type, body)))
                return
            # The server ignored "stream": the whole answer came at once.
            self._put(chunk)
            self._put(End(done=True))
            return
        garbage = 0
        understood = 0
        for event in response.iter_events(max_line=MAX_EVENT_LINE, max_total=MAX_STREAM_BYTES):
            if self._abandoned.is_set():
                return
            data = event.data.strip()
            if data == "[DONE]":
                self._put(End(done=True))
                return
            chunk = None
            if data:
                try:
                    parsed = json.loads(data)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict) and "error" in parsed and "choices" not in parsed:
                    said = _error_message(data.encode()) or "an error"
                    self._put(
                        Failure(
                            RemoteEngineError("", kind="server", detail=data[:500]).with_code(
                                "remote.server_error",
                                name=endpoint.name,
                                host=endpoint.host,
                                said=said,
                            )
                        )
                    )
                    return
                chunk = _chunk_from(parsed, time.perf_counter())
            if chunk is None:
                # Comments and keep-alives never reach us (httpx-sse drops them); this is a
                # line we cannot read. Skip it, but not forever.
                garbage += 1
                log.debug("remote engine: skipped an unreadable event (%d bytes)", len(data))
                if garbage > MAX_GARBAGE_EVENTS:
                    self._put(Failure(self._garbled(understood, f"{garbage} unreadable events")))
                    return
                continue
            garbage = 0
            understood += 1
            self._put(chunk)
        if understood == 0:
            self._put(Failure(self._garbled(understood, "no OpenAI chunk in the stream")))
            return
        self._put(End(done=False))

    def _garbled(self, understood: int, detail: str) -> RemoteEngineError:
        endpoint = self._endpoint
        if understood:
            return RemoteEngineError(
                "", kind="protocol", detail=detail, end_state="interrupted"
            ).with_code("remote.garbled", host=endpoint.host)
        return RemoteEngineError("", kind="not_openai", detail=detail).with_code(
            "remote.not_openai", host=endpoint.host
        )
