"""Find a cited passage in its document again, for the source viewer.

A source (``source_record`` in :mod:`app.core.knowledge.context`) keeps the chunk's path,
page, line range and the first characters of its text (the snippet). To show the passage
in its document, the file is extracted again and the passage is looked for where the index
said it was (the page's lines, or the file's lines); if it is not there, anywhere in the
document (the file changed and the passage moved). Whitespace is ignored when matching,
because chunking joins paragraphs and sentences with its own spacing.

A file that is gone, can no longer be read, or no longer holds the passage gives the
stored snippet alone, with a status that says why.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.errors import HearthError
from app.core.knowledge.extract import DEFAULT_MAX_FILE_BYTES, Extracted, extract_file

log = logging.getLogger(__name__)

#: ``found``: at the stored place; ``moved``: the file changed, the passage is elsewhere in
#: it; ``changed``: the file no longer holds it; ``missing``: the file is gone;
#: ``unreadable``: it exists but could not be extracted (``error`` says why).
PassageStatus = Literal["found", "moved", "changed", "missing", "unreadable"]

#: A document longer than this is shown as a window of this size around the passage: a
#: text view holding tens of megabytes is slow to lay out and nobody reads it all.
MAX_VIEW_CHARS: Final = 1_000_000

#: ``source_record`` keeps this much of a chunk; a snippet this long was cut.
SNIPPET_CHARS: Final = 600

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Passage:
    """What the viewer shows: ``text`` with the passage at ``text[start:end]``.

    For every status but ``found`` and ``moved``, ``text`` is the stored snippet.
    ``offset`` is where ``text`` starts in the whole document (non-zero only when a long
    document is shown as a window).
    """

    path: str
    status: PassageStatus
    text: str
    start: int
    end: int
    kind: str = ""
    offset: int = 0
    error: HearthError | None = None

    @property
    def located(self) -> bool:
        return self.status in ("found", "moved")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _pattern(snippet: str) -> re.Pattern[str] | None:
    """The snippet with any whitespace (or none) allowed between its characters."""
    chars = _SPACE.sub("", snippet)
    if not chars:
        return None
    # Each character is a literal followed by optional whitespace: the search backtracks
    # at most over one run of spaces per character, so it stays linear in the document.
    return re.compile(r"\s*".join(re.escape(char) for char in chars))


def _line_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Character range of lines ``first``..``last`` (1-based, inclusive) of ``text``."""
    start = 0
    for _ in range(max(0, first - 1)):
        newline = text.find("\n", start)
        if newline < 0:
            return len(text), len(text)
        start = newline + 1
    end = start
    for _ in range(max(1, last - max(first, 1) + 1)):
        newline = text.find("\n", end)
        if newline < 0:
            return start, len(text)
        end = newline + 1
    return start, end - 1


def _region(doc: Extracted, page: int) -> tuple[int, str]:
    """``(offset, text)`` of the page the chunk came from (the whole text without pages)."""
    if doc.pages and 1 <= page <= len(doc.pages):
        # extract_bytes joins pages with one blank line.
        offset = sum(len(text) + 2 for text in doc.pages[: page - 1])
        return offset, doc.pages[page - 1]
    return 0, doc.text


def _window(passage: Passage) -> Passage:
    """A long document cut to MAX_VIEW_CHARS around the passage."""
    if len(passage.text) <= MAX_VIEW_CHARS:
        return passage
    middle = (passage.start + passage.end) // 2
    begin = max(0, min(middle - MAX_VIEW_CHARS // 2, len(passage.text) - MAX_VIEW_CHARS))
    return Passage(
        path=passage.path,
        status=passage.status,
        text=passage.text[begin : begin + MAX_VIEW_CHARS],
        start=passage.start - begin,
        end=min(passage.end, begin + MAX_VIEW_CHARS) - begin,
        kind=passage.kind,
        offset=begin,
        error=passage.error,
    )


def locate_passage(doc: Extracted, source: Mapping[str, Any], path: str = "") -> Passage:
    """Where ``source``'s passage is in ``doc`` (already extracted)."""
    snippet = str(source.get("snippet") or "")
    pattern = _pattern(snippet)
    if pattern is None:
        return Passage(path, "changed", snippet, 0, len(snippet), doc.kind)
    offset, region = _region(doc, _int(source.get("page")))
    first, last = _int(source.get("line_start")), _int(source.get("line_end"))
    if first:
        lo, hi = _line_span(region, first, max(first, last))
        match = pattern.search(region, lo, hi + 1)
        if match is not None:
            start, end = offset + match.start(), offset + match.end()
            if len(snippet) >= SNIPPET_CHARS:
                # The snippet is the chunk's beginning: the chunk runs on to its last line.
                end = max(end, offset + hi)
            return _window(Passage(path, "found", doc.text, start, end, doc.kind))
    elif source.get("page"):
        match = pattern.search(region)
        if match is not None:
            start, end = offset + match.start(), offset + match.end()
            return _window(Passage(path, "found", doc.text, start, end, doc.kind))
    match = pattern.search(doc.text)
    if match is not None:
        return _window(Passage(path, "moved", doc.text, match.start(), match.end(), doc.kind))
    return Passage(path, "changed", snippet, 0, len(snippet), doc.kind)


def load_passage(
    source: Mapping[str, Any],
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Passage:
    """Extract ``source``'s file again and find the passage in it (off the GUI thread)."""
    cancel = cancel or CancelToken()
    path = str(source.get("path") or "")
    snippet = str(source.get("snippet") or "")
    progress(0, 2)
    if not path or not Path(path).is_file():
        return Passage(path, "missing", snippet, 0, len(snippet))
    try:
        doc = extract_file(Path(path), max_bytes=max_bytes)
    except HearthError as exc:
        log.info("the cited file could not be read again: %s (%s)", exc, exc.detail)
        return Passage(path, "unreadable", snippet, 0, len(snippet), error=exc)
    cancel.raise_if_cancelled()
    progress(1, 2)
    passage = locate_passage(doc, source, path)
    progress(2, 2)
    return passage
