"""Slow or stalled clients cannot hold the server's connections (slowloris protection).

Each test lowers the deadline to a fraction of a second, then checks that the server ends
the connection on its own, well before a generous ceiling that only guards against a hang.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable

import pytest

from app.server import protocol, routes
from tests.server.conftest import MODEL_ID, TOKEN, Live, ScriptedEngine

#: Hang protection only: the lowered deadlines below end these connections in about 0.5 s.
CEILING_S = 10.0


def _connect(live: Live) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", live.server.port))
    client.settimeout(CEILING_S)
    return client


def _read_until_closed(client: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout if it never does."""
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_S", 0.5)
    monkeypatch.setattr(routes, "BODY_TIMEOUT_S", 0.5)


def test_a_connection_that_sends_nothing_is_closed(short_deadlines: None, live: Live) -> None:
    with _connect(live) as client:
        assert _read_until_closed(client) == b""


def test_a_request_head_that_never_ends_is_closed(short_deadlines: None, live: Live) -> None:
    with _connect(live) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _read_until_closed(client) == b""


def test_trickling_header_bytes_does_not_push_the_deadline_back(
    short_deadlines: None, live: Live
) -> None:
    with _connect(live) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        client.settimeout(0.1)
        closed = False
        while not closed and time.monotonic() - started < CEILING_S:
            try:
                client.sendall(b"X")  # one byte per tenth of a second, for ever
                closed = client.recv(1024) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        assert closed


def test_a_slow_body_gets_408(short_deadlines: None, live: Live) -> None:
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with _connect(live) as client:
        client.sendall(head.encode() + b'{"model": ')
        answer = _read_until_closed(client)
    assert answer.startswith(b"HTTP/1.1 408 ")
    error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] == "request_timeout"


def test_a_client_gone_mid_body_leaves_no_traceback(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with caplog.at_level(logging.INFO), _connect(live) as client:
        client.sendall(head.encode() + b'{"model": ')
    # The request is logged when the server has finished with it.
    deadline = time.monotonic() + CEILING_S
    while not live.records and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert live.records, "the server never finished the request"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_long_stream_is_not_cut_by_the_head_deadline(
    short_deadlines: None, start_server: Callable[..., Live]
) -> None:
    live = start_server(ScriptedEngine(endless=True))
    body = json.dumps(
        {"model": MODEL_ID, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    ).encode()
    head = (
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with _connect(live) as client:
        client.sendall(head.encode() + body)
        started = time.monotonic()
        received = b""
        # Three deadlines' worth of streaming, and the stream is still open.
        while time.monotonic() - started < 1.5:
            chunk = client.recv(65536)
            assert chunk, "the server closed a stream that was still running"
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 ")
    assert b"data: " in received
