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
- Full-text search: FTS5 with the ``trigram`` tokenizer (substring search that works
  for Chinese), kept in step by triggers. Streaming rows are indexed once they stop
  streaming, so a save tick never re-indexes a growing answer.
- A damaged database is moved aside (never deleted), rows are recovered from it into
  a fresh store, and :class:`OpenReport` says what happened.

All methods must be called from the thread that opened the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, cast, get_args

import psutil

from app.core.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from app.core.chat import Role, SamplingParams, TurnStats
from app.core.errors import DiskFullError, StoreError
from app.core.logsetup import debug_content
from app.core.paths import app_paths

log = logging.getLogger(__name__)

#: The schema this code writes. Older files are migrated forward on open.
SCHEMA_VERSION = 2

MessageState = Literal["complete", "streaming", "interrupted", "error"]
MESSAGE_STATES: tuple[str, ...] = get_args(MessageState)
ROLES: tuple[str, ...] = get_args(Role)

#: Auto-titles keep the first line of the first question, cut to this many characters.
TITLE_LENGTH = 40
#: Query words shorter than this are not trigrams themselves: they are expanded to the
#: indexed trigrams they start, or searched with LIKE when they are common.
MIN_FTS_TERM = 3
#: A 1-2 character query word that starts more indexed trigrams than this is common,
#: and is searched with LIKE instead (which then finds the newest hits quickly).
MAX_SHORT_TERM_EXPANSION = 64
#: Soft-deleted conversations (kept for Undo) older than this are purged on open.
PURGE_AFTER_S = 600.0
#: Databases up to this size get a full ``quick_check`` on every open (about 2 ms per MB,
#: so at most ~60 ms). Bigger ones get the cheap header checks; a damaged page met later
#: leaves a marker so that the next open runs the full check and repairs the file.
FULL_CHECK_MAX_BYTES = 32 * 1024 * 1024
#: Two start times closer than this belong to the same process (clock adjustments move
#: psutil's computed start time a little; pids are not reused within a second).
START_TIME_TOLERANCE_S = 1.0
#: Guards recursive queries against a cycle in damaged or hostile data.
MAX_TREE_DEPTH = 100_000

_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
_SQLITE_READONLY = 8
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CANTOPEN = 14
_SQLITE_IOERR = 10
_SQLITE_HEADER = b"SQLite format 3\x00"
# Search highlights are private-use characters while building snippets, so a chat that
# itself contains « or » cannot confuse the span computation.
_MARK_OPEN = "\ue000"
_MARK_CLOSE = "\ue001"


class StoreCorruptError(StoreError):
    """The database file is damaged; reopening the store repairs it."""


class NewerStoreError(StoreError):
    """The database was written by a newer Hearth; it can only be opened read-only."""


class NotFoundError(StoreError):
    """A conversation or message id does not exist (any more)."""


# --- Values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the sidebar."""

    id: str
    title: str
    created: float
    updated: float
    pinned: bool
    message_count: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: str
    conversation_id: str
    #: ``None`` for the first message of a conversation (a root).
    parent_id: str | None
    role: Role
    #: The answer text (for users: the question).
    content: str
    reasoning: str
    state: MessageState
    created: float
    updated: float
    #: Model, sampling settings, seed and stats; see :func:`build_provenance`.
    provenance: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Siblings:
    """Where a message sits among the alternatives with the same parent (for ‹ 1/2 ›)."""

    #: 0-based position of the message; show ``index + 1``.
    index: int
    count: int
    #: All alternatives, oldest first.
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: str
    conversation_title: str
    #: ``None`` when the conversation's title matched.
    message_id: str | None
    role: Role | None
    #: Plain text around the first match; "…" marks a cut.
    snippet: str
    #: ``(start, end)`` of every match inside ``snippet``.
    spans: tuple[tuple[int, int], ...]
    #: True when the match is in the reasoning rather than the answer.
    in_reasoning: bool
    created: float

    def marked(self, open_mark: str = "«", close_mark: str = "»") -> str:
        """The snippet with each match wrapped in ``open_mark`` … ``close_mark``."""
        parts: list[str] = []
        position = 0
        for start, end in self.spans:
            parts += [self.snippet[position:start], open_mark, self.snippet[start:end], close_mark]
            position = end
        parts.append(self.snippet[position:])
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What opening the store found and repaired."""

    #: Where a damaged database was moved (kept, never deleted); ``None`` if it was fine.
    recovered_from: Path | None = None
    recovered_conversations: int = 0
    recovered_messages: int = 0
    #: Answers left streaming by a process that is gone, now marked ``interrupted``.
    interrupted_marked: int = 0
    #: A sentence for the user, empty when there is nothing to say.
    message: str = ""


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    """A whole conversation with its ids and timestamps, for import and recovery."""

    id: str
    title: str
    created: float
    updated: float
    pinned: bool
    settings: Mapping[str, Any]
    messages: Sequence[StoredMessage]
    active_leaf_id: str | None = None


# --- Small helpers ---------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text that SQLite can store: lone surrogates (e.g. from a clipboard) become U+FFFD.

    A surrogate *pair* split into two code units is joined into the real character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def auto_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A conversation title from the first question: its first non-empty line, trimmed."""
    for line in clean_text(text).splitlines():
        words = " ".join(line.split())
        if words:
            return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
    return ""


def _json_safe(value: Any) -> Any:
    """JSON that other tools can read: no NaN/Infinity, no lone surrogates, str keys."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return clean_text(str(value))


def _dump_json(value: Mapping[str, Any] | None) -> str:
    return json.dumps(_json_safe(dict(value or {})), ensure_ascii=False, allow_nan=False)


def _load_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def new_id() -> str:
    """A fresh conversation or message id (a UUID4 string)."""
    return str(uuid.uuid4())


_own_start_time: float | None = None


def _process_start_time(pid: int | None = None) -> float:
    """psutil's start time of a process (the current one by default)."""
    global _own_start_time
    if pid is None:
        if _own_start_time is None:
            _own_start_time = psutil.Process().create_time()
        return _own_start_time
    return float(psutil.Process(pid).create_time())


def writer_alive(pid: int | None, started: float | None) -> bool:
    """True if the process that began a streaming answer is still running.

    The pid alone is not enough: after a crash the system may give it to another
    program, so the start time must match too. A zombie (killed, not yet reaped) is dead.
    """
    if pid is None or started is None:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return bool(abs(process.create_time() - started) < START_TIME_TOLERANCE_S)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        # It exists and we cannot look closer: never touch a stream that may be live.
        return True


class ModelInfoLike(Protocol):
    """The parts of ``app.core.engine.ModelInfo`` that provenance records."""

    @property
    def path(self) -> Path: ...
    @property
    def file_name(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def quant(self) -> str: ...
    @property
    def name(self) -> str: ...


_fingerprints: dict[tuple[str, int, int], str] = {}


def fast_fingerprint(path: Path, *, chunk: int = 1 << 20) -> str:
    """Identify a model file cheaply: sha256 of its size, first and last MiB.

    A full sha256 of a 1 GB model takes seconds; this takes milliseconds and still
    tells two different model files apart. Cached per (path, size, mtime).
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    cached = _fingerprints.get(key)
    if cached:
        return cached
    digest = hashlib.sha256(str(stat.st_size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(chunk))
        if stat.st_size > 2 * chunk:
            handle.seek(-chunk, os.SEEK_END)
            digest.update(handle.read(chunk))
    value = "fp1:" + digest.hexdigest()
    _fingerprints[key] = value
    return value


def build_provenance(
    model: ModelInfoLike | None,
    params: SamplingParams,
    stats: TurnStats | None = None,
    *,
    finish_reason: str = "",
    error: str = "",
    fingerprint: str = "",
    sha256: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance recorded with an answer; the GUI and the CLI both use this.

    ``fingerprint`` defaults to :func:`fast_fingerprint` of the model file; pass
    ``sha256`` when the full hash is known (e.g. from the catalog).
    """
    provenance: dict[str, Any] = {}
    if model is not None:
        if not fingerprint:
            try:
                fingerprint = fast_fingerprint(Path(model.path))
            except OSError:
                fingerprint = ""
        provenance["model"] = {
            "file": model.file_name,
            "name": model.name,
            "size": model.size_bytes,
            "quant": model.quant,
            "fingerprint": fingerprint,
            "sha256": sha256,
        }
    sampling = params.to_dict()
    if stats is not None:
        sampling["seed"] = stats.seed
    provenance["sampling"] = sampling
    if stats is not None:
        provenance["stats"] = stats.to_dict()
    if finish_reason:
        provenance["finish_reason"] = finish_reason
    if error:
        provenance["error"] = error
    if extra:
        provenance.update(extra)
    return cast(dict[str, Any], _json_safe(provenance))


# --- Schema ----------------------------------------------------------------------------

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
_SCHEMA_V2 = """
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
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
END;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, reasoning, content='messages', content_rowid='seq', tokenize='trigram'
);
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
INSERT INTO messages_fts(rowid, content, reasoning)
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

#: ``_MIGRATIONS[v]`` turns a version-``v`` database into version ``v + 1``.
_MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1, 1: _SCHEMA_V2}


def migrate(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target`` one version at a time; returns the old version.

    Each step runs in its own transaction together with its ``user_version`` bump, so a
    crash mid-migration leaves the previous version intact.
    """
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    version = start
    while version < target:
        script = _MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(script):
                conn.execute(statement)
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


# --- Opening, checking and repairing the file ------------------------------------------


def _error_code(exc: BaseException) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return int(code) & 0xFF if isinstance(code, int) else -1


def _is_corruption(exc: BaseException) -> bool:
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if _error_code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]


def _needs_check_marker(db: Path) -> Path:
    return db.with_name(db.name + ".needs-check")


def _prepare_directory(directory: Path) -> None:
    """Create the data directory (0700) and prove we can write there."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            with contextlib.suppress(PermissionError):
                directory.chmod(PRIVATE_DIR_MODE)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=directory)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise StoreError(
            f"Hearth cannot write its chat history in {directory}. Check that the folder "
            "exists and that you may write to it, or start Hearth with --data-dir pointing "
            "to another folder.",
            detail=repr(exc),
        ) from exc


def _make_private(db: Path) -> None:
    """Create the database file 0600 before SQLite does, so its -wal/-shm inherit 0600."""
    if os.name != "posix":
        return
    fd = os.open(db, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    os.close(fd)
    for path in (db, *_sidecars(db)):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
                path.chmod(PRIVATE_FILE_MODE)


def _connect(db: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection with busy timeout and foreign keys; nothing is written yet."""
    if read_only:
        conn = sqlite3.connect(
            f"{db.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=5.0
        )
    else:
        _make_private(db)
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=5.0)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        log.warning("chat store: WAL unavailable (journal mode %s)", mode)
    # With WAL, NORMAL loses no committed transaction when the process dies; only a
    # power cut can drop the last commits. Commits stay cheap (no fsync per commit).
    conn.execute("PRAGMA synchronous = NORMAL")


def _fresh_connection(db: Path) -> sqlite3.Connection:
    conn = _connect(db)
    try:
        _use_wal(conn)
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class _DamagedError(Exception):
    """Internal: the database file failed a health check."""


def _check_file_header(db: Path) -> None:
    """Cheap checks on the raw file: the magic string and (without a WAL) its length."""
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with db.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
        raise _DamagedError("not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    change_counter = header[24:28]
    valid_for = header[92:96]
    wal = _sidecars(db)[0]
    wal_has_frames = wal.exists() and wal.stat().st_size > 32
    # The in-header size is trustworthy only when it was written with the file's last
    # change; with WAL frames pending, the WAL may legitimately hold the newer pages.
    if pages and change_counter == valid_for and not wal_has_frames and size < pages * page_size:
        raise _DamagedError(f"truncated: {size} bytes, header says {pages * page_size}")


def _check_health(conn: sqlite3.Connection, db: Path, *, full: bool) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if full:
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if [tuple(r) for r in rows] != [("ok",)]:
                raise _DamagedError(f"quick_check: {rows[:3]}")
    except sqlite3.DatabaseError as exc:
        if _is_corruption(exc):
            raise _DamagedError(str(exc)) from exc
        raise


def _move_aside(db: Path) -> Path:
    """Rename the damaged file (and its WAL) out of the way, never deleting anything."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db.with_name(f"{db.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = db.with_name(f"{db.name}.corrupt-{stamp}-{counter}")
    db.replace(aside)
    for sidecar, suffix in zip(_sidecars(db), ("-wal", "-shm"), strict=True):
        if sidecar.exists():
            sidecar.replace(aside.with_name(aside.name + suffix))
    return aside


_RECOVER_TABLES = {
    "conversations": ("id", "title", "created", "updated", "pinned", "settings_json"),
    "messages": (
        "id",
        "conversation_id",
        "parent_id",
        "role",
        "content",
        "reasoning",
        "state",
        "created",
        "updated",
        "provenance_json",
    ),
}


def _read_rows_tolerantly(db: Path, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` that can still be read, stepping around damaged pages."""
    try:
        conn = sqlite3.connect(str(db), isolation_level=None)
    except sqlite3.Error:
        return []
    try:
        # With writable_schema, SQLite reads a truncated file up to its real end instead
        # of refusing it outright (the same switch the sqlite3 shell's .recover uses).
        conn.execute("PRAGMA writable_schema = ON")
        columns = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.DatabaseError:
        conn.close()
        return []
    try:
        return _scan_rows(conn, table, [c for c in _RECOVER_TABLES[table] if c in columns])
    finally:
        conn.close()


def _scan_rows(conn: sqlite3.Connection, table: str, wanted: list[str]) -> list[dict[str, Any]]:
    if "id" not in wanted:
        return []
    select = f'SELECT rowid, {", ".join(chr(34) + c + chr(34) for c in wanted)} FROM "{table}"'
    rows: dict[int, dict[str, Any]] = {}
    last = 0
    try:
        # Fast path: one ordered scan, which stops at the first damaged page.
        for row in conn.execute(f"{select} ORDER BY rowid"):
            last = int(row[0])
            rows[last] = dict(zip(wanted, row[1:], strict=True))
        return list(rows.values())
    except sqlite3.DatabaseError:
        pass
    # Slow path: look each rowid up by itself, so a lost page costs only the rows on it.
    # Rowids are dense (INTEGER PRIMARY KEY), so a long run of misses means the end.
    try:
        upper: int | None = conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlite3.DatabaseError:
        upper = None
    if upper is not None:
        upper = min(upper, last + 5_000_000)
    rowid, misses = last + 1, 0
    while (rowid <= upper) if upper is not None else (misses < 20_000):
        try:
            row = conn.execute(f"{select} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            misses += 1
        else:
            misses = 0
            rows[rowid] = dict(zip(wanted, row[1:], strict=True))
        rowid += 1
    return list(rows.values())


def _recover_with_cli(source: Path, scratch: Path) -> Path | None:
    """Run ``sqlite3 source .recover | sqlite3 scratch``; returns ``scratch`` on success."""
    cli = shutil.which("sqlite3")
    if not cli:
        return None
    try:
        with subprocess.Popen(
            [cli, str(source), ".recover"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as dump:
            loader = subprocess.run(
                [cli, str(scratch)],
                stdin=dump.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=600,
                check=False,
            )
            dump.wait(timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("chat store: sqlite3 .recover failed: %r", exc)
        return None
    log.info("chat store: sqlite3 .recover exited %s/%s", dump.returncode, loader.returncode)
    return scratch if scratch.exists() else None


def _recovered_rows(damaged: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Conversations and messages readable from a damaged database (best of two ways)."""
    with tempfile.TemporaryDirectory(prefix="hearth-recover-") as tmp:
        work = Path(tmp) / "damaged.sqlite3"
        # Work on a copy: opening the file may replay or delete its WAL, and the
        # damaged file must stay exactly as it was for the user (or a bug report).
        shutil.copyfile(damaged, work)
        for suffix in ("-wal",):
            sidecar = damaged.with_name(damaged.name + suffix)
            if sidecar.exists():
                shutil.copyfile(sidecar, work.with_name(work.name + suffix))
        best: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        candidates = [work]
        recovered = _recover_with_cli(work, Path(tmp) / "recovered.sqlite3")
        if recovered is not None:
            candidates.insert(0, recovered)
        for candidate in candidates:
            conversations = _read_rows_tolerantly(candidate, "conversations")
            messages = _read_rows_tolerantly(candidate, "messages")
            if len(messages) + len(conversations) > len(best[0]) + len(best[1]):
                best = (conversations, messages)
        return best


def _as_float(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _recovered_conversations(
    conversations: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> list[ImportedConversation]:
    """Rebuild whole conversations from loose recovered rows, dropping what is unusable."""
    now = time.time()
    by_conversation: dict[str, list[StoredMessage]] = {}
    seen_messages: set[str] = set()
    for row in messages:
        message_id, conversation_id = row.get("id"), row.get("conversation_id")
        if not isinstance(message_id, str) or not isinstance(conversation_id, str):
            continue
        if message_id in seen_messages:
            continue
        role = row.get("role")
        if role not in ROLES:
            continue
        state = row.get("state")
        state = "interrupted" if state == "streaming" or state not in MESSAGE_STATES else state
        parent = row.get("parent_id")
        content, reasoning = row.get("content"), row.get("reasoning")
        created = _as_float(row.get("created"), now)
        seen_messages.add(message_id)
        by_conversation.setdefault(conversation_id, []).append(
            StoredMessage(
                id=message_id,
                conversation_id=conversation_id,
                parent_id=parent if isinstance(parent, str) else None,
                role=cast(Role, role),
                content=content if isinstance(content, str) else "",
                reasoning=reasoning if isinstance(reasoning, str) else "",
                state=cast(MessageState, state),
                created=created,
                updated=_as_float(row.get("updated"), created),
                provenance=_load_json(row.get("provenance_json")),
            )
        )
    headers: dict[str, dict[str, Any]] = {}
    for row in conversations:
        if isinstance(row.get("id"), str):
            headers.setdefault(row["id"], row)
    result: list[ImportedConversation] = []
    for conversation_id in dict.fromkeys([*headers, *by_conversation]):
        items = by_conversation.get(conversation_id, [])
        ids = {m.id for m in items}
        # A parent lost with a damaged page would leave a dangling branch: make it a root.
        items = [
            m if m.parent_id is None or m.parent_id in ids else _with_parent(m, None) for m in items
        ]
        header = headers.get(conversation_id, {})
        created = _as_float(header.get("created"), min((m.created for m in items), default=now))
        title = header.get("title")
        result.append(
            ImportedConversation(
                id=conversation_id,
                title=title if isinstance(title, str) else "Recovered chat",
                created=created,
                updated=_as_float(header.get("updated"), created),
                pinned=bool(header.get("pinned")),
                settings=_load_json(header.get("settings_json")),
                messages=items,
            )
        )
    return result


def _with_parent(message: StoredMessage, parent_id: str | None) -> StoredMessage:
    return dataclasses.replace(message, parent_id=parent_id)


# --- The store -------------------------------------------------------------------------

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


class ChatStore:
    """All conversations on disk. Open with :meth:`open`; close with :meth:`close`."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path, *, read_only: bool, report: OpenReport
    ) -> None:
        self._conn = conn
        self.path = path
        self.read_only = read_only
        self.report = report
        self._vocabulary_ready = False

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
            raise StoreError(f"There is no chat history at {db}.")
        try:
            conn = _connect(db, read_only=True)
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise _translate(exc, db) from exc
        if version < SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                f"The chat history at {db} is from an older Hearth and must be upgraded "
                "before it can be read; open it normally once."
            )
        return cls(conn, db, read_only=True, report=OpenReport())

    def close(self) -> None:
        """Close the database. Safe to call twice.

        The last connection to close folds the WAL back into the main file by itself.
        """
        self._conn.close()

    def __enter__(self) -> ChatStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for tests and tools (scripts/bench_store.py)."""
        return self._conn

    # --- Conversations ---

    def create_conversation(
        self, title: str = "", *, settings: Mapping[str, Any] | None = None
    ) -> ConversationSummary:
        """A new, empty conversation. An empty title is filled from the first question."""
        now = time.time()
        conversation_id = new_id()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created, updated, settings_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (conversation_id, clean_text(title), now, now, _dump_json(settings)),
            )
        log.info("conversation %s created", conversation_id)
        return ConversationSummary(conversation_id, clean_text(title), now, now, False, 0)

    def list_conversations(self) -> list[ConversationSummary]:
        """The sidebar: pinned first, then most recently updated."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE deleted_at IS NULL "
                "ORDER BY pinned DESC, updated DESC"
            ).fetchall()
        return [_summary_from_row(r) for r in rows]

    def get_conversation(self, conversation_id: str) -> ConversationSummary:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ? AND deleted_at IS NULL",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        return _summary_from_row(row)

    def conversation_settings(self, conversation_id: str) -> dict[str, Any]:
        """Per-conversation setting overrides (e.g. a system prompt)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT settings_json FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        return _load_json(row[0])

    def set_conversation_settings(self, conversation_id: str, settings: Mapping[str, Any]) -> None:
        self._update_conversation(
            conversation_id, "settings_json = ?", _dump_json(settings), touch=False
        )

    # Renaming or pinning is not activity: the chat keeps its place in the date groups.
    def rename(self, conversation_id: str, title: str) -> None:
        self._update_conversation(
            conversation_id, "title = ?", clean_text(title).strip(), touch=False
        )

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._update_conversation(conversation_id, "pinned = ?", int(pinned), touch=False)

    def delete_conversation(self, conversation_id: str) -> None:
        """Hide a conversation; :meth:`restore_conversation` undoes it until it is purged."""
        self._update_conversation(conversation_id, "deleted_at = ?", time.time(), touch=False)
        log.info("conversation %s deleted", conversation_id)

    def restore_conversation(self, conversation_id: str) -> None:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,)
            )
            if cursor.rowcount == 0:
                raise _conversation_missing(conversation_id)

    def purge_deleted(self, *, older_than_s: float = 0.0) -> int:
        """Erase deleted conversations for good (all of them by default); returns how many."""
        if self.read_only:
            return 0
        cutoff = time.time() - older_than_s
        with self._transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (cutoff,),
            )
            purged = cursor.rowcount
        if purged:
            log.info("purged %d deleted conversations", purged)
        return purged

    def count_conversations(self) -> int:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT count(*) FROM conversations WHERE deleted_at IS NULL"
            ).fetchone()
        return int(row[0])

    # --- Messages ---

    def add_message(
        self,
        conversation_id: str,
        parent_id: str | None,
        role: Role,
        content: str,
        reasoning: str = "",
        state: MessageState = "complete",
        provenance: Mapping[str, Any] | None = None,
    ) -> StoredMessage:
        """Append a message under ``parent_id`` (``None``: a new root) and show its branch.

        A ``streaming`` message records this process as its writer; the first user
        message of an untitled conversation gives the conversation its title.
        """
        with self._transaction() as conn:
            message = self._insert_message(
                conn, conversation_id, parent_id, role, content, reasoning, state, provenance
            )
        return message

    def start_turn(
        self, conversation_id: str, parent_id: str | None, prompt: str
    ) -> tuple[StoredMessage, StoredMessage]:
        """The user's message and an empty streaming answer under it, in one transaction."""
        with self._transaction() as conn:
            question = self._insert_message(
                conn, conversation_id, parent_id, "user", prompt, "", "complete", None
            )
            answer = self._insert_message(
                conn, conversation_id, question.id, "assistant", "", "", "streaming", None
            )
        return question, answer

    def save_streaming(self, message_id: str, content: str, reasoning: str) -> bool:
        """Save the text streamed so far; cheap (no re-indexing). False if not streaming.

        Call it at most about once a second while an answer streams.
        """
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET content = ?, reasoning = ?, updated = ? "
                "WHERE id = ? AND state = 'streaming'",
                (clean_text(content), clean_text(reasoning), time.time(), message_id),
            )
        return cursor.rowcount > 0

    def resume_streaming(self, message_id: str) -> StoredMessage:
        """Make an interrupted (or finished) answer stream again, e.g. for *Continue*."""
        started = _process_start_time()
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET state = 'streaming', writer_pid = ?, writer_started = ?, "
                "updated = ? WHERE id = ? AND role = 'assistant'",
                (os.getpid(), started, time.time(), message_id),
            )
            if cursor.rowcount == 0:
                raise _message_missing(message_id)
            return self._get_message(conn, message_id)

    def finish_message(
        self,
        message_id: str,
        *,
        content: str,
        reasoning: str,
        state: MessageState = "complete",
        provenance: Mapping[str, Any] | None = None,
    ) -> StoredMessage:
        """Store the final text, state and provenance of an answer."""
        if state not in MESSAGE_STATES or state == "streaming":
            raise ValueError(f"finish_message needs a final state, not {state!r}")
        now = time.time()
        with self._transaction() as conn:
            params: list[Any] = [clean_text(content), clean_text(reasoning), state, now]
            sql = (
                "UPDATE messages SET content = ?, reasoning = ?, state = ?, updated = ?, "
                "writer_pid = NULL, writer_started = NULL"
            )
            if provenance is not None:
                sql += ", provenance_json = ?"
                params.append(_dump_json(provenance))
            cursor = conn.execute(sql + " WHERE id = ?", (*params, message_id))
            if cursor.rowcount == 0:
                raise _message_missing(message_id)
            message = self._get_message(conn, message_id)
            conn.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?",
                (now, message.conversation_id),
            )
        log.info(
            "message %s finished (%s, %d+%d chars)",
            message_id,
            state,
            len(message.content),
            len(message.reasoning),
        )
        return message

    def get_message(self, message_id: str) -> StoredMessage:
        with self._reading() as conn:
            return self._get_message(conn, message_id)

    def delete_message(self, message_id: str) -> int:
        """Delete a message and every reply under it; returns how many were deleted."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            cursor = conn.execute(
                "DELETE FROM messages WHERE id IN (WITH RECURSIVE sub(id, depth) AS ("
                "SELECT ?, 0 UNION ALL SELECT m.id, sub.depth + 1 FROM messages m "
                "JOIN sub ON m.parent_id = sub.id WHERE sub.depth < ?) SELECT id FROM sub)",
                (message_id, MAX_TREE_DEPTH),
            )
            deleted = cursor.rowcount
            leaf = self._stored_leaf(conn, message.conversation_id)
            if leaf is None or not self._message_exists(conn, leaf):
                # The shown branch went away: show the alternative beside it instead.
                anchor = message.parent_id
                new_leaf = (
                    self._newest_under(conn, anchor)
                    if anchor is not None
                    else self._newest_in(conn, message.conversation_id)
                )
                conn.execute(
                    "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                    (new_leaf, message.conversation_id),
                )
        log.info("deleted %d messages from %s", deleted, message.conversation_id)
        return deleted

    def messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of the conversation, every branch, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ? "
                "ORDER BY m.created, m.seq",
                (conversation_id,),
            ).fetchall()
        return [_message_from_row(r) for r in rows]

    def count_messages(self, conversation_id: str | None = None) -> int:
        """Messages in one conversation (every branch), or in the whole store."""
        with self._reading() as conn:
            if conversation_id is None:
                row = conn.execute("SELECT count(*) FROM messages").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()
        return int(row[0])

    # --- Branches ---

    def active_leaf_id(self, conversation_id: str) -> str | None:
        """The last message of the branch shown (the newest message if none was chosen)."""
        with self._reading() as conn:
            return self._active_leaf(conn, conversation_id)

    def active_path(self, conversation_id: str) -> list[StoredMessage]:
        """The messages shown: from the root down to the active leaf."""
        with self._reading() as conn:
            leaf = self._active_leaf(conn, conversation_id)
            if leaf is None:
                return []
            return self._path_to(conn, leaf)

    def path_to(self, message_id: str) -> list[StoredMessage]:
        """The messages from the root down to ``message_id`` (the history for a reply)."""
        with self._reading() as conn:
            return self._path_to(conn, message_id)

    def siblings(self, message_id: str) -> Siblings:
        """The alternatives of a message (same parent), for the ‹ 1/2 › arrows."""
        with self._reading() as conn:
            message = self._get_message(conn, message_id)
            ids = tuple(
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? "
                    "ORDER BY created, seq",
                    (message.conversation_id, message.parent_id),
                )
            )
        return Siblings(index=ids.index(message_id), count=len(ids), ids=ids)

    def set_active_leaf(self, conversation_id: str, message_id: str) -> None:
        """Show the branch ending at ``message_id``."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            if message.conversation_id != conversation_id:
                raise _message_missing(message_id)
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                (message_id, conversation_id),
            )

    def switch_branch(self, message_id: str) -> list[StoredMessage]:
        """Show the branch through ``message_id`` (its newest leaf); returns the new path."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            leaf = self._newest_under(conn, message_id) or message_id
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                (leaf, message.conversation_id),
            )
            return self._path_to(conn, leaf)

    # --- Search ---

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Titles, answers and reasoning containing every word of ``query``; newest first.

        Words of 3+ characters use the trigram index directly. A rare 1-2 character word
        uses it through the trigrams it starts; a common one uses LIKE, which meets
        enough hits among the newest messages at once. ``"quoted words"`` are searched
        as one phrase. The text is never parsed as FTS
        syntax, so quotes, ``AND`` or ``*`` are just characters.
        """
        terms = _query_terms(query)
        if not terms or limit <= 0:
            return []
        long_terms = [t for t in terms if len(t) >= MIN_FTS_TERM]
        short_terms = [t for t in terms if len(t) < MIN_FTS_TERM]
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        with self._reading() as conn:
            title_rows = self._search_titles(conn, long_terms, short_terms, limit)
            message_rows = self._search_messages(conn, long_terms, short_terms, limit)
        hits: list[SearchHit] = []
        for conversation_id, title, updated in title_rows:
            snippet, spans = _snippet(title, pattern)
            hits.append(
                SearchHit(conversation_id, title, None, None, snippet, spans, False, updated)
            )
        for message_id, conversation_id, title, role, content, reasoning, created in message_rows:
            snippet, spans = _snippet(content, pattern)
            in_reasoning = False
            if not spans and reasoning:
                snippet, spans = _snippet(reasoning, pattern)
                in_reasoning = bool(spans)
            hits.append(
                SearchHit(
                    conversation_id,
                    title,
                    message_id,
                    role,
                    snippet,
                    spans,
                    in_reasoning,
                    created,
                )
            )
        hits.sort(key=lambda hit: hit.created, reverse=True)
        return hits[:limit]

    def _search_titles(
        self, conn: sqlite3.Connection, long_terms: list[str], short_terms: list[str], limit: int
    ) -> list[tuple[str, str, float]]:
        where = ["c.deleted_at IS NULL"]
        params: list[Any] = []
        source = "conversations c"
        if long_terms:
            source = "conversations_fts f JOIN conversations c ON c.seq = f.rowid"
            where.append("conversations_fts MATCH ?")
            params.append(_fts_query(long_terms))
        for term in short_terms:
            where.append("c.title LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(term))
        rows = conn.execute(
            f"SELECT c.id, c.title, c.updated FROM {source} WHERE {' AND '.join(where)} "
            "ORDER BY c.updated DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]

    def _search_messages(
        self, conn: sqlite3.Connection, long_terms: list[str], short_terms: list[str], limit: int
    ) -> list[tuple[str, str, str, Role, str, str, float]]:
        where = ["c.deleted_at IS NULL"]
        params: list[Any] = []
        match = [_fts_phrase(term) for term in long_terms]
        like_terms: list[str] = []
        for term in short_terms:
            expansion = self._expand_short_term(conn, term)
            if expansion is None:
                like_terms.append(term)
            elif not expansion:
                return []  # no indexed text contains it
            else:
                match.append("(" + " OR ".join(expansion) + ")")
        if match:
            # Walking the index by descending rowid (insertion order) stops after `limit`
            # hits, so even a word in every message costs about the same as a rare one.
            source = (
                "messages_fts f JOIN messages m ON m.seq = f.rowid "
                "JOIN conversations c ON c.id = m.conversation_id"
            )
            where.append("messages_fts MATCH ?")
            params.append(" AND ".join(match))
            order = "f.rowid DESC"
        else:
            source = "messages m JOIN conversations c ON c.id = m.conversation_id"
            order = "m.seq DESC"
        for term in like_terms:
            where.append("(m.content LIKE ? ESCAPE '\\' OR m.reasoning LIKE ? ESCAPE '\\')")
            params += [_like_pattern(term)] * 2
        rows = conn.execute(
            f"SELECT m.id, m.conversation_id, c.title, m.role, m.content, m.reasoning, m.created "
            f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [cast(tuple[str, str, str, Role, str, str, float], tuple(r)) for r in rows]

    def _expand_short_term(self, conn: sqlite3.Connection, term: str) -> list[str] | None:
        """The indexed trigrams that start with a 1-2 character ``term``, as FTS phrases.

        ``[]`` means no message contains the term. ``None`` means too many trigrams do:
        the term is common, so a LIKE scan, newest first, finds ``limit`` hits quickly.
        (A rare short term is the slow case for LIKE: it reads every message.)
        """
        if not self._vocabulary_ready:
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.messages_fts_vocab "
                "USING fts5vocab(main, 'messages_fts', 'row')"
            )
            self._vocabulary_ready = True
        folded = term.lower()
        rows = conn.execute(
            "SELECT term FROM temp.messages_fts_vocab WHERE term >= ? AND term < ? LIMIT ?",
            (folded, folded + "\U0010ffff", MAX_SHORT_TERM_EXPANSION + 1),
        ).fetchall()
        if len(rows) > MAX_SHORT_TERM_EXPANSION:
            return None
        return [_fts_phrase(str(r[0])) for r in rows]

    # --- Import ---

    def conversation_exists(self, conversation_id: str) -> bool:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return row is not None

    def existing_message_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already used by a message."""
        found: set[str] = set()
        batch: list[str] = []
        with self._reading() as conn:
            for message_id in [*ids, None]:
                if message_id is not None:
                    batch.append(message_id)
                if batch and (message_id is None or len(batch) >= 500):
                    marks = ",".join("?" * len(batch))
                    found.update(
                        str(r[0])
                        for r in conn.execute(
                            f"SELECT id FROM messages WHERE id IN ({marks})", batch
                        )
                    )
                    batch = []
        return found

    def insert_conversation(self, conversation: ImportedConversation) -> None:
        """Insert a whole conversation keeping its ids and timestamps (import, recovery).

        Raises :class:`StoreError` if an id is already taken; nothing is written then.
        """
        with self._transaction() as conn:
            self._insert_conversation(conn, conversation)

    # --- Internals ---

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self.read_only:
            raise StoreError(
                f"The chat history at {self.path} is open read-only, so changes cannot be saved."
            )
        conn = self._conn
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

    def _update_conversation(
        self, conversation_id: str, assignment: str, value: Any, *, touch: bool = True
    ) -> None:
        with self._transaction() as conn:
            if touch:
                sql = f"UPDATE conversations SET {assignment}, updated = ? WHERE id = ?"
                params: tuple[Any, ...] = (value, time.time(), conversation_id)
            else:
                sql = f"UPDATE conversations SET {assignment} WHERE id = ?"
                params = (value, conversation_id)
            if conn.execute(sql, params).rowcount == 0:
                raise _conversation_missing(conversation_id)

    def _insert_message(
        self,
        conn: sqlite3.Connection,
        conversation_id: str,
        parent_id: str | None,
        role: Role,
        content: str,
        reasoning: str,
        state: MessageState,
        provenance: Mapping[str, Any] | None,
    ) -> StoredMessage:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if state not in MESSAGE_STATES:
            raise ValueError(f"unknown message state {state!r}")
        row = conn.execute(
            "SELECT title FROM conversations WHERE id = ? AND deleted_at IS NULL",
            (conversation_id,),
        ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        if parent_id is not None:
            parent = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
            ).fetchone()
            if parent is None or parent[0] != conversation_id:
                raise _message_missing(parent_id)
        content, reasoning = clean_text(content), clean_text(reasoning)
        now = time.time()
        message_id = new_id()
        writer = (os.getpid(), _process_start_time()) if state == "streaming" else (None, None)
        provenance_json = _dump_json(provenance)
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
            "state, created, updated, provenance_json, writer_pid, writer_started) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                conversation_id,
                parent_id,
                role,
                content,
                reasoning,
                state,
                now,
                now,
                provenance_json,
                *writer,
            ),
        )
        title = row[0]
        if not title and role == "user":
            title = auto_title(content)
        conn.execute(
            "UPDATE conversations SET updated = ?, active_leaf_id = ?, title = ? WHERE id = ?",
            (now, message_id, title, conversation_id),
        )
        debug_content("message %s text: %r", message_id, content[:200])
        return StoredMessage(
            id=message_id,
            conversation_id=conversation_id,
            parent_id=parent_id,
            role=role,
            content=content,
            reasoning=reasoning,
            state=state,
            created=now,
            updated=now,
            provenance=_load_json(provenance_json),
        )

    def _insert_conversation(
        self, conn: sqlite3.Connection, conversation: ImportedConversation
    ) -> None:
        try:
            conn.execute(
                "INSERT INTO conversations (id, title, created, updated, pinned, settings_json, "
                "active_leaf_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation.id,
                    clean_text(conversation.title),
                    conversation.created,
                    conversation.updated,
                    int(conversation.pinned),
                    _dump_json(conversation.settings),
                    conversation.active_leaf_id,
                ),
            )
            conn.executemany(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
                "state, created, updated, provenance_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        m.id,
                        conversation.id,
                        m.parent_id,
                        m.role,
                        clean_text(m.content),
                        clean_text(m.reasoning),
                        "interrupted" if m.state == "streaming" else m.state,
                        m.created,
                        m.updated,
                        _dump_json(m.provenance),
                    )
                    for m in conversation.messages
                ],
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"The conversation “{conversation.title}” could not be added because one of "
                "its ids is already in use.",
                detail=repr(exc),
            ) from exc

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

    def _mark_dead_streams(self) -> int:
        """Mark answers whose writer died as interrupted; returns how many."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, writer_pid, writer_started FROM messages WHERE state = 'streaming'"
            ).fetchall()
        dead = [str(r[0]) for r in rows if not writer_alive(r[1], r[2])]
        if not dead:
            return 0
        now = time.time()
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE messages SET state = 'interrupted', writer_pid = NULL, "
                "writer_started = NULL, updated = ? WHERE id = ? AND state = 'streaming'",
                [(now, message_id) for message_id in dead],
            )
        log.info("marked %d answers from ended processes as interrupted", len(dead))
        return len(dead)

    def _restore_from(self, damaged: Path) -> tuple[int, int]:
        """Copy what can be read from ``damaged`` into this (fresh) store."""
        try:
            conversations, messages = _recovered_rows(damaged)
        except OSError as exc:
            log.error("chat store: recovery from %s failed: %r", damaged, exc)
            return 0, 0
        restored_conversations = restored_messages = 0
        for conversation in _recovered_conversations(conversations, messages):
            try:
                self.insert_conversation(conversation)
            except StoreError as exc:
                log.warning("chat store: skipped a recovered conversation: %s", exc.detail)
                continue
            restored_conversations += 1
            restored_messages += len(conversation.messages)
        log.info(
            "recovered %d conversations, %d messages from %s",
            restored_conversations,
            restored_messages,
            damaged,
        )
        return restored_conversations, restored_messages


# --- Search helpers --------------------------------------------------------------------

_TERM_RE = re.compile(r'"([^"]+)"|(\S+)')


def _query_terms(query: str) -> list[str]:
    terms: list[str] = []
    for match in _TERM_RE.finditer(clean_text(query)):
        term = (match.group(1) or match.group(2) or "").strip()
        if term and term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    return terms[:16]


def _fts_phrase(term: str) -> str:
    # A quoted phrase: FTS5 then treats every character of the term literally.
    return '"' + term.replace('"', '""') + '"'


def _fts_query(terms: Sequence[str]) -> str:
    return " AND ".join(_fts_phrase(term) for term in terms)


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _snippet(
    text: str, pattern: re.Pattern[str], width: int = 80
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About ``width`` characters of ``text`` around the first match, on one line."""
    first = pattern.search(text)
    if first is None:
        flat = " ".join(text[: width * 2].split())
        return (flat[:width] + ("…" if len(flat) > width else "")), ()
    start = max(0, first.start() - width // 3)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    window = text[start:end]
    marked = pattern.sub(lambda m: _MARK_OPEN + m.group(0) + _MARK_CLOSE, window)
    marked = " ".join(marked.split())
    if start > 0:
        marked = "…" + marked
    if end < len(text):
        marked += "…"
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    open_at = 0
    for char in marked:
        if char == _MARK_OPEN:
            open_at = len(plain)
        elif char == _MARK_CLOSE:
            spans.append((open_at, len(plain)))
        else:
            plain.append(char)
    return "".join(plain), tuple(spans)


# --- Errors ----------------------------------------------------------------------------


def _conversation_missing(conversation_id: str) -> NotFoundError:
    return NotFoundError(
        "This conversation no longer exists; it may have been deleted.",
        detail=f"conversation {conversation_id}",
    )


def _message_missing(message_id: str) -> NotFoundError:
    return NotFoundError(
        "This message no longer exists; it may have been deleted.",
        detail=f"message {message_id}",
    )


def _newer_error(db: Path, version: int) -> NewerStoreError:
    return NewerStoreError(
        f"The chat history at {db} was saved by a newer version of Hearth, so this version "
        "will not change it. Update Hearth to use it, or open it read-only.",
        detail=f"user_version {version} > {SCHEMA_VERSION}",
    )


def _open_error(db: Path, exc: BaseException) -> StoreError:
    return StoreError(
        f"Hearth could not open its chat history at {db}. Check that the folder exists, "
        "that you may write to it and that the disk is not full.",
        detail=repr(exc),
    )


def _translate(exc: sqlite3.Error, db: Path) -> StoreError | DiskFullError:
    """Turn an sqlite3 error into a sentence for the user."""
    code = _error_code(exc)
    detail = f"{type(exc).__name__}: {exc}"
    if code == _SQLITE_FULL or "database or disk is full" in str(exc):
        return DiskFullError(
            "The disk is full, so the chat could not be saved. Free some space and try again; "
            "everything saved before is safe.",
            detail=detail,
        )
    if _is_corruption(exc):
        return StoreCorruptError(
            f"The chat history file {db} is damaged. Restart Hearth to repair it; the damaged "
            "file will be kept beside the new one.",
            detail=detail,
        )
    if code == _SQLITE_READONLY:
        return StoreError(
            f"Hearth cannot write to its chat history at {db}. Check that you may write to "
            "that folder.",
            detail=detail,
        )
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreError(
            "The chat history is busy in another Hearth window or command. Try again in a moment.",
            detail=detail,
        )
    if code in (_SQLITE_CANTOPEN, _SQLITE_IOERR):
        return _open_error(db, exc)
    return StoreError(
        "Hearth could not read or save the chat history. Try again; if it keeps happening, "
        "restart Hearth.",
        detail=detail,
    )


def _make_report(aside: Path | None, recovered: tuple[int, int], interrupted: int) -> OpenReport:
    sentences: list[str] = []
    if aside is not None:
        conversations, messages = recovered
        sentences.append(
            f"The chat history file was damaged. It was kept as {aside} and a new one was "
            f"started; {messages} messages in {conversations} conversations were recovered."
        )
    if interrupted:
        noun = "answer was" if interrupted == 1 else "answers were"
        sentences.append(
            f"{interrupted} {noun} cut off when Hearth last stopped unexpectedly; they are "
            "marked as interrupted and can be continued."
        )
    return OpenReport(
        recovered_from=aside,
        recovered_conversations=recovered[0],
        recovered_messages=recovered[1],
        interrupted_marked=interrupted,
        message=" ".join(sentences),
    )
