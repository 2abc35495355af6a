"""The conversation sidebar: new chat, search across all chats, the grouped chat list.

The list is one flat :class:`ConversationListModel` whose rows are either group headers
(Pinned / Today / Yesterday / Previous 7 days / Older) or conversations. A flat list
with uniform row heights lets ``QListView`` show 10,000 chats without measuring each
row, and ``data()`` only formats the rows actually painted.

Search replaces the list with :class:`SearchResultsModel` rows (title plus a snippet
with the matches highlighted); choosing one emits :attr:`Sidebar.open_message`.

Rename, pin, delete (with an Undo bar instead of a confirmation dialog), export and
import act on the store directly and refresh the list; the window only needs to open
conversations and react to :attr:`Sidebar.conversation_deleted`.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDateTime,
    QEvent,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRectF,
    QSize,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QAction,
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
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import export
from app.core.errors import HearthError
from app.core.store import ChatStore, ConversationSummary, SearchHit

log = logging.getLogger(__name__)

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

#: Search results shown at most (newest first); more would only be scrolled past.
SEARCH_LIMIT = 100
#: Conversation rows handed to the view at a time. The view lays out every row it is
#: told about (two Python calls per row), so 10,000 chats are revealed as it scrolls.
LIST_BATCH = 400

#: (parent, caption, directory, filter) -> (file name, chosen filter), like QFileDialog's.
FileDialog = Callable[[QWidget, str, str, str], tuple[str, str]]

_SUFFIX_FORMATS: dict[str, export.ExportFormat] = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
}
_FORMAT_SUFFIX: dict[str, str] = {"md": ".md", "html": ".html", "json": ".json"}
_UNSAFE_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


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
            return f"{self.display_title(summary)}\n{when}"
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
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return f"{self.title(hit)} — {self.kind_label(hit)}: {hit.snippet}"
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
        self.label = QLabel(self)
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


# --- The sidebar -----------------------------------------------------------------------


class Sidebar(QWidget):
    """New chat, search across all chats, and the grouped list of conversations.

    Connect (the main window does this):

    * ``conversation_selected(id)`` → open that conversation;
    * ``new_chat_requested()`` → start an empty chat;
    * ``open_message(conversation_id, message_id)`` → open and scroll to the message
      (``message_id`` is "" when a title matched);
    * ``conversation_deleted(id)`` → if it is the open chat, show an empty one;
    * ``error(text)`` / ``status_message(text)`` → show them;
    * the controller's ``conversations_changed`` → :meth:`refresh`, its
      ``conversation_changed(id)`` → :meth:`select_conversation`.
    """

    conversation_selected = Signal(str)
    new_chat_requested = Signal()
    open_message = Signal(str, str)
    conversation_deleted = Signal(str)
    conversation_restored = Signal(str)
    conversations_imported = Signal(int)
    error = Signal(str)
    status_message = Signal(str)

    #: Typing pauses this long before a search runs.
    SEARCH_DELAY_MS = 150
    #: How long the Undo bar stays after a delete.
    UNDO_TIMEOUT_MS = 8000

    def __init__(self, store: ChatStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("sidebar")
        self.setAccessibleName(self.tr("Chats"))
        #: Replaceable in tests; same signature as QFileDialog.getSaveFileName.
        self.get_save_file_name: FileDialog = QFileDialog.getSaveFileName
        #: Replaceable in tests; same signature as QFileDialog.getOpenFileName.
        self.get_open_file_name: FileDialog = QFileDialog.getOpenFileName
        self._current_id = ""
        self._last_deleted_id = ""
        self._refresh_pending = False
        self._last_directory = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())

        # --- top: new chat, more actions, search ---
        self.new_chat_button = QPushButton(self.tr("New chat"), self)
        self.new_chat_button.setObjectName("newChatButton")
        self.new_chat_button.setToolTip(self.tr("New chat (Ctrl+N)"))
        self.new_chat_button.setAccessibleName(self.tr("New chat"))
        self.new_chat_button.clicked.connect(self.new_chat_requested)

        self.export_all_action = QAction(self.tr("Export all chats…"), self)
        self.export_all_action.triggered.connect(self.export_all)
        self.import_action = QAction(self.tr("Import chats…"), self)
        self.import_action.triggered.connect(self.import_chats)
        self.more_button = QToolButton(self)
        self.more_button.setText("⋯")
        self.more_button.setToolTip(self.tr("More actions"))
        self.more_button.setAccessibleName(self.tr("More actions"))
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_menu = QMenu(self.more_button)
        more_menu.addAction(self.export_all_action)
        more_menu.addAction(self.import_action)
        self.more_button.setMenu(more_menu)

        self.search_box = QLineEdit(self)
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText(self.tr("Search all chats (Ctrl+K)"))
        self.search_box.setAccessibleName(self.tr("Search all chats"))
        self.search_box.setClearButtonEnabled(True)
        name_clear_button(self.search_box, self.tr("Clear search"))
        self.search_box.installEventFilter(self)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search_now)
        self.search_box.textChanged.connect(self._on_search_text_changed)

        # --- page 0: the conversation list ---
        self.model = ConversationListModel(self)
        self.model.rename_handler = self._rename
        self.list_view = ConversationListView(self)
        self.list_view.setObjectName("conversationList")
        self.list_view.setAccessibleName(self.tr("Conversations"))
        self.list_view.setModel(self.model)
        self.list_view.setUniformItemSizes(True)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list_view.customContextMenuRequested.connect(self._show_context_menu)
        self.list_view.clicked.connect(self._open_index)
        self.list_view.open_requested.connect(self._open_index)
        self.list_view.delete_requested.connect(self._delete_index)
        self.list_view.itemDelegate().closeEditor.connect(self._on_editor_closed)
        self.empty_label = QLabel(self.tr("No chats yet. Start one with New chat."), self)
        self.empty_label.setObjectName("sidebarEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setAccessibleName(self.tr("No chats yet"))
        list_page = QWidget(self)
        list_layout = QVBoxLayout(list_page)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.addWidget(self.list_view, 1)
        list_layout.addWidget(self.empty_label)

        # --- page 1: search results ---
        self.results_model = SearchResultsModel(self)
        self.results_label = QLabel(self)
        self.results_label.setObjectName("searchStatus")
        self.results_label.setWordWrap(True)
        self.results_label.setAccessibleName(self.tr("Search status"))
        self.results_view = ConversationListView(self)
        self.results_view.setObjectName("searchResults")
        self.results_view.setAccessibleName(self.tr("Search results"))
        self.results_view.setModel(self.results_model)
        self.results_view.setItemDelegate(SearchResultDelegate(self.results_view))
        self.results_view.setUniformItemSizes(True)
        self.results_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_view.clicked.connect(self._open_hit)
        self.results_view.open_requested.connect(self._open_hit)
        self.results_view.installEventFilter(self)
        results_page = QWidget(self)
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.results_label)
        results_layout.addWidget(self.results_view, 1)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(list_page)
        self.pages.addWidget(results_page)
        self.list_page = list_page
        self.results_page = results_page

        # --- bottom: undo ---
        self.undo_bar = UndoBar(self)
        self.undo_bar.undo_requested.connect(self.undo_delete)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self.undo_bar.hide)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.new_chat_button, 1)
        top.addWidget(self.more_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.search_box)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.undo_bar)
        self.refresh()

    # --- public API ---
    @property
    def current_conversation_id(self) -> str:
        return self._current_id

    @property
    def searching(self) -> bool:
        """True while search results are shown instead of the list."""
        return self.pages.currentWidget() is self.results_page

    def refresh(self) -> None:
        """Reload the list from the store, keeping the selection and what is in view."""
        if self.list_view.state() == QAbstractItemView.State.EditingState:
            # A reset would throw away a title being typed: refresh once the edit ends.
            self._refresh_pending = True
            return
        self._refresh_pending = False
        bar = self.list_view.verticalScrollBar()
        old_value = bar.value()
        anchor_id, anchor_offset = "", 0
        if old_value > 0:
            anchor_id, anchor_offset = self._top_visible_conversation()
        try:
            summaries = self.store.list_conversations()
        except HearthError as exc:
            log.warning("sidebar: listing conversations failed: %s", exc.detail or exc)
            self.error.emit(str(exc))
            return
        self.model.set_conversations(summaries, keep_loaded=self._last_visible_row() + 1)
        self.empty_label.setVisible(self.model.conversation_count() == 0)
        self.list_view.doItemsLayout()
        self._select_row(self._current_id, scroll=False)
        anchor = self.model.index_of(anchor_id) if anchor_id else QModelIndex()
        if anchor.isValid():
            top = self.list_view.visualRect(anchor).top()
            bar.setValue(bar.value() + top - anchor_offset)
        else:
            bar.setValue(old_value)
        # Search results shown stay as they are: re-running the search after every
        # chat turn would move the rows under the reader's pointer.

    def select_conversation(self, conversation_id: str) -> None:
        """Show ``conversation_id`` as the open chat ("" clears the selection). No signal."""
        self._current_id = conversation_id
        if conversation_id and not self.model.index_of(conversation_id).isValid():
            # Just created (e.g. by the first message of a new chat): load it.
            self.refresh()
            return
        self._select_row(conversation_id, scroll=True)

    def focus_search(self) -> None:
        """Put the cursor in the search box (Ctrl+K)."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def clear_search(self) -> None:
        """Leave search and show the list again (Esc)."""
        self._search_timer.stop()
        if self.search_box.text():
            self.search_box.blockSignals(True)
            self.search_box.clear()
            self.search_box.blockSignals(False)
        self.results_model.set_hits([])
        self.pages.setCurrentWidget(self.list_page)

    def search_now(self) -> None:
        """Run the search for the search box's text without waiting for the debounce."""
        self._search_timer.stop()
        query = self.search_box.text().strip()
        if not query:
            self.clear_search()
            return
        self._run_search(query)

    def rename_conversation(self, conversation_id: str) -> None:
        """Start editing the title in place."""
        index = self.model.index_of(conversation_id)
        if index.isValid():
            self.clear_search()
            self.list_view.setCurrentIndex(index)
            self.list_view.scrollTo(index)
            self.list_view.edit(index)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        try:
            self.store.set_pinned(conversation_id, pinned)
        except HearthError as exc:
            self.error.emit(str(exc))
        self.refresh()

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete at once and offer Undo for a few seconds (no confirmation dialog)."""
        summary = self.model.summary(self.model.index_of(conversation_id))
        try:
            self.store.delete_conversation(conversation_id)
        except HearthError as exc:
            self.error.emit(str(exc))
            self.refresh()
            return
        title = self.model.display_title(summary) if summary is not None else ""
        self._last_deleted_id = conversation_id
        if conversation_id == self._current_id:
            self._current_id = ""
        self.undo_bar.label.setText(self.tr("Deleted “%1”").replace("%1", _short(title)))
        self.undo_bar.setVisible(True)
        self._undo_timer.start(self.UNDO_TIMEOUT_MS)
        self.refresh()
        self.conversation_deleted.emit(conversation_id)

    def undo_delete(self) -> None:
        """Bring back the last deleted chat."""
        conversation_id = self._last_deleted_id
        self._undo_timer.stop()
        self.undo_bar.hide()
        if not conversation_id:
            return
        self._last_deleted_id = ""
        try:
            self.store.restore_conversation(conversation_id)
        except HearthError as exc:
            self.error.emit(str(exc))
            return
        self.refresh()
        self.conversation_restored.emit(conversation_id)

    def export_conversation(self, conversation_id: str) -> Path | None:
        """Ask where to save one chat (Markdown, HTML or JSON) and write it (0600)."""
        summary = self.model.summary(self.model.index_of(conversation_id))
        name = self.model.display_title(summary) if summary is not None else "chat"
        return self._export([conversation_id], self.tr("Export chat"), name)

    def export_all(self) -> Path | None:
        """Ask where to save every chat (Markdown, HTML or JSON) and write them (0600)."""
        return self._export(None, self.tr("Export all chats"), "Hearth chats")

    def import_chats(self) -> export.ImportResult | None:
        """Ask for a Hearth JSON export and add its chats (existing ones are skipped)."""
        path, _chosen = self.get_open_file_name(
            self,
            self.tr("Import chats"),
            self._last_directory,
            self.tr("Hearth JSON export (*.json);;All files (*)"),
        )
        if not path:
            return None
        self._last_directory = str(Path(path).parent)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = export.import_file(self.store, Path(path))
        except HearthError as exc:
            log.warning("import of %s failed: %s", path, exc.detail or exc)
            self.error.emit(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.refresh()
        self.status_message.emit(self._import_summary(result))
        self.conversations_imported.emit(result.imported_conversations)
        return result

    # --- internals: list ---
    def _select_row(self, conversation_id: str, *, scroll: bool) -> None:
        selection = self.list_view.selectionModel()
        index = self.model.index_of(conversation_id) if conversation_id else QModelIndex()
        if not index.isValid():
            selection.clearSelection()
            selection.setCurrentIndex(QModelIndex(), selection.SelectionFlag.Clear)
            return
        bar = self.list_view.verticalScrollBar()
        value = bar.value()
        selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect)
        if scroll:
            self.list_view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        else:
            bar.setValue(value)

    def _last_visible_row(self) -> int:
        viewport = self.list_view.viewport()
        index = self.list_view.indexAt(QPoint(4, viewport.height() - 1))
        return index.row() if index.isValid() else self.model.rowCount() - 1

    def _top_visible_conversation(self) -> tuple[str, int]:
        """The first conversation row in view and its y offset in the viewport."""
        view = self.list_view
        index = view.indexAt(QPoint(4, 1))
        while index.isValid():
            conversation_id = index.data(CONVERSATION_ID_ROLE)
            if conversation_id:
                return str(conversation_id), view.visualRect(index).top()
            index = self.model.index(index.row() + 1, 0)
        return "", 0

    def _open_index(self, index: QModelIndex) -> None:
        conversation_id = index.data(CONVERSATION_ID_ROLE)
        if conversation_id:
            self._current_id = str(conversation_id)
            self.conversation_selected.emit(self._current_id)

    def _delete_index(self, index: QModelIndex) -> None:
        conversation_id = index.data(CONVERSATION_ID_ROLE)
        if conversation_id:
            self.delete_conversation(str(conversation_id))

    def _rename(self, conversation_id: str, title: str) -> bool:
        try:
            self.store.rename(conversation_id, title)
        except HearthError as exc:
            self.error.emit(str(exc))
            return False
        return True

    def _on_editor_closed(self, *_args: object) -> None:
        if self._refresh_pending:
            # After the view has left its editing state.
            QTimer.singleShot(0, self.refresh)

    def _show_context_menu(self, position: QPoint) -> None:
        index = self.list_view.indexAt(position)
        if not index.isValid() or not index.data(CONVERSATION_ID_ROLE):
            index = self.list_view.currentIndex()
        menu = self._context_menu(index)
        menu.exec(self.list_view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def _context_menu(self, index: QModelIndex) -> QMenu:
        """The menu for a row (or for the empty area when ``index`` is invalid)."""
        menu = QMenu(self)
        menu.setAccessibleName(self.tr("Chat actions"))
        summary = self.model.summary(index)
        if summary is not None:
            conversation_id = summary.id
            menu.addAction(self.tr("Open"), lambda: self._open_index(index))
            menu.addAction(self.tr("Rename"), lambda: self.rename_conversation(conversation_id))
            if summary.pinned:
                menu.addAction(self.tr("Unpin"), lambda: self.set_pinned(conversation_id, False))
            else:
                menu.addAction(self.tr("Pin"), lambda: self.set_pinned(conversation_id, True))
            menu.addAction(self.tr("Export…"), lambda: self.export_conversation(conversation_id))
            menu.addSeparator()
            menu.addAction(self.tr("Delete"), lambda: self.delete_conversation(conversation_id))
            menu.addSeparator()
        else:
            menu.addAction(self.tr("New chat"), self.new_chat_requested.emit)
        menu.addAction(self.export_all_action)
        menu.addAction(self.import_action)
        return menu

    # --- internals: search ---
    def _on_search_text_changed(self, text: str) -> None:
        if text.strip():
            self._search_timer.start()
        else:
            self.clear_search()

    def _run_search(self, query: str) -> None:
        try:
            hits = self.store.search(query, limit=SEARCH_LIMIT)
        except HearthError as exc:
            log.warning("sidebar: search failed: %s", exc.detail or exc)
            self.error.emit(str(exc))
            hits = []
        self.results_model.set_hits(hits)
        if hits:
            self.results_label.setText(
                _count(len(hits), self.tr("1 result"), self.tr("%1 results"))
            )
            self.results_view.setCurrentIndex(self.results_model.index(0, 0))
        else:
            self.results_label.setText(self.tr("No chats match “%1”.").replace("%1", _short(query)))
        self.pages.setCurrentWidget(self.results_page)

    def _open_hit(self, index: QModelIndex) -> None:
        hit = self.results_model.hit(index)
        if hit is None:
            return
        self._current_id = hit.conversation_id
        self._select_row(hit.conversation_id, scroll=True)
        self.open_message.emit(hit.conversation_id, hit.message_id or "")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in (self.search_box, self.results_view):
            kind = event.type()
            if kind == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
                # Esc belongs to the search while it is active, not to the window's
                # "stop generating" shortcut.
                if event.key() == Qt.Key.Key_Escape and (self.search_box.text() or self.searching):
                    event.accept()
                    return True
            elif (
                kind == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and self._search_key(watched, event)
            ):
                return True
        return super().eventFilter(watched, event)

    def _search_key(self, watched: QObject, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and (self.search_box.text() or self.searching):
            self.clear_search()
            self.search_box.setFocus()
            return True
        if watched is self.search_box:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._search_timer.isActive() or not self.searching:
                    self.search_now()
                current = self.results_view.currentIndex()
                if self.searching and current.isValid():
                    self._open_hit(current)
                return True
            if key == Qt.Key.Key_Down:
                target = self.results_view if self.searching else self.list_view
                target.setFocus()
                if not target.currentIndex().isValid() and target.model().rowCount() > 0:
                    target.setCurrentIndex(target.model().index(0, 0))
                return True
        elif key == Qt.Key.Key_Up and self.results_view.currentIndex().row() <= 0:
            self.search_box.setFocus()
            return True
        return False

    # --- internals: export / import ---
    def _export(
        self, conversation_ids: list[str] | None, caption: str, suggested: str
    ) -> Path | None:
        filters = {
            self.tr("Markdown (*.md)"): "md",
            self.tr("HTML page (*.html)"): "html",
            self.tr("JSON, lossless (*.json)"): "json",
        }
        start = str(Path(self._last_directory) / (_safe_file_name(suggested) + ".md"))
        path_text, chosen = self.get_save_file_name(self, caption, start, ";;".join(filters))
        if not path_text:
            return None
        path = Path(path_text)
        fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
        if fmt is None:
            fmt = _format_from_filter(chosen, filters)
            if not path.suffix:
                path = path.with_name(path.name + _FORMAT_SUFFIX[fmt])
        self._last_directory = str(path.parent)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = export.export_file(self.store, conversation_ids, fmt, path)
        except HearthError as exc:
            log.warning("export to %s failed: %s", path, exc.detail or exc)
            self.error.emit(str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.status_message.emit(self.tr("Saved to %1").replace("%1", str(written)))
        return written

    def _import_summary(self, result: export.ImportResult) -> str:
        # English is shown untranslated (no .qm), so plurals are chosen here rather
        # than through %n numerus forms.
        chats, messages = result.imported_conversations, result.imported_messages
        sentences = [
            _count(chats, self.tr("Imported 1 chat"), self.tr("Imported %1 chats"))
            + _count(messages, self.tr(" (1 message)."), self.tr(" (%1 messages)."))
        ]
        if result.skipped:
            sentences.append(
                _count(
                    len(result.skipped),
                    self.tr("Skipped 1 chat already in your history."),
                    self.tr("Skipped %1 chats already in your history."),
                )
            )
        if result.reidentified:
            sentences.append(
                _count(
                    result.reidentified,
                    self.tr("1 chat was added as a copy because its id was taken."),
                    self.tr("%1 chats were added as copies because their ids were taken."),
                )
            )
        sentences.extend(result.problems)
        return " ".join(sentences)


def _count(number: int, one: str, many: str) -> str:
    """``one`` for 1, else ``many`` with %1 replaced (both already translated)."""
    return one if number == 1 else many.replace("%1", str(number))


def name_clear_button(line_edit: QLineEdit, name: str) -> None:
    """Give the line edit's built-in clear button (a Qt-internal tool button) a name."""
    for button in line_edit.findChildren(QToolButton):
        button.setAccessibleName(name)
        button.setToolTip(name)


def _format_from_filter(chosen: str, filters: dict[str, str]) -> export.ExportFormat:
    fmt = filters.get(chosen, "md")
    return "json" if fmt == "json" else "html" if fmt == "html" else "md"


def _safe_file_name(title: str) -> str:
    name = _UNSAFE_FILE_CHARS.sub(" ", title).strip().strip(".")
    return " ".join(name.split())[:80] or "chat"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
