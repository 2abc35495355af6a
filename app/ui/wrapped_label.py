"""A word-wrapped plain label that remembers its height for a width.

A long chat is one column layout of hundreds of messages. Each layout pass asks every
message its height for two widths (its size-hint width, and the real one), and Qt keeps
one width per layout, so a word-wrapped ``QLabel`` lays its text out again on every pass:
with 600 messages a single pass cost tens of milliseconds, on every message built while
scrolling up (measured by ``scripts/bench_scroll.py``). The width decides the answer;
new text or format, font and style changes clear what is remembered.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QWidget

from app.ui.plain import PlainLabel

#: A label is asked for a handful of widths (window resizes add more); beyond this many
#: remembered answers the oldest ones are forgotten.
_MAX_WIDTHS = 8


class WrappedLabel(PlainLabel):
    """A :class:`PlainLabel` with word wrap whose ``heightForWidth`` is cached."""

    def __init__(self, text_or_parent: str | QWidget | None = None, parent: QWidget | None = None):
        self._heights: dict[int, int] = {}
        super().__init__(text_or_parent, parent)
        self.setWordWrap(True)

    # Layout passes call this hundreds of times each: a dict lookup, nothing more.
    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = super().heightForWidth(width)
            if len(self._heights) >= _MAX_WIDTHS:
                self._heights.pop(next(iter(self._heights)))
            self._heights[width] = height
        return height

    # Find-in-chat swaps the text (and format) for a highlighted copy and back.
    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def setTextFormat(self, text_format: Qt.TextFormat) -> None:
        self._heights.clear()
        super().setTextFormat(text_format)

    def clear(self) -> None:
        self._heights.clear()
        super().clear()

    def changeEvent(self, event: Any) -> None:
        if event.type() in (
            QEvent.Type.FontChange,
            QEvent.Type.StyleChange,
            QEvent.Type.ContentsRectChange,
        ):
            self._heights.clear()
        super().changeEvent(event)
