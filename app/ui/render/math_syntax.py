"""Math in Markdown: the markdown-it rules for ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]``.

Pure Python. Every search for a closing delimiter uses positions computed once per inline
source, so a paragraph with thousands of ``$`` signs parses in linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline


def _is_escaped(src: str, pos: int) -> bool:
    """True when ``src[pos]`` is preceded by an odd number of backslashes."""
    backslashes = 0
    pos -= 1
    while pos >= 0 and src[pos] == "\\":
        backslashes += 1
        pos -= 1
    return backslashes % 2 == 1


class _Index:
    """Where the delimiters of one inline source are, found once (one pass per kind).

    Each rule call then finds its closer with a binary search instead of a scan, so
    thousands of unmatched ``$`` signs in one paragraph cost n log n, not n squared.
    """

    __slots__ = ("_occurrences", "backticks", "closers", "digit_closers")

    def __init__(self, src: str) -> None:
        #: ``$`` that may close inline math: not after a space or an escape, not before a digit.
        self.closers: list[int] = []
        #: ``$`` that may close only where the source is cut right after it (see below).
        self.digit_closers: list[int] = []
        for match in re.finditer(r"\$", src):
            end = match.start()
            if end == 0 or src[end - 1].isspace() or _is_escaped(src, end):
                continue
            if end + 1 < len(src) and src[end + 1].isdigit():
                self.digit_closers.append(end)
            else:
                self.closers.append(end)
        self.backticks = [m.start() for m in re.finditer("`", src)]
        self._occurrences: dict[str, list[int]] = {}

    def find(self, src: str, needle: str, start: int, maximum: int) -> int:
        """``src.find(needle, start, maximum)``, by binary search."""
        positions = self._occurrences.get(needle)
        if positions is None:
            # Overlapping matches, as str.find would see them from any start.
            pattern = f"(?={re.escape(needle)})"
            positions = [m.start() for m in re.finditer(pattern, src)]
            self._occurrences[needle] = positions
        i = bisect_left(positions, start)
        if i < len(positions) and positions[i] + len(needle) <= maximum:
            return positions[i]
        return -1


def _index(state: StateInline) -> _Index:
    index: _Index | None = getattr(state, "_hearth_math_index", None)
    if index is None:
        index = _Index(state.src)
        state._hearth_math_index = index  # type: ignore[attr-defined]
    return index


def _find_closing_dollar(index: _Index, src: str, start: int, maximum: int) -> int:
    """Closing ``$`` of inline math opened just before ``start``, or -1.

    The usual rules keep prices out of math: the opener is not followed by a space, the
    closer is not preceded by a space and not followed by a digit ("$5 and $10").
    """
    if start >= maximum or src[start].isspace() or src[start] == "$":
        return -1
    i = bisect_left(index.closers, start)
    end = index.closers[i] if i < len(index.closers) else -1
    # A "$" before a digit still closes when the source (a link label) ends after it.
    j = bisect_left(index.digit_closers, start)
    if (
        j < len(index.digit_closers)
        and index.digit_closers[j] == maximum - 1
        and (end < 0 or index.digit_closers[j] < end)
    ):
        end = index.digit_closers[j]
    if end < 0 or end >= maximum:
        return -1
    # Math never crosses a code span; the backtick rule owns whatever follows.
    k = bisect_left(index.backticks, start)
    if k < len(index.backticks) and index.backticks[k] < end:
        return -1
    return end


def _math_inline_rule(state: StateInline, silent: bool) -> bool:
    src, pos, maximum = state.src, state.pos, state.posMax
    char = src[pos]
    if char == "$":
        index = _index(state)
        if pos + 1 < maximum and src[pos + 1] == "$":
            opener, closer, display = "$$", "$$", True
            end = index.find(src, "$$", pos + 2, maximum)
        else:
            opener, closer, display = "$", "$", False
            end = _find_closing_dollar(index, src, pos + 1, maximum)
    elif char == "\\" and pos + 1 < maximum and src[pos + 1] in "([":
        opener = src[pos : pos + 2]
        closer, display = ("\\)", False) if opener == "\\(" else ("\\]", True)
        end = _index(state).find(src, closer, pos + 2, maximum)
    else:
        return False
    if end < 0:
        return False
    content = src[pos + len(opener) : end]
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = content
        token.markup = opener
        token.meta = {"display": display, "closer": closer}
    state.pos = end + len(closer)
    return True


def _math_block_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Display math on lines of its own: ``$$ ... $$`` or ``\\[ ... \\]``.

    It never spans a blank line (neither does a paragraph), which keeps the streaming block
    splitter simple: a blank line outside a code fence always ends a block.
    """
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first_start = state.bMarks[start_line] + state.tShift[start_line]
    first = state.src[first_start : state.eMarks[start_line]]
    if first.startswith("$$"):
        opener, closer = "$$", "$$"
    elif first.startswith("\\["):
        opener, closer = "\\[", "\\]"
    else:
        return False
    rest = first[len(opener) :].rstrip()
    # A later line inside a region already scanned without finding a closer cannot find
    # one either (the scan stops at the same line): without this, every line of a long
    # paragraph of "\\[" lines would scan to its end, quadratic in the paragraph.
    scanned = getattr(state, "_hearth_unclosed", None)
    key = (closer, end_line, state.blkIndent)
    if (
        scanned is not None
        and scanned[0] == key
        and scanned[1] < start_line < scanned[2]
        and not (rest.endswith(closer) and len(rest) >= len(closer))
    ):
        return False
    if rest.endswith(closer) and len(rest) >= len(closer):
        content = rest[: -len(closer)]
        if closer in content:
            return False  # "$$a$$ + $$b$$": leave it to the inline rule
        last_line = start_line
    else:
        if closer in rest:
            return False  # text after the closer: this is a paragraph with inline math
        parts = [rest]
        line = start_line + 1
        found = False
        while line < end_line:
            if state.isEmpty(line) or state.sCount[line] < state.blkIndent:
                break
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()
            if text.endswith(closer):
                parts.append(text[: -len(closer)])
                found = True
                break
            if closer in text:
                break
            parts.append(text)
            line += 1
        if not found:
            state._hearth_unclosed = (key, start_line, line)  # type: ignore[attr-defined]
            return False
        content = "\n".join(parts)
        last_line = line
    if not content.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.meta = {"closer": closer}
    token.map = [start_line, last_line + 1]
    state.line = last_line + 1
    return True
