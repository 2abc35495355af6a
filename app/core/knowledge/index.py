"""The knowledge index: one SQLite file under the data directory, apart from the chats.

Tables: ``collections`` (named), ``roots`` (the folders and files a collection was pointed
at), ``documents`` (one row per file: size, mtime, sha256, and ``ok`` or ``error`` with
the reason), ``chunks`` (the passages, with heading, page and lines), ``chunks_fts`` (FTS5,
BM25) and ``vectors`` (one float32 blob per chunk and embedding model).

Full-text search and CJK: FTS5's ``unicode61`` tokenizer sees a run of Han characters as
one token, and ``trigram`` cannot match the two-character words Chinese is mostly made of
(合同, 条款). So the indexed text is a search form of the chunk: CJK runs become
overlapping character bigrams (合同条款 → 合同 同条 条款), other words stay words, and the
query goes through the same function. BM25 then ranks Chinese and English alike.

Every document is written in one transaction (its chunks, FTS rows and the document row
together), so a kill -9 or a full disk leaves the index as it was before that document,
and the next run picks up where this one stopped. WAL mode lets searches run while
another connection indexes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from app.core.errors import DiskFullError, StoreError, english
from app.core.knowledge.chunk import Chunk
from app.core.knowledge.extract import is_cjk

log = logging.getLogger(__name__)

INDEX_FILE_NAME: Final = "knowledge.sqlite3"
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS roots (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    UNIQUE (collection_id, path)
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    reason TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    n_chunks INTEGER NOT NULL DEFAULT 0,
    indexed_at REAL NOT NULL,
    UNIQUE (collection_id, path)
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    heading TEXT NOT NULL DEFAULT '',
    page INTEGER,
    line_start INTEGER NOT NULL DEFAULT 0,
    line_end INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS vectors (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (chunk_id, model)
);
"""

_WORD: Final = re.compile(r"\w+", re.UNICODE)


class IndexDiskFullError(DiskFullError):
    """The disk filled up while indexing; the index is kept as it was before the file."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            english("documents.disk_full", {}), detail=detail, code="documents.disk_full"
        )


class CollectionNotFoundError(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(
            english("documents.no_collection", {"name": name}),
            code="documents.no_collection",
            params={"name": name},
        )


def search_form(text: str) -> str:
    """The text as FTS5 indexes it: words stay, CJK runs become overlapping bigrams."""
    out: list[str] = []
    for match in _WORD.finditer(text):
        out.extend(_terms_of_word(match.group(0)))
    return " ".join(out)


def _terms_of_word(word: str) -> list[str]:
    terms: list[str] = []
    run = ""
    latin = ""
    for char in word:
        if is_cjk(char):
            if latin:
                terms.append(latin)
                latin = ""
            run += char
        else:
            if run:
                terms.extend(_bigrams(run))
                run = ""
            latin += char
    if run:
        terms.extend(_bigrams(run))
    if latin:
        terms.append(latin)
    return terms


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression: every term of the query, OR'ed, each quoted."""
    terms = list(dict.fromkeys(search_form(query).split()))
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms[:64])


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    name: str
    roots: tuple[str, ...]
    documents: int
    chunks: int
    errors: int


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    path: str
    kind: str
    size: int
    mtime_ns: int
    sha256: str
    status: str
    reason: str
    message: str
    n_chunks: int
    #: For an error: the stable code of ``message`` and its values (JSON), so the Library
    #: shows the reason in the UI's language, even one chosen after it was stored.
    code: str = ""
    params: str = "{}"

    def error_params(self) -> dict[str, str | int | float]:
        """``params`` decoded; damaged JSON gives no values (the English message stays)."""
        try:
            value = json.loads(self.params or "{}")
        except ValueError:
            return {}
        if not isinstance(value, dict):
            return {}
        return {str(k): v for k, v in value.items() if isinstance(v, str | int | float)}


#: Columns added after schema 1 shipped: ``(name, declaration)``, added when missing.
_ADDED_COLUMNS: Final = (
    ("code", "TEXT NOT NULL DEFAULT ''"),
    ("params", "TEXT NOT NULL DEFAULT '{}'"),
)


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as retrieval returns it, with its document's path for the citation."""

    id: int
    document_id: int
    path: str
    ordinal: int
    text: str
    heading: str
    page: int | None
    line_start: int
    line_end: int
    collection: str = ""

    @property
    def location(self) -> str:
        if self.page is not None:
            return f"p. {self.page}"
        return f"line {self.line_start}" if self.line_start else ""


def _is_disk_full(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "full" in text or getattr(exc, "sqlite_errorcode", 0) == 13  # SQLITE_FULL


class KnowledgeIndex:
    """One connection to the knowledge database. Thread-safe through one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                str(path), timeout=30.0, check_same_thread=False, isolation_level=None
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            have = {row[1] for row in self._conn.execute("PRAGMA table_info(documents)")}
            for column, declaration in _ADDED_COLUMNS:
                if column not in have:
                    try:
                        self._conn.execute(
                            f"ALTER TABLE documents ADD COLUMN {column} {declaration}"
                        )
                    except sqlite3.OperationalError as exc:  # another connection added it
                        if "duplicate column" not in str(exc).lower():
                            raise
            self._conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError.of(
                "documents.index_unusable",
                detail=f"{path}: {exc}",
            ) from exc
        if os.name == "posix":
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        self._lock = threading.RLock()
        self._writes = 0
        self._vector_cache: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> KnowledgeIndex:
        return cls(data_dir / INDEX_FILE_NAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a full disk becomes IndexDiskFullError after rollback."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError) and _is_disk_full(exc):
                    raise IndexDiskFullError(str(exc)) from exc
                raise
            finally:
                self._writes += 1

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql, args).fetchall())

    # --- collections ---------------------------------------------------------------------

    def create_collection(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise StoreError.of("documents.collection_needs_name")
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO collections(name, created) VALUES (?, ?)",
                (name, time.time()),
            )
            row = conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        return int(row[0])

    def collection_id(self, name: str) -> int:
        rows = self._query("SELECT id FROM collections WHERE name = ?", (name,))
        if not rows:
            raise CollectionNotFoundError(name)
        return int(rows[0][0])

    def delete_collection(self, name: str) -> None:
        cid = self.collection_id(name)
        with self.transaction() as conn:
            conn.execute(
                "DELETE FROM chunks_fts WHERE rowid IN (SELECT c.id FROM chunks c "
                "JOIN documents d ON d.id = c.document_id WHERE d.collection_id = ?)",
                (cid,),
            )
            conn.execute("DELETE FROM collections WHERE id = ?", (cid,))

    def rename_collection(self, old: str, new: str) -> None:
        cid = self.collection_id(old)
        with self.transaction() as conn:
            conn.execute("UPDATE collections SET name = ? WHERE id = ?", (new.strip(), cid))

    def add_root(self, name: str, path: Path) -> None:
        cid = self.create_collection(name)
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO roots(collection_id, path) VALUES (?, ?)",
                (cid, str(path)),
            )

    def remove_root(self, name: str, path: Path) -> None:
        cid = self.collection_id(name)
        with self.transaction() as conn:
            conn.execute("DELETE FROM roots WHERE collection_id = ? AND path = ?", (cid, str(path)))

    def roots(self, name: str) -> list[Path]:
        cid = self.collection_id(name)
        rows = self._query("SELECT path FROM roots WHERE collection_id = ? ORDER BY id", (cid,))
        return [Path(str(row[0])) for row in rows]

    def collections(self) -> list[Collection]:
        rows = self._query(
            "SELECT c.id, c.name, "
            "(SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND status='ok'), "
            "(SELECT count(*) FROM chunks k JOIN documents d ON d.id = k.document_id "
            " WHERE d.collection_id = c.id), "
            "(SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND status='error') "
            "FROM collections c ORDER BY c.name"
        )
        out: list[Collection] = []
        for cid, name, docs, chunks, errors in rows:
            roots = self._query(
                "SELECT path FROM roots WHERE collection_id = ? ORDER BY id", (cid,)
            )
            out.append(
                Collection(
                    id=int(cid),
                    name=str(name),
                    roots=tuple(str(r[0]) for r in roots),
                    documents=int(docs),
                    chunks=int(chunks),
                    errors=int(errors),
                )
            )
        return out

    # --- documents -----------------------------------------------------------------------

    def documents(self, collection_id: int) -> dict[str, DocumentRow]:
        rows = self._query(
            "SELECT id, path, kind, size, mtime_ns, sha256, status, reason, message, n_chunks, "
            "code, params FROM documents WHERE collection_id = ?",
            (collection_id,),
        )
        return {str(r[1]): DocumentRow(*r) for r in rows}

    def bad_files(self, name: str) -> list[DocumentRow]:
        cid = self.collection_id(name)
        return [d for d in self.documents(cid).values() if d.status == "error"]

    def write_document(
        self,
        collection_id: int,
        path: str,
        *,
        kind: str,
        size: int,
        mtime_ns: int,
        sha256: str,
        chunks: Sequence[Chunk],
    ) -> int:
        """Replace a document's chunks in one transaction; returns the document id."""
        with self.transaction() as conn:
            doc_id = self._upsert_document(
                conn, collection_id, path, kind, size, mtime_ns, sha256, "ok", "", "", len(chunks)
            )
            conn.execute("UPDATE documents SET code = '', params = '{}' WHERE id = ?", (doc_id,))
            self._delete_chunks(conn, doc_id)
            for chunk in chunks:
                cursor = conn.execute(
                    "INSERT INTO chunks(document_id, ordinal, text, heading, page, line_start, "
                    "line_end) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc_id,
                        chunk.ordinal,
                        chunk.text,
                        chunk.heading,
                        chunk.page,
                        chunk.line_start,
                        chunk.line_end,
                    ),
                )
                body = search_form(f"{Path(path).stem} {chunk.heading} {chunk.text}")
                conn.execute(
                    "INSERT INTO chunks_fts(rowid, body) VALUES (?, ?)", (cursor.lastrowid, body)
                )
            self._before_commit(doc_id)
        return doc_id

    def _before_commit(self, doc_id: int) -> None:
        """A seam for the kill -9 test: the last moment before a document commits."""

    def write_error(
        self, collection_id: int, path: str, *, reason: str, message: str, size: int = 0,
        mtime_ns: int = 0, code: str = "", params: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        with self.transaction() as conn:
            doc_id = self._upsert_document(
                conn, collection_id, path, "", size, mtime_ns, "", "error", reason, message, 0
            )
            conn.execute(
                "UPDATE documents SET code = ?, params = ? WHERE id = ?",
                (code, json.dumps(params or {}, ensure_ascii=False), doc_id),
            )
            self._delete_chunks(conn, doc_id)

    def touch_document(self, doc_id: int, *, size: int, mtime_ns: int) -> None:
        """Same content, new mtime: remember the stat so the file is not hashed again."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE documents SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, doc_id)
            )

    def remove_documents(self, doc_ids: Sequence[int]) -> None:
        if not doc_ids:
            return
        with self.transaction() as conn:
            for doc_id in doc_ids:
                self._delete_chunks(conn, doc_id)
                conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _upsert_document(
        self,
        conn: sqlite3.Connection,
        collection_id: int,
        path: str,
        kind: str,
        size: int,
        mtime_ns: int,
        sha256: str,
        status: str,
        reason: str,
        message: str,
        n_chunks: int,
    ) -> int:
        conn.execute(
            "INSERT INTO documents(collection_id, path, kind, size, mtime_ns, sha256, status, "
            "reason, message, n_chunks, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(collection_id, path) DO UPDATE SET kind = excluded.kind, "
            "size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, "
            "status = excluded.status, reason = excluded.reason, message = excluded.message, "
            "n_chunks = excluded.n_chunks, indexed_at = excluded.indexed_at",
            (
                collection_id,
                path,
                kind,
                size,
                mtime_ns,
                sha256,
                status,
                reason,
                message,
                n_chunks,
                time.time(),
            ),
        )
        row = conn.execute(
            "SELECT id FROM documents WHERE collection_id = ? AND path = ?", (collection_id, path)
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _delete_chunks(conn: sqlite3.Connection, doc_id: int) -> None:
        conn.execute(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)",
            (doc_id,),
        )
        conn.execute("DELETE FROM chunks WHERE document_id = ?", (doc_id,))

    # --- vectors -------------------------------------------------------------------------

    def chunks_without_vectors(
        self, collection_id: int, model: str, limit: int
    ) -> list[tuple[int, str]]:
        rows = self._query(
            "SELECT c.id, c.heading, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE d.collection_id = ? AND NOT EXISTS (SELECT 1 FROM vectors v "
            "WHERE v.chunk_id = c.id AND v.model = ?) ORDER BY c.id LIMIT ?",
            (collection_id, model, limit),
        )
        return [(int(r[0]), f"{r[1]}\n{r[2]}".strip()) for r in rows]

    def count_without_vectors(self, collection_id: int, model: str) -> int:
        rows = self._query(
            "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE d.collection_id = ? AND NOT EXISTS (SELECT 1 FROM vectors v "
            "WHERE v.chunk_id = c.id AND v.model = ?)",
            (collection_id, model),
        )
        return int(rows[0][0])

    def write_vectors(self, model: str, items: Sequence[tuple[int, np.ndarray]]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO vectors(chunk_id, model, vec) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?)",
                [
                    (cid, model, np.asarray(vec, dtype=np.float32).tobytes(), cid)
                    for cid, vec in items
                ],
            )

    def vector_matrix(
        self, collection_ids: Sequence[int], model: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(chunk ids, unit vectors)`` of the collections, cached until the index changes."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            key = (tuple(sorted(collection_ids)), model, version, self._writes)
            cached = self._vector_cache.get(key)
            if cached is not None:
                return cached
            marks = ",".join("?" * len(collection_ids))
            rows = self._conn.execute(
                f"SELECT v.chunk_id, v.vec FROM vectors v JOIN chunks c ON c.id = v.chunk_id "
                f"JOIN documents d ON d.id = c.document_id WHERE v.model = ? "
                f"AND d.collection_id IN ({marks})",
                (model, *collection_ids),
            ).fetchall()
            if rows:
                ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                matrix = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            else:
                ids = np.zeros(0, dtype=np.int64)
                matrix = np.zeros((0, 0), dtype=np.float32)
            self._vector_cache = {key: (ids, matrix)}
            return ids, matrix

    # --- search --------------------------------------------------------------------------

    def search_fts(self, collection_ids: Sequence[int], query: str, limit: int) -> list[int]:
        """Chunk ids by BM25, best first."""
        match = fts_query(query)
        if not match or not collection_ids:
            return []
        marks = ",".join("?" * len(collection_ids))
        everything = {row[0] for row in self._query("SELECT id FROM collections")}
        try:
            if everything <= set(collection_ids):
                # Every collection is wanted (the common case of one): no join needed,
                # which saves a third of the time on common words.
                rows = self._query(
                    "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                    (match, limit),
                )
                return [int(r[0]) for r in rows]
            rows = self._query(
                f"SELECT f.rowid FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
                f"JOIN documents d ON d.id = c.document_id "
                f"WHERE chunks_fts MATCH ? AND d.collection_id IN ({marks}) "
                f"ORDER BY bm25(chunks_fts) LIMIT ?",
                (match, *collection_ids, limit),
            )
        except sqlite3.OperationalError as exc:
            log.warning("full-text query failed: %s", exc)
            return []
        return [int(r[0]) for r in rows]

    def chunks_by_id(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._query(
            f"SELECT c.id, c.document_id, d.path, c.ordinal, c.text, c.heading, c.page, "
            f"c.line_start, c.line_end, k.name FROM chunks c "
            f"JOIN documents d ON d.id = c.document_id "
            f"JOIN collections k ON k.id = d.collection_id WHERE c.id IN ({marks})",
            list(chunk_ids),
        )
        return {int(r[0]): StoredChunk(*r) for r in rows}

    # --- health --------------------------------------------------------------------------

    def check_consistency(self) -> list[str]:
        """Problems found (empty when the index is whole): used by tests and the CLI."""
        problems: list[str] = []
        ok = self._query("PRAGMA integrity_check")
        if ok and ok[0][0] != "ok":
            problems.append(f"integrity: {ok[0][0]}")
        chunks = self._query("SELECT count(*) FROM chunks")[0][0]
        fts = self._query("SELECT count(*) FROM chunks_fts")[0][0]
        if chunks != fts:
            problems.append(f"{chunks} chunks but {fts} full-text rows")
        orphans = self._query(
            "SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)"
        )[0][0]
        if orphans:
            problems.append(f"{orphans} full-text rows without a chunk")
        wrong = self._query(
            "SELECT count(*) FROM documents d WHERE n_chunks != "
            "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id)"
        )[0][0]
        if wrong:
            problems.append(f"{wrong} documents whose chunk count is wrong")
        return problems
