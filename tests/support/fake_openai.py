"""A fault-injecting OpenAI-compatible server on 127.0.0.1, for remote engine tests.

It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` (streamed as SSE, or whole
when ``stream`` is false) with a scripted answer, and can misbehave on demand: an HTTP
status with a ``Retry-After``, an HTML page, JSON that is not OpenAI's, garbage SSE lines,
no ``[DONE]``, a connection dropped mid-answer, a stall (before the headers or mid-stream),
an endless line, an endless answer. Every request is recorded (path, headers, JSON body).

Stalls wait on the server's stop event, never on a sleep, so closing the server ends them
at once; ``stalled`` is set when a stall begins so tests can wait on it.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

import pytest

from tests.support.loopback import LoopbackServer, drop_connection

ReasoningStyle = Literal["reasoning_content", "reasoning", "inline", "none"]

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Router login</title></head>"
    b"<body><h1>Please sign in</h1></body></html>\n"
)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Script:
    """What the server answers and how it misbehaves (all faults off by default)."""

    models: tuple[str, ...] = ("fake-r1",)
    owned_by: str = "llamacpp"
    #: The API key the server insists on; None accepts any (or none).
    api_key: str | None = None
    reasoning: tuple[str, ...] = ("Let me think.", " Two plus two", " is four.")
    answer: tuple[str, ...] = ("The answer", " is ", "**4**.")
    style: ReasoningStyle = "reasoning_content"
    finish_reason: str = "stop"
    usage: bool = True
    #: Unknown models get vLLM's 404 ("The model `x` does not exist.").
    check_model: bool = True
    # --- faults ---
    status: int | None = None
    status_times: int | None = None
    status_body: bytes = b'{"error": {"message": "nope", "type": "server_error"}}'
    retry_after: str | None = None
    html: bool = False
    foreign_json: bool = False
    garbage_every: int = 0
    no_done: bool = False
    #: Drop the connection after this many content chunks (hard: TCP reset).
    drop_after: int | None = None
    drop_hard: bool = False
    stall_before_headers: bool = False
    stall_after: int | None = None
    #: Stall after this many reasoning chunks, for ``stall_times`` requests.
    stall_after_reasoning: int | None = None
    stall_times: int = 1
    #: Answer a streamed request with one whole JSON completion.
    ignore_stream: bool = False
    huge_line: int = 0
    endless: bool = False
    mid_stream_error: bool = False
    #: Only these events are sent after the headers, for fully custom streams.
    raw_events: list[bytes] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


class FakeOpenAI(LoopbackServer):
    """A threaded fake OpenAI-compatible server; use as a context manager or call close()."""

    def __init__(self, script: Script | None = None, *, tls: tuple[str, str] | None = None) -> None:
        self.script = script or Script()
        self._lock = threading.Lock()
        self.stalled = threading.Event()
        self.dropped = threading.Event()
        self.client_gone = threading.Event()
        self._requests: list[RecordedRequest] = []
        super().__init__(_Handler, name="fake-openai", tls=tls)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)

    def _take_status(self) -> int | None:
        with self._lock:
            script = self.script
            if script.status is None:
                return None
            if script.status_times is not None:
                if script.status_times <= 0:
                    return None
                script.status_times -= 1
            return script.status


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    # --- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        owner = self.owner
        owner._record(RecordedRequest("GET", self.path, dict(self.headers.items()), None))
        if not self._authorised():
            return
        status = owner._take_status()
        if status is not None:
            self._send(status, owner.script.status_body, self._status_headers())
            return
        if owner.script.html:
            self._send(200, HTML_PAGE, {"Content-Type": "text/html"})
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [
                {"id": model, "object": "model", "created": 0, "owned_by": owner.script.owned_by}
                for model in owner.script.models
            ]
            self._send_json(200, {"object": "list", "data": data})
            return
        self._send_json(404, {"error": {"message": "Not found", "type": "not_found"}})

    def do_POST(self) -> None:
        owner = self.owner
        script = owner.script
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        owner._record(RecordedRequest("POST", self.path, dict(self.headers.items()), body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": "Not found", "type": "not_found"}})
            return
        if not self._authorised():
            return
        if script.stall_before_headers:
            owner.stalled.set()
            owner._stop.wait()
            return
        status = owner._take_status()
        if status is not None:
            self._send(status, script.status_body, self._status_headers())
            return
        if script.html:
            self._send(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
            return
        if script.foreign_json:
            self._send_json(200, {"status": "ok", "result": {"text": "hello"}})
            return
        model = body.get("model") if isinstance(body, dict) else None
        if script.check_model and model not in script.models:
            self._send_json(
                404,
                {
                    "object": "error",
                    "message": f"The model `{model}` does not exist.",
                    "type": "NotFoundError",
                    "code": 404,
                },
            )
            return
        if script.ignore_stream or (isinstance(body, dict) and body.get("stream") is False):
            self._send_whole()
            return
        self._stream()

    # --- answers ---------------------------------------------------------------------------

    def _authorised(self) -> bool:
        expected = self.owner.script.api_key
        if expected is None:
            return True
        if self.headers.get("Authorization") == f"Bearer {expected}":
            return True
        self._send_json(
            401,
            {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error"}},
        )
        return False

    def _status_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.owner.script.retry_after is not None:
            headers["Retry-After"] = self.owner.script.retry_after
        return headers

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _send_whole(self) -> None:
        script = self.owner.script
        message: dict[str, Any] = {"role": "assistant", "content": "".join(script.answer)}
        if script.style == "reasoning_content":
            message["reasoning_content"] = "".join(script.reasoning)
        self._send_json(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "choices": [
                    {"index": 0, "message": message, "finish_reason": script.finish_reason}
                ],
                "usage": {"prompt_tokens": 7, "completion_tokens": 9, "total_tokens": 16},
            },
        )

    def _events(self) -> Iterator[bytes]:
        script = self.owner.script
        if script.raw_events is not None:
            yield from script.raw_events
            return
        yield _chunk({"role": "assistant", "content": ""})
        if script.style == "inline":
            pieces = ["<think>\n", *script.reasoning, "\n</think>\n\n", *script.answer]
            for piece in pieces:
                yield _chunk({"content": piece})
        else:
            for piece in script.reasoning if script.style != "none" else ():
                yield _chunk({script.style: piece, "content": None})
            for piece in script.answer:
                yield _chunk({"content": piece})
        if script.endless:
            n = 0
            while True:
                n += 1
                yield _chunk({"content": f" more {n}"})
        yield _chunk({}, script.finish_reason)
        if script.usage:
            generated = len(script.answer) + (
                len(script.reasoning) if script.style != "none" else 0
            )
            usage = {
                "prompt_tokens": 11,
                "completion_tokens": generated,
                "total_tokens": 11 + generated,
            }
            body = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "choices": [],
                "usage": usage,
            }
            yield b"data: " + json.dumps(body).encode() + b"\n\n"

    def _stream(self) -> None:
        owner = self.owner
        script = owner.script
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        for name, value in script.extra_headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent_content = 0
        sent_reasoning = 0
        stall_reasoning = None
        with owner._lock:
            if script.stall_after_reasoning is not None and script.stall_times > 0:
                script.stall_times -= 1
                stall_reasoning = script.stall_after_reasoning
        try:
            if script.huge_line:
                self.wfile.write(b"data: ")
                block = b"x" * 65536
                remaining = script.huge_line
                while remaining > 0:
                    self.wfile.write(block[: min(len(block), remaining)])
                    remaining -= len(block)
                self.wfile.write(b"\n\n")
            for index, event in enumerate(self._events()):
                if owner._stop.is_set():
                    return
                if script.garbage_every and index % script.garbage_every == 0:
                    self.wfile.write(b"data: {not json at all\n\n")
                    self.wfile.write(b"this line is not SSE\n\n")
                    self.wfile.write(b": a comment\n\n")
                self.wfile.write(event)
                self.wfile.flush()
                if b'"content": "' in event and b'"content": ""' not in event:
                    sent_content += 1
                if b'"reasoning' in event:
                    sent_reasoning += 1
                if stall_reasoning is not None and sent_reasoning >= stall_reasoning:
                    owner.stalled.set()
                    owner._stop.wait()
                    return
                if script.mid_stream_error and sent_content == 2:
                    self.wfile.write(b'data: {"error": {"message": "CUDA out of memory"}}\n\n')
                    self.wfile.flush()
                    return
                if script.drop_after is not None and sent_content >= script.drop_after:
                    owner.dropped.set()
                    self._drop(hard=script.drop_hard)
                    return
                if script.stall_after is not None and sent_content >= script.stall_after:
                    owner.stalled.set()
                    owner._stop.wait()
                    return
            if not script.no_done:
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            owner.client_gone.set()

    def _drop(self, *, hard: bool) -> None:
        drop_connection(self, hard=hard, how=socket.SHUT_RDWR)


@pytest.fixture
def fake_openai_factory() -> Iterator[Callable[..., FakeOpenAI]]:
    """Make fake servers (``Script`` fields as keywords, ``tls=`` for https); all stop at
    the end of the test."""
    servers: list[FakeOpenAI] = []

    def make(*, tls: tuple[str, str] | None = None, **script: Any) -> FakeOpenAI:
        server = FakeOpenAI(Script(**script), tls=tls)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def fake_openai(fake_openai_factory: Callable[..., FakeOpenAI]) -> FakeOpenAI:
    return fake_openai_factory()


__all__ = ["HTML_PAGE", "FakeOpenAI", "RecordedRequest", "Script"]
