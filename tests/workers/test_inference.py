"""InferenceClient: the Qt wrapper of the engine host, driven with qtbot.

Signals are emitted on the GUI thread, deltas are batched, stale results are dropped, and
the client holds no engine: the host (its own or a shared one) does.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from app.core.chat import ChatMessage, SamplingParams, TurnRequest, TurnStats
from app.core.host import EngineHost, HostState
from app.workers.inference import InferenceClient


@pytest.fixture
def client(qtbot: QtBot) -> InferenceClient:
    client = InferenceClient()
    yield client
    assert client.shutdown(timeout_ms=5000)


def load(qtbot: QtBot, client: InferenceClient, path: Path) -> object:
    with qtbot.waitSignal(client.model_loaded, timeout=30000) as blocker:
        client.load_model(path, n_ctx=2048, n_threads=2)
    return blocker.args[0]


def request(text: str = "Hello", *, max_tokens: int = 32) -> TurnRequest:
    return TurnRequest(
        messages=(ChatMessage("user", text),),
        params=SamplingParams(max_tokens=max_tokens, temperature=0.0, seed=7),
    )


def test_loads_a_model_and_streams_a_turn(
    qtbot: QtBot, client: InferenceClient, tiny_model_q: Path
) -> None:
    info = load(qtbot, client, tiny_model_q)
    assert client.model_info is info
    pieces: list[str] = []
    threads: set[str] = set()

    def on_tokens(reasoning: str, answer: str) -> None:
        pieces.append(reasoning + answer)
        threads.add(threading.current_thread().name)

    client.tokens_ready.connect(on_tokens)
    with qtbot.waitSignal(client.turn_finished, timeout=30000) as finished:
        client.start_turn(request(max_tokens=24))
    # Sink calls happen on the host thread; the signals arrive on the GUI thread.
    assert threads == {threading.main_thread().name}
    reason, stats = finished.args
    assert reason in ("length", "finished")
    assert isinstance(stats, TurnStats)
    assert stats.generated_tokens >= 16
    assert stats.tokens_per_s > 0
    # Deltas are batched: fewer signals than tokens is allowed, but text did arrive.
    assert pieces and len(pieces) <= stats.generated_tokens
    assert not client.is_generating


def test_a_missing_model_fails_with_a_readable_message(
    qtbot: QtBot, client: InferenceClient, tmp_path: Path
) -> None:
    with qtbot.waitSignal(client.model_load_failed, timeout=10000) as failed:
        client.load_model(tmp_path / "nope.gguf", n_ctx=2048, n_threads=2)
    message = failed.args[0]
    assert "nope.gguf" in message or "not found" in message.lower() or "exist" in message.lower()
    assert client.model_info is None


def test_a_turn_without_a_model_fails_cleanly(qtbot: QtBot, client: InferenceClient) -> None:
    with qtbot.waitSignal(client.turn_failed, timeout=5000) as failed:
        client.start_turn(request())
    assert "model" in failed.args[0].lower()


def test_stop_during_decode_ends_the_turn_as_stopped(
    qtbot: QtBot, client: InferenceClient, tiny_model_f32: Path
) -> None:
    load(qtbot, client, tiny_model_f32)
    with qtbot.waitSignal(client.tokens_ready, timeout=30000):
        client.start_turn(request(max_tokens=100000))
    with qtbot.waitSignal(client.turn_finished, timeout=5000) as finished:
        client.stop()
    assert finished.args[0] == "stopped"


def test_results_of_a_replaced_turn_are_dropped(
    qtbot: QtBot, client: InferenceClient, tiny_model_f32: Path
) -> None:
    load(qtbot, client, tiny_model_f32)
    finishes: list[str] = []
    client.turn_finished.connect(lambda reason, _stats: finishes.append(reason))
    client.start_turn(request("first", max_tokens=100000))
    with qtbot.waitSignal(client.turn_finished, timeout=30000) as finished:
        client.start_turn(request("second", max_tokens=20))
    # Only the second turn's result reached us; the first one was cancelled and dropped.
    assert finished.args[0] in ("length", "finished")
    assert finishes == [finished.args[0]]


def test_shutdown_mid_generation_is_prompt(qtbot: QtBot, tiny_model_f32: Path) -> None:
    client = InferenceClient()
    load(qtbot, client, tiny_model_f32)
    with qtbot.waitSignal(client.tokens_ready, timeout=30000):
        client.start_turn(request(max_tokens=100000))
    started = time.monotonic()
    assert client.shutdown(timeout_ms=1000)
    assert time.monotonic() - started < 1.0


def test_the_live_reasoning_count_follows_the_generated_tokens(
    qtbot: QtBot, client: InferenceClient, tiny_model_f32: Path
) -> None:
    load(qtbot, client, tiny_model_f32)
    counts: list[int] = []
    client.reasoning_counted.connect(counts.append)
    with qtbot.waitSignal(client.turn_finished, timeout=30000) as finished:
        client.start_turn(request(max_tokens=40))
    stats = finished.args[1]
    assert counts == sorted(counts) and counts[0] > 0
    # The R1 prompt opens <think>, so the tiny model's tokens are reasoning tokens.
    assert abs(counts[-1] - stats.reasoning_tokens) <= 2


def test_a_shared_host_serves_two_clients_and_outlives_them(
    qtbot: QtBot, tiny_model_f32: Path
) -> None:
    host = EngineHost()
    try:
        gui = InferenceClient(host=host)
        api = InferenceClient(host=host, origin="api")
        load(qtbot, gui, tiny_model_f32)
        states: list[HostState] = []
        ends: list[tuple[str, str]] = []
        gui.host_state_changed.connect(states.append)
        gui.turn_finished.connect(lambda reason, _stats: ends.append(("gui", reason)))
        api.turn_finished.connect(lambda reason, _stats: ends.append(("api", reason)))
        gui.start_turn(request("first", max_tokens=8))
        # Queued behind the GUI's turn on the one engine thread, not run in parallel.
        api.start_turn(request("second", max_tokens=8))
        qtbot.waitUntil(lambda: len(ends) == 2, timeout=30000)
        assert ends == [("gui", "length"), ("api", "length")]
        assert any(s.origin == "api" and s.status == "busy" for s in states)
        assert gui.shutdown(timeout_ms=5000) and api.shutdown(timeout_ms=5000)
        assert not host.closed and host.state.engine is not None
    finally:
        assert host.close(10)


def test_the_last_host_state_relayed_is_the_current_one(qtbot: QtBot) -> None:
    # The host thread's states reach the GUI thread through the event queue, but a submit
    # made on the GUI thread notifies at once: without care, an older queued state would be
    # emitted after it and the window would keep showing it.
    host = EngineHost()
    client = InferenceClient(host=host)
    states: list[HostState] = []
    client.host_state_changed.connect(states.append)
    started, release = threading.Event(), threading.Event()

    def block(_engine: object) -> None:
        started.set()
        release.wait(30)

    # Submitted from another thread, so every state up to "busy, nothing waiting" reaches
    # the GUI thread through its event queue (the host notifies before it runs the call).
    blockers: list[Future[None]] = []
    submitter = threading.Thread(target=lambda: blockers.append(host.call(block)))
    submitter.start()
    submitter.join(30)
    [blocker] = blockers
    waiting = None
    try:
        assert started.wait(30)  # nothing has delivered the queued states yet
        waiting = host.call(lambda _engine: None)  # notified on this thread at once
        QCoreApplication.sendPostedEvents()  # now the queued, older state arrives
        current = host.state
        assert (current.status, current.queue_length) == ("busy", 1)
        assert states and states[-1] == current
    finally:
        release.set()
        blocker.result(30)
        if waiting is not None:
            waiting.result(30)
        client.shutdown(timeout_ms=5000)
        assert host.close(30)


def test_a_full_queue_fails_the_turn_with_a_sentence(qtbot: QtBot) -> None:
    host = EngineHost(max_queue=0)
    client = InferenceClient(host=host)
    gate = threading.Event()
    try:
        # Keep the host thread busy so the next turn would have to wait in the queue.
        blocker = host.call(lambda _engine: gate.wait(10))
        qtbot.waitUntil(lambda: host.state.status == "busy", timeout=5000)
        with qtbot.waitSignal(client.turn_failed, timeout=5000) as failed:
            client.start_turn(request())
        assert "busy" in failed.args[0]
        assert not client.is_generating
    finally:
        gate.set()
        blocker.result(10)
        client.shutdown(timeout_ms=5000)
        assert host.close(10)
