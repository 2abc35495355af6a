"""API chats are saved to the chat list only when asked (api_save_chats / --save-chats)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from app.core.host import EngineHost
from app.core.paths import AppPaths
from app.core.store import ChatOps, ChatStore
from app.server.routes import ServerOptions
from app.server.runner import ApiServer
from app.server.saving import ChatSaver
from tests.server.conftest import MODEL_ID, TOKEN, Live, ScriptedEngine


@pytest.fixture
def store(isolated_app_dirs: AppPaths) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(isolated_app_dirs.database)
    yield chat_store
    chat_store.close()


@pytest.fixture
def saving_live(store: ChatStore) -> Iterator[Live]:
    engine = ScriptedEngine()
    host = EngineHost(engine)
    saver = ChatSaver(host, ChatOps(store))
    server = ApiServer(host, ServerOptions(port=0, token=TOKEN), submit=saver.submit)
    server.start()
    yield Live(server, host, engine, [])
    assert server.stop(5.0)
    assert host.close(5.0)


def client(live: Live) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=TOKEN, max_retries=0)


MESSAGES: list[Any] = [
    {"role": "user", "content": "First question"},
    {"role": "assistant", "content": "First answer"},
    {"role": "user", "content": "What is 2+2?"},
]


def test_a_saved_api_chat_is_in_the_chat_list(saving_live: Live, store: ChatStore) -> None:
    result = client(saving_live).chat.completions.create(model=MODEL_ID, messages=MESSAGES)
    (conversation,) = store.list_conversations()
    path = store.active_path(conversation.id)
    assert [(m.role, m.content) for m in path] == [
        ("user", "First question"),
        ("assistant", "First answer"),
        ("user", "What is 2+2?"),
        ("assistant", result.choices[0].message.content),
    ]
    answer = path[-1]
    assert answer.state == "finished"
    assert answer.reasoning == (result.choices[0].message.model_extra or {})["reasoning_content"]
    # The engine got the client's request, not one rebuilt from the store.
    engine = saving_live.engine
    assert [m.content for m in engine.requests[-1].messages] == [m["content"] for m in MESSAGES]


def test_a_streamed_saved_chat_that_is_cut_off_keeps_its_end_state(
    saving_live: Live, store: ChatStore
) -> None:
    stream = client(saving_live).chat.completions.create(
        model=MODEL_ID, messages=MESSAGES[-1:], stream=True, max_tokens=4
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    (conversation,) = store.list_conversations()
    answer = store.active_path(conversation.id)[-1]
    assert answer.content == text and answer.state == "length"


def test_api_chats_are_not_saved_by_default(
    start_server: Callable[..., Live], store: ChatStore
) -> None:
    live = start_server(ScriptedEngine())
    client(live).chat.completions.create(model=MODEL_ID, messages=MESSAGES)
    assert store.list_conversations() == []


def test_serve_opens_the_store_only_when_saving(isolated_app_dirs: AppPaths) -> None:
    host = EngineHost(ScriptedEngine())
    try:
        saver = ChatSaver.open(host, isolated_app_dirs.database)
        saver.close()
    finally:
        assert host.close(5.0)
