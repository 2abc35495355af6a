"""A chat answered by a remote engine through the real host, session and store: it can
switch between the local model and a remote engine mid-conversation and keep its history."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.chat import SamplingParams
from app.core.engines.registry import remote_engine_factory
from app.core.engines.remote import RemoteEndpoint
from app.core.host import EngineHost, ModelLoaded
from app.core.network import NetworkGateway
from app.core.session import ChatSession, SessionEvent, TurnEnded, TurnOptions
from app.core.store import ChatStore
from tests.support.fake_openai import FakeOpenAI
from tests.support.models import TINY_N_CTX, TINY_THREADS

Factory = Callable[..., FakeOpenAI]
WAIT_S = 30.0
SECRET = "sk-session-secret-42"


class Ends:
    def __init__(self) -> None:
        self.ended: list[TurnEnded] = []
        self._changed = threading.Condition()

    def __call__(self, event: SessionEvent) -> None:
        if isinstance(event, TurnEnded):
            with self._changed:
                self.ended.append(event)
                self._changed.notify_all()

    def wait(self, count: int) -> TurnEnded:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.ended) >= count, WAIT_S)
            return self.ended[count - 1]


@pytest.fixture
def host() -> Iterator[EngineHost]:
    host = EngineHost()
    yield host
    assert host.close(10)


def load(host: EngineHost, job_factory: Callable[[], object]) -> None:
    job = job_factory()
    assert job.wait(WAIT_S) and isinstance(job.result, ModelLoaded), job.result  # type: ignore[attr-defined]


def session_for(store: ChatStore, host: EngineHost, ends: Ends) -> ChatSession:
    options = TurnOptions(params=SamplingParams(seed=3, max_tokens=12), system_prompt="")
    return ChatSession(store, host, options=lambda _id: options, listener=ends)


def test_a_chat_moves_between_local_and_remote_and_keeps_its_history(
    fake_openai_factory: Factory,
    store: ChatStore,
    host: EngineHost,
    gateway: NetworkGateway,
    tiny_model_f32: Path,
) -> None:
    server = fake_openai_factory(api_key=SECRET)
    endpoint = RemoteEndpoint("GPU box", server.base_url, "fake-r1", api_key=SECRET)
    ends = Ends()
    session = session_for(store, host, ends)

    load(host, lambda: host.load(remote_engine_factory(gateway, endpoint)))
    session.ask("First question, for the big machine")
    first = ends.wait(1)
    assert first.state == "finished"
    assert first.message is not None
    assert first.message.content == "The answer is **4**."
    assert first.message.reasoning == "Let me think. Two plus two is four."
    provenance = first.message.provenance or {}
    assert provenance["engine"]["kind"] == "remote"
    assert provenance["engine"]["location"] == f"127.0.0.1:{server.port}"
    assert provenance["engine"]["model_id"] == "fake-r1"
    assert "GPU box" in provenance["engine"]["name"]
    assert SECRET not in json.dumps(provenance)

    load(host, lambda: host.load_local(tiny_model_f32, n_ctx=TINY_N_CTX, n_threads=TINY_THREADS))
    session.ask("Second question, for this computer")
    second = ends.wait(2)
    assert second.state in ("finished", "length")
    assert second.message is not None
    assert second.message.provenance["engine"]["kind"] == "local"  # type: ignore[index]

    load(host, lambda: host.load(remote_engine_factory(gateway, endpoint)))
    session.ask("Third question, back to the big machine")
    third = ends.wait(3)
    assert third.state == "finished"
    sent = server.chat_requests[-1].body
    assert sent is not None
    contents = [m["content"] for m in sent["messages"]]
    assert contents[0] == "First question, for the big machine"
    assert contents[1] == "The answer is **4**."
    assert contents[2] == "Second question, for this computer"
    assert contents[3] == second.message.content
    assert contents[4] == "Third question, back to the big machine"
    path = store.active_path(session.conversation_id)
    assert [m.role for m in path] == ["user", "assistant"] * 3


def test_a_dropped_answer_is_saved_as_interrupted_with_what_arrived(
    fake_openai_factory: Factory, store: ChatStore, host: EngineHost, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(drop_after=2, drop_hard=True)
    ends = Ends()
    session = session_for(store, host, ends)
    load(
        host,
        lambda: host.load(
            remote_engine_factory(gateway, RemoteEndpoint("GPU box", server.base_url, "fake-r1"))
        ),
    )
    session.ask("Will this arrive?")
    ended = ends.wait(1)
    assert ended.state == "interrupted"
    stored = store.get_message(ended.message_id)
    assert stored.state == "interrupted"
    assert stored.content.startswith("The answer")
    assert stored.reasoning == "Let me think. Two plus two is four."
