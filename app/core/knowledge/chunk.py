"""Split extracted text into chunks along its structure: headings, paragraphs, pages.

A chunk never crosses a heading or a PDF page, so each one can be cited with its file and
page (or first line). Paragraphs are packed together up to a size budget counted in
estimated tokens; a paragraph longer than the budget is cut at sentence ends, Chinese
ones (。！？；) included, and a "sentence" longer still is cut hard. Sizes are counted in
estimated tokens rather than characters because one Chinese character is roughly one
token and four English characters are roughly one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from app.core.knowledge.extract import Extracted, is_cjk

#: Target and ceiling of one chunk, in estimated tokens.
TARGET_TOKENS: Final = 300
MAX_TOKENS: Final = 450

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.!?])\s+")


def estimate_tokens(text: str) -> int:
    """A quick, model-free token estimate: CJK characters count one, other text ~4 chars."""
    cjk = 0
    other = 0.0
    for char in text:
        if is_cjk(char):
            cjk += 1
        else:
            other += 0.25 if char.isspace() else 1.0
    return int(cjk + other / 3.5) + 1


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage of a document, with where it sits for citations."""

    ordinal: int
    text: str
    heading: str = ""
    page: int | None = None
    line_start: int = 0
    line_end: int = 0

    @property
    def location(self) -> str:
        """ "p. 3" for a PDF page, "line 12" otherwise."""
        if self.page is not None:
            return f"p. {self.page}"
        return f"line {self.line_start}" if self.line_start else ""


@dataclass(slots=True)
class _Para:
    text: str
    line_start: int
    line_end: int


def _paragraphs(text: str) -> Iterator[tuple[str, _Para]]:
    """``(heading, paragraph)`` in order; a heading is its own paragraph and sets context."""
    heading = ""
    buffer: list[str] = []
    start = 0
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        match = _HEADING.match(line)
        if match or not line.strip():
            if buffer:
                yield heading, _Para("\n".join(buffer).strip(), start, number - 1)
                buffer = []
            if match:
                heading = match.group(2).strip()
                yield heading, _Para(line.strip(), number, number)
            continue
        if not buffer:
            start = number
        buffer.append(line.rstrip())
    if buffer:
        yield heading, _Para("\n".join(buffer).strip(), start, len(lines))


def _split_long(para: _Para, max_tokens: int) -> Iterator[_Para]:
    """Cut a paragraph over the ceiling at sentence ends, then hard."""
    if estimate_tokens(para.text) <= max_tokens:
        yield para
        return
    pieces = [p for p in _SENTENCE_END.split(para.text) if p and p.strip()]
    current = ""
    for piece in pieces:
        while estimate_tokens(piece) > max_tokens:
            cut = _hard_cut(piece, max_tokens)
            if current:
                yield _Para(current, para.line_start, para.line_end)
                current = ""
            yield _Para(piece[:cut], para.line_start, para.line_end)
            piece = piece[cut:]
        joined = (
            f"{current} {piece}".strip() if current and not is_cjk(piece[0]) else current + piece
        )
        if current and estimate_tokens(joined) > max_tokens:
            yield _Para(current.strip(), para.line_start, para.line_end)
            current = piece
        else:
            current = joined
    if current.strip():
        yield _Para(current.strip(), para.line_start, para.line_end)


def _hard_cut(text: str, max_tokens: int) -> int:
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if estimate_tokens(text[:mid]) <= max_tokens:
            low = mid
        else:
            high = mid - 1
    return max(1, low)


def _chunks_of_text(
    text: str, page: int | None, start_ordinal: int, target: int, maximum: int
) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[_Para] = []
    current_heading = ""
    tokens = 0

    def flush() -> None:
        nonlocal current, tokens
        body = "\n\n".join(p.text for p in current).strip()
        if body:
            chunks.append(
                Chunk(
                    ordinal=start_ordinal + len(chunks),
                    text=body,
                    heading=current_heading,
                    page=page,
                    line_start=current[0].line_start,
                    line_end=current[-1].line_end,
                )
            )
        current = []
        tokens = 0

    for heading, para in _paragraphs(text):
        if heading != current_heading:
            # Structure first: a new section starts a new chunk.
            flush()
            current_heading = heading
        for piece in _split_long(para, maximum):
            size = estimate_tokens(piece.text)
            if current and tokens + size > target:
                flush()
            current.append(piece)
            tokens += size
    flush()
    # A chunk that is only its heading says nothing: fold it into the next one.
    merged: list[Chunk] = []
    for chunk in chunks:
        if merged and _HEADING.match(merged[-1].text) and "\n" not in merged[-1].text:
            prev = merged.pop()
            chunk = Chunk(
                ordinal=prev.ordinal,
                text=f"{prev.text}\n\n{chunk.text}",
                heading=chunk.heading,
                page=chunk.page,
                line_start=prev.line_start,
                line_end=chunk.line_end,
            )
        merged.append(chunk)
    return [
        Chunk(start_ordinal + i, c.text, c.heading, c.page, c.line_start, c.line_end)
        for i, c in enumerate(merged)
    ]


def chunk_document(
    doc: Extracted, *, target_tokens: int = TARGET_TOKENS, max_tokens: int = MAX_TOKENS
) -> list[Chunk]:
    """The chunks of one extracted document, in order."""
    if doc.pages:
        chunks: list[Chunk] = []
        for number, page_text in enumerate(doc.pages, start=1):
            chunks += _chunks_of_text(page_text, number, len(chunks), target_tokens, max_tokens)
        return chunks
    return _chunks_of_text(doc.text, None, 0, target_tokens, max_tokens)


def chunk_text(text: str, *, target_tokens: int = TARGET_TOKENS) -> list[Chunk]:
    """Chunks of loose text (an attachment too large to go in whole)."""
    return _chunks_of_text(text, None, 0, target_tokens, max(target_tokens, MAX_TOKENS))
