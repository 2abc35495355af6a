"""What every part of the store shares: the connection, transactions, rows to values, and
the tree queries that both reading and writing need."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from app.core.errors import DiskFullError, StoreError
from app.core.store.connection import _is_corruption, _needs_check_marker, _translate
from app.core.store.values import (
    MAX_TREE_DEPTH,
    ConversationSummary,
    OpenReport,
    StoredMessage,
    _conversation_missing,
    _load_json,
    _message_missing,
)

_MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.reasoning, m.state, "
    "m.created, m.updated, m.provenance_json"
)
_SUMMARY_COLUMNS = "id, title, created, updated, pinned, message_count"


def _message_from_row(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        parent_id=row[2],
        role=row[3],
        content=row[4],
        reasoning=row[5],
        state=row[6],
        created=row[7],
        updated=row[8],
        provenance=_load_json(row[9]),
    )


def _summary_from_row(row: Sequence[Any]) -> ConversationSummary:
    return ConversationSummary(
        id=row[0],
        title=row[1],
        created=row[2],
        updated=row[3],
        pinned=bool(row[4]),
        message_count=row[5],
    )


class StoreBase:
    """The open connection and the helpers the reading and writing parts share.

    Any thread may call it: one re-entrant lock serialises every statement and transaction
    (the chat session saves the streaming answer on the engine host's thread).
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path, *, read_only: bool, report: OpenReport
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.read_only = read_only
        self.report = report
        self._vocabulary_ready = False

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for tests and tools (scripts/bench_store.py)."""
        return self._conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise StoreError.of("store.read_only", path=str(self.path))
        conn = self._conn
        with self._lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc) from exc
                raise

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _translate(self, exc: sqlite3.Error) -> StoreError | DiskFullError:
        if _is_corruption(exc):
            # Make the next open run a full check and repair the file.
            with contextlib.suppress(OSError):
                _needs_check_marker(self.path).touch()
        return _translate(exc, self.path)

    def _get_message(self, conn: sqlite3.Connection, message_id: str) -> StoredMessage:
        row = conn.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise _message_missing(message_id)
        return _message_from_row(row)

    @staticmethod
    def _message_exists(conn: sqlite3.Connection, message_id: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM messages WHERE id = ?", (message_id,)).fetchone()
            is not None
        )

    @staticmethod
    def _stored_leaf(conn: sqlite3.Connection, conversation_id: str) -> str | None:
        row = conn.execute(
            "SELECT active_leaf_id FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        return cast(str | None, row[0])

    def _active_leaf(self, conn: sqlite3.Connection, conversation_id: str) -> str | None:
        leaf = self._stored_leaf(conn, conversation_id)
        if leaf is not None:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (leaf,)
            ).fetchone()
            if row is not None and row[0] == conversation_id:
                return leaf
        return self._newest_in(conn, conversation_id)

    @staticmethod
    def _newest_in(conn: sqlite3.Connection, conversation_id: str) -> str | None:
        # The newest message cannot have replies yet, so it is a leaf.
        row = conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? ORDER BY created DESC, seq DESC "
            "LIMIT 1",
            (conversation_id,),
        ).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _newest_under(conn: sqlite3.Connection, message_id: str) -> str | None:
        row = conn.execute(
            "WITH RECURSIVE sub(id, depth) AS (SELECT ?, 0 UNION ALL "
            "SELECT m.id, sub.depth + 1 FROM messages m JOIN sub ON m.parent_id = sub.id "
            "WHERE sub.depth < ?) "
            "SELECT m.id FROM sub JOIN messages m ON m.id = sub.id "
            "ORDER BY m.created DESC, m.seq DESC LIMIT 1",
            (message_id, MAX_TREE_DEPTH),
        ).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _path_to(conn: sqlite3.Connection, message_id: str) -> list[StoredMessage]:
        rows = conn.execute(
            "WITH RECURSIVE path(seq, parent_id, depth) AS ("
            "SELECT seq, parent_id, 0 FROM messages WHERE id = ? UNION ALL "
            "SELECT m.seq, m.parent_id, path.depth + 1 FROM messages m "
            "JOIN path ON m.id = path.parent_id WHERE path.depth < ?) "
            f"SELECT {_MESSAGE_COLUMNS} FROM path JOIN messages m ON m.seq = path.seq "
            "ORDER BY path.depth DESC",
            (message_id, MAX_TREE_DEPTH),
        ).fetchall()
        if not rows:
            raise _message_missing(message_id)
        return [_message_from_row(r) for r in rows]
