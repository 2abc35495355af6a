"""The chat store: every conversation kept in one SQLite file, safe against crashes.

Design in brief
- One SQLite database (``app_paths().database``) in WAL mode with ``synchronous=NORMAL``:
  a committed write survives the process being killed at any moment, and a write is a
  cheap append to the WAL, so the GUI thread can call the store directly.
- Messages form a tree per conversation (``parent_id``): regenerating an answer or
  editing a question adds a sibling instead of overwriting, and each conversation
  remembers which leaf is shown (its *active leaf*).
- A streaming answer is a row in state ``streaming`` that the writer updates at most
  once a second. The row records the writer's pid and process start time; whenever a
  store is opened, streaming rows whose writer is gone are marked ``interrupted``.
  A finished answer's state is one of the end states of ``app.core.chat``.
- Full-text search: FTS5 with the ``trigram`` tokenizer (substring search that works
  for Chinese), kept in step by triggers. Streaming rows are indexed once they stop
  streaming, so a save tick never re-indexes a growing answer.
- A damaged database is moved aside (never deleted), rows are recovered from it into
  a fresh store, and :class:`OpenReport` says what happened.
- Every write goes through one layer (:mod:`app.core.store.writes`), which cleans and
  bounds what it writes; front ends use :class:`app.core.store.ops.ChatOps`.

Any thread may use the store: one lock serialises every statement and transaction (the
chat session saves a streaming answer on the engine host's thread).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

from app.core.errors import StoreError
from app.core.paths import app_paths
from app.core.store.chats import ChatReads
from app.core.store.connection import (
    _check_file_header,
    _check_health,
    _connect,
    _DamagedError,
    _fresh_connection,
    _is_corruption,
    _needs_check_marker,
    _newer_error,
    _open_error,
    _prepare_directory,
    _translate,
    _use_wal,
)
from app.core.store.recovery import _make_report, _move_aside
from app.core.store.schema import SCHEMA_VERSION, migrate
from app.core.store.search import StoreSearch
from app.core.store.values import PURGE_AFTER_S, OpenReport
from app.core.store.writes import StoreWrites

log = logging.getLogger(__name__)

#: Databases up to this size get a full ``quick_check`` on every open (about 2 ms per MB,
#: so at most ~60 ms). Bigger ones get the cheap header checks; a damaged page met later
#: leaves a marker so that the next open runs the full check and repairs the file.
FULL_CHECK_MAX_BYTES = 32 * 1024 * 1024


class ChatStore(StoreWrites, StoreSearch, ChatReads):
    """All conversations on disk. Open with :meth:`open`; close with :meth:`close`.

    Reading is :class:`ChatReads` and :class:`StoreSearch`; every change is in the write
    layer, :class:`StoreWrites`.
    """

    # --- Lifecycle ---

    @classmethod
    def open(cls, path: Path | None = None, *, read_only: bool = False) -> ChatStore:
        """Open (creating, migrating or repairing as needed) the chat store.

        Raises :class:`StoreError` (with a sentence naming the path) when the data
        directory cannot be used, and :class:`NewerStoreError` for a database written
        by a newer Hearth unless ``read_only``.
        """
        db = Path(path) if path is not None else app_paths().database
        if read_only:
            return cls._open_read_only(db)
        _prepare_directory(db.parent)
        marker = _needs_check_marker(db)
        aside: Path | None = None
        recovered = (0, 0)
        try:
            conn = cls._open_checked(db, full_check=marker.exists())
        except _DamagedError as damage:
            log.error("chat store %s is damaged (%s); moving it aside", db, damage)
            try:
                aside = _move_aside(db)
                conn = _fresh_connection(db)
            except OSError as exc:
                raise _open_error(db, exc) from exc
            except sqlite3.Error as exc:
                raise _translate(exc, db) from exc
            recovered = cls(conn, db, read_only=False, report=OpenReport())._restore_from(aside)
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()
        store = cls(conn, db, read_only=False, report=OpenReport())
        interrupted = store._mark_dead_streams()
        store.purge_deleted(older_than_s=PURGE_AFTER_S)
        store.report = _make_report(aside, recovered, interrupted)
        if store.report.message:
            log.warning("chat store: %s", store.report.message)
        return store

    @classmethod
    def _open_checked(cls, db: Path, *, full_check: bool) -> sqlite3.Connection:
        try:
            _check_file_header(db)
            conn = _connect(db)
        except OSError as exc:
            raise _open_error(db, exc) from exc
        except sqlite3.DatabaseError as exc:
            if _is_corruption(exc):
                raise _DamagedError(str(exc)) from exc
            raise _open_error(db, exc) from exc
        try:
            full = full_check or db.stat().st_size <= FULL_CHECK_MAX_BYTES
            _check_health(conn, db, full=full)
            # Check the version before writing anything (even the journal mode).
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise _newer_error(db, version)
            _use_wal(conn)
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_corruption(exc):
                raise _DamagedError(str(exc)) from exc
            raise _translate(exc, db) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    @classmethod
    def _open_read_only(cls, db: Path) -> ChatStore:
        if not db.exists():
            raise StoreError.of("store.missing", path=str(db))
        try:
            conn = _connect(db, read_only=True)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise _translate(exc, db) from exc
        if version < SCHEMA_VERSION:
            conn.close()
            raise StoreError.of("store.older", path=str(db))
        return cls(conn, db, read_only=True, report=OpenReport())

    def close(self) -> None:
        """Close the database. Safe to call twice.

        The last connection to close folds the WAL back into the main file by itself.
        """
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ChatStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
