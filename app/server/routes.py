"""The Starlette application: routes, and the guard every request passes first.

The guard (outermost ASGI layer) checks, in order: the ``Host`` header (DNS rebinding), the
``Origin`` (other web sites), CORS preflights, the body size (413) and, for ``/v1``, the
bearer token (401). It also writes one network-log line per request: client address,
method, path, status, bytes, and for chat turns the model and token counts. Never text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from app.core.host import EngineHost, Job, QueueFullError
from app.core.network import NetworkLogEntry
from app.core.paths import resource_path
from app.server import auth, wire
from app.server.turns import (
    CLOSING,
    JobChannel,
    Message,
    Receive,
    Scope,
    Send,
    TurnOutcome,
    TurnResponse,
    send_json,
)
from app.server.wire import ApiError

log = logging.getLogger(__name__)

#: Request bodies larger than this get 413 (a 32k-token conversation is far smaller).
DEFAULT_MAX_BODY = 4 << 20
#: Seconds a client has to send a request body once its headers are in (then 408).
BODY_TIMEOUT_S = 30.0
#: API turns waiting or running at once before new ones get 429.
DEFAULT_MAX_API_JOBS = 8
RETRY_AFTER_BUSY = "2"
RETRY_AFTER_QUEUE_FULL = "5"
#: The web page's files; nothing else from the resources directory is served.
WEB_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


#: Submits one API turn whose events go to the channel's sink; returns something cancellable.
Submitter = Callable[[wire.ChatCompletionRequest, JobChannel], Any]


@dataclass(slots=True)
class ServerOptions:
    """How one server instance behaves (the CLI and the window each build one)."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str = ""
    allowed_origins: frozenset[str] = frozenset()
    max_body: int = DEFAULT_MAX_BODY
    max_api_jobs: int = DEFAULT_MAX_API_JOBS
    #: Save API chats to the user's chat list (``--save-chats`` / the api_save_chats setting).
    save_chats: bool = False
    web_dir: Path = field(default_factory=lambda: resource_path("web"))


class ApiContext:
    """State shared by the routes of one server: the host, options, running turns."""

    def __init__(
        self,
        host: EngineHost,
        options: ServerOptions,
        *,
        record: Callable[[NetworkLogEntry], None] | None = None,
        submit: Submitter | None = None,
    ) -> None:
        self.host = host
        self.options = options
        self.record = record
        #: How a turn reaches the host: straight to it, or through a ChatSession when API
        #: chats are saved (see :mod:`app.server.saving`).
        self.submit: Submitter = submit or self._submit_direct
        self.closing = False
        self._lock = threading.Lock()
        self._channels: set[JobChannel] = set()
        self._listeners: list[Callable[[int], None]] = []

    # --- running turns -------------------------------------------------------------------

    @property
    def active_turns(self) -> int:
        with self._lock:
            return len(self._channels)

    def add_activity_listener(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """``callback(n)`` whenever the number of API turns in flight changes (any thread)."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        with self._lock:
            count = len(self._channels)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(count)
            except Exception:
                log.exception("api: an activity listener failed")

    def register(self, channel: JobChannel) -> bool:
        with self._lock:
            if len(self._channels) >= self.options.max_api_jobs:
                return False
            self._channels.add(channel)
        self._changed()
        return True

    def unregister(self, channel: JobChannel) -> None:
        with self._lock:
            self._channels.discard(channel)
        self._changed()

    def begin_shutdown(self) -> None:
        """From any thread: refuse new turns, end running streams with an error event."""
        self.closing = True
        with self._lock:
            channels = list(self._channels)
        for channel in channels:
            if channel.job is not None:
                channel.job.cancel()
            channel.put_threadsafe(CLOSING)

    def _submit_direct(self, request: wire.ChatCompletionRequest, channel: JobChannel) -> Job:
        if request.n > 1:
            return self.host.submit_samples(request.turn, request.n, channel.sink, origin="api")
        return self.host.submit_turn(request.turn, channel.sink, origin="api")

    # --- models --------------------------------------------------------------------------

    def model_ids(self) -> list[str]:
        info = self.host.engine_info
        if info is None:
            return []
        return [info.model_id or info.name]

    def resolve_model(self, wanted: str) -> str | None:
        """The served id for ``wanted`` (its id, or the file name without ``.gguf``)."""
        for model_id in self.model_ids():
            names = {model_id.lower(), model_id.lower().removesuffix(".gguf")}
            if wanted.lower() in names:
                return model_id
        return None


# --- the guard -----------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Guard:
    """The outermost ASGI layer: Host, Origin, CORS, size and token checks, and the log."""

    def __init__(self, app: Any, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets
            return
        options = self.context.options
        host_header = _header(scope, b"host")
        origin = _header(scope, b"origin")
        cors: dict[str, str] = {}
        listed = origin is not None and (
            "*" in options.allowed_origins or origin.rstrip("/").lower() in options.allowed_origins
        )
        if origin is not None and listed and not auth.same_origin(origin, host_header):
            cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        scope["hearth.cors"] = cors
        outcome: dict[str, Any] = {"status": 0, "bytes_out": 0}
        scope["hearth.log"] = outcome

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                if cors:
                    message["headers"] = [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in cors.items()),
                    ]
            elif message["type"] == "http.response.body":
                outcome["bytes_out"] += len(message.get("body", b""))
            await send(message)

        try:
            error = self._refusal(scope, host_header, origin)
            if error is not None:
                await send_json(counting_send, error.status, error.body(), error.headers)
            elif scope["method"] == "OPTIONS":
                await self._preflight(counting_send, cors)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            self._record(scope, outcome)

    def _refusal(
        self, scope: Scope, host_header: str | None, origin: str | None
    ) -> ApiError | None:
        options = self.context.options
        if not auth.host_allowed(host_header, bound_host=options.host):
            return ApiError(
                403,
                "This server only answers requests addressed to localhost.",
                type_="permission_error",
                code="invalid_host",
            )
        if not auth.origin_allowed(origin, host_header, options.allowed_origins):
            return ApiError(
                403,
                "Requests from other web sites are not allowed. Add the site to the allowed "
                "origins in Hearth's settings to permit it.",
                type_="permission_error",
                code="origin_not_allowed",
            )
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                too_big = int(length) > options.max_body
            except ValueError:
                return ApiError(400, "Content-Length is not a number.", code="invalid_request")
            if too_big:
                return body_too_large(options.max_body)
        path = str(scope.get("path", ""))
        needs_token = path.startswith("/v1") and scope["method"] != "OPTIONS"
        if needs_token and not auth.token_matches(_header(scope, b"authorization"), options.token):
            return ApiError(
                401,
                "A valid API token is required: send 'Authorization: Bearer <token>'. "
                "Hearth shows the token in Settings, and 'serve' prints where it is.",
                type_="authentication_error",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None

    async def _preflight(self, send: Send, cors: dict[str, str]) -> None:
        if not cors:
            error = ApiError(
                403,
                "Cross-origin requests are not allowed.",
                type_="permission_error",
                code="origin_not_allowed",
            )
            await send_json(send, 403, error.body())
            return
        headers = [
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", b"authorization, content-type"),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _record(self, scope: Scope, outcome: dict[str, Any]) -> None:
        client = scope.get("client")
        address = f"{client[0]}:{client[1]}" if client else "?"
        status = int(outcome.get("status") or 0)
        parts = ["ok" if 0 < status < 400 else f"error: HTTP {status or 'none'}", "incoming"]
        if outcome.get("model"):
            parts.append(f"model {outcome['model']}")
        if outcome.get("tokens"):
            parts.append(outcome["tokens"])
        if outcome.get("note"):
            parts.append(outcome["note"])
        result = "; ".join(parts)
        log.info(
            "api: %s %s %s from %s: %s",
            scope.get("method"),
            scope.get("path"),
            status,
            address,
            result,
        )
        record = self.context.record
        if record is None:
            return
        entry = NetworkLogEntry(
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            method=str(scope.get("method", "?")),
            host=address,
            path=str(scope.get("path", "")),
            status=status or None,
            bytes_in=int(outcome.get("bytes_in", 0)),
            bytes_out=int(outcome.get("bytes_out", 0)),
            result=result,
        )
        try:
            record(entry)
        except Exception:
            log.exception("api: could not write the network log")


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than this server accepts ({limit // 1024} KiB).",
        code="request_too_large",
    )


# --- routes --------------------------------------------------------------------------------


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


async def _read_json(request: Request, limit: int) -> Any:
    chunks: list[bytes] = []
    size = 0
    try:
        # A body trickled in slowly would hold a connection (and its slot) for ever.
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise body_too_large(limit)
                chunks.append(chunk)
    except TimeoutError as exc:
        raise ApiError(
            408,
            f"The request body did not arrive within {BODY_TIMEOUT_S:g} seconds.",
            code="request_timeout",
            headers={"Connection": "close"},
        ) from exc
    except ClientDisconnect as exc:  # gone mid-body: nobody to answer, nothing to log loudly
        raise ApiError(400, "The client went away.", code="client_disconnected") from exc
    request.scope["hearth.log"]["bytes_in"] = size
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, RecursionError) as exc:
        raise ApiError(
            400, f"The request body is not valid JSON ({exc}).", code="invalid_json"
        ) from exc


async def health(request: Request) -> Response:
    context = _context(request)
    state = context.host.state
    return JSONResponse(
        {
            "status": "ok" if not context.closing else "closing",
            "model_loaded": state.engine is not None,
            "busy": state.status != "idle",
            "queue_length": state.queue_length,
        },
        headers={"Cache-Control": "no-store"},
    )


async def list_models(request: Request) -> Response:
    return JSONResponse(wire.models_body(_context(request).model_ids()))


async def get_model(request: Request) -> Response:
    context = _context(request)
    model_id = context.resolve_model(str(request.path_params["model"]))
    if model_id is None:
        raise model_not_found(str(request.path_params["model"]))
    return JSONResponse(wire.models_body([model_id])["data"][0])


def model_not_found(name: str) -> ApiError:
    return ApiError(
        404,
        f"The model '{name}' is not loaded here. GET /v1/models lists the model this server "
        "serves.",
        code="model_not_found",
        param="model",
    )


async def chat_completions(request: Request) -> Any:
    context = _context(request)
    body = await _read_json(request, context.options.max_body)
    info = context.host.engine_info
    if info is None:
        raise ApiError(
            503,
            "No model is loaded. Load one in Hearth, or start 'serve' with --model.",
            type_="server_error",
            code="model_not_loaded",
            headers={"Retry-After": RETRY_AFTER_QUEUE_FULL},
        )
    parsed = wire.parse_chat_request(body, n_ctx=info.n_ctx)
    model_id = context.resolve_model(parsed.model)
    if model_id is None:
        raise model_not_found(parsed.model)
    log_state: dict[str, Any] = request.scope["hearth.log"]
    log_state["model"] = model_id
    if context.closing:
        raise ApiError(
            503,
            "The server is shutting down.",
            type_="server_error",
            code="server_shutting_down",
            headers={"Retry-After": RETRY_AFTER_QUEUE_FULL},
        )
    channel = JobChannel(asyncio.get_running_loop())
    if not context.register(channel):
        raise ApiError(
            429,
            f"Too many API requests at once (at most {context.options.max_api_jobs}). "
            "Try again in a moment.",
            type_="rate_limit_error",
            code="too_many_requests",
            headers={"Retry-After": RETRY_AFTER_BUSY},
        )
    try:
        # Several choices are one samples job; saving them as chats is not supported.
        submit = context._submit_direct if parsed.n > 1 else context.submit
        job = submit(parsed, channel)
    except QueueFullError as exc:
        context.unregister(channel)
        raise ApiError(
            503,
            str(exc),
            type_="server_error",
            code="queue_full",
            headers={"Retry-After": RETRY_AFTER_QUEUE_FULL},
        ) from exc
    except BaseException:
        context.unregister(channel)
        raise
    channel.job = job
    if context.closing:  # shut down between the check above and the submit
        job.cancel()
        channel.put(CLOSING)

    def done(outcome: TurnOutcome) -> None:
        context.unregister(channel)
        stats = outcome.stats
        if stats is not None:
            log_state["tokens"] = (
                f"tokens {stats.prompt_tokens} in, {stats.generated_tokens} out "
                f"({stats.reasoning_tokens} reasoning)"
            )
        if outcome.disconnected:
            log_state["note"] = "client disconnected"
        elif outcome.error:
            log_state["note"] = outcome.error

    return TurnResponse(
        parsed,
        model_id=model_id,
        channel=channel,
        job=job,
        extra_headers={},
        on_done=done,
    )


async def page(request: Request) -> Response:
    name = request.path_params.get("name", "index.html")
    media_type = WEB_FILES.get(name)
    path = _context(request).options.web_dir / name
    if media_type is None or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=media_type, headers=_PAGE_HEADERS)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "No such endpoint.", 405: "That method is not allowed here."}
    message = messages.get(exc.status_code, str(exc.detail))
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
    return JSONResponse(
        wire.error_body(message, type_="invalid_request_error", code=code),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    # A bug of ours: the traceback goes to the log (Starlette logs it), the client gets a
    # sentence in OpenAI's shape.
    return JSONResponse(
        wire.error_body(
            "Something went wrong inside Hearth; the details are in its log.",
            type_="server_error",
            code="internal_error",
        ),
        status_code=500,
    )


def build_app(context: ApiContext) -> Guard:
    """The whole ASGI application for one server."""
    routes = [
        Route("/", page, methods=["GET"]),
        Route("/web/{name}", page, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    ]
    starlette = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: internal_error_handler,
        },
    )
    starlette.state.context = context
    return Guard(starlette, context)
