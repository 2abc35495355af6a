"""Chunking by structure: headings, paragraphs, pages; CJK-aware sizes."""

from __future__ import annotations

from pathlib import Path

from app.core.knowledge.chunk import MAX_TOKENS, chunk_document, chunk_text, estimate_tokens
from app.core.knowledge.extract import Extracted, extract_file

CORPUS = Path(__file__).resolve().parents[2] / "support" / "corpus" / "notes"


def doc(text: str, pages: tuple[str, ...] = ()) -> Extracted:
    return Extracted("x.md", "markdown", text, len(text), "0" * 64, "utf-8", pages)


def test_estimate_counts_cjk_characters_as_tokens() -> None:
    assert estimate_tokens("合同条款" * 25) >= 100
    assert 20 <= estimate_tokens("word " * 25) <= 50


def test_headings_start_chunks_and_are_kept() -> None:
    chunks = chunk_document(extract_file(CORPUS / "hearth-maintenance.md"))
    headings = [c.heading for c in chunks]
    assert headings == ["Cleaning the firebox", "Chimney inspection", "Glass doors"]
    assert chunks[1].text.startswith("## Chimney inspection")
    assert "certified sweep" in chunks[1].text
    # Line numbers point at the passage in the file.
    lines = (CORPUS / "hearth-maintenance.md").read_text(encoding="utf-8").splitlines()
    assert lines[chunks[1].line_start - 1] == "## Chimney inspection"
    assert "fire hazard" in "\n".join(lines[chunks[1].line_start - 1 : chunks[1].line_end])


def test_pages_are_never_crossed() -> None:
    chunks = chunk_document(doc("", pages=("page one text", "page two text")))
    assert [(c.page, c.text) for c in chunks] == [(1, "page one text"), (2, "page two text")]
    assert chunks[1].location == "p. 2"


def test_small_paragraphs_pack_together() -> None:
    text = "\n\n".join(f"Paragraph {i} is short." for i in range(10))
    chunks = chunk_text(text)
    assert len(chunks) == 1 and chunks[0].line_start == 1 and chunks[0].line_end == 19


def test_long_chinese_paragraph_is_cut_at_sentence_ends() -> None:
    sentence = "灶台的烟道连接屋顶的烟囱，把烟排出室外。"
    text = sentence * 200
    chunks = chunk_text(text)
    assert len(chunks) > 3
    assert all(estimate_tokens(c.text) <= MAX_TOKENS for c in chunks)
    assert all(c.text.endswith("。") for c in chunks[:-1])
    assert "".join(c.text for c in chunks) == text


def test_a_sentence_longer_than_the_ceiling_is_cut_hard() -> None:
    text = "x" * 10_000
    chunks = chunk_text(text)
    assert all(estimate_tokens(c.text) <= MAX_TOKENS for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_ordinals_are_consecutive() -> None:
    text = "\n\n".join(f"# H{i}\n\nbody {i}" for i in range(5))
    chunks = chunk_text(text)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert [c.heading for c in chunks] == [f"H{i}" for i in range(5)]
