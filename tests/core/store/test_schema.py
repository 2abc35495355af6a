"""The chat store's files and schema: private files, WAL, every migration."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from app.core.export import export_text
from app.core.store import (
    MAX_TIMESTAMP,
    SCHEMA_VERSION,
    ChatStore,
    migrate,
)
from tests.core.store.support import schema_of

# --- Files, schema, migrations ---------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_data_dir_and_database_files_are_private(store: ChatStore, db_path: Path) -> None:
    conversation = store.create_conversation("private")
    store.add_message(conversation.id, None, "user", "hello")
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    files = [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))]
    present = [f for f in files if f.exists()]
    assert db_path.with_name(db_path.name + "-wal") in present
    for path in present:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_fresh_store_uses_wal_foreign_keys_and_current_version(store: ChatStore) -> None:
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("start_version", range(SCHEMA_VERSION))
def test_migrating_from_every_earlier_version_gives_the_fresh_schema(
    tmp_path: Path, start_version: int
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    ChatStore.open(fresh).close()
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, target=start_version)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == start_version
    conn.close()
    ChatStore.open(old).close()
    assert schema_of(old) == schema_of(fresh)


def test_v1_data_survives_migration_and_becomes_searchable(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=1)
    now = time.time()
    conn.execute(
        "INSERT INTO conversations (id, title, created, updated) VALUES ('c1', '旧对话', ?, ?)",
        (now, now),
    )
    rows = [
        ("m1", None, "user", "鸡兔同笼怎么解", "", "complete", now),
        ("m2", "m1", "assistant", "设鸡有x只", "先列方程", "complete", now + 1),
        ("m3", "m1", "assistant", "half an answ", "", "streaming", now + 2),
    ]
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
        "state, created, updated) VALUES (?, 'c1', ?, ?, ?, ?, ?, ?, ?)",
        [(*r, r[-1]) for r in rows],
    )
    conn.close()

    with ChatStore.open() as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # v1 had no writer columns: an answer left streaming has no living writer.
        assert store.report.interrupted_marked == 1
        assert store.get_message("m3").state == "interrupted"
        [summary] = store.list_conversations()
        assert (summary.title, summary.message_count) == ("旧对话", 3)
        assert [m.id for m in store.active_path("c1")] == ["m1", "m3"]
        assert store.siblings("m2").count == 2
        assert {h.message_id for h in store.search("兔同笼")} == {"m1"}
        assert [h.message_id for h in store.search("列方程")] == ["m2"]
        assert [h.message_id for h in store.search("half an")] == ["m3"]
        assert [h.conversation_id for h in store.search("旧对话")] == ["c1"]


def _v2_database(path: Path) -> None:
    """A version-2 store with every old state, odd times and NULs, as v2 could hold them."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO conversations (id, title, created, updated) VALUES ('c1', ?, 1e300, -5)",
        ("title\x00after nul",),
    )
    conn.execute(
        "INSERT INTO conversations (id, title, created, updated) VALUES ('c2', 'fine', ?, ?)",
        (1_700_000_000.0, 1_700_000_001.0),
    )
    old_rows = [
        # id, parent, role, content, state, finish_reason
        ("q", None, "user", "question", "complete", None),
        ("stop", "q", "assistant", "eos answer", "complete", "stop"),
        ("length", "q", "assistant", "long answer", "complete", "length"),
        ("full", "q", "assistant", "full context", "complete", "context_full"),
        ("cancel", "q", "assistant", "stopped answer", "interrupted", "cancelled"),
        ("crash", "q", "assistant", "cut off", "interrupted", None),
        ("boom", "q", "assistant", "", "error", "error"),
        ("nul", "q", "assistant", "before\x00zebra after", "complete", "stop"),
        ("badjson", "q", "assistant", "odd provenance", "complete", None),
    ]
    for seq, (mid, parent, role, content, state, reason) in enumerate(old_rows):
        provenance = "{}" if reason is None else json.dumps({"finish_reason": reason})
        if mid == "badjson":
            provenance = "{not json"
        created = 1e300 if mid == "stop" else 1_700_000_000.0 + seq
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, state, created, "
            "updated, provenance_json) VALUES (?, 'c1', ?, ?, ?, ?, ?, ?, ?)",
            (mid, parent, role, content, state, created, created, provenance),
        )
    conn.close()


def test_v2_states_become_end_states_and_poison_is_cleaned(db_path: Path) -> None:
    _v2_database(db_path)
    with ChatStore.open() as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        states = {m.id: m.state for m in store.messages("c1")}
        assert states == {
            "q": "finished",
            "stop": "finished",
            "length": "length",
            "full": "length",
            "cancel": "stopped",
            "crash": "interrupted",
            "boom": "failed",
            "nul": "finished",
            "badjson": "finished",
        }
        # Times the app cannot show were pulled into range; the order of the rest is kept.
        assert store.get_message("stop").created == MAX_TIMESTAMP
        summary = store.get_conversation("c1")
        assert (summary.created, summary.updated) == (MAX_TIMESTAMP, 0.0)
        assert summary.title == "title\ufffdafter nul"
        assert summary.message_count == 9
        # Text after a NUL could never be found; now it is, and the index stayed in step.
        assert store.get_message("nul").content == "before\ufffdzebra after"
        assert [h.message_id for h in store.search("zebra")] == ["nul"]
        assert [h.message_id for h in store.search("stopped answer")] == ["cancel"]
        assert [h.conversation_id for h in store.search("after nul")] == ["c1"]
        # Everything can be listed and exported again.
        text = export_text(store, None, "html")
        assert "eos answer" in text  # the newest answer is on the branch shown
        exported = json.loads(export_text(store, None, "json"))["conversations"]
        assert {c["id"] for c in exported} == {"c1", "c2"}
        # The new table refuses what the store must never hold.
        with pytest.raises(sqlite3.IntegrityError):
            store.connection.execute("UPDATE messages SET state = 'complete' WHERE id = 'q'")
        with pytest.raises(sqlite3.IntegrityError):
            store.connection.execute("UPDATE messages SET created = 1e300 WHERE id = 'q'")
