"""A crafted chat JSON cannot poison the store (issue 17.4).

One poisoned file per class (times, Unicode, NUL, sizes and counts, ids, types, JSON that
breaks the parser, files that are not files). Each is refused with the field named, nothing
is written, and the chats already there still list, search and export.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.export import export_text
from app.core.store import ChatImportError, ChatStore, import_data, import_file
from app.core.store import exchange as exchange_module

Doc = dict[str, Any]


def _valid() -> Doc:
    return {
        "version": 1,
        "app": "Hearth",
        "conversations": [
            {
                "id": "imported",
                "title": "Imported chat",
                "created": "2024-05-01T10:00:00+00:00",
                "updated": "2024-05-01T10:05:00+00:00",
                "pinned": False,
                "settings": {"system_prompt": "short"},
                "active_leaf": "a",
                "messages": [
                    {
                        "id": "q",
                        "parent": None,
                        "role": "user",
                        "content": "question",
                        "created": "2024-05-01T10:00:00+00:00",
                    },
                    {
                        "id": "a",
                        "parent": "q",
                        "role": "assistant",
                        "content": "answer",
                        "reasoning": "thinking",
                        "state": "finished",
                        "created": 1714557660.0,
                        "provenance": {"finish_reason": "finished", "stats": {"tokens": 3}},
                    },
                ],
            }
        ],
    }


def _conversation(doc: Doc) -> dict[str, Any]:
    conversation: dict[str, Any] = doc["conversations"][0]
    return conversation


def _message(doc: Doc, index: int = 1) -> dict[str, Any]:
    message: dict[str, Any] = _conversation(doc)["messages"][index]
    return message


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting ``conversation.<path>`` or ``message.<path>`` to ``value``."""
    where, _, key = path.partition(".")

    def mutate(doc: Doc) -> None:
        target = _conversation(doc) if where == "conversation" else _message(doc)
        target[key] = value

    return mutate


POISONS: dict[str, tuple[Callable[[Doc], None], str]] = {
    # Times the app cannot show or export.
    "time 1e300": (_set("message.created", 1e300), "conversations[0].messages[1].created"),
    "time negative": (_set("conversation.created", -1.0), "conversations[0].created"),
    "time NaN": (_set("message.updated", float("nan")), "conversations[0].messages[1].updated"),
    "time infinite": (_set("conversation.updated", float("inf")), "conversations[0].updated"),
    "time year 10000": (_set("message.created", 253_402_400_000), "messages[1].created"),
    "time not a date": (_set("message.created", "2024-13-45"), "messages[1].created"),
    "time a bool": (_set("conversation.created", True), "conversations[0].created"),
    # Unicode that cannot be stored or written out.
    "surrogate in title": (_set("conversation.title", "bad \ud800"), "conversations[0].title"),
    "surrogate in content": (_set("message.content", "\udfff"), "messages[1].content"),
    "surrogate in settings key": (
        _set("conversation.settings", {"\ud83d": 1}),
        "conversations[0].settings",
    ),
    "surrogate in provenance": (
        _set("message.provenance", {"model": {"name": "x\udc00"}}),
        "messages[1].provenance",
    ),
    # NUL characters.
    "NUL in content": (_set("message.content", "a\x00b"), "messages[1].content"),
    "NUL in reasoning": (_set("message.reasoning", "\x00"), "messages[1].reasoning"),
    "NUL in title": (_set("conversation.title", "t\x00"), "conversations[0].title"),
    "NUL in settings": (_set("conversation.settings", {"k": "v\x00"}), "settings"),
    # Sizes.
    "title too long": (_set("conversation.title", "x" * 501), "conversations[0].title"),
    "settings too large": (
        _set("conversation.settings", {"k": "x" * 300_000}),
        "conversations[0].settings",
    ),
    "provenance too deep": (
        _set("message.provenance", json.loads('{"a":' * 30 + "1" + "}" * 30)),
        "messages[1].provenance",
    ),
    # Ids.
    "id empty": (_set("conversation.id", ""), "conversations[0].id"),
    "id with a path": (_set("conversation.id", "../../etc"), "conversations[0].id"),
    "id with spaces": (_set("message.id", "a b"), "messages[1].id"),
    "id too long": (_set("message.id", "a" * 129), "messages[1].id"),
    "id a number": (_set("message.parent", 7), "messages[1].parent"),
    "leaf not an id": (_set("conversation.active_leaf", {"x": 1}), "active_leaf"),
    "ids repeated": (_set("message.id", "q"), "messages[1].id"),
    # Types and values outside the schema.
    "title a number": (_set("conversation.title", 5), "conversations[0].title"),
    "pinned a string": (_set("conversation.pinned", "yes"), "conversations[0].pinned"),
    "settings a list": (_set("conversation.settings", [1]), "conversations[0].settings"),
    "messages an object": (_set("conversation.messages", {}), "conversations[0].messages"),
    "role unknown": (_set("message.role", "wizard"), "messages[1].role"),
    "state unknown": (_set("message.state", "done"), "messages[1].state"),
    "state a number": (_set("message.state", 3), "messages[1].state"),
    "content a list": (_set("message.content", ["a"]), "messages[1].content"),
    "message not an object": (
        lambda doc: _conversation(doc)["messages"].append("text"),
        "conversations[0].messages[2]",
    ),
    "conversation not an object": (
        lambda doc: doc["conversations"].append(42),
        "conversations[1]",
    ),
}


@pytest.fixture
def store_with_a_chat(store: ChatStore) -> ChatStore:
    conversation = store.create_conversation("Existing chat")
    question = store.add_message(conversation.id, None, "user", "unrelated platypus question")
    store.add_message(conversation.id, question.id, "assistant", "platypus answer")
    return store


def _assert_intact(store: ChatStore) -> None:
    """The store holds only the existing chat, and listing, search and export all work."""
    [summary] = store.list_conversations()
    assert summary.title == "Existing chat" and summary.message_count == 2
    assert len(store.search("platypus")) == 2
    for fmt in ("md", "html", "json"):
        assert "platypus" in export_text(store, None, fmt)  # type: ignore[arg-type]
    assert not store.conversation_exists("imported")


@pytest.mark.parametrize("name", sorted(POISONS))
def test_a_poisoned_file_is_refused_with_the_field_named(
    store_with_a_chat: ChatStore, tmp_path: Path, name: str
) -> None:
    mutate, field = POISONS[name]
    doc = _valid()
    mutate(doc)
    with pytest.raises(ChatImportError) as raised:
        import_data(store_with_a_chat, doc)
    message = str(raised.value)
    assert field in message and "Nothing was imported" in message, message
    # The same as a file: json.dumps writes NaN and Infinity (refused by the parser, as they
    # are not JSON) and escapes lone surrogates and NUL (refused with the field named).
    path = tmp_path / "poisoned.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ChatImportError) as raised:
        import_file(store_with_a_chat, path)
    assert field in str(raised.value) or "not valid JSON" in str(raised.value)
    _assert_intact(store_with_a_chat)


def test_the_valid_file_the_poisons_start_from_imports(store: ChatStore, tmp_path: Path) -> None:
    # Guards the test above: each poisoned file differs from this one in one field only.
    path = tmp_path / "valid.json"
    path.write_text(json.dumps(_valid()), encoding="utf-8")
    result = import_file(store, path)
    assert (result.imported_conversations, result.imported_messages) == (1, 2)
    assert result.conversation_ids == ("imported",)
    assert [m.content for m in store.active_path("imported")] == ["question", "answer"]


def test_one_bad_conversation_refuses_the_whole_file(store_with_a_chat: ChatStore) -> None:
    doc = _valid()
    bad = copy.deepcopy(_conversation(doc))
    bad["id"] = "second"
    bad["messages"][0]["created"] = 1e300
    doc["conversations"].append(bad)
    with pytest.raises(ChatImportError, match=r"conversations\[1\]\.messages\[0\]\.created"):
        import_data(store_with_a_chat, doc)
    _assert_intact(store_with_a_chat)


def test_too_many_messages_or_conversations_are_refused(
    store_with_a_chat: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_module, "MAX_MESSAGES_PER_CONVERSATION", 1)
    with pytest.raises(ChatImportError, match=r"conversations\[0\]\.messages.*more than 1"):
        import_data(store_with_a_chat, _valid())
    monkeypatch.setattr(exchange_module, "MAX_CONVERSATIONS", 0)
    with pytest.raises(ChatImportError, match="“conversations” has more than 0"):
        import_data(store_with_a_chat, _valid())
    _assert_intact(store_with_a_chat)


def test_a_message_over_the_text_limit_is_refused(
    store_with_a_chat: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_module, "MAX_TEXT_CHARS", 5)
    with pytest.raises(ChatImportError, match=r"messages\[0\]\.content.* longer than 5"):
        import_data(store_with_a_chat, _valid())
    _assert_intact(store_with_a_chat)


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ('{"version": 1, "conversations": [NaN]}', "not valid JSON"),
        ('{"version": 1, "conversations": [], "x": Infinity}', "not valid JSON"),
        ('{"version": 1, "conversations": [' + "1" * 10_000 + "]}", "not valid JSON"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        (b"\xff\xfe not utf-8", "not a text file"),
    ],
    ids=["nan", "infinity", "huge-integer", "deep-nesting", "not-utf8"],
)
def test_json_that_breaks_the_parser_is_refused(
    store_with_a_chat: ChatStore, tmp_path: Path, payload: str | bytes, needle: str
) -> None:
    path = tmp_path / "bad.json"
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        path.write_text(payload, encoding="utf-8")
    with pytest.raises(ChatImportError, match=needle):
        import_file(store_with_a_chat, path)
    _assert_intact(store_with_a_chat)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    store_with_a_chat: ChatStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_valid()), encoding="utf-8")
    monkeypatch.setattr(exchange_module, "MAX_IMPORT_BYTES", 100)

    def never(*_args: object, **_kwargs: object) -> Any:
        raise AssertionError("a file over the limit must not be parsed")

    monkeypatch.setattr(exchange_module.json, "loads", never)
    with pytest.raises(ChatImportError, match="too large"):
        import_file(store_with_a_chat, path)
    monkeypatch.undo()
    _assert_intact(store_with_a_chat)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(
    store_with_a_chat: ChatStore, tmp_path: Path
) -> None:
    fifo = tmp_path / "chats.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            import_file(store_with_a_chat, fifo)
        except BaseException as exc:
            outcome.append(exc)
        done.set()

    # The store belongs to this thread; the import only reaches it after the file checks,
    # which refuse the FIFO first. A hang here would leave `done` unset.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert done.wait(10), "importing a FIFO blocked"
    assert isinstance(outcome[0], ChatImportError) and "not a regular file" in str(outcome[0])
    _assert_intact(store_with_a_chat)


def test_a_directory_is_refused(store_with_a_chat: ChatStore, tmp_path: Path) -> None:
    with pytest.raises(ChatImportError):
        import_file(store_with_a_chat, tmp_path)


def test_the_store_refuses_poison_even_without_the_import_checks(
    store_with_a_chat: ChatStore,
) -> None:
    # The write layer is the last line: a caller that builds conversations itself (recovery,
    # a future importer) cannot store what the app cannot show either.
    from app.core.errors import StoreError
    from app.core.store import ImportedConversation, StoredMessage

    def conversation(**changes: Any) -> ImportedConversation:
        message = StoredMessage(
            id=changes.pop("message_id", "m"),
            conversation_id="x",
            parent_id=changes.pop("parent", None),
            role="user",
            content="hi",
            reasoning="",
            state="finished",
            created=changes.pop("message_created", 1.0),
            updated=1.0,
        )
        values: dict[str, Any] = {
            "id": "x",
            "title": "t",
            "created": 1.0,
            "updated": 1.0,
            "pinned": False,
            "settings": {},
            "messages": [message],
        }
        values.update(changes)
        return ImportedConversation(**values)

    for bad in (
        conversation(created=1e300),
        conversation(updated=float("nan")),
        conversation(message_created=-1.0),
        conversation(id="a\x00b"),
        conversation(message_id=""),
        conversation(parent="elsewhere"),
        conversation(parent="m"),  # answers itself: a cycle
    ):
        with pytest.raises(StoreError):
            store_with_a_chat.insert_conversation(bad)
    _assert_intact(store_with_a_chat)


def test_a_large_valid_file_imports_in_bounded_time(store: ChatStore, tmp_path: Path) -> None:
    doc = _valid()
    messages = _conversation(doc)["messages"]
    parent = "a"
    for index in range(2000):
        message_id = f"m{index}"
        messages.append({"id": message_id, "parent": parent, "role": "user", "content": "x" * 500})
        parent = message_id
    path = tmp_path / "large.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    started = time.monotonic()
    result = import_file(store, path)
    assert result.imported_messages == 2002
    # Hang protection only; this takes well under a second.
    assert time.monotonic() - started < 30
