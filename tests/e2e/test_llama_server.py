"""The remote engine against real OpenAI-compatible servers on 127.0.0.1.

* llama-cpp-python's own server (``python -m llama_cpp.server`` through
  ``scripts/llama_server.py``, from the wheel's ``[server]`` extra) serving the tiny model;
* Hearth's own API (``app.server``) in this process: Hearth talking to Hearth, reasoning
  included.

The servers bind 127.0.0.1 only and stop at the end of the module.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
)
from app.core.engines.registry import probe, remote_engine_factory
from app.core.engines.remote import RemoteEndpoint, RemoteEngine
from app.core.host import EngineHost, JobFailed, ModelLoaded
from app.core.network import NetworkGateway

ROOT = Path(__file__).resolve().parents[2]
HAS_SERVER_EXTRA = all(
    importlib.util.find_spec(name) is not None for name in ("fastapi", "sse_starlette")
)
needs_server_extra = pytest.mark.skipif(
    not HAS_SERVER_EXTRA,
    reason='llama-cpp-python\'s [server] extra is not installed (pip install "$WHEEL[server]")',
)
pytestmark = pytest.mark.slow

MODEL_ALIAS = "tiny-r1"
START_TIMEOUT_S = 120


class LlamaServer:
    """``scripts/llama_server.py`` in a child process, on a free port of 127.0.0.1."""

    def __init__(self, model: Path) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._lines: list[str] = []
        self._process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "llama_server.py"),
                *("--model", str(model), "--model_alias", MODEL_ALIAS),
                *("--host", "127.0.0.1", "--port", str(_free_port())),
                *("--n_ctx", "512", "--n_threads", "2", "--verbose", "False"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.append(line.rstrip())
            if "Uvicorn running on http://127.0.0.1:" in line:
                self.port = int(line.split("http://127.0.0.1:")[1].split()[0])
                self._ready.set()
        self._ready.set()  # the process ended: wake the waiter, which sees no port

    def wait_ready(self) -> None:
        if not self._ready.wait(START_TIMEOUT_S) or not self.port:
            raise AssertionError("llama_cpp.server did not start:\n" + "\n".join(self._lines[-30:]))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tiny_model_f32: Path) -> Iterator[LlamaServer]:
    if not HAS_SERVER_EXTRA:
        pytest.skip("llama-cpp-python's [server] extra is not installed")
    server = LlamaServer(tiny_model_f32)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def ask(max_tokens: int = 24) -> TurnRequest:
    return TurnRequest(
        messages=(ChatMessage("user", "Hello! Tell me about the sea."),),
        params=SamplingParams(max_tokens=max_tokens, seed=7),
    )


def text(events: list[TurnEvent]) -> tuple[str, str]:
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    return reasoning, answer


@needs_server_extra
def test_test_connection_finds_llama_cpp_python(
    llama_server: LlamaServer, gateway: NetworkGateway
) -> None:
    report = probe(gateway, RemoteEndpoint("tiny", llama_server.base_url))
    assert report.models == (MODEL_ALIAS,)
    assert report.server_kind == "llama-cpp-python"
    assert "llama-cpp-python server answered" in report.sentence()


@needs_server_extra
def test_a_turn_streams_from_llama_cpp_server(
    llama_server: LlamaServer, gateway: NetworkGateway
) -> None:
    endpoint = RemoteEndpoint(
        "tiny", llama_server.base_url, MODEL_ALIAS, server_kind="llama-cpp-python"
    )
    events = list(RemoteEngine(endpoint, gateway).stream_turn(ask(), TurnControl()))
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    assert finished.reason in ("finished", "length")
    reasoning, answer = text(events)
    assert reasoning + answer  # the random-weight model writes something
    assert 0 < finished.stats.generated_tokens <= 24
    assert finished.stats.ttft_ms > 0
    (entry,) = gateway.log_entries()
    assert (entry.method, entry.path, entry.result) == ("POST", "/v1/chat/completions", "ok")
    assert entry.host == f"127.0.0.1:{llama_server.port}"


@needs_server_extra
def test_stop_ends_a_real_stream_and_the_server_serves_the_next_turn(
    llama_server: LlamaServer, gateway: NetworkGateway
) -> None:
    engine = RemoteEngine(RemoteEndpoint("tiny", llama_server.base_url, MODEL_ALIAS), gateway)
    control = TurnControl()
    events: list[TurnEvent] = []
    stopped_at = 0.0
    for event in engine.stream_turn(ask(max_tokens=400), control):
        events.append(event)
        if isinstance(event, ReasoningDelta | AnswerDelta) and not control.cancelled:
            stopped_at = time.monotonic()
            control.cancel()
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.reason == "stopped"
    assert time.monotonic() - stopped_at < 30.0  # hang protection only (a busy machine)
    assert any(text(events))
    again = list(engine.stream_turn(ask(max_tokens=4), TurnControl()))
    assert isinstance(again[-1], TurnFinished) and again[-1].reason in ("finished", "length")


@needs_server_extra
def test_the_engine_host_loads_and_runs_a_remote_engine(
    llama_server: LlamaServer, gateway: NetworkGateway
) -> None:
    host = EngineHost()
    try:
        endpoint = RemoteEndpoint("tiny", llama_server.base_url, MODEL_ALIAS)
        load = host.load(remote_engine_factory(gateway, endpoint))
        assert load.wait(30) and isinstance(load.result, ModelLoaded)
        assert load.result.info.kind == "remote"
        assert load.result.info.location == f"127.0.0.1:{llama_server.port}"
        seen: list[object] = []
        job = host.submit_turn(ask(max_tokens=8), lambda _id, event: seen.append(event))
        assert job.wait(60)
        assert isinstance(job.result, TurnFinished), job.result
        assert not isinstance(job.result, JobFailed)
        assert any(isinstance(e, ReasoningDelta | AnswerDelta) for e in seen)
    finally:
        assert host.close(10)


# --- Hearth talking to Hearth ---------------------------------------------------------------

TOKEN = "hearth-to-hearth-test-token"


@pytest.fixture(scope="module")
def hearth_server(tiny_model_f32: Path) -> Iterator[str]:
    from app.server.routes import ServerOptions
    from app.server.runner import ApiServer

    host = EngineHost()
    job = host.load_local(tiny_model_f32, n_ctx=2048, n_threads=2)
    assert job.wait(60) and isinstance(job.result, ModelLoaded), job.result
    server = ApiServer(host, ServerOptions(port=0, token=TOKEN))
    address = server.start()
    try:
        yield f"{address}/v1"
    finally:
        server.stop(5.0)
        host.close(5.0)


def test_hearth_answers_hearth_with_reasoning(hearth_server: str, gateway: NetworkGateway) -> None:
    report = probe(gateway, RemoteEndpoint("other Hearth", hearth_server, api_key=TOKEN))
    assert report.server_kind == "hearth"
    (model,) = report.models
    endpoint = RemoteEndpoint(
        "other Hearth", hearth_server, model, api_key=TOKEN, server_kind="hearth"
    )
    events = list(RemoteEngine(endpoint, gateway).stream_turn(ask(max_tokens=48), TurnControl()))
    finished = events[-1]
    assert isinstance(finished, TurnFinished), events[-3:]
    reasoning, _answer = text(events)
    # The other Hearth opens the R1 reasoning itself and sends it as reasoning_content.
    assert reasoning
    assert finished.stats.generated_tokens > 0
    assert finished.stats.prompt_tokens > 0


def test_hearth_refuses_a_wrong_key_with_a_sentence(
    hearth_server: str, gateway: NetworkGateway
) -> None:
    from app.core.engines.remote import RemoteEngineError

    endpoint = RemoteEndpoint("other Hearth", hearth_server, "x", api_key="wrong")
    with pytest.raises(RemoteEngineError) as caught:
        list(RemoteEngine(endpoint, gateway).stream_turn(ask(), TurnControl()))
    assert caught.value.kind == "auth"
    assert "refused the API key" in str(caught.value)
