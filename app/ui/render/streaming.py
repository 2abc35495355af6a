"""Streaming render: finished blocks rendered once, only the open tail again."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.ui.render.markdown import _render, _Rendered, render_markdown
from app.ui.render.theme import RenderTheme


@dataclass(frozen=True, slots=True)
class RenderUpdate:
    """What the view does with one delta: append ``stable_html_to_append`` at the end of the
    finished part, then replace the previous tail with ``tail_html``."""

    stable_html_to_append: str
    tail_html: str


@dataclass(slots=True)
class _Fence:
    char: str
    length: int
    top_level: bool
    opening_line: str


_FENCE_OPEN = re.compile(r"^([ >\t]*)(`{3,}|~{3,})(.*)$")


def _opening_fence(line: str) -> _Fence | None:
    match = _FENCE_OPEN.match(line)
    if match is None:
        return None
    prefix, marks, info = match.groups()
    if marks[0] == "`" and "`" in info:
        return None  # ```code``` on one line is an inline code span
    return _Fence(marks[0], len(marks), prefix == "", line)


def _closes_fence(line: str, fence: _Fence) -> bool:
    stripped = line.lstrip(" >\t").rstrip()
    return (
        len(stripped) >= fence.length
        and stripped == fence.char * len(stripped)
        and (not fence.top_level or len(line) - len(line.lstrip(" ")) <= 3)
    )


class IncrementalRenderer:
    """Renders a streaming answer cheaply: finished blocks rendered once, only the open tail
    re-rendered.

    A block ends at a blank line that is followed by an unindented line (an indented line
    continues a list item), outside code fences; a top-level fence ends a block at its closing
    line. The tail is capped at ``max_tail_chars``: past it the tail is split at the latest
    line start (a long code fence is handed over in pieces), so the work per delta stays flat
    however long the answer grows. :meth:`finish` renders the whole answer once, which fixes
    the few things block-wise rendering cannot know (loose lists, long split fences).
    """

    def __init__(
        self,
        theme: RenderTheme,
        *,
        max_tail_chars: int = 3000,
        citations: Mapping[int, str] | None = None,
    ) -> None:
        self._theme = theme
        # The answer's sources: its [n] markers become links (see render_markdown).
        self._citations = dict(citations or {})
        self._max_tail = max_tail_chars
        self._source_parts: list[str] = []
        self._stable_html_parts: list[str] = []
        self._code_blocks: list[tuple[str, str]] = []
        self._tail = ""
        self._tail_html = ""
        self._tail_code_blocks: list[tuple[str, str]] = []
        # Re-opens a fence that was handed over in pieces, for the rest of its code.
        self._fence_prefix = ""
        self._scan_pos = 0
        self._fence: _Fence | None = None
        self._fence_line_start = 0  # tail index of the open fence's first line (<0: handed over)
        self._has_content = False
        self._pending_split = False
        self._last_line_start = 0
        self.parsed_chars = 0
        """Characters given to the Markdown parser so far: the measure of work done."""

    # -- public

    def append(self, delta: str) -> RenderUpdate:
        stable_before = len(self._stable_html_parts)
        self._tail += delta
        self._scan()
        if len(self._tail) > self._max_tail:
            self._force_split()
        stable = "".join(self._stable_html_parts[stable_before:])
        rendered = self._render_chunk(self._fence_prefix + self._tail, final=False)
        self._tail_html = rendered.html
        self._tail_code_blocks = rendered.code_blocks
        return RenderUpdate(stable_html_to_append=stable, tail_html=rendered.html)

    def finish(self) -> str:
        """The whole answer rendered at once: what the view shows when the turn ends."""
        return render_markdown(self.text, self._theme, citations=self._citations)

    @property
    def text(self) -> str:
        return "".join(self._source_parts) + self._tail

    def streamed_html(self) -> str:
        """Everything handed out so far (stable parts and the current tail), joined."""
        return "".join(self._stable_html_parts) + self._tail_html

    def copyable_code_blocks(self) -> list[tuple[str, str]]:
        """Code blocks numbered as the Copy links in the HTML handed out so far."""
        return self._code_blocks + self._tail_code_blocks

    # -- internals

    def _render_chunk(self, text: str, *, final: bool) -> _Rendered:
        self.parsed_chars += len(text)
        # An open fence is shown as plain text until it closes: highlighting it again on
        # every delta costs more than it is worth.
        highlight_code = final or self._fence is None
        return _render(text, self._theme, len(self._code_blocks), highlight_code, self._citations)

    def _commit(self, split: int, *, inside_fence: bool = False) -> None:
        """Hand ``tail[:split]`` over as a finished block."""
        block = self._tail[:split]
        rendered = self._render_chunk(self._fence_prefix + block, final=True)
        self._stable_html_parts.append(rendered.html)
        self._code_blocks.extend(rendered.code_blocks)
        self._source_parts.append(block)
        self._tail = self._tail[split:]
        self._scan_pos = max(0, self._scan_pos - split)
        self._fence_line_start -= split
        self._last_line_start = 0
        self._pending_split = False
        if inside_fence and self._fence is not None:
            self._fence_prefix = self._fence.opening_line.lstrip(" >\t") + "\n"
            self._has_content = True
        else:
            self._fence_prefix = ""
            self._has_content = bool(self._tail[: self._scan_pos].strip())

    def _scan(self) -> None:
        """Advance over the complete lines that arrived, committing finished blocks."""
        while True:
            newline = self._tail.find("\n", self._scan_pos)
            if newline < 0:
                break
            start = self._scan_pos
            self._scan_pos = newline + 1
            self._scan_line(start, newline)
        if self._pending_split and self._fence is None:
            partial = self._tail[self._scan_pos :]
            if partial and not partial[0].isspace():
                self._commit(self._scan_pos)

    def _scan_line(self, start: int, end: int) -> None:
        line = self._tail[start:end]
        fence = self._fence
        if fence is not None:
            if _closes_fence(line, fence):
                self._fence = None
                if fence.top_level:
                    self._commit(end + 1)
                    return
            self._last_line_start = end + 1
            return
        if not line.strip():
            if self._has_content:
                self._pending_split = True
            return
        if self._pending_split:
            self._pending_split = False
            if not line[0].isspace():
                self._commit(start)
                start, end = 0, end - start
        self._has_content = True
        self._last_line_start = start
        self._fence = _opening_fence(line)
        self._fence_line_start = start

    def _force_split(self) -> None:
        """Keep the tail small when no block boundary comes (a long paragraph or fence)."""
        split = self._last_line_start
        if split <= 0 and self._fence is None:
            space = self._tail.rfind(" ")
            split = space + 1 if space > 0 else 0
        if split <= 0:
            split = len(self._tail)
        # A split before the fence's first line leaves the whole fence in the tail.
        inside_fence = self._fence is not None and split > self._fence_line_start
        self._commit(split, inside_fence=inside_fence)
