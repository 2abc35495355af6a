"""The conversation sidebar: new chat, search across all chats, the grouped chat list.

The list is one flat :class:`ConversationListModel` whose rows are either group headers
(Pinned / Today / Yesterday / Previous 7 days / Older) or conversations. A flat list
with uniform row heights lets ``QListView`` show 10,000 chats without measuring each
row, and ``data()`` only formats the rows actually painted.

Search replaces the list with :class:`SearchResultsModel` rows (title plus a snippet
with the matches highlighted); choosing one emits :attr:`Sidebar.open_message`.

Rename, pin, delete (with an Undo bar instead of a confirmation dialog) and import change
the store through its write layer (:class:`ChatOps`) and refresh the list; the window only
needs to open conversations and react to :attr:`Sidebar.conversation_deleted`. The sidebar
reads the store directly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QKeyEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import export
from app.core.errors import HearthError
from app.core.store import ChatOps, ChatStore
from app.ui.plain import PlainLabel
from app.ui.sidebar_models import (
    CONVERSATION,
    CONVERSATION_ID_ROLE,
    GROUP_OLDER,
    GROUP_PINNED,
    GROUP_TODAY,
    GROUP_WEEK,
    GROUP_YESTERDAY,
    HEADER,
    HIT_ROLE,
    LIST_BATCH,
    PINNED_ROLE,
    ROW_KIND_ROLE,
    ConversationListModel,
    ConversationListView,
    DayBoundaries,
    SearchResultDelegate,
    SearchResultsModel,
    UndoBar,
    date_group,
    highlighted_html,
)
from app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)


#: Search results shown at most (newest first); more would only be scrolled past.
SEARCH_LIMIT = 100

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

    def __init__(
        self, store: ChatStore, parent: QWidget | None = None, *, tasks: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        #: For reading; every change goes through ``ops`` (the store's write layer).
        self.store = store
        self.ops = ChatOps.for_store(store)
        #: Export and import run here, off the GUI thread (the store is thread-safe).
        self.tasks = tasks if tasks is not None else TaskRunner(parent=self)
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
        self.results_label = PlainLabel(self)  # quotes the user's query
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
            self.ops.set_pinned(conversation_id, pinned)
        except HearthError as exc:
            self.error.emit(str(exc))
        self.refresh()

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete at once and offer Undo for a few seconds (no confirmation dialog)."""
        summary = self.model.summary(self.model.index_of(conversation_id))
        try:
            self.ops.delete_conversation(conversation_id)
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
            self.ops.restore_conversation(conversation_id)
        except HearthError as exc:
            self.error.emit(str(exc))
            return
        self.refresh()
        self.conversation_restored.emit(conversation_id)

    def export_conversation(self, conversation_id: str) -> Path | None:
        """Ask where to save one chat (Markdown, HTML or JSON) and start writing it (0600).

        Returns the file chosen (None if the dialog was cancelled). The file is written off
        the GUI thread; ``status_message`` says when it is saved, ``error`` if it failed.
        """
        summary = self.model.summary(self.model.index_of(conversation_id))
        name = self.model.display_title(summary) if summary is not None else "chat"
        return self._export([conversation_id], self.tr("Export chat"), name)

    def export_all(self) -> Path | None:
        """Ask where to save every chat (Markdown, HTML or JSON) and start writing them."""
        return self._export(None, self.tr("Export all chats"), "Hearth chats")

    def import_chats(self) -> str | None:
        """Ask for a Hearth JSON export and start adding its chats (existing ones are skipped).

        Returns the import's task id (None if the dialog was cancelled). The file is read,
        checked and imported off the GUI thread; then the list refreshes and
        ``status_message`` sums it up (``error`` says why a file was refused).
        """
        path, _chosen = self.get_open_file_name(
            self,
            self.tr("Import chats"),
            self._last_directory,
            self.tr("Hearth JSON export (*.json);;All files (*)"),
        )
        if not path:
            return None
        self._last_directory = str(Path(path).parent)
        ops, source = self.ops, Path(path)
        return self.tasks.submit(
            lambda cancel, progress: ops.import_file(source, cancel=cancel, progress=progress),
            name="import-chats",
            on_finished=self._import_done,
            on_failed=self._task_failed,
        )

    def _import_done(self, result: export.ImportResult) -> None:
        self.refresh()
        self.status_message.emit(self._import_summary(result))
        self.conversations_imported.emit(result.imported_conversations)

    def _task_failed(self, message: str) -> None:
        log.warning("chat export or import failed (the sentence was shown)")
        self.error.emit(message)

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
            self.ops.rename(conversation_id, title)
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
        store, chosen_format, target = self.store, fmt, path
        self.tasks.submit(
            lambda cancel, progress: export.export_file(
                store, conversation_ids, chosen_format, target, cancel=cancel, progress=progress
            ),
            name="export-chats",
            on_finished=self._export_done,
            on_failed=self._task_failed,
        )
        return path

    def _export_done(self, written: Path) -> None:
        self.status_message.emit(self.tr("Saved to %1").replace("%1", str(written)))

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


__all__ = [
    "CONVERSATION",
    "CONVERSATION_ID_ROLE",
    "GROUP_OLDER",
    "GROUP_PINNED",
    "GROUP_TODAY",
    "GROUP_WEEK",
    "GROUP_YESTERDAY",
    "HEADER",
    "HIT_ROLE",
    "LIST_BATCH",
    "PINNED_ROLE",
    "ROW_KIND_ROLE",
    "SEARCH_LIMIT",
    "ConversationListModel",
    "ConversationListView",
    "DayBoundaries",
    "SearchResultDelegate",
    "SearchResultsModel",
    "Sidebar",
    "UndoBar",
    "date_group",
    "highlighted_html",
    "name_clear_button",
]
