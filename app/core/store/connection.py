"""Opening the SQLite file: private files, WAL, health checks, and errors as sentences."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
from pathlib import Path

from app.core.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from app.core.errors import DiskFullError, StoreError
from app.core.store.schema import SCHEMA_VERSION, migrate
from app.core.store.values import NewerStoreError, StoreCorruptError

log = logging.getLogger(__name__)

_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
_SQLITE_READONLY = 8
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CANTOPEN = 14
_SQLITE_IOERR = 10
_SQLITE_HEADER = b"SQLite format 3\x00"


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
        raise StoreError.of(
            "store.folder_not_writable", folder=str(directory), detail=repr(exc)
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
            f"{db.resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            timeout=5.0,
            check_same_thread=False,
        )
    else:
        _make_private(db)
        # Used from the front end's thread and the engine host's thread (the chat session
        # saves the streaming answer there); StoreBase serialises every use with its lock.
        conn = sqlite3.connect(str(db), isolation_level=None, timeout=5.0, check_same_thread=False)
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


def _newer_error(db: Path, version: int) -> NewerStoreError:
    return NewerStoreError.of(
        "store.newer",
        path=str(db),
        detail=f"user_version {version} > {SCHEMA_VERSION}",
    )


def _open_error(db: Path, exc: BaseException) -> StoreError:
    return StoreError.of("store.cannot_open", path=str(db), detail=repr(exc))


def _translate(exc: sqlite3.Error, db: Path) -> StoreError | DiskFullError:
    """Turn an sqlite3 error into a sentence for the user."""
    code = _error_code(exc)
    detail = f"{type(exc).__name__}: {exc}"
    if code == _SQLITE_FULL or "database or disk is full" in str(exc):
        return DiskFullError.of("store.disk_full", detail=detail)
    if _is_corruption(exc):
        return StoreCorruptError.of("store.damaged", path=str(db), detail=detail)
    if code == _SQLITE_READONLY:
        return StoreError.of("store.read_only_file", path=str(db), detail=detail)
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StoreError.of("store.busy", detail=detail)
    if code in (_SQLITE_CANTOPEN, _SQLITE_IOERR):
        return _open_error(db, exc)
    return StoreError.of("store.failed_io", detail=detail)
