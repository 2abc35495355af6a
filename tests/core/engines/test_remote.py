"""The remote engine against a fault-injecting fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ReasoningClosed,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
)
from app.core.engines import remote, remote_wire
from app.core.engines.base import Engine
from app.core.engines.remote import RemoteEndpoint, RemoteEngine, RemoteEngineError
from app.core.network import NetworkGateway
from tests.support.fake_openai import FakeOpenAI

Factory = Callable[..., FakeOpenAI]
QUESTION = "What is two plus two? (a private question)"


def endpoint_for(server: FakeOpenAI, **values: object) -> RemoteEndpoint:
    settings: dict[str, object] = {
        "name": "GPU box",
        "base_url": server.base_url,
        "model": "fake-r1",
    }
    settings.update(values)
    return RemoteEndpoint(**settings)  # type: ignore[arg-type]


def ask(text: str = QUESTION, **params: object) -> TurnRequest:
    return TurnRequest(
        messages=(ChatMessage("user", text),),
        params=SamplingParams(**params),  # type: ignore[arg-type]
        system_prompt="Be brief.",
    )


def run(
    engine: RemoteEngine, request: TurnRequest | None = None, control: TurnControl | None = None
) -> tuple[list[TurnEvent], TurnFinished]:
    events = list(engine.stream_turn(request or ask(), control or TurnControl()))
    last = events[-1]
    assert isinstance(last, TurnFinished)
    assert sum(isinstance(e, TurnFinished) for e in events) == 1
    return events[:-1], last


def run_until_error(
    engine: RemoteEngine, request: TurnRequest | None = None
) -> tuple[list[TurnEvent], RemoteEngineError]:
    events: list[TurnEvent] = []
    with pytest.raises(RemoteEngineError) as caught:
        for event in engine.stream_turn(request or ask(), TurnControl()):
            events.append(event)
    assert not any(isinstance(e, TurnFinished) for e in events)
    return events, caught.value


def text_of(events: list[TurnEvent], kind: type[AnswerDelta] | type[ReasoningDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


# --- streaming ------------------------------------------------------------------------------


def test_it_is_an_engine_and_says_where_answers_come_from(
    fake_openai: FakeOpenAI, gateway: NetworkGateway
) -> None:
    engine = RemoteEngine(endpoint_for(fake_openai, server_kind="vllm"), gateway)
    assert isinstance(engine, Engine)
    info = engine.engine_info
    assert info.kind == "remote"
    assert info.model_id == "fake-r1"
    assert info.name == "fake-r1 (GPU box)"
    assert info.location == f"127.0.0.1:{fake_openai.port}"
    assert info.details["engine"] == "GPU box"
    assert info.details["server"] == "vLLM"
    assert engine.count_tokens(ask()) > 0


@pytest.mark.parametrize("style", ["reasoning_content", "reasoning", "inline"])
def test_reasoning_and_answer_arrive_as_the_local_engine_sends_them(
    fake_openai_factory: Factory, gateway: NetworkGateway, style: str
) -> None:
    server = fake_openai_factory(style=style)
    events, finished = run(RemoteEngine(endpoint_for(server), gateway))

    assert finished.reason == "finished"
    assert text_of(events, ReasoningDelta) == "Let me think. Two plus two is four."
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    closes = [e for e in events if isinstance(e, ReasoningClosed)]
    assert closes == [ReasoningClosed("model")]
    # Reasoning first, then the close, then the answer.
    order = [type(e) for e in events if not isinstance(e, AnswerDelta | ReasoningDelta)]
    assert order == [ReasoningClosed]
    first_answer = next(i for i, e in enumerate(events) if isinstance(e, AnswerDelta))
    assert events.index(closes[0]) < first_answer
    assert finished.stats.ttft_ms > 0
    if style != "inline":
        assert finished.stats.prompt_tokens == 11  # from usage


def test_raw_text_of_an_r1_model_without_the_opening_tag_is_still_split(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    def chunk(content: str, finish: str | None = None) -> bytes:
        body = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]}
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    server = fake_openai_factory(
        raw_events=[
            chunk("Hmm, four."),
            chunk("\n</think>\n\n"),
            chunk("It is 4."),
            chunk("", "stop"),
        ]
    )
    events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert text_of(events, ReasoningDelta) == "Hmm, four."
    assert text_of(events, AnswerDelta) == "It is 4."
    assert finished.reason == "finished"


def test_a_model_without_reasoning_answers_directly(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(style="none", models=("qwen2.5-7b-instruct",))
    events, finished = run(RemoteEngine(endpoint_for(server, model="qwen2.5-7b-instruct"), gateway))
    assert text_of(events, ReasoningDelta) == ""
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    assert finished.reason == "finished"
    assert finished.stats.generated_tokens == 3


def test_a_separating_server_sends_an_r1_without_thinking_as_answer(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    # Ollama with thinking off: an R1 model, but the server sends only content.
    server = fake_openai_factory(style="none")
    events, _finished = run(RemoteEngine(endpoint_for(server, server_kind="ollama"), gateway))
    assert text_of(events, ReasoningDelta) == ""
    assert text_of(events, AnswerDelta) == "The answer is **4**."


def test_the_request_is_openai_shaped_and_carries_the_key_only_in_the_header(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(api_key="sk-test-123")
    run(RemoteEngine(endpoint_for(server, api_key="sk-test-123"), gateway), ask(seed=7))
    (request,) = server.chat_requests
    assert request.headers["Authorization"] == "Bearer sk-test-123"
    body = request.body
    assert body is not None
    assert body["model"] == "fake-r1"
    assert body["stream"] is True
    assert body["seed"] == 7
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": QUESTION},
    ]
    # An unknown server only gets OpenAI's own fields (Hearth's API refuses others).
    assert "top_k" not in body and "min_p" not in body


def test_llama_cpp_and_vllm_get_the_extra_sampling_fields(
    fake_openai: FakeOpenAI, gateway: NetworkGateway
) -> None:
    run(RemoteEngine(endpoint_for(fake_openai, server_kind="llama.cpp"), gateway))
    body = fake_openai.chat_requests[-1].body
    assert body is not None and body["top_k"] == 40 and body["min_p"] == 0.05


def test_earlier_reasoning_is_not_sent_back(
    fake_openai: FakeOpenAI, gateway: NetworkGateway
) -> None:
    request = TurnRequest(
        messages=(
            ChatMessage("user", "hi"),
            ChatMessage("assistant", "Hello!", reasoning="They greeted me."),
            ChatMessage("user", "again"),
        )
    )
    run(RemoteEngine(endpoint_for(fake_openai), gateway), request)
    body = fake_openai.chat_requests[-1].body
    assert body is not None
    assert body["messages"][1] == {"role": "assistant", "content": "Hello!"}
    assert "They greeted me" not in json.dumps(body)


def test_length_is_reported(fake_openai_factory: Factory, gateway: NetworkGateway) -> None:
    server = fake_openai_factory(finish_reason="length")
    _events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert finished.reason == "length"


def test_a_server_that_ignores_stream_still_answers(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(ignore_stream=True)
    events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    assert text_of(events, ReasoningDelta) == "Let me think. Two plus two is four."
    assert finished.reason == "finished"


def test_garbage_lines_and_comments_are_skipped(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(garbage_every=1)
    events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    assert finished.reason == "finished"


def test_a_missing_done_after_a_finish_reason_is_fine(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(no_done=True)
    _events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert finished.reason == "finished"


# --- faults: every one a sentence, nothing lost ------------------------------------------------


def test_a_stream_that_just_ends_is_interrupted_and_keeps_what_arrived(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    chunk = b'data: {"choices": [{"index": 0, "delta": {"content": "Half an"}}]}\n\n'
    server = fake_openai_factory(raw_events=[chunk], no_done=True, style="none", models=("plain",))
    events, error = run_until_error(RemoteEngine(endpoint_for(server, model="plain"), gateway))
    assert text_of(events, AnswerDelta) == "Half an"
    assert error.end_state == "interrupted"
    assert "What arrived is kept" in str(error)
    assert error.stats is not None and error.stats.generated_tokens == 1


@pytest.mark.parametrize("hard", [False, True])
def test_a_connection_dropped_mid_answer_is_interrupted_with_what_arrived(
    fake_openai_factory: Factory, gateway: NetworkGateway, hard: bool
) -> None:
    server = fake_openai_factory(drop_after=2, drop_hard=hard)
    events, error = run_until_error(RemoteEngine(endpoint_for(server), gateway))
    assert text_of(events, AnswerDelta).startswith("The answer")
    assert text_of(events, ReasoningDelta) == "Let me think. Two plus two is four."
    assert error.end_state == "interrupted"
    assert "GPU box" in str(error) and "kept" in str(error)


def test_an_error_event_mid_answer_is_interrupted(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(mid_stream_error=True)
    events, error = run_until_error(RemoteEngine(endpoint_for(server), gateway))
    assert "CUDA out of memory" in str(error)
    assert error.end_state == "interrupted"
    assert text_of(events, AnswerDelta) == "The answer is "


def test_a_refused_connection(gateway: NetworkGateway) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = RemoteEndpoint("GPU box", f"http://127.0.0.1:{port}/v1", "fake-r1")
    events, error = run_until_error(RemoteEngine(endpoint, gateway))
    assert events == []
    assert error.kind == "connect"
    assert str(error).startswith(f"Nothing answered at 127.0.0.1:{port}.")
    assert error.end_state == "failed"


def test_a_server_that_never_accepts_the_connection_times_out(gateway: NetworkGateway) -> None:
    # A listening socket whose tiny backlog is already full: Linux drops further SYNs, so
    # the connect hangs as it does for a machine that is switched off.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            endpoint = RemoteEndpoint(
                "GPU box", f"http://127.0.0.1:{port}/v1", "fake-r1", connect_timeout=0.3
            )
            _events, error = run_until_error(RemoteEngine(endpoint, gateway))
        finally:
            for filler in fillers:
                filler.close()
    assert error.kind == "timeout"
    assert "did not answer within 0.3 s" in str(error)


def test_a_name_that_does_not_resolve(
    gateway: NetworkGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def lookup(host: object, *args: object, **kwargs: object) -> object:
        if host == "gpu-box.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    endpoint = RemoteEndpoint("GPU box", "http://gpu-box.invalid:8000/v1", "fake-r1")
    _events, error = run_until_error(RemoteEngine(endpoint, gateway))
    assert error.kind == "dns"
    assert "gpu-box.invalid" in str(error)


@pytest.mark.parametrize(
    ("script", "key", "kind", "words"),
    [
        ({"api_key": "right"}, "", "auth", "refused no API key (HTTP 401)"),
        ({"api_key": "right"}, "wrong", "auth", "refused the API key (HTTP 401)"),
        ({"status": 403}, "", "auth", "(HTTP 403)"),
        ({"models": ("other",)}, "", "model", "does not serve the model “fake-r1”"),
        ({"status": 429, "retry_after": "30"}, "", "busy", "Try again in 30 s."),
        ({"status": 503, "retry_after": "600"}, "", "unavailable", "Try again in 10 minutes."),
        ({"status": 500}, "", "server", "(HTTP 500)"),
        ({"html": True}, "", "not_openai", "answered with a web page"),
        ({"foreign_json": True}, "", "not_openai", "not the way an OpenAI-compatible"),
    ],
)
def test_http_faults_have_sentences(
    fake_openai_factory: Factory,
    gateway: NetworkGateway,
    script: dict[str, object],
    key: str,
    kind: str,
    words: str,
) -> None:
    server = fake_openai_factory(**script)
    events, error = run_until_error(RemoteEngine(endpoint_for(server, api_key=key), gateway))
    assert events == []
    assert error.kind == kind
    assert words in str(error)
    assert error.end_state == "failed"
    assert "Traceback" not in str(error)


def test_retry_after_in_the_past_or_as_a_date() -> None:
    assert remote.parse_retry_after("3") == 3.0
    assert remote.parse_retry_after("soon") is None
    assert remote.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_a_short_retry_after_is_retried_once_by_itself(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(status=503, status_times=1, retry_after="0")
    events, finished = run(RemoteEngine(endpoint_for(server), gateway))
    assert finished.reason == "finished"
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    assert len(server.chat_requests) == 2


def test_a_server_that_stalls_before_answering_times_out(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(stall_before_headers=True)
    started = time.monotonic()
    _events, error = run_until_error(RemoteEngine(endpoint_for(server, read_timeout=0.3), gateway))
    assert error.kind == "stall"
    assert "sent nothing for 0.3 s" in str(error)
    assert time.monotonic() - started < 30  # a hang ceiling (the machine may be busy)


def test_a_server_that_stalls_mid_answer_keeps_what_arrived(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(stall_after=1)
    events, error = run_until_error(RemoteEngine(endpoint_for(server, read_timeout=0.3), gateway))
    assert text_of(events, AnswerDelta) == "The answer"
    assert error.end_state == "interrupted"
    assert "stopped sending" in str(error)


def test_an_endless_line_is_refused(fake_openai_factory: Factory, gateway: NetworkGateway) -> None:
    server = fake_openai_factory(huge_line=remote_wire.MAX_EVENT_LINE + 4096)
    _events, error = run_until_error(RemoteEngine(endpoint_for(server), gateway))
    assert error.kind == "too_large"
    assert "more than Hearth accepts" in str(error)


def test_an_endless_answer_is_cut_and_kept(
    fake_openai_factory: Factory, gateway: NetworkGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "MAX_ANSWER_CHARS", 2000)
    server = fake_openai_factory(endless=True)
    events, error = run_until_error(RemoteEngine(endpoint_for(server), gateway))
    assert error.kind == "too_large"
    assert error.end_state == "interrupted"
    assert 2000 < len(text_of(events, AnswerDelta) + text_of(events, ReasoningDelta)) < 4000
    assert server.client_gone.wait(120)  # generous: a loaded CI machine is slow to run the reader


NEEDS_OPENSSL = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificate"
)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    openssl = shutil.which("openssl")
    assert openssl is not None
    folder = tmp_path_factory.mktemp("remote-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@NEEDS_OPENSSL
def test_an_untrusted_certificate_is_refused_and_a_ca_file_fixes_it(
    fake_openai_factory: Factory, gateway: NetworkGateway, self_signed: tuple[str, str]
) -> None:
    server = fake_openai_factory(tls=self_signed)
    assert server.base_url.startswith("https://")
    _events, error = run_until_error(RemoteEngine(endpoint_for(server), gateway))
    assert error.kind == "tls"
    assert "CA file" in str(error)
    assert server.chat_requests == []

    trusted = RemoteEngine(endpoint_for(server, ca_file=self_signed[0]), gateway)
    events, finished = run(trusted)
    assert finished.reason == "finished"
    assert text_of(events, AnswerDelta) == "The answer is **4**."


def test_a_missing_ca_file_is_a_sentence(fake_openai: FakeOpenAI, gateway: NetworkGateway) -> None:
    engine = RemoteEngine(endpoint_for(fake_openai, ca_file="/nonexistent/ca.pem"), gateway)
    _events, error = run_until_error(engine)
    assert error.kind == "tls"
    assert "could not be read" in str(error)


# --- Stop and Answer now --------------------------------------------------------------------


def test_stop_while_the_server_stalls_returns_at_once_and_keeps_the_partial_answer(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(stall_after=1)
    engine = RemoteEngine(endpoint_for(server, read_timeout=60), gateway)
    control = TurnControl()
    answer_seen = threading.Event()
    stopped_at: list[float] = []

    def press_stop() -> None:
        assert answer_seen.wait(60) and server.stalled.wait(60)
        stopped_at.append(time.monotonic())
        control.cancel()

    presser = threading.Thread(target=press_stop)
    presser.start()
    events: list[TurnEvent] = []
    for event in engine.stream_turn(ask(), control):
        events.append(event)
        if isinstance(event, AnswerDelta):
            answer_seen.set()
    returned = time.monotonic()
    presser.join(60)
    finished = events.pop()
    assert isinstance(finished, TurnFinished)
    assert finished.reason == "stopped"
    assert text_of(events, AnswerDelta) == "The answer"
    # Hang protection only (a stop that did not work would wait out the 60 s read timeout);
    # the engine polls every 20 ms, and the spec's 200 ms is measured by bench.
    assert returned - stopped_at[0] < 30.0
    # The next turn works: the engine is not left busy.
    server.script.stall_after = None
    _events, finished = run(engine)
    assert finished.reason == "finished"


def test_stop_before_the_server_answers_returns_at_once(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(stall_before_headers=True)
    engine = RemoteEngine(endpoint_for(server, read_timeout=60), gateway)
    control = TurnControl()

    def press_stop() -> None:
        assert server.stalled.wait(60)
        control.cancel()

    presser = threading.Thread(target=press_stop)
    presser.start()
    started = time.monotonic()
    events, finished = run(engine, control=control)
    presser.join(60)
    assert finished.reason == "stopped"
    assert events == []
    assert time.monotonic() - started < 30  # a hang ceiling, below the 60 s read timeout


def test_answer_now_closes_the_reasoning_and_asks_for_the_answer(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(stall_after_reasoning=2, stall_times=1)
    engine = RemoteEngine(endpoint_for(server, server_kind="vllm", read_timeout=60), gateway)
    control = TurnControl()
    two_thoughts = threading.Event()

    def press_answer_now() -> None:
        assert two_thoughts.wait(60) and server.stalled.wait(60)
        control.request_answer_now()

    presser = threading.Thread(target=press_answer_now)
    presser.start()
    events: list[TurnEvent] = []
    for event in engine.stream_turn(ask(), control):
        events.append(event)
        if sum(isinstance(e, ReasoningDelta) for e in events) == 2:
            two_thoughts.set()
    presser.join(60)
    finished = events.pop()
    assert isinstance(finished, TurnFinished)
    assert finished.reason == "finished"
    assert [e for e in events if isinstance(e, ReasoningClosed)] == [ReasoningClosed("answer_now")]
    assert text_of(events, ReasoningDelta) == "Let me think. Two plus two"
    # The second request answered; its reasoning (a server that thinks again) is not shown.
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    _first, second = server.chat_requests
    assert second.body is not None
    prefill = second.body["messages"][-1]
    assert prefill["role"] == "assistant"
    assert prefill["content"].startswith("<think>\nLet me think. Two plus two\n</think>")
    assert second.body["continue_final_message"] is True


def test_the_thinking_budget_closes_the_reasoning(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    # The first answer stalls mid-reasoning, so only the budget can end the reasoning.
    server = fake_openai_factory(stall_after_reasoning=2, stall_times=1)
    engine = RemoteEngine(endpoint_for(server, read_timeout=60), gateway)
    events, finished = run(engine, ask(thinking_budget=1))
    assert [e for e in events if isinstance(e, ReasoningClosed)] == [ReasoningClosed("budget")]
    assert text_of(events, AnswerDelta) == "The answer is **4**."
    assert finished.reason == "finished"


# --- privacy --------------------------------------------------------------------------------


def test_offline_mode_blocks_other_machines_but_not_this_one(
    fake_openai: FakeOpenAI, gateway: NetworkGateway
) -> None:
    gateway.set_offline(True)
    far = RemoteEngine(RemoteEndpoint("Lab GPU", "http://192.0.2.7:8000/v1", "fake-r1"), gateway)
    _events, error = run_until_error(far)
    assert error.kind == "offline"
    assert "Hearth is offline, and Lab GPU (192.0.2.7:8000) is on another machine" in str(error)
    assert gateway.log_entries()[-1].result == "refused: offline"

    near = RemoteEngine(endpoint_for(fake_openai), gateway)
    _events, finished = run(near)
    assert finished.reason == "finished"


def test_every_request_is_in_the_network_log_without_prompt_or_key(
    fake_openai_factory: Factory,
    gateway: NetworkGateway,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "sk-never-log-this-9f8e7d"
    server = fake_openai_factory(api_key=secret)
    engine = RemoteEngine(endpoint_for(server, api_key=secret), gateway)
    events, _finished = run(engine)

    entries = gateway.log_entries()
    assert [(e.method, e.host, e.path, e.result) for e in entries] == [
        ("POST", f"127.0.0.1:{server.port}", "/v1/chat/completions", "ok")
    ]
    assert entries[0].bytes_out > len(QUESTION) and entries[0].bytes_in > 0
    log_file = (tmp_path / "network-log.jsonl").read_text(encoding="utf-8")
    for text in (secret, QUESTION, "The answer"):
        assert text not in log_file
        assert text not in caplog.text
    assert secret not in repr(engine.endpoint)
    assert secret not in json.dumps(engine.engine_info.details)
    assert secret not in repr(engine.engine_info)
    assert text_of(events, AnswerDelta)


def test_close_stops_a_running_turn(fake_openai_factory: Factory, gateway: NetworkGateway) -> None:
    server = fake_openai_factory(stall_after=1)
    engine = RemoteEngine(endpoint_for(server, read_timeout=60), gateway)
    closer = threading.Thread(target=lambda: (server.stalled.wait(60), engine.close()))
    closer.start()
    _events, finished = run(engine)
    closer.join(60)
    assert finished.reason == "stopped"
    with pytest.raises(RemoteEngineError):
        next(iter(engine.stream_turn(ask(), TurnControl())))


def test_through_the_host_a_dropped_answer_ends_interrupted_with_its_text(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    from app.core.engines.registry import remote_engine_factory
    from app.core.host import EngineHost, JobFailed, ModelLoaded

    server = fake_openai_factory(drop_after=2, drop_hard=True)
    host = EngineHost()
    try:
        load = host.load(remote_engine_factory(gateway, endpoint_for(server)))
        assert load.wait(60) and isinstance(load.result, ModelLoaded)
        seen: list[object] = []
        job = host.submit_turn(ask(), lambda _id, event: seen.append(event))
        assert job.wait(60)
        result = job.result
        assert isinstance(result, JobFailed)
        assert result.state == "interrupted"
        assert "kept" in str(result.error)
        assert result.stats is not None and result.stats.generated_tokens > 0
        assert "".join(e.text for e in seen if isinstance(e, AnswerDelta)).startswith("The answer")
    finally:
        assert host.close(5)


def test_continue_sends_the_partial_answer_to_be_extended(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(style="none")
    request = TurnRequest(
        messages=(
            ChatMessage("user", "Count to five."),
            ChatMessage("assistant", "One, two,", reasoning="Easy."),
        ),
        continue_last=True,
    )
    events, finished = run(RemoteEngine(endpoint_for(server, server_kind="vllm"), gateway), request)
    assert finished.reason == "finished"
    assert text_of(events, ReasoningDelta) == ""
    body = server.chat_requests[-1].body
    assert body is not None
    assert body["messages"][-1] == {
        "role": "assistant",
        "content": "<think>\nEasy.\n</think>\n\nOne, two,",
    }
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
