"""Finding a cited passage in its document again (the source viewer's core)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.errors import CancelledError
from app.core.knowledge.chunk import chunk_document
from app.core.knowledge.extract import extract_file
from app.core.knowledge.passage import MAX_VIEW_CHARS, load_passage
from tests.core.knowledge.files import pdf_bytes


def _record(path: Path, chunk_index: int = 0) -> dict[str, object]:
    """The provenance record of one chunk, as context.source_record makes it."""
    chunk = chunk_document(extract_file(path))[chunk_index]
    return {
        "n": 1,
        "path": str(path),
        "page": chunk.page,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "snippet": chunk.text[:600],
    }


def _notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Bicycles\n\nChains need oil.\n\n"
        + "filler paragraph with words. " * 60
        + "\n\n# Tea\n\nGreen tea is steeped at   eighty\ndegrees for two minutes.\n",
        encoding="utf-8",
    )
    return path


def test_a_text_passage_is_found_at_its_lines(tmp_path: Path) -> None:
    path = _notes(tmp_path)
    chunks = chunk_document(extract_file(path))
    tea = next(i for i, c in enumerate(chunks) if "Green tea" in c.text)
    source = _record(path, tea)
    passage = load_passage(source)
    assert passage.status == "found"
    shown = passage.text[passage.start : passage.end]
    # Whitespace differs between the chunk and the file; the file's own text is shown.
    assert shown.startswith("# Tea") and shown.endswith("degrees for two minutes.")
    assert "at   eighty\ndegrees" in shown
    assert passage.text == path.read_text(encoding="utf-8")


def test_a_pdf_passage_is_found_on_its_page(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf_bytes(["Intro words here.", "Results: the sky is blue.", "End."]))
    source = _record(path, 1)
    assert source["page"] == 2
    passage = load_passage(source)
    assert passage.status == "found" and passage.kind == "pdf"
    assert passage.text[passage.start : passage.end] == "Results: the sky is blue."


def test_a_moved_passage_a_changed_file_and_a_missing_one(tmp_path: Path) -> None:
    path = _notes(tmp_path)
    chunks = chunk_document(extract_file(path))
    tea = next(i for i, c in enumerate(chunks) if "Green tea" in c.text)
    source = _record(path, tea)
    path.write_text("New first line.\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    moved = load_passage(source)
    assert moved.status == "moved"
    assert moved.text[moved.start : moved.end].startswith("# Tea")

    path.write_text("Something else entirely.\n", encoding="utf-8")
    changed = load_passage(source)
    assert changed.status == "changed" and changed.text == source["snippet"]

    path.unlink()
    missing = load_passage(source)
    assert missing.status == "missing" and missing.text == source["snippet"]
    assert (missing.start, missing.end) == (0, len(str(source["snippet"])))


def test_an_unreadable_file_says_why(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4 not really")
    passage = load_passage({"path": str(path), "page": 1, "snippet": "lost words"})
    assert passage.status == "unreadable" and passage.error is not None
    assert passage.text == "lost words"


def test_a_huge_document_is_shown_as_a_window_around_the_passage(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    filler = ("x" * 99 + "\n") * (MAX_VIEW_CHARS // 50)
    path.write_text(filler + "needle passage here\n" + filler, encoding="utf-8")
    lines = filler.count("\n") + 1
    source = {
        "path": str(path),
        "line_start": lines,
        "line_end": lines,
        "snippet": "needle passage here",
    }
    passage = load_passage(source, max_bytes=10 * MAX_VIEW_CHARS)
    assert passage.status == "found"
    assert len(passage.text) == MAX_VIEW_CHARS and passage.offset > 0
    assert passage.text[passage.start : passage.end] == "needle passage here"


def test_cancel_stops_before_the_search(tmp_path: Path) -> None:
    path = _notes(tmp_path)
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        load_passage(_record(path), token)
