"""Named collections and their (incremental, resumable) indexing.

``index_collection`` is the long work: a plain function with a cancel token and a
progress callback, wrapped by the Library panel's task runner and by ``python -m app docs
index``. It walks the collection's roots, and for each supported file:

* same size and mtime as indexed → skipped without reading it;
* same sha256 (touched, not changed) → only the stat is remembered;
* otherwise extracted, chunked and written in one transaction, after checking that the
  file did not change while it was read (else it is listed and redone next time).

Files gone from disk leave the index. Files that cannot be read are listed with their
reason (a stable code and its values, so the UI can translate it). Each file's extraction
has a wall-time deadline: a hostile PDF is listed as too slow and the run goes on. Because
each file commits on its own, a cancel, a kill -9 or a full disk leaves a
consistent index, and the next run only does what is left. With an embedder, chunks that
lack a vector for its model are embedded afterwards, in batches that commit on their own.
Nothing here touches the network.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.errors import ErrorArg, english
from app.core.knowledge.chunk import chunk_document
from app.core.knowledge.embed import Embedder
from app.core.knowledge.extract import (
    DEFAULT_EXTRACT_SECONDS,
    DEFAULT_MAX_FILE_BYTES,
    Clock,
    Deadline,
    ExtractionError,
    extract_bytes,
    kind_for,
    read_bounded,
)
from app.core.knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

#: Folders no one means to index.
SKIP_DIRS: Final = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".idea"}
)
EMBED_BATCH: Final = 32


@dataclass(frozen=True, slots=True)
class BadFile:
    """A file not indexed: ``reason`` (a kind), the English ``message``, and the stable
    ``code`` and ``params`` of that message for a UI in another language."""

    path: str
    reason: str
    message: str
    code: str = ""
    params: dict[str, ErrorArg] = field(default_factory=dict)


@dataclass(slots=True)
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    embedded: int = 0
    bad: list[BadFile] = field(default_factory=list)
    cancelled: bool = False


def walk_root(root: Path) -> Iterator[tuple[Path, bool]]:
    """``(file, explicit)``: files under a folder (supported suffixes only), or the root.

    Symbolic links to folders are not followed (no loops, no escaping the folder); links
    to files are, and a link that loops is yielded so it can be listed with its reason.
    """
    if not root.is_dir():
        yield root, True
        return
    # The order of os.walk (a folder's files, then each subfolder in turn), but with a stack:
    # os.walk recurses (Python 3.11), so a folder nested ~1000 deep (an archive's, a
    # hostile repository's) raised RecursionError instead of being indexed.
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue  # unreadable, vanished or too deep a path: skipped, as os.walk does
        subfolders: list[str] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                # Links to folders are not followed: no loops, no escaping the folder.
                name = entry.name
                if not entry.is_symlink() and name not in SKIP_DIRS and not name.startswith("."):
                    subfolders.append(entry.path)
                continue
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if kind_for(path) is not None or entry.is_symlink():
                yield path, False
        stack.extend(reversed(subfolders))


def index_collection(
    index: KnowledgeIndex,
    name: str,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    embedder: Embedder | None = None,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    seconds: float = DEFAULT_EXTRACT_SECONDS,
    clock: Clock = time.monotonic,
) -> IndexReport:
    """Bring collection ``name`` up to date with its roots on disk; see the module doc.

    ``max_bytes`` is the largest file read, ``seconds`` the wall time one file may take.
    """
    cancel = cancel or CancelToken()
    cid = index.collection_id(name)
    report = IndexReport()
    files: list[tuple[Path, bool]] = []
    outside: set[Path] = set()
    for root in index.roots(name):
        if not root.exists() and not root.is_symlink():
            params: dict[str, ErrorArg] = {"path": str(root)}
            code = "documents.root_missing"
            report.bad.append(BadFile(str(root), "vanished", english(code, params), code, params))
            continue
        for path, explicit in walk_root(root):
            if not explicit and links_outside(path, root):
                outside.add(path)
            files.append((path, explicit))
    known = index.documents(cid)
    seen: set[str] = set()
    total = len(files)
    progress(0, total)
    for done, (path, explicit) in enumerate(files):
        if cancel.cancelled:
            report.cancelled = True
            break
        key = str(path)
        seen.add(key)
        if path in outside:
            _refuse_outside(index, cid, path, report)
        else:
            limits = _Limits(max_bytes, seconds, clock)
            _index_one(index, cid, path, explicit, known.get(key), report, limits)
        progress(done + 1, total)
    if not report.cancelled:
        gone = [doc.id for path, doc in known.items() if path not in seen]
        index.remove_documents(gone)
        report.removed = len(gone)
    if embedder is not None and not report.cancelled:
        report.embedded = embed_missing(index, cid, embedder, cancel=cancel, progress=progress)
        report.cancelled = cancel.cancelled
    return report


def links_outside(path: Path, root: Path) -> bool:
    """True for a symbolic link under ``root`` whose file lies outside it.

    A folder from someone else (a cloned repository, an unpacked archive) can hold
    ``notes.txt -> ~/.ssh/id_rsa`` or ``-> /proc/self/environ``; indexing it would copy
    that secret into the index, and from there into prompts, remote engines included.
    """
    if not path.is_symlink():
        return False
    # Not strict: a loop or a dangling link resolves to somewhere under the root and is
    # then listed by read_bounded with its own reason.
    target = Path(os.path.realpath(path))
    return not target.is_relative_to(Path(os.path.realpath(root)))


def _refuse_outside(index: KnowledgeIndex, cid: int, path: Path, report: IndexReport) -> None:
    params: dict[str, ErrorArg] = {"name": path.name}
    message = english("documents.link_outside", params)
    log.info("not indexed: %s (a link out of its folder)", path.name)
    report.bad.append(BadFile(str(path), "unreadable", message, "documents.link_outside", params))
    index.write_error(
        cid,
        str(path),
        reason="unreadable",
        message=message,
        code="documents.link_outside",
        params=params,
    )


@dataclass(frozen=True, slots=True)
class _Limits:
    """What one file may cost: bytes read, and wall time to extract."""

    max_bytes: int
    seconds: float
    clock: Clock


def _index_one(
    index: KnowledgeIndex,
    cid: int,
    path: Path,
    explicit: bool,
    known: object,
    report: IndexReport,
    limits: _Limits,
) -> None:
    from app.core.knowledge.index import DocumentRow

    max_bytes = limits.max_bytes

    previous = known if isinstance(known, DocumentRow) else None
    key = str(path)
    try:
        kind = kind_for(path)
        if kind is None:
            raise ExtractionError("unsupported", "").with_code(
                "documents.unsupported", name=path.name
            )
        try:
            before = path.stat()
        except OSError as exc:
            # read_bounded turns the OS error into the right reason (loop, vanished, …).
            read_bounded(path, max_bytes)
            raise ExtractionError("unreadable", "").with_code(
                "documents.unreadable", name=path.name
            ) from exc
        if (
            previous is not None
            and previous.status == "ok"
            and previous.size == before.st_size
            and previous.mtime_ns == before.st_mtime_ns
        ):
            report.unchanged += 1
            return
        # The deadline starts before the read: a slow disk or network share counts too.
        deadline = Deadline(limits.seconds, path.name, clock=limits.clock)
        data = read_bounded(path, max_bytes)
        import hashlib

        digest = hashlib.sha256(data).hexdigest()
        if previous is not None and previous.status == "ok" and previous.sha256 == digest:
            index.touch_document(previous.id, size=before.st_size, mtime_ns=before.st_mtime_ns)
            report.unchanged += 1
            return
        text, encoding, pages = extract_bytes(data, path.name, kind, deadline=deadline)
        if not text.strip():
            raise ExtractionError("empty", "").with_code("documents.empty", name=path.name)
        from app.core.knowledge.extract import Extracted

        doc = Extracted(path.name, kind, text, len(data), digest, encoding, pages)
        chunks = chunk_document(doc)
        try:
            after = path.stat()
        except FileNotFoundError as exc:
            raise ExtractionError("vanished", "").with_code(
                "documents.vanished_indexing", name=path.name
            ) from exc
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(
            data
        ) != before.st_size:
            raise ExtractionError("changed", "").with_code("documents.changed", name=path.name)
        index.write_document(
            cid,
            key,
            kind=kind,
            size=before.st_size,
            mtime_ns=before.st_mtime_ns,
            sha256=digest,
            chunks=chunks,
        )
        report.indexed += 1
    except ExtractionError as exc:
        if exc.reason == "vanished" and not explicit:
            # A file deleted mid-run simply leaves the index, as a deleted file should.
            if previous is not None:
                index.remove_documents([previous.id])
            return
        if exc.reason == "unsupported" and not explicit:
            return
        log.info("not indexed: %s (%s) %s", path.name, exc.reason, exc.detail)
        report.bad.append(BadFile(key, exc.reason, exc.message, exc.code, dict(exc.params)))
        index.write_error(
            cid, key, reason=exc.reason, message=exc.message, code=exc.code, params=exc.params
        )


def embed_missing(
    index: KnowledgeIndex,
    collection_id: int,
    embedder: Embedder,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> int:
    """Embed every chunk of the collection that has no vector for this model yet."""
    cancel = cancel or CancelToken()
    total = index.count_without_vectors(collection_id, embedder.model_id)
    done = 0
    while not cancel.cancelled:
        batch = index.chunks_without_vectors(collection_id, embedder.model_id, EMBED_BATCH)
        if not batch:
            break
        vectors = embedder.embed_passages([text for _id, text in batch], cancel=cancel)
        index.write_vectors(
            embedder.model_id, [(cid, vec) for (cid, _t), vec in zip(batch, vectors, strict=True)]
        )
        done += len(batch)
        progress(done, total)
    return done
