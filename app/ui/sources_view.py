"""The collapsible "Sources" block under an answer: each cited passage with its file and
page or line. Activating one, or clicking an answer's ``[n]`` marker, selects it here and
opens the source viewer at the passage (:mod:`app.ui.source_viewer`).

File names and snippets come from the user's files: they are shown as plain text, and the
tooltips given to the renderer for ``[n]`` links are made safe with ``plain_tooltip``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.plain import plain_tooltip
from app.ui.source_viewer import SourceViewer, UrlOpener


def _open_with_system(url: QUrl) -> bool:
    return bool(QDesktopServices.openUrl(url))


def _tr(text: str) -> str:
    return QCoreApplication.translate("SourcesView", text)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def location_text(source: Mapping[str, Any]) -> str:
    page = _int(source.get("page"))
    if page:
        return f"p. {page}"
    start, end = _int(source.get("line_start")), _int(source.get("line_end"))
    if start and end and end != start:
        return f"lines {start}–{end}"
    return f"line {start}" if start else ""


def source_name(source: Mapping[str, Any]) -> str:
    return Path(str(source.get("path") or "")).name


def source_title(source: Mapping[str, Any]) -> str:
    """ "notes.md — lines 3–9", "paper.pdf — page 4": the viewer's header and the tooltip."""
    name = source_name(source)
    page = _int(source.get("page"))
    start, end = _int(source.get("line_start")), _int(source.get("line_end"))
    if page:
        where = _tr("page %1").replace("%1", str(page))
    elif start and end > start:
        where = _tr("lines %1–%2").replace("%1", str(start)).replace("%2", str(end))
    elif start:
        where = _tr("line %1").replace("%1", str(start))
    else:
        return name
    return f"{name} — {where}"


def citation_tooltips(sources: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Source number -> tooltip of its ``[n]`` link (Qt shows it literally)."""
    tips: dict[int, str] = {}
    for source in sources:
        number = _int(source.get("n"))
        if number > 0:
            tips[number] = plain_tooltip(source_title(source))
    return tips


class SourcesView(QWidget):
    """``[n] file · p. 3`` rows with their snippets; collapsed to one header by default."""

    #: path of the file the user asked to open (from the source viewer)
    opened = Signal(str)
    #: the row whose passage the viewer was asked to show
    source_shown = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, opener: UrlOpener | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesView")
        self.opener: UrlOpener = opener or _open_with_system
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
        self._viewer: SourceViewer | None = None
        self.set_sources([])

    def set_sources(self, sources: Sequence[Mapping[str, Any]], *, tokens: int = 0) -> None:
        """Show ``sources``; ``tokens`` is what they took of the context (0: not shown)."""
        self.sources = [source for source in sources if isinstance(source, Mapping)]
        self.list.clear()
        for source in self.sources:
            where = location_text(source)
            head = f"[{source.get('n', '?')}] {source_name(source)}" + (
                f" · {where}" if where else ""
            )
            snippet = " ".join(str(source.get("snippet", "")).split())[:240]
            # QListWidgetItem text is never interpreted as markup; the tooltip could be.
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

    def show_citation(
        self, sources: Sequence[Mapping[str, Any]], number: int, *, tokens: int = 0
    ) -> bool:
        """An answer's ``[number]`` was clicked: show that answer's sources, expanded, with
        entry ``number`` selected, and open the viewer at it. False if there is no such
        source."""
        wanted = [source for source in sources if isinstance(source, Mapping)]
        if wanted != self.sources:
            self.set_sources(wanted, tokens=tokens)
        row = self.row_of(number)
        if row < 0:
            return False
        self.toggle.setChecked(True)
        self.list.setCurrentRow(row)
        self.list.scrollToItem(self.list.item(row), QAbstractItemView.ScrollHint.EnsureVisible)
        self.open_source(row)
        return True

    def row_of(self, number: int) -> int:
        for row, source in enumerate(self.sources):
            if _int(source.get("n")) == number:
                return row
        return -1

    def viewer(self) -> SourceViewer:
        """The one source viewer of this block (made on first use)."""
        if self._viewer is None:
            self._viewer = SourceViewer(self, opener=self.opener)
            self._viewer.opened.connect(self.opened)
        return self._viewer

    def open_source(self, row: int) -> None:
        if 0 <= row < len(self.sources):
            self.viewer().show_source(self.sources[row])
            self.source_shown.emit(row)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        if self._viewer is not None:
            self._viewer.shutdown(timeout_ms)

    def _set_expanded(self, expanded: bool) -> None:
        self.list.setVisible(expanded)

    def _activate(self, item: QListWidgetItem) -> None:
        self.open_source(self.list.row(item))
