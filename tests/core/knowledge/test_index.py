"""The index: incremental re-index, deletions, bad files listed, faults leave it whole."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.knowledge import collections as coll
from app.core.knowledge.collections import index_collection
from app.core.knowledge.index import (
    CollectionNotFoundError,
    IndexDiskFullError,
    KnowledgeIndex,
    fts_query,
    search_form,
)
from tests.core.knowledge.files import docx_bytes, encrypted_pdf_bytes, pdf_bytes, write
from tests.support.mirror import SocketTrap


def test_search_form_makes_cjk_bigrams() -> None:
    assert search_form("合同条款 rent-due") == "合同 同条 条款 rent due"
    assert search_form("猫") == "猫"
    assert fts_query('say "hi"') == '"say" OR "hi"'


def test_index_and_reindex_is_incremental(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("notes", corpus)
    first = index_collection(index, "notes")
    assert first.indexed == 8 and not first.bad and first.unchanged == 0
    assert index.check_consistency() == []

    again = index_collection(index, "notes")
    assert again.indexed == 0 and again.unchanged == 8

    # Touched but unchanged: the hash says so, and nothing is redone.
    os.utime(corpus / "bicycle.txt", ns=(1, 1))
    touched = index_collection(index, "notes")
    assert touched.indexed == 0 and touched.unchanged == 8

    (corpus / "bicycle.txt").write_text("Completely new text about unicycles.", encoding="utf-8")
    (corpus / "sourdough.md").unlink()
    changed = index_collection(index, "notes")
    assert changed.indexed == 1 and changed.removed == 1 and changed.unchanged == 6
    [summary] = index.collections()
    assert summary.documents == 7 and summary.errors == 0
    assert index.check_consistency() == []
    cid = index.collection_id("notes")
    assert not index.search_fts([cid], "sourdough starter", 5)
    assert index.search_fts([cid], "unicycles", 5)


def test_bad_files_are_listed_with_reasons(index: KnowledgeIndex, corpus: Path) -> None:
    write(corpus / "locked.pdf", encrypted_pdf_bytes("secret"))
    write(corpus / "scan.pdf", pdf_bytes([""]))
    write(corpus / "blob.txt", bytes(range(256)) * 8)
    write(corpus / "huge.md", b"word " * 5000)
    write(corpus / "photo.png", b"\x89PNG")  # not a format: skipped silently in a folder
    write(corpus / "broken.docx", b"PK\x03\x04 not a zip at all")
    write(corpus / "bomb.docx", docx_bytes(b"<w:document>" + b" " * 5_000_000 + b"</w:document>"))
    if os.name == "posix":
        (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    index.add_root("notes", corpus)
    report = index_collection(index, "notes", max_bytes=20_000)
    reasons = {Path(b.path).name: b.reason for b in report.bad}
    expected = {
        "locked.pdf": "encrypted",
        "scan.pdf": "no_text_layer",
        "blob.txt": "binary",
        "huge.md": "too_large",
        "broken.docx": "corrupt",
        "bomb.docx": "zip_bomb",
    }
    if os.name == "posix":
        expected["loop.txt"] = "symlink_loop"
    assert reasons == expected
    listed = {Path(d.path).name: d.message for d in index.bad_files("notes")}
    assert set(listed) == set(expected)
    assert "OCR is not supported" in listed["scan.pdf"]
    assert report.indexed == 8
    # Raising the limit lets the huge file in on the next run; the others stay listed.
    report = index_collection(index, "notes", max_bytes=1_000_000)
    assert "huge.md" not in {Path(b.path).name for b in report.bad}
    assert index.check_consistency() == []


def test_an_explicit_file_root(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("one", corpus / "茶.txt")
    index.add_root("one", corpus / "missing.txt")
    report = index_collection(index, "one")
    assert report.indexed == 1
    assert [b.reason for b in report.bad] == ["vanished"]


def test_file_changing_during_indexing_is_listed_and_redone(
    index: KnowledgeIndex, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = corpus / "bicycle.txt"
    real_extract = coll.extract_bytes

    def extract_then_edit(data: bytes, name: str, kind: str, **limits: object) -> object:
        result = real_extract(data, name, kind, **limits)  # type: ignore[arg-type]
        if name == target.name:
            target.write_text("Edited while being indexed, and longer than before.")
        return result

    monkeypatch.setattr(coll, "extract_bytes", extract_then_edit)
    index.add_root("notes", corpus)
    report = index_collection(index, "notes")
    assert [(Path(b.path).name, b.reason) for b in report.bad] == [("bicycle.txt", "changed")]
    monkeypatch.setattr(coll, "extract_bytes", real_extract)
    report = index_collection(index, "notes")
    assert report.indexed == 1 and not report.bad
    cid = index.collection_id("notes")
    assert index.search_fts([cid], "edited while being indexed", 3)


def test_file_vanishing_during_indexing_leaves_the_index(
    index: KnowledgeIndex, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    target = corpus / "茶.txt"
    target.write_text("新的内容：乌龙茶。", encoding="utf-8")
    real_extract = coll.extract_bytes

    def extract_then_delete(data: bytes, name: str, kind: str, **limits: object) -> object:
        result = real_extract(data, name, kind, **limits)  # type: ignore[arg-type]
        if name == target.name:
            target.unlink()
        return result

    monkeypatch.setattr(coll, "extract_bytes", extract_then_delete)
    report = index_collection(index, "notes")
    assert not report.bad
    assert str(target) not in index.documents(index.collection_id("notes"))
    assert index.check_consistency() == []


def test_full_disk_stops_indexing_and_keeps_the_index_whole(tmp_path: Path, corpus: Path) -> None:
    path = tmp_path / "full.sqlite3"
    index = KnowledgeIndex(path)
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    for name in ("a", "b", "c"):
        (corpus / f"extra-{name}.md").write_text(("filler words " * 3000 + "\n\n") * 3)
    # SQLite's own cap on the file's pages is a full disk as far as the writer can tell.
    pages = index._conn.execute("PRAGMA page_count").fetchone()[0]
    index._conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(IndexDiskFullError) as info:
        index_collection(index, "notes")
    assert "disk is full" in str(info.value)
    assert index.check_consistency() == []
    assert len(index.documents(index.collection_id("notes"))) == 8
    index._conn.execute("PRAGMA max_page_count = 1073741823")
    report = index_collection(index, "notes")
    assert report.indexed == 3 and index.check_consistency() == []
    index.close()


def test_cancel_stops_between_files_and_the_rest_follows_later(
    index: KnowledgeIndex, corpus: Path
) -> None:
    index.add_root("notes", corpus)
    cancel = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            cancel.cancel()

    report = index_collection(index, "notes", cancel=cancel, progress=progress)
    assert report.cancelled and report.indexed == 3 and report.removed == 0
    report = index_collection(index, "notes")
    assert report.indexed == 5 and report.unchanged == 3


def test_collections_crud(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("a", corpus / "茶.txt")
    index_collection(index, "a")
    index.rename_collection("a", "b")
    assert [c.name for c in index.collections()] == ["b"]
    index.delete_collection("b")
    assert index.collections() == []
    assert index.check_consistency() == []
    with pytest.raises(CollectionNotFoundError):
        index.collection_id("b")


def test_a_damaged_index_file_is_a_sentence(tmp_path: Path) -> None:
    from app.core.errors import StoreError

    bad = write(tmp_path / "knowledge.sqlite3", b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        KnowledgeIndex(bad)
    assert "Library" in str(info.value)


def test_index_file_is_private(index: KnowledgeIndex) -> None:
    if os.name == "posix":
        assert (index.path.stat().st_mode & 0o777) == 0o600


def test_indexing_never_touches_the_network(
    index: KnowledgeIndex, corpus: Path, socket_trap: SocketTrap
) -> None:
    write(corpus / "paper.pdf", pdf_bytes(["A page about telescopes"]))
    index.add_root("notes", corpus)
    report = index_collection(index, "notes")
    assert report.indexed == 9
    from app.core.knowledge.retrieve import retrieve

    assert retrieve(index, ["notes"], "telescopes")
    assert socket_trap.calls == []


def test_wal_lets_a_second_connection_read(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    other = sqlite3.connect(index.path)
    assert other.execute("SELECT count(*) FROM documents").fetchone()[0] == 8
    other.close()
