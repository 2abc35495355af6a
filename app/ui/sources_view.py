"""The collapsible "Sources" block under an answer: each cited passage with its file and
page or line; activating one opens the file (at the line, where the system allows)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QToolButton, QVBoxLayout, QWidget

from app.ui.plain import plain_tooltip

Opener = Callable[[str], None]


def _open_with_system(path: str) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def location_text(source: Mapping[str, Any]) -> str:
    page = source.get("page")
    if page:
        return f"p. {page}"
    start, end = source.get("line_start") or 0, source.get("line_end") or 0
    if start and end and end != start:
        return f"lines {start}–{end}"
    return f"line {start}" if start else ""


class SourcesView(QWidget):
    """``[n] file · p. 3`` rows with their snippets; collapsed to one header by default."""

    #: path of the file the user asked to open
    opened = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, opener: Opener | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesView")
        self.opener: Opener = opener or _open_with_system
        self.toggle = QToolButton(self)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(self.tr("Sources"))
        self.toggle.toggled.connect(self._set_expanded)
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Sources of the answer"))
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activate)
        self.list.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 12, 4)
        layout.addWidget(self.toggle)
        layout.addWidget(self.list)
        self.sources: list[Mapping[str, Any]] = []
        self.set_sources([])

    def set_sources(self, sources: Sequence[Mapping[str, Any]], *, tokens: int = 0) -> None:
        """Show ``sources``; ``tokens`` is what they took of the context (0: not shown)."""
        self.sources = list(sources)
        self.list.clear()
        for source in self.sources:
            name = Path(str(source.get("path", ""))).name
            where = location_text(source)
            head = f"[{source.get('n', '?')}] {name}" + (f" · {where}" if where else "")
            snippet = " ".join(str(source.get("snippet", "")).split())[:240]
            item = QListWidgetItem(f"{head}\n{snippet}")
            item.setToolTip(plain_tooltip(str(source.get("path", ""))))
            item.setData(256, str(source.get("path", "")))  # Qt.UserRole
            self.list.addItem(item)
        title = self.tr("Sources (%1)").replace("%1", str(len(self.sources)))
        if tokens:
            title += " · " + self.tr("~%1 tokens of context").replace("%1", str(tokens))
        self.toggle.setText(title)
        self.setVisible(bool(self.sources))
        if not self.sources:
            self.toggle.setChecked(False)

    def _set_expanded(self, expanded: bool) -> None:
        self.list.setVisible(expanded)

    def open_source(self, row: int) -> None:
        path = str(self.sources[row].get("path", ""))
        if path:
            self.opener(path)
            self.opened.emit(path)

    def _activate(self, item: QListWidgetItem) -> None:
        self.open_source(self.list.row(item))
