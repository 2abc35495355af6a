"""Ratings: thumbs up/down and a note on an answer, stored with it, searchable, migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.core.errors import StoreError
from app.core.store import ChatOps, ChatStore, NotFoundError, StoreChange, migrate
from tests.core.store.support import turn


def test_rate_change_and_clear(store: ChatStore) -> None:
    conversation = store.create_conversation("t")
    answer = turn(store, conversation.id, None, "2+2?", "4")
    assert store.rating(answer) is None
    store.set_rating(answer, "good", "  clean reasoning ")
    rating = store.rating(answer)
    assert rating is not None and (rating.value, rating.note) == ("good", "clean reasoning")
    store.set_rating(answer, "bad")
    rating = store.rating(answer)
    assert rating is not None and (rating.value, rating.note) == ("bad", "")
    store.set_rating(answer, None)
    assert store.rating(answer) is None


def test_only_answers_that_exist_are_rated(store: ChatStore) -> None:
    conversation = store.create_conversation("t")
    answer = turn(store, conversation.id, None, "q", "a")
    question = store.get_message(answer).parent_id
    assert question is not None
    with pytest.raises(ValueError):
        store.set_rating(question, "good")
    with pytest.raises(ValueError):
        store.set_rating(answer, "meh")
    with pytest.raises(NotFoundError):
        store.set_rating("no-such-id", "good")
    with pytest.raises(StoreError):
        store.set_rating(answer, "good", "x" * 5000)


def test_rating_goes_with_its_message(store: ChatStore) -> None:
    conversation = store.create_conversation("t")
    answer = turn(store, conversation.id, None, "q", "a")
    store.set_rating(answer, "good")
    store.delete_message(answer)
    assert store.connection.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0
    other = store.create_conversation("u")
    answer = turn(store, other.id, None, "q", "a")
    store.set_rating(answer, "bad")
    store.delete_conversation(other.id)
    store.purge_deleted()
    assert store.connection.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_notes_are_searchable(store: ChatStore) -> None:
    conversation = store.create_conversation("math")
    answer = turn(store, conversation.id, None, "what is 6*7", "42")
    store.set_rating(answer, "good", "完美的推理 perfect")
    hits = store.search("perfect")
    assert [hit.message_id for hit in hits] == [answer]
    assert hits[0].marked() == "完美的推理 «perfect»"
    assert [hit.message_id for hit in store.search("完美")] == [answer]
    assert store.search("nothing-like-this") == []


def test_ops_rating_tells_listeners(store: ChatStore) -> None:
    ops = ChatOps(store)
    conversation = store.create_conversation("t")
    answer = turn(store, conversation.id, None, "q", "a")
    heard: list[StoreChange] = []
    ops.add_listener(heard.append)
    ops.set_rating(answer, "good", "nice")
    assert heard == [StoreChange("messages", (conversation.id,))]
    assert store.ratings([answer, "other"])[answer].note == "nice"


def test_v3_data_survives_the_rating_migration(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, target=3)
    conn.execute(
        "INSERT INTO conversations (id, title, created, updated) VALUES ('c1', 'old', 1, 1)"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, state, created, "
        "updated) VALUES ('m1', 'c1', NULL, 'assistant', 'kept', 'finished', 1, 1)"
    )
    conn.close()
    with ChatStore.open(db) as store:
        assert store.get_message("m1").content == "kept"
        store.set_rating("m1", "good", "survived")
        assert store.rating("m1") is not None
