"""The API against real clients (the official openai SDK and httpx) on a live server.

The engine is scripted (tests/server/conftest.py) but the host, uvicorn, Starlette and the
clients are the real ones. ``tee`` records the events the engine produced for each job, so
tests compare what a client received with what the engine wrote.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from app.core.chat import AnswerDelta, ReasoningDelta, TurnFinished
from app.core.host import HostState
from tests.server.conftest import MODEL_ID, TOKEN, Live, ScriptedEngine

CHAT = "/v1/chat/completions"


def tee(live: Live) -> dict[int, list[Any]]:
    """Record every event the host delivers for each API job, by job id."""
    seen: dict[int, list[Any]] = {}
    original = live.server.context.submit

    def submit(request: Any, channel: Any) -> Any:
        events: list[Any] = []
        forward = channel.sink

        def sink(job_id: int, event: Any) -> None:
            events.append(event)
            forward(job_id, event)

        channel.sink = sink
        job = original(request, channel)
        seen[job.id] = events
        return job

    live.server.context.submit = submit
    return seen


def joined(events: list[Any]) -> tuple[str, str]:
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    return reasoning, answer


def sdk(live: Live, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=TOKEN, max_retries=0, **kwargs)


def ask(text: str = "What is 2+2?", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL_ID, "messages": [{"role": "user", "content": text}], **extra}


def post(live: Live, body: Any, **kwargs: Any) -> httpx.Response:
    headers = {**live.headers, **kwargs.pop("headers", {})}
    content = body if isinstance(body, bytes | str) else json.dumps(body)
    return httpx.post(f"{live.url}{CHAT}", content=content, headers=headers, timeout=30, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and "code" in error
    if code is not None:
        assert error["code"] == code
    return dict(error)


def wait_idle(live: Live, timeout: float = 60.0) -> bool:
    idle = threading.Event()

    def listener(state: HostState) -> None:
        if state.status == "idle" and state.queue_length == 0:
            idle.set()

    unsubscribe = live.host.add_state_listener(listener)
    try:
        listener(live.host.state)
        return idle.wait(timeout)
    finally:
        unsubscribe()


# --- the official SDK ---------------------------------------------------------------------


def test_sdk_non_streaming_returns_reasoning_content_and_usage(live: Live) -> None:
    seen = tee(live)
    result = sdk(live).chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "What is 2+2?"}]
    )
    (events,) = seen.values()
    reasoning, answer = joined(events)
    message = result.choices[0].message
    assert message.content == answer == "The answer is 4. 你好"
    assert message.model_extra is not None
    assert message.model_extra["reasoning_content"] == reasoning == "Let me think. 二加二"
    assert result.choices[0].finish_reason == "stop"
    assert result.model == MODEL_ID and result.object == "chat.completion"
    assert result.usage is not None
    assert result.usage.completion_tokens == 7
    assert result.usage.completion_tokens_details is not None
    assert result.usage.completion_tokens_details.reasoning_tokens == 3


def test_sdk_streaming_pieces_join_to_what_the_engine_produced(live: Live) -> None:
    seen = tee(live)
    stream = sdk(live).chat.completions.create(
        model=MODEL_ID,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    reasoning, content, finishes, usages = [], [], [], []
    for chunk in stream:
        if chunk.usage is not None:
            usages.append(chunk.usage)
        for choice in chunk.choices:
            extra = choice.delta.model_extra or {}
            reasoning.append(extra.get("reasoning_content") or "")
            content.append(choice.delta.content or "")
            if choice.finish_reason:
                finishes.append(choice.finish_reason)
    (events,) = seen.values()
    assert ("".join(reasoning), "".join(content)) == joined(events)
    assert finishes == ["stop"]
    assert len(usages) == 1 and usages[0].completion_tokens_details.reasoning_tokens == 3


def test_sdk_lists_the_loaded_model(live: Live) -> None:
    models = sdk(live).models.list()
    assert [m.id for m in models.data] == [MODEL_ID]
    assert sdk(live).models.retrieve(MODEL_ID).id == MODEL_ID


def test_the_model_may_be_named_without_its_gguf_suffix(live: Live) -> None:
    result = sdk(live).chat.completions.create(
        model=MODEL_ID.removesuffix(".gguf"), messages=[{"role": "user", "content": "x"}]
    )
    assert result.model == MODEL_ID


def test_sdk_gets_length_and_stop_sequences(live: Live) -> None:
    client = sdk(live)
    cut = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "x"}], max_tokens=4
    )
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == "The answer "
    stopped = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "x"}], stop=["is 4"]
    )
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == "The answer "


def test_r1_sampling_defaults_reach_the_engine(live: Live, scripted_engine: ScriptedEngine) -> None:
    sdk(live).chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": "x"}])
    params = scripted_engine.requests[-1].params
    assert (params.temperature, params.top_p) == (0.6, 0.95)
    sdk(live).chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "x"}], temperature=0.2, seed=5
    )
    params = scripted_engine.requests[-1].params
    assert (params.temperature, params.seed) == (0.2, 5)


# --- security -----------------------------------------------------------------------------


def test_health_needs_no_token(live: Live) -> None:
    response = httpx.get(f"{live.url}/health", timeout=30)
    assert response.status_code == 200 and response.json()["model_loaded"] is True


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
def test_a_missing_or_wrong_token_gets_401(live: Live, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for response in (
        httpx.get(f"{live.url}/v1/models", headers=headers, timeout=30),
        httpx.post(f"{live.url}{CHAT}", json=ask(), headers=headers, timeout=30),
    ):
        error = assert_error(response, 401, "invalid_api_key")
        assert error["type"] == "authentication_error"
        assert response.headers["www-authenticate"] == "Bearer"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{live.url}/v1", api_key="nope", max_retries=0).models.list()


def test_a_foreign_host_header_is_refused(live: Live) -> None:
    # DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
    response = httpx.get(
        f"{live.url}/v1/models", headers={**live.headers, "Host": "evil.example"}, timeout=30
    )
    assert_error(response, 403, "invalid_host")
    page = httpx.get(f"{live.url}/", headers={"Host": "evil.example:80"}, timeout=30)
    assert page.status_code == 403


def test_another_site_is_refused_and_gets_no_cors(live: Live) -> None:
    headers = {**live.headers, "Origin": "https://evil.example"}
    response = httpx.post(f"{live.url}{CHAT}", json=ask(), headers=headers, timeout=30)
    assert_error(response, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(
        f"{live.url}{CHAT}",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers


def test_the_own_page_origin_is_allowed(live: Live) -> None:
    headers = {**live.headers, "Origin": live.url}
    response = httpx.get(f"{live.url}/v1/models", headers=headers, timeout=30)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers  # same origin needs no CORS


def test_cors_for_allowed_origins_only(start_server: Callable[..., Live]) -> None:
    live = start_server(ScriptedEngine(), allowed_origins=frozenset({"http://localhost:3000"}))
    origin = {"Origin": "http://localhost:3000"}
    preflight = httpx.options(
        f"{live.url}{CHAT}", headers={**origin, "Access-Control-Request-Method": "POST"}, timeout=30
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    response = httpx.get(f"{live.url}/v1/models", headers={**live.headers, **origin}, timeout=30)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = httpx.get(
        f"{live.url}/v1/models", headers={**live.headers, "Origin": "http://x.test"}, timeout=30
    )
    assert other.status_code == 403


def test_a_body_over_the_limit_gets_413(start_server: Callable[..., Live]) -> None:
    live = start_server(ScriptedEngine(), max_body=2000)
    big = ask("x" * 5000)
    assert_error(post(live, big), 413, "request_too_large")

    # Without Content-Length (chunked), the limit holds while reading.
    def chunks() -> Any:
        data = json.dumps(big).encode()
        for i in range(0, len(data), 500):
            yield data[i : i + 500]

    response = httpx.post(f"{live.url}{CHAT}", content=chunks(), headers=live.headers, timeout=30)
    assert_error(response, 413, "request_too_large")


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        ("[1, 2]", "invalid_request"),
        ({"model": MODEL_ID, "messages": "hello"}, "invalid_request"),
        (ask(temperature="warm"), "invalid_request"),
        (ask(max_tokens=-1), "invalid_request"),
        (ask(n=9), "unsupported_field"),
        (ask(tools=[{"type": "function", "function": {"name": "f"}}]), "unsupported_field"),
        (ask(response_format={"type": "json_object"}), "unsupported_field"),
        (ask(mystery=True), "unsupported_field"),
    ],
)
def test_bad_input_gets_400_in_openai_shape(live: Live, body: Any, code: str) -> None:
    assert_error(post(live, body), 400, code)


def test_bad_input_reaches_the_sdk_as_bad_request(live: Live) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        sdk(live).chat.completions.create(
            model=MODEL_ID, messages=[{"role": "user", "content": "x"}], n=9
        )
    assert "'n'" in str(info.value)


def test_an_unknown_model_gets_404(live: Live) -> None:
    assert_error(post(live, {**ask(), "model": "gpt-4o"}), 404, "model_not_found")
    response = httpx.get(f"{live.url}/v1/models/gpt-4o", headers=live.headers, timeout=30)
    assert_error(response, 404, "model_not_found")
    with pytest.raises(openai.NotFoundError):
        sdk(live).chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])


def test_unknown_paths_and_methods_get_openai_errors(live: Live) -> None:
    assert_error(httpx.get(f"{live.url}/v1/nothing", headers=live.headers, timeout=30), 404)
    assert_error(httpx.get(f"{live.url}{CHAT}", headers=live.headers, timeout=30), 405)


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_longer_than_the_context_gets_400(
    start_server: Callable[..., Live], stream: bool
) -> None:
    live = start_server(ScriptedEngine(max_prompt_chars=100))
    response = post(live, ask("y" * 500, stream=stream))
    assert_error(response, 400, "context_length_exceeded")


def test_a_conversation_the_engine_would_trim_gets_400(start_server: Callable[..., Live]) -> None:
    engine = ScriptedEngine(trim=True)
    live = start_server(engine)
    assert_error(post(live, ask(stream=True)), 400, "context_length_exceeded")
    assert wait_idle(live)


def test_no_model_loaded_gets_503(start_server: Callable[..., Live]) -> None:
    live = start_server(None)
    assert_error(post(live, ask()), 503, "model_not_loaded")
    assert httpx.get(f"{live.url}/v1/models", headers=live.headers, timeout=30).json()["data"] == []


# --- queueing ---------------------------------------------------------------------------


def _wait_queue(live: Live, length: int) -> None:
    ready = threading.Event()

    def listener(state: HostState) -> None:
        if state.queue_length >= length and state.status == "busy":
            ready.set()

    unsubscribe = live.host.add_state_listener(listener)
    try:
        listener(live.host.state)
        assert ready.wait(60), f"the queue never reached {length}"
    finally:
        unsubscribe()


def test_too_many_api_requests_get_429_with_retry_after(
    start_server: Callable[..., Live],
) -> None:
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    live = start_server(engine, max_api_jobs=1)
    first: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: first.append(post(live, ask())))
    worker.start()
    try:
        assert engine.started.wait(60)
        response = post(live, ask())
        assert_error(response, 429, "too_many_requests")
        assert int(response.headers["retry-after"]) > 0
    finally:
        gate.set()
        worker.join(60)
    assert first[0].status_code == 200


def test_a_full_host_queue_gets_503_with_retry_after(start_server: Callable[..., Live]) -> None:
    gate = threading.Event()
    engine = ScriptedEngine(gate=gate)
    live = start_server(engine, max_queue=1)
    answered: list[httpx.Response] = []
    workers = [threading.Thread(target=lambda: answered.append(post(live, ask()))) for _ in "ab"]
    try:
        workers[0].start()
        assert engine.started.wait(60)  # the first runs
        workers[1].start()
        _wait_queue(live, 1)  # the second waits: the queue is full
        response = post(live, ask())
        assert_error(response, 503, "queue_full")
        assert int(response.headers["retry-after"]) > 0
    finally:
        gate.set()
        for worker in workers:
            if worker.is_alive() or worker.ident is not None:
                worker.join(60)
    assert [r.status_code for r in answered] == [200, 200]


def test_two_clients_and_a_gui_turn_queue_in_order_unmixed(
    start_server: Callable[..., Live],
) -> None:
    from tests.support.models import user_turn

    gate = threading.Event()
    engine = ScriptedEngine(gate=gate, echo=True)
    live = start_server(engine)
    gui_events: list[Any] = []
    gui_done = threading.Event()

    def gui_sink(_job: int, event: Any) -> None:
        gui_events.append(event)
        if isinstance(event, TurnFinished):
            gui_done.set()

    live.host.submit_turn(user_turn("from the window"), gui_sink, origin="gui")
    assert engine.started.wait(60)
    results: dict[str, Any] = {}

    def client(name: str) -> None:
        stream = sdk(live).chat.completions.create(
            model=MODEL_ID, messages=[{"role": "user", "content": name}], stream=True
        )
        text = [c.choices[0].delta.content or "" for c in stream if c.choices]
        results[name] = "".join(text)

    threads = []
    for position, name in enumerate(("client A", "client B"), start=1):
        thread = threading.Thread(target=client, args=(name,))
        thread.start()
        threads.append(thread)
        _wait_queue(live, position)  # A is queued before B is sent
    gate.set()
    for thread in threads:
        thread.join(60)
    assert gui_done.wait(60)
    served = [r.messages[-1].content for r in engine.requests]
    assert served == ["from the window", "client A", "client B"]
    assert results == {
        "client A": "The answer is 4. 你好 [client A]",
        "client B": "The answer is 4. 你好 [client B]",
    }
    assert joined(gui_events)[1] == "The answer is 4. 你好 [from the window]"


def test_activity_listeners_see_api_turns(live: Live) -> None:
    counts: list[int] = []
    live.server.context.add_activity_listener(counts.append)
    sdk(live).chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": "x"}])
    # The turn is unregistered just after its last byte is sent: the client may see the
    # answer a moment before that (bounded wait, hang protection only).
    deadline = time.monotonic() + 10
    while counts != [1, 0] and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    assert counts == [1, 0]


# --- disconnects, shutdown, leaks -------------------------------------------------------


def test_a_client_that_disconnects_cancels_its_generation(
    start_server: Callable[..., Live],
) -> None:
    live = start_server(ScriptedEngine(endless=True))
    seen = tee(live)
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", f"{live.url}{CHAT}", json=ask(stream=True), headers=live.headers
        ) as response,
    ):
        lines = response.iter_lines()
        while "content" not in next(lines):
            pass
        assert live.host.state.status == "busy"
        closed_at = time.monotonic()
        # Leaving the block closed the connection mid-stream.
    assert wait_idle(live)
    elapsed = time.monotonic() - closed_at
    (events,) = seen.values()
    assert isinstance(events[-1], TurnFinished) and events[-1].reason == "stopped"
    assert elapsed < 30.0  # hang protection only; the 200 ms target is a bench figure
    # The engine is free for the next job.
    again = sdk(live).chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "x"}], max_tokens=8
    )
    assert again.choices[0].finish_reason == "length"


def test_stopping_the_server_ends_streams_with_an_error_event(
    start_server: Callable[..., Live],
) -> None:
    live = start_server(ScriptedEngine(endless=True))
    lines: list[str] = []
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", f"{live.url}{CHAT}", json=ask(stream=True), headers=live.headers
        ) as response,
    ):
        iterator = response.iter_lines()
        while "content" not in next(iterator):
            pass
        stopper = threading.Thread(target=live.server.stop)
        stopper.start()
        lines = [line for line in iterator if line.startswith("data: ")]
    stopper.join(60)
    assert not stopper.is_alive()
    assert lines and lines[-1] != "data: [DONE]"
    error = json.loads(lines[-1].removeprefix("data: "))["error"]
    assert error["code"] == "server_shutting_down"
    assert wait_idle(live)


def test_stop_closes_the_port_and_joins_the_thread(
    start_server: Callable[..., Live],
) -> None:
    before = {t.ident for t in threading.enumerate()}
    live = start_server(ScriptedEngine())
    sdk(live).chat.completions.create(model=MODEL_ID, messages=[{"role": "user", "content": "x"}])
    port = live.server.port
    assert live.server.stop(5.0)
    assert not live.server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert live.host.close(5.0)
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert leftover == []


def test_restarting_does_not_leak_file_descriptors(start_server: Callable[..., Live]) -> None:
    def open_fds() -> int:
        return len(list(Path("/proc/self/fd").iterdir()))

    live = start_server(ScriptedEngine())
    live.server.stop()
    baseline = open_fds()
    for _ in range(3):
        live.server.start()
        sdk(live).chat.completions.create(
            model=MODEL_ID, messages=[{"role": "user", "content": "x"}]
        )
        assert live.server.stop(5.0)
    assert open_fds() <= baseline + 2


def test_the_network_log_has_requests_but_no_text(live: Live) -> None:
    sdk(live).chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": "secret question"}]
    )
    httpx.get(f"{live.url}/v1/models", timeout=30)  # no token: refused, and logged
    live.server.stop()
    entries = live.records
    assert entries[0].method == "START" and entries[-1].method == "STOP"
    chat = [e for e in entries if e.path == CHAT]
    assert len(chat) == 1 and chat[0].status == 200
    assert chat[0].host.startswith("127.0.0.1:")
    assert MODEL_ID in chat[0].result and "7 out" in chat[0].result
    refused = [e for e in entries if e.status == 401]
    assert refused and refused[0].result.startswith("error")
    dump = repr(entries)
    assert "secret question" not in dump and "The answer" not in dump


def test_a_bug_of_ours_is_a_500_in_openai_shape(live: Live) -> None:
    def broken(_request: Any, _channel: Any) -> Any:
        raise RuntimeError("boom")

    live.server.context.submit = broken
    error = assert_error(post(live, ask()), 500, "internal_error")
    assert "boom" not in error["message"]
    assert live.server.context.active_turns == 0  # the failed request left nothing behind
