"""The schema and its migrations: ``_MIGRATIONS[v]`` turns version ``v`` into ``v + 1``."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from app.core.store.values import MAX_TIMESTAMP, MIN_TIMESTAMP, clean_text

log = logging.getLogger(__name__)

#: The schema this code writes. Older files are migrated forward on open.
SCHEMA_VERSION = 4

# Version 1: the minimal store (conversations and a message tree).
_SCHEMA_V1 = """
CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    settings_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id TEXT,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'complete'
        CHECK (state IN ('complete', 'streaming', 'interrupted', 'error')),
    created REAL NOT NULL,
    updated REAL NOT NULL,
    provenance_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, created);
"""

# Version 2: active branch, soft delete (Undo), message counts, writer liveness, search.
# Message text is indexed with two U+E000 characters appended (char(57344, 57344)): then
# every occurrence of a 1- or 2-character string starts at least one indexed trigram, so
# short queries can use the index too (see ChatStore._expand_short_term).
# FTS tables use the integer ``seq`` as rowid: VACUUM keeps an INTEGER PRIMARY KEY stable,
# whereas an implicit rowid may be renumbered, which would desynchronise the index.
# The triggers on ``messages`` as v2 made them. v3 rebuilds the table and must make exactly
# these again; a later version that changes them writes its own (a migration never changes).
_MESSAGE_COUNT_TRIGGERS = """
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
END;
"""
_MESSAGE_FTS_TRIGGERS = """
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.state != 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content, reasoning)
        VALUES (new.seq, new.content || char(57344, 57344), new.reasoning || char(57344, 57344));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.state != 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.seq, old.content || char(57344, 57344),
                old.reasoning || char(57344, 57344));
END;
CREATE TRIGGER messages_fts_unindex AFTER UPDATE OF content, reasoning, state ON messages
        WHEN old.state != 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content, reasoning)
        VALUES ('delete', old.seq, old.content || char(57344, 57344),
                old.reasoning || char(57344, 57344));
END;
CREATE TRIGGER messages_fts_reindex AFTER UPDATE OF content, reasoning, state ON messages
        WHEN new.state != 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content, reasoning)
        VALUES (new.seq, new.content || char(57344, 57344), new.reasoning || char(57344, 57344));
END;
"""

_SCHEMA_V2 = f"""
ALTER TABLE conversations ADD COLUMN active_leaf_id TEXT;
ALTER TABLE conversations ADD COLUMN deleted_at REAL;
ALTER TABLE conversations ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN writer_pid INTEGER;
ALTER TABLE messages ADD COLUMN writer_started REAL;

CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';
CREATE INDEX conversations_sidebar ON conversations(pinned DESC, updated DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX conversations_deleted ON conversations(deleted_at) WHERE deleted_at IS NOT NULL;

UPDATE conversations SET message_count =
    (SELECT count(*) FROM messages WHERE messages.conversation_id = conversations.id);
{_MESSAGE_COUNT_TRIGGERS}
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, reasoning, content='messages', content_rowid='seq', tokenize='trigram'
);
{_MESSAGE_FTS_TRIGGERS}INSERT INTO messages_fts(rowid, content, reasoning)
    SELECT seq, content || char(57344, 57344), reasoning || char(57344, 57344)
    FROM messages WHERE state != 'streaming';

CREATE VIRTUAL TABLE conversations_fts USING fts5(
    title, content='conversations', content_rowid='seq', tokenize='trigram'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.seq, old.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.seq, old.title);
    INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
END;
INSERT INTO conversations_fts(rowid, title) SELECT seq, title FROM conversations;
"""

# Version 3: one vocabulary of end states. A message is 'streaming' or an EndState of
# app.core.chat; v2's 'complete' becomes finished / stopped / length by the finish reason
# its provenance recorded, and 'error' becomes failed. v2 stored a user's Stop as
# 'interrupted' with finish reason 'cancelled': that is 'stopped' now. SQLite cannot change
# a CHECK constraint in place, so the messages table is rebuilt (same seq, so the FTS index,
# keyed by seq, stays valid) and its indexes and triggers are made again. Timestamps out of
# the range the app can show (1e300 from a crafted import in v2) are pulled into range.
_FINISH_REASON = (
    "(CASE WHEN json_valid(provenance_json) "
    "THEN json_extract(provenance_json, '$.finish_reason') END)"
)
_SCHEMA_V3 = f"""
CREATE TABLE messages_v3 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id TEXT,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'finished' CHECK (state IN
        ('streaming', 'finished', 'stopped', 'length', 'failed', 'interrupted')),
    created REAL NOT NULL CHECK (created BETWEEN {MIN_TIMESTAMP} AND {MAX_TIMESTAMP}),
    updated REAL NOT NULL CHECK (updated BETWEEN {MIN_TIMESTAMP} AND {MAX_TIMESTAMP}),
    provenance_json TEXT NOT NULL DEFAULT '{{}}',
    writer_pid INTEGER,
    writer_started REAL
);
INSERT INTO messages_v3 (seq, id, conversation_id, parent_id, role, content, reasoning, state,
        created, updated, provenance_json, writer_pid, writer_started)
    SELECT seq, id, conversation_id, parent_id, role, content, reasoning,
        CASE state
            WHEN 'streaming' THEN 'streaming'
            WHEN 'complete' THEN CASE {_FINISH_REASON}
                WHEN 'length' THEN 'length'
                WHEN 'context_full' THEN 'length'
                WHEN 'cancelled' THEN 'stopped'
                ELSE 'finished' END
            WHEN 'error' THEN 'failed'
            WHEN 'interrupted' THEN CASE {_FINISH_REASON}
                WHEN 'cancelled' THEN 'stopped'
                ELSE 'interrupted' END
            ELSE 'interrupted'
        END,
        min(max(ifnull(created, 0), {MIN_TIMESTAMP}), {MAX_TIMESTAMP}),
        min(max(ifnull(updated, 0), {MIN_TIMESTAMP}), {MAX_TIMESTAMP}),
        provenance_json, writer_pid, writer_started
    FROM messages;
DROP TRIGGER messages_count_insert;
DROP TRIGGER messages_count_delete;
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_unindex;
DROP TRIGGER messages_fts_reindex;
DROP TABLE messages;
ALTER TABLE messages_v3 RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages(conversation_id, created);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_streaming ON messages(state) WHERE state = 'streaming';
{_MESSAGE_COUNT_TRIGGERS}{_MESSAGE_FTS_TRIGGERS}UPDATE conversations SET
    created = min(max(ifnull(created, 0), {MIN_TIMESTAMP}), {MAX_TIMESTAMP}),
    updated = min(max(ifnull(updated, 0), {MIN_TIMESTAMP}), {MAX_TIMESTAMP})
    WHERE NOT (created BETWEEN {MIN_TIMESTAMP} AND {MAX_TIMESTAMP})
        OR NOT (updated BETWEEN {MIN_TIMESTAMP} AND {MAX_TIMESTAMP});
"""


# Version 4: a rating (thumbs up +1 / down -1) and an optional note on any answer, for the
# distillation dataset (app/core/dataset.py). A table of its own rather than columns, so the
# message rows, their FTS triggers and every reader stay as they are. No foreign key: a
# later migration that rebuilds ``messages`` (as v3 did) would cascade-delete every rating;
# a trigger removes a message's rating with it instead. Notes are few and short: search
# reads them with LIKE, no index.
_SCHEMA_V4 = """
CREATE TABLE ratings (
    message_id TEXT PRIMARY KEY,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    note TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL
);
CREATE TRIGGER ratings_follow_messages AFTER DELETE ON messages BEGIN
    DELETE FROM ratings WHERE message_id = old.id;
END;
"""


def _migrate_to_v3(conn: sqlite3.Connection) -> None:
    for statement in _split_sql(_SCHEMA_V3):
        conn.execute(statement)
    # NUL is now stored as U+FFFD (see clean_text). SQLite's replace() stops at a NUL, so
    # the few rows that hold one are found by their bytes and cleaned here.
    has_nul = "instr(CAST({0} AS BLOB), x'00') > 0"
    rows = conn.execute(
        "SELECT seq, content, reasoning FROM messages WHERE "
        f"{has_nul.format('content')} OR {has_nul.format('reasoning')}"
    ).fetchall()
    conn.executemany(
        "UPDATE messages SET content = ?, reasoning = ? WHERE seq = ?",
        [(clean_text(content), clean_text(reasoning), seq) for seq, content, reasoning in rows],
    )
    titles = conn.execute(
        f"SELECT seq, title FROM conversations WHERE {has_nul.format('title')}"
    ).fetchall()
    conn.executemany(
        "UPDATE conversations SET title = ? WHERE seq = ?",
        [(clean_text(title), seq) for seq, title in titles],
    )


def _run_script(script: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in _split_sql(script):
            conn.execute(statement)

    return run


#: ``_MIGRATIONS[v]`` turns a version-``v`` database into version ``v + 1``.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _run_script(_SCHEMA_V1),
    1: _run_script(_SCHEMA_V2),
    2: _migrate_to_v3,
    3: _run_script(_SCHEMA_V4),
}


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target`` one version at a time; returns the old version.

    Each step runs in its own transaction together with its ``user_version`` bump, so a
    crash mid-migration leaves the previous version intact.
    """
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    version = start
    while version < target:
        step = _MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        version += 1
        log.info("chat store migrated to schema version %d", version)
    return start


def _split_sql(script: str) -> list[str]:
    """Split a script into statements (``executescript`` would commit on its own)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
