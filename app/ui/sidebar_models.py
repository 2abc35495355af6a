"""The sidebar's models and small widgets: the grouped conversation list (a flat list of
header and conversation rows, revealed in batches), search results with highlighted
snippets, and the Undo bar. :mod:`app.ui.sidebar` puts them together."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from app.core.store import ConversationSummary, SearchHit
from app.ui.plain import PlainLabel, plain_tooltip

#: Item data roles shared by the two models.
ROW_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
CONVERSATION_ID_ROLE = Qt.ItemDataRole.UserRole + 2
PINNED_ROLE = Qt.ItemDataRole.UserRole + 3
HIT_ROLE = Qt.ItemDataRole.UserRole + 4

HEADER = "header"
CONVERSATION = "conversation"

#: Date groups, in the order they appear.
GROUP_PINNED = "pinned"
GROUP_TODAY = "today"
GROUP_YESTERDAY = "yesterday"
GROUP_WEEK = "week"
GROUP_OLDER = "older"
#: Conversation rows handed to the view at a time. The view lays out every row it is
#: told about (two Python calls per row), so 10,000 chats are revealed as it scrolls.
LIST_BATCH = 400


# --- Date groups -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayBoundaries:
    """Local midnights that separate the date groups (computed once per refresh)."""

    today: float
    yesterday: float
    week: float

    @classmethod
    def at(cls, now: float) -> DayBoundaries:
        # Local calendar days, not multiples of 24 h: a chat from 23:50 yesterday is
        # "Yesterday" at 00:10 today, and DST days of 23 or 25 hours stay correct.
        midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(
            today=midnight.timestamp(),
            yesterday=(midnight - timedelta(days=1)).timestamp(),
            week=(midnight - timedelta(days=7)).timestamp(),
        )

    def group(self, updated: float) -> str:
        if updated >= self.today:
            return GROUP_TODAY  # also a clock set back: never hide a chat in the future
        if updated >= self.yesterday:
            return GROUP_YESTERDAY
        if updated >= self.week:
            return GROUP_WEEK
        return GROUP_OLDER


def date_group(updated: float, now: float) -> str:
    """The sidebar group of a chat last updated at ``updated`` (unix seconds)."""
    return DayBoundaries.at(now).group(updated)


# --- The conversation list -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    kind: str
    group: str
    summary: ConversationSummary | None = None


class ConversationListModel(QAbstractListModel):
    """Group headers and conversations in one flat list (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._row_of: dict[str, int] = {}
        #: How many of ``_rows`` the view has been given (see LIST_BATCH).
        self._loaded = 0
        #: Called by an inline edit with (conversation id, new title); True if saved.
        self.rename_handler: Callable[[str, str], bool] | None = None

    # --- content ---
    def set_conversations(
        self,
        summaries: Sequence[ConversationSummary],
        now: float | None = None,
        *,
        keep_loaded: int = 0,
    ) -> None:
        """Replace the rows; ``summaries`` come pinned first, then newest first.

        At least ``keep_loaded`` rows (else one batch) are handed to the view at once.
        """
        boundaries = DayBoundaries.at(now if now is not None else datetime.now().timestamp())
        rows: list[_Row] = []
        row_of: dict[str, int] = {}
        current_group = ""
        for summary in summaries:
            group = GROUP_PINNED if summary.pinned else boundaries.group(summary.updated)
            if group != current_group:
                rows.append(_Row(HEADER, group))
                current_group = group
            row_of[summary.id] = len(rows)
            rows.append(_Row(CONVERSATION, group, summary))
        self.beginResetModel()
        self._rows = rows
        self._row_of = row_of
        self._loaded = min(len(rows), max(LIST_BATCH, keep_loaded))
        self.endResetModel()

    def conversation_count(self) -> int:
        return len(self._row_of)

    def index_of(self, conversation_id: str) -> QModelIndex:
        """The row of a conversation (revealed to the view first if needed)."""
        row = self._row_of.get(conversation_id)
        if row is None:
            return QModelIndex()
        self.ensure_loaded(row)
        return self.index(row, 0)

    def ensure_loaded(self, row: int) -> None:
        """Hand the view every row up to ``row`` (and a batch beyond it)."""
        if row >= self._loaded:
            self._reveal(min(len(self._rows), row + 1 + LIST_BATCH))

    def _reveal(self, upto: int) -> None:
        if upto <= self._loaded:
            return
        self.beginInsertRows(QModelIndex(), self._loaded, upto - 1)
        self._loaded = upto
        self.endInsertRows()

    def summary(self, index: QModelIndex | QPersistentModelIndex) -> ConversationSummary | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()].summary

    def groups(self) -> list[str]:
        """The groups shown, in order (for tests and accessibility)."""
        return [row.group for row in self._rows if row.kind == HEADER]

    def ids_in_group(self, group: str) -> list[str]:
        return [
            row.summary.id
            for row in self._rows
            if row.kind == CONVERSATION and row.group == group and row.summary is not None
        ]

    def update_title(self, conversation_id: str, title: str) -> None:
        """Show a new title in place (the order is updated by the next refresh)."""
        row = self._row_of.get(conversation_id)
        if row is None:
            return
        old = self._rows[row]
        assert old.summary is not None
        summary = ConversationSummary(
            id=old.summary.id,
            title=title,
            created=old.summary.created,
            updated=old.summary.updated,
            pinned=old.summary.pinned,
            message_count=old.summary.message_count,
        )
        self._rows[row] = _Row(CONVERSATION, old.group, summary)
        if row < self._loaded:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def group_label(self, group: str) -> str:
        labels = {
            GROUP_PINNED: self.tr("Pinned"),
            GROUP_TODAY: self.tr("Today"),
            GROUP_YESTERDAY: self.tr("Yesterday"),
            GROUP_WEEK: self.tr("Previous 7 days"),
            GROUP_OLDER: self.tr("Older"),
        }
        return labels.get(group, group)

    def display_title(self, summary: ConversationSummary) -> str:
        return summary.title or self.tr("Untitled chat")

    # --- QAbstractListModel ---
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._loaded

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._loaded < len(self._rows)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not parent.isValid():
            self._reveal(min(len(self._rows), self._loaded + LIST_BATCH))

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_KIND_ROLE:
            return row.kind
        if row.kind == HEADER:
            return self._header_data(row, role)
        summary = row.summary
        assert summary is not None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.display_title(summary)
        if role == Qt.ItemDataRole.EditRole:
            return summary.title
        if role == Qt.ItemDataRole.ToolTipRole:
            when = QLocale().toString(
                QDateTime.fromMSecsSinceEpoch(int(summary.updated * 1000)),
                QLocale.FormatType.ShortFormat,
            )
            # Chat titles are user or model text: the tooltip shows them literally.
            return plain_tooltip(f"{self.display_title(summary)}\n{when}")
        if role == CONVERSATION_ID_ROLE:
            return summary.id
        if role == PINNED_ROLE:
            return summary.pinned
        return None

    def _header_data(self, row: _Row, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.group_label(row.group)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            return QApplication.palette().brush(
                QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText
            )
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()].kind == HEADER:
            # Not enabled: keyboard navigation and clicks pass over the headers.
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = 2
    ) -> bool:
        if role != Qt.ItemDataRole.EditRole:
            return False
        summary = self.summary(index)
        title = " ".join(str(value).split()) if value is not None else ""
        if summary is None or not title or title == summary.title:
            return False
        if self.rename_handler is None or not self.rename_handler(summary.id, title):
            return False
        self.update_title(summary.id, title)
        return True


class ConversationListView(QListView):
    """The chat list: Enter opens, Delete deletes, F2 renames (Qt's edit key)."""

    open_requested = Signal(QModelIndex)
    delete_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        if self.state() != QAbstractItemView.State.EditingState and index.isValid():
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_requested.emit(index)
                event.accept()
                return
            if event.key() == Qt.Key.Key_Delete:
                self.delete_requested.emit(index)
                event.accept()
                return
        super().keyPressEvent(event)


# --- Search results --------------------------------------------------------------------

_MARK_STYLE = "background-color:#ffd54f; color:#000000;"


def highlighted_html(text: str, spans: Sequence[tuple[int, int]], style: str = _MARK_STYLE) -> str:
    """``text`` as escaped HTML with each ``(start, end)`` span wrapped in a marked span."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        if start < position or end <= start:
            continue
        parts.append(html.escape(text[position:start]))
        parts.append(f'<span style="{style}">{html.escape(text[start:end])}</span>')
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)


class SearchResultsModel(QAbstractListModel):
    """The hits of the last search, newest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit(self, index: QModelIndex | QPersistentModelIndex) -> SearchHit | None:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        return self._hits[index.row()]

    def kind_label(self, hit: SearchHit) -> str:
        if hit.message_id is None:
            return self.tr("Title")
        if hit.in_reasoning:
            return self.tr("Reasoning")
        if hit.role == "user":
            return self.tr("You")
        return self.tr("Answer")

    def title(self, hit: SearchHit) -> str:
        return hit.conversation_title or self.tr("Untitled chat")

    def snippet_html(self, hit: SearchHit) -> str:
        muted = html.escape(self.kind_label(hit))
        return f'<span style="color:gray">{muted}:</span> ' + highlighted_html(
            hit.snippet, hit.spans
        )

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        hit = self.hit(index)
        if hit is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.title(hit)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.title(hit)} — {self.kind_label(hit)}: {hit.snippet}"
        if role == Qt.ItemDataRole.ToolTipRole:  # titles and snippets are chat text
            return plain_tooltip(f"{self.title(hit)} — {self.kind_label(hit)}: {hit.snippet}")
        if role == HIT_ROLE:
            return hit
        if role == CONVERSATION_ID_ROLE:
            return hit.conversation_id
        return None


class SearchResultDelegate(QStyledItemDelegate):
    """Paints a result as a bold title line and two lines of highlighted snippet."""

    PADDING = 6
    SNIPPET_LINES = 2

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        model = index.model()
        hit = index.data(HIT_ROLE)
        if not isinstance(model, SearchResultsModel) or not isinstance(hit, SearchHit):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        rect = opt.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        base_font = QFont(opt.font)
        title_font = QFont(base_font)
        title_font.setBold(True)
        title_metrics = QFontMetrics(title_font)
        line_height = QFontMetrics(base_font).lineSpacing()

        painter.save()
        painter.setFont(title_font)
        painter.setPen(color)
        title = title_metrics.elidedText(
            model.title(hit), Qt.TextElideMode.ElideRight, max(0, rect.width())
        )
        painter.drawText(rect.left(), rect.top() + title_metrics.ascent(), title)

        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(base_font)
        document.setTextWidth(max(1, rect.width()))
        document.setHtml(model.snippet_html(hit))
        top = rect.top() + title_metrics.lineSpacing() + 2
        clip = QRectF(0, 0, rect.width(), line_height * self.SNIPPET_LINES)
        painter.translate(rect.left(), top)
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        context.palette.setColor(QPalette.ColorRole.Text, color)
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = QFontMetrics(option.font)
        bold = QFont(option.font)
        bold.setBold(True)
        height = (
            2 * self.PADDING
            + QFontMetrics(bold).lineSpacing()
            + 2
            + self.SNIPPET_LINES * base.lineSpacing()
        )
        return QSize(200, height)


# --- Undo bar --------------------------------------------------------------------------


class UndoBar(QFrame):
    """ "Chat deleted · Undo" for a few seconds, instead of a blocking confirmation."""

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = PlainLabel(self)  # shows a chat title
        self.label.setObjectName("undoLabel")
        self.label.setAccessibleName(self.tr("Deleted chat"))
        self.undo_button = QPushButton(self.tr("Undo"), self)
        self.undo_button.setAccessibleName(self.tr("Undo delete"))
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(self.tr("Dismiss"))
        self.close_button.setAccessibleName(self.tr("Dismiss"))
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(self.close_button)
        self.undo_button.clicked.connect(self.undo_requested)
        self.close_button.clicked.connect(self.hide)
        self.setVisible(False)
