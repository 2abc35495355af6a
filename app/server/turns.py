"""One API chat turn: submitted to the engine host, its events carried into asyncio.

The host calls a job's sink on its own thread; :class:`JobChannel` hands each event to the
server's event loop with ``call_soon_threadsafe`` (quick, never blocking, as sinks must be).
:class:`TurnResponse` is a small ASGI response that

* waits for the turn's first event before choosing the status, so a prompt that does not fit
  gets a 400 ``context_length_exceeded`` rather than a 200 and a broken stream;
* streams SSE chunks (or builds one JSON body);
* watches the connection the whole time: a client that goes away cancels its job at once,
  so the engine is free for the next one;
* ends with an error event when the server shuts down mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.chat import (
    AnswerDelta,
    ContextTrimmed,
    ReasoningDelta,
    TurnFinished,
    TurnStats,
)
from app.core.engines.base import SampleEvent
from app.core.errors import ContextOverflowError
from app.core.host import HostClosedError, JobFailed, NoModelLoadedError
from app.server import wire
from app.server.choices import SampleChoices
from app.server.wire import ApiError, ChatCompletionRequest, StopScanner

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Cancellable(Protocol):
    """A submitted turn (a host ``Job``, or a saved chat's turn)."""

    def cancel(self) -> None: ...


class _Gone:
    """The client disconnected."""


class _Closing:
    """The server is shutting down."""


GONE = _Gone()
CLOSING = _Closing()


class JobChannel:
    """Events of one job, carried from the host thread into the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self.job: Cancellable | None = None

    def sink(self, _job_id: int, event: object) -> None:
        """Called on the host thread; must be quick and never block."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server is gone
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def put(self, event: object) -> None:
        """From the event loop's own thread."""
        self._queue.put_nowait(event)

    def put_threadsafe(self, event: object) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    async def next(self) -> object:
        return await self._queue.get()

    def drain(self) -> list[object]:
        """Everything already waiting, without blocking."""
        events: list[object] = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return events


@dataclass(slots=True)
class TurnOutcome:
    """What the request log records: sizes and counts, never text."""

    status: int = 0
    finish: str = ""
    stats: TurnStats | None = None
    bytes_out: int = 0
    error: str = ""
    disconnected: bool = False


def failure_error(event: JobFailed) -> ApiError:
    """A host failure as the error a client gets."""
    error = event.error
    if isinstance(error, ContextOverflowError):
        return ApiError(400, str(error), code="context_length_exceeded", param="messages")
    if isinstance(error, NoModelLoadedError):
        return ApiError(503, str(error), type_="server_error", code="model_not_loaded")
    if isinstance(error, HostClosedError) or event.state == "interrupted":
        return ApiError(503, str(error), type_="server_error", code="server_shutting_down")
    return ApiError(500, str(error), type_="server_error", code="engine_error")


def context_exceeded() -> ApiError:
    return ApiError(
        400,
        "The messages are longer than this model's context window. Shorten them, or start "
        "the server with a larger --ctx.",
        code="context_length_exceeded",
        param="messages",
    )


def shutting_down() -> ApiError:
    return ApiError(
        503,
        "The server is shutting down; this request was not finished.",
        type_="server_error",
        code="server_shutting_down",
    )


def _sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


async def send_json(
    send: Send, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
) -> int:
    body = json_bytes(data)
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
    return len(body)


class TurnResponse:
    """The ASGI response for one chat completion (see the module docstring)."""

    def __init__(
        self,
        request: ChatCompletionRequest,
        *,
        model_id: str,
        channel: JobChannel,
        job: Cancellable,
        extra_headers: dict[str, str],
        on_done: Callable[[TurnOutcome], None],
    ) -> None:
        self._request = request
        self._model = model_id
        self._channel = channel
        self._job = job
        self._headers = extra_headers
        self._on_done = on_done
        self._id = wire.new_completion_id()
        self._created = int(time.time())
        self._outcome = TurnOutcome()
        self._scanner = StopScanner(request.stop)
        # n > 1: the samples of one job become the choices (app/server/choices.py).
        self._choices = SampleChoices(request.n, request.stop) if request.n > 1 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = asyncio.create_task(self._watch(receive))
        try:
            await self._respond(send)
        except OSError as exc:  # the socket broke while writing
            log.info("api: the client went away while the answer was sent (%s)", exc)
            self._outcome.disconnected = True
        finally:
            watcher.cancel()
            # Whatever happened, never leave a turn running for nobody.
            self._job.cancel()
            self._on_done(self._outcome)

    async def _watch(self, receive: Receive) -> None:
        """Cancel the job the moment the client disconnects."""
        while True:
            message = await receive()
            if message.get("type") == "http.disconnect":
                self._job.cancel()
                self._outcome.disconnected = True
                self._channel.put(GONE)
                return

    async def _first(self) -> list[object] | None:
        """Events up to the first that proves the prompt fits; None if the client left."""
        while True:
            event = await self._channel.next()
            if event is GONE:
                return None
            if event is CLOSING:
                raise shutting_down()
            if isinstance(event, ContextTrimmed):
                # The engine would drop old messages to fit; an API client asked for all of
                # them, so say so instead of answering a shorter conversation.
                self._job.cancel()
                raise context_exceeded()
            if isinstance(event, JobFailed):
                raise failure_error(event)
            return [event, *self._channel.drain()]

    async def _respond(self, send: Send) -> None:
        try:
            first = await self._first()
        except ApiError as exc:
            self._outcome.status = exc.status
            self._outcome.error = exc.code or exc.type
            self._outcome.bytes_out = await send_json(
                send, exc.status, exc.body(), {**self._headers, **exc.headers}
            )
            return
        if first is None:
            return
        if self._request.stream:
            await self._stream(send, first)
        else:
            await self._complete(send, first)

    # --- non-streaming -------------------------------------------------------------------

    async def _complete(self, send: Send, events: list[object]) -> None:
        content: list[str] = []
        reasoning: list[str] = []
        while True:
            for event in events:
                if event is GONE:
                    return
                if event is CLOSING:
                    await self._fail(send, shutting_down())
                    return
                if isinstance(event, JobFailed):
                    await self._fail(send, failure_error(event))
                    return
                if isinstance(event, SampleEvent):
                    if self._choices is not None:
                        self._choices.add(event)
                elif isinstance(event, ReasoningDelta):
                    reasoning.append(event.text)
                elif isinstance(event, AnswerDelta):
                    content.append(self._scan(event.text))
                elif isinstance(event, TurnFinished):
                    content.append(self._scanner.flush())
                    finish = self._finish_reason(event)
                    body = wire.completion_body(
                        completion_id=self._id,
                        model=self._model,
                        created=self._created,
                        content="".join(content),
                        reasoning="".join(reasoning),
                        finish=finish,
                        stats=event.stats,
                    )
                    if self._choices is not None:
                        body["choices"] = self._choices.choices()
                    self._outcome.status = 200
                    self._outcome.bytes_out = await send_json(send, 200, body, self._headers)
                    return
            events = [await self._channel.next(), *self._channel.drain()]

    async def _fail(self, send: Send, error: ApiError) -> None:
        self._outcome.status = error.status
        self._outcome.error = error.code or error.type
        self._outcome.bytes_out = await send_json(send, error.status, error.body(), self._headers)

    # --- streaming -----------------------------------------------------------------------

    async def _stream(self, send: Send, events: list[object]) -> None:
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in self._headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        self._outcome.status = 200
        count = self._request.n if self._choices is not None else 1
        role = {"role": "assistant", "content": ""}
        await self._write(send, [_sse(self._chunk(role, index=i)) for i in range(count)])
        while True:
            out: list[bytes] = []
            for event in events:
                if event is GONE:
                    return
                if event is CLOSING or isinstance(event, JobFailed):
                    error = shutting_down() if event is CLOSING else failure_error(event)  # type: ignore[arg-type]
                    self._outcome.error = error.code or error.type
                    # An error event ends the stream; the openai SDK raises it as APIError.
                    out.append(_sse(error.body()))
                    await self._write(send, out, last=True)
                    return
                if isinstance(event, SampleEvent):
                    if self._choices is not None:
                        for index, delta, finish in self._choices.stream(event):
                            out.append(_sse(self._chunk(delta, finish, index=index)))
                elif isinstance(event, ReasoningDelta) and event.text:
                    out.append(_sse(self._chunk({"reasoning_content": event.text})))
                elif isinstance(event, AnswerDelta):
                    text = self._scan(event.text)
                    if text:
                        out.append(_sse(self._chunk({"content": text})))
                elif isinstance(event, TurnFinished):
                    tail = self._scanner.flush()
                    if tail:
                        out.append(_sse(self._chunk({"content": tail})))
                    if self._choices is not None:
                        self._finish_reason(event)  # records the outcome
                        for index, delta, finish in self._choices.finish_all():
                            out.append(_sse(self._chunk(delta, finish, index=index)))
                    else:
                        out.append(_sse(self._chunk({}, self._finish_reason(event))))
                    if self._request.include_usage:
                        usage = wire.usage(event.stats)
                        out.append(_sse(self._usage_chunk(usage)))
                    out.append(_sse("[DONE]"))
                    await self._write(send, out, last=True)
                    return
            if out:
                await self._write(send, out)
            events = [await self._channel.next(), *self._channel.drain()]

    def _chunk(
        self, delta: dict[str, Any], finish: str | None = None, *, index: int = 0
    ) -> dict[str, Any]:
        return wire.chunk_body(
            completion_id=self._id,
            model=self._model,
            created=self._created,
            delta=delta,
            finish=finish,
            index=index,
        )

    def _usage_chunk(self, usage: dict[str, Any]) -> dict[str, Any]:
        return wire.chunk_body(
            completion_id=self._id,
            model=self._model,
            created=self._created,
            delta=None,
            usage_value=usage,
        )

    async def _write(self, send: Send, pieces: list[bytes], *, last: bool = False) -> None:
        body = b"".join(pieces)
        self._outcome.bytes_out += len(body)
        await send({"type": "http.response.body", "body": body, "more_body": not last})

    # --- shared --------------------------------------------------------------------------

    def _scan(self, text: str) -> str:
        out = self._scanner.feed(text)
        if self._scanner.hit:
            # A stop sequence: stop generating now; the engine reports "stopped" and we say
            # "stop", which is what OpenAI reports for a stop sequence.
            self._job.cancel()
        return out

    def _finish_reason(self, event: TurnFinished) -> str:
        self._outcome.stats = event.stats
        reason = "stop" if self._scanner.hit else wire.finish_reason(event.reason)
        self._outcome.finish = reason
        return reason
