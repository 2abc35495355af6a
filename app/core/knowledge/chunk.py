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


#: The characters :func:`app.core.knowledge.extract.is_cjk` accepts, as a regex class.
_CJK_CHARS: Final = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002fa1f\uf900-\ufaff"
    "\u3040-\u30ff\uac00-\ud7af\u3000-\u303f\uff00-\uffef]"
)


def estimate_tokens(text: str) -> int:
    """A quick, model-free token estimate: CJK characters count one, whitespace a quarter
    of other characters, and other text 3.5 characters a token.

    Counted with C-speed string methods, not a Python loop over characters: chunking calls
    this for every join, and a loop made a 1.5 MB text take most of a minute.
    """
    length = len(text)
    cjk = 0 if text.isascii() else len(_CJK_CHARS.findall(text))
    # str.split() splits on exactly the characters str.isspace() accepts.
    spaces = length - sum(len(word) for word in text.split())
    # U+3000 (the ideographic space) is whitespace and CJK; CJK is counted first.
    spaces -= text.count("\u3000")
    other = (length - cjk - spaces) * 1.0 + spaces * 0.25
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
    # Text longer than this is over the ceiling whatever it holds (whitespace, the cheapest
    # character, costs 1/14 of a token): knowing that without estimating the whole piece
    # keeps a multi-megabyte line without sentence ends linear, not quadratic.
    always_over = 16 * max_tokens
    for piece in pieces:
        while len(piece) > always_over or estimate_tokens(piece) > max_tokens:
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
    """The longest prefix within ``max_tokens`` (at least one character).

    One pass that adds each character's cost as :func:`estimate_tokens` counts it: a
    binary search re-estimating prefixes cost minutes on a multi-megabyte line.
    """
    cjk = 0
    other = 0.0
    for position, char in enumerate(text):
        if is_cjk(char):
            cjk += 1
        else:
            other += 0.25 if char.isspace() else 1.0
        if int(cjk + other / 3.5) + 1 > max_tokens:
            return max(1, position)
    return max(1, len(text))


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
