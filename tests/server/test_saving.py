"""API chats are saved to the chat list only when asked (api_save_chats / --save-chats)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import openai
import pytest

from app.core.host import EngineHost
from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.store import ChatOps, ChatStore
from app.server.auth import load_or_create_token
from app.server.routes import ServerOptions
from app.server.runner import ApiServer
from app.server.saving import ChatSaver
from app.server.switch import LocalApi
from tests.server.conftest import MODEL_ID, TOKEN, Live, ScriptedEngine
from tests.server.test_switch import free_port


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


def test_api_chats_are_not_saved_by_default(isolated_app_dirs: AppPaths, store: ChatStore) -> None:
    # Through the window's switch, wired as the app wires it (with the chat store), and the
    # default settings with only the API turned on. (A bare ApiServer has no saver at all,
    # so an empty chat list there would prove nothing.) Turning saving on must then save:
    # the same harness can see a saved chat.
    host = EngineHost(ScriptedEngine())
    api = LocalApi(host, isolated_app_dirs.config, store=store)
    on = replace(Settings(), api_enabled=True, api_port=free_port())
    try:
        for save_chats, saved in ((on.api_save_chats, 0), (True, 1)):
            address = api.apply(replace(on, api_save_chats=save_chats))
            token = load_or_create_token(isolated_app_dirs.config)
            sdk = openai.OpenAI(base_url=f"{address}/v1", api_key=token, max_retries=0)
            sdk.chat.completions.create(model=MODEL_ID, messages=MESSAGES)
            assert len(store.list_conversations()) == saved, f"api_save_chats={save_chats}"
    finally:
        assert api.stop()
        assert host.close(30.0)


def test_serve_opens_the_store_only_when_saving(isolated_app_dirs: AppPaths) -> None:
    host = EngineHost(ScriptedEngine())
    try:
        saver = ChatSaver.open(host, isolated_app_dirs.database)
        saver.close()
    finally:
        assert host.close(5.0)
