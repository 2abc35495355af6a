"""One file's extraction is bounded in wall time (a deadline) and in what pypdf may inflate.

The clock is injected: each reading of it is one "second" later, so a file that needs many
deadline checks (many pages, a page with many operators, a long DOCX or HTML) runs out of
time without the test being slow, and a file that needs few does not.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from app.core.knowledge.collections import index_collection
from app.core.knowledge.extract import (
    PDF_MAX_STREAM_BYTES,
    Deadline,
    ExtractionError,
    docx_to_text,
    extract_file,
    html_to_text,
    pdf_pages,
)
from app.core.knowledge.index import KnowledgeIndex
from tests.core.knowledge.files import docx_bytes, docx_xml, pdf_bytes, write

_PLACEHOLDER = b"BT /F1 12 Tf 72 700 Td (PLACEHOLDER) Tj ET"


class StepClock:
    """A monotonic clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += 1.0
        return self.now


def pdf_with_stream(stream: bytes, *, filters: str = "") -> bytes:
    """A one-page PDF whose page content is ``stream`` (raw, or encoded by ``filters``)."""
    data = pdf_bytes(["PLACEHOLDER"])
    old_length = b"<< /Length %d >>" % len(_PLACEHOLDER)
    new_length = b"<< /Length %d%s >>" % (len(stream), filters.encode())
    assert data.count(old_length) == 1
    return data.replace(old_length, new_length).replace(_PLACEHOLDER, stream)


def busy_page_pdf(operators: int) -> bytes:
    """One page with ``operators`` text-showing operators: slow to extract, one page."""
    body = b"".join(b"(w%d ) Tj " % i for i in range(operators))
    return pdf_with_stream(b"BT /F1 12 Tf 72 700 Td " + body + b"ET")


def test_a_page_with_a_huge_content_stream_is_cut_inside_the_page() -> None:
    # One page: the checks between pages alone would never reach 20 "seconds".
    data = busy_page_pdf(5000)
    assert "w4999" in pdf_pages(data, "busy.pdf")[0]  # readable without a deadline
    with pytest.raises(ExtractionError) as info:
        pdf_pages(data, "busy.pdf", deadline=Deadline(20, "busy.pdf", clock=StepClock()))
    assert info.value.reason == "timeout"
    assert info.value.code == "documents.timeout"
    assert info.value.params == {"name": "busy.pdf", "seconds": "20"}
    assert str(info.value) == "“busy.pdf” took longer than 20 s to read; it was skipped."


def test_many_pages_are_cut_between_pages() -> None:
    data = pdf_bytes([f"page {n}" for n in range(60)])
    clock = StepClock()
    with pytest.raises(ExtractionError) as info:
        pdf_pages(data, "long.pdf", deadline=Deadline(30, "long.pdf", clock=clock))
    assert info.value.reason == "timeout"
    # It stopped soon after the deadline, not at the end of the file.
    assert clock.reads < 60


def test_a_pdf_within_its_time_is_read_whole() -> None:
    data = pdf_bytes(["one", "two", "three"])
    pages = pdf_pages(data, "ok.pdf", deadline=Deadline(1000, "ok.pdf", clock=StepClock()))
    assert [p.strip() for p in pages] == ["one", "two", "three"]


def test_a_long_docx_and_a_long_html_are_cut() -> None:
    docx = docx_bytes(docx_xml([("", f"paragraph {n}") for n in range(5000)]))
    with pytest.raises(ExtractionError) as info:
        docx_to_text(docx, "long.docx", deadline=Deadline(10, "long.docx", clock=StepClock()))
    assert info.value.reason == "timeout"
    markup = "<p>" + "word " * 200_000 + "</p>"
    with pytest.raises(ExtractionError) as info:
        html_to_text(markup, Deadline(5, "long.html", clock=StepClock()))
    assert info.value.reason == "timeout"
    # Without a deadline both read.
    assert "paragraph 4999" in docx_to_text(docx, "long.docx")
    assert html_to_text(markup).startswith("word word")


def test_extract_file_passes_its_deadline_down(tmp_path: Path) -> None:
    path = write(tmp_path / "busy.pdf", busy_page_pdf(3000))
    with pytest.raises(ExtractionError) as info:
        extract_file(path, seconds=15, clock=StepClock())
    assert info.value.reason == "timeout"
    assert "w2999" in extract_file(path).text


def test_a_page_that_inflates_past_pypdfs_limit_is_refused() -> None:
    # 40 MB of content from a few kilobytes: more than Hearth lets pypdf inflate (32 MB),
    # though less than pypdf's own default (75 MB).
    raw = b"BT /F1 12 Tf 72 700 Td (hi) Tj ET " + b" " * (PDF_MAX_STREAM_BYTES + 8 * 1024 * 1024)
    data = pdf_with_stream(zlib.compress(raw, 9), filters=" /Filter /FlateDecode")
    assert len(data) < 200_000
    with pytest.raises(ExtractionError) as info:
        pdf_pages(data, "bomb.pdf")
    assert info.value.reason == "zip_bomb"
    assert info.value.code == "documents.pdf_limit"


def test_a_slow_pdf_is_listed_and_the_rest_of_the_collection_indexes(
    tmp_path: Path, index: KnowledgeIndex
) -> None:
    folder = tmp_path / "docs"
    write(folder / "a.md", b"# Alpha\n\nThe alpha notes.\n")
    write(folder / "b.txt", "合同的有效期为三年。".encode())
    write(folder / "fine.pdf", pdf_bytes(["a short and quick page"]))
    write(folder / "slow.pdf", busy_page_pdf(5000))
    index.add_root("Docs", folder)
    report = index_collection(index, "Docs", seconds=25, clock=StepClock())
    assert report.indexed == 3
    assert [(Path(b.path).name, b.reason, b.code) for b in report.bad] == [
        ("slow.pdf", "timeout", "documents.timeout")
    ]
    assert report.bad[0].params == {"name": "slow.pdf", "seconds": "25"}
    assert index.check_consistency() == []
    (row,) = index.bad_files("Docs")
    assert Path(row.path).name == "slow.pdf"
    assert row.reason == "timeout" and row.code == "documents.timeout"
    assert row.error_params() == {"name": "slow.pdf", "seconds": "25"}
    # Next run with time enough: the slow file is indexed, its error row replaced.
    report = index_collection(index, "Docs")
    assert report.indexed == 1 and report.unchanged == 3 and not report.bad
    assert index.bad_files("Docs") == []
    assert index.check_consistency() == []
