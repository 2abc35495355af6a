"""The Library: named collections of the user's folders and files, indexed on this computer.

The panel lists the collections (checked ones are used by the current chat), adds folders
or files, indexes in the background with a progress bar and Cancel, and lists every file
that could not be indexed with its reason. Indexing is :func:`index_collection` run by the
task runner; it is incremental and resumable, so Cancel, a restart or a kill only mean
"continue next time".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import CancelToken, ProgressCallback
from app.core.knowledge.collections import IndexReport, index_collection
from app.core.knowledge.context import Attachment
from app.core.knowledge.embed import Embedder
from app.core.knowledge.index import DocumentRow, KnowledgeIndex, StoredChunk
from app.core.settings import DEFAULT_LIBRARY_FILE_MB, MAX_LIBRARY_FILE_MB, MIN_LIBRARY_FILE_MB
from app.ui.attachments import AttachmentBar
from app.ui.errors_i18n import error_text
from app.ui.plain import plain_tooltip
from app.ui.sources_view import SourcesView
from app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

#: The size limit is set in megabytes.
_MB = 1024 * 1024


class LibraryPanel(QWidget):
    """Collections, their indexing and their bad files."""

    #: the names of the collections checked for the current chat
    selection_changed = Signal(list)
    #: an indexing run ended: (collection, report)
    indexed = Signal(str, object)
    #: the user changed the size limit (MB); the window keeps it in the settings
    limit_changed = Signal(int)

    def __init__(
        self,
        index: KnowledgeIndex,
        *,
        runner: TaskRunner | None = None,
        embedder: Callable[[], Embedder | None] = lambda: None,
        max_file_mb: int = DEFAULT_LIBRARY_FILE_MB,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.index = index
        self.runner = runner or TaskRunner(max_threads=1, parent=self)
        self.embedder = embedder
        self.task_id: str | None = None
        self._indexing = ""

        self.collections = QListWidget(self)
        self.collections.setAccessibleName(self.tr("Collections"))
        self.collections.itemChanged.connect(self._on_item_changed)
        self.collections.currentItemChanged.connect(lambda *_: self._show_bad_files())
        self.new_button = QPushButton(self.tr("New collection…"), self)
        self.add_folder_button = QPushButton(self.tr("Add folder…"), self)
        self.add_files_button = QPushButton(self.tr("Add files…"), self)
        self.index_button = QPushButton(self.tr("Index"), self)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.remove_button = QPushButton(self.tr("Remove collection"), self)
        self.cancel_button.setEnabled(False)
        self.new_button.clicked.connect(self.ask_new_collection)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.add_files_button.clicked.connect(self.choose_files)
        self.index_button.clicked.connect(lambda: self.start_indexing())
        self.cancel_button.clicked.connect(self.cancel_indexing)
        self.remove_button.clicked.connect(self.remove_current)
        self.limit = QSpinBox(self)
        self.limit.setRange(MIN_LIBRARY_FILE_MB, MAX_LIBRARY_FILE_MB)
        self.limit.setValue(max(MIN_LIBRARY_FILE_MB, min(MAX_LIBRARY_FILE_MB, max_file_mb)))
        self.limit.setSuffix(" MB")
        # Typing "200" is one change, not three (each change is saved in the settings).
        self.limit.setKeyboardTracking(False)
        self.limit.setAccessibleName(self.tr("Largest file to index"))
        self.limit.setToolTip(
            self.tr("Larger files are listed as too large; attachments have the same limit.")
        )
        self.limit.valueChanged.connect(self.limit_changed)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(self.tr("Indexing progress"))
        self.progress.setVisible(False)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.bad_files = QTreeWidget(self)
        self.bad_files.setAccessibleName(self.tr("Files not indexed"))
        self.bad_files.setHeaderLabels([self.tr("File"), self.tr("Why it was not indexed")])
        self.bad_files.setRootIsDecorated(False)

        buttons = QHBoxLayout()
        for button in (self.new_button, self.add_folder_button, self.add_files_button):
            buttons.addWidget(button)
        run = QHBoxLayout()
        run.addWidget(self.index_button)
        run.addWidget(self.cancel_button)
        run.addWidget(QLabel(self.tr("Size limit:"), self))
        run.addWidget(self.limit)
        run.addStretch(1)
        run.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Collections (checked ones are used by this chat)"), self))
        layout.addWidget(self.collections, 1)
        layout.addLayout(buttons)
        layout.addLayout(run)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(QLabel(self.tr("Files not indexed"), self))
        layout.addWidget(self.bad_files, 1)
        self.refresh()

    # --- collections ---

    def refresh(self, checked: Sequence[str] | None = None) -> None:
        keep = set(checked) if checked is not None else set(self.checked_collections())
        current = self.current_collection()
        self.collections.blockSignals(True)
        self.collections.clear()
        for collection in self.index.collections():
            text = self.tr("%1 — %2 files, %3 not indexed")
            text = (
                text.replace("%1", collection.name)
                .replace("%2", str(collection.documents))
                .replace("%3", str(collection.errors))
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, collection.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            state = Qt.CheckState.Checked if collection.name in keep else Qt.CheckState.Unchecked
            item.setCheckState(state)
            item.setToolTip(plain_tooltip("\n".join(collection.roots)))
            self.collections.addItem(item)
            if collection.name == current:
                self.collections.setCurrentItem(item)
        if self.collections.currentItem() is None and self.collections.count():
            self.collections.setCurrentRow(0)
        self.collections.blockSignals(False)
        self._show_bad_files()

    def current_collection(self) -> str:
        item = self.collections.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def checked_collections(self) -> list[str]:
        names: list[str] = []
        for row in range(self.collections.count()):
            item = self.collections.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                names.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return names

    def set_checked(self, names: Sequence[str]) -> None:
        """Show the current chat's choice (no selection_changed is emitted)."""
        self.refresh(checked=names)

    def _on_item_changed(self, _item: QListWidgetItem) -> None:
        self.selection_changed.emit(self.checked_collections())

    def create_collection(self, name: str) -> None:
        self.index.create_collection(name)
        self.refresh()
        for row in range(self.collections.count()):
            if self.collections.item(row).data(Qt.ItemDataRole.UserRole) == name.strip():
                self.collections.setCurrentRow(row)

    def ask_new_collection(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New collection"), self.tr("Name:"))
        if ok and name.strip():
            self.create_collection(name.strip())

    def add_paths(self, paths: Sequence[Path], name: str = "") -> None:
        name = name or self.current_collection()
        if not name:
            name = self.tr("My documents")
        for path in paths:
            self.index.add_root(name, path)
        self.refresh()
        self.start_indexing(name)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"))
        if folder:
            self.add_paths([Path(folder)])

    def choose_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(self, self.tr("Add files"))
        if files:
            self.add_paths([Path(f) for f in files])

    def remove_current(self) -> None:
        name = self.current_collection()
        if name and not self.is_indexing:
            self.index.delete_collection(name)
            self.refresh()
            self.selection_changed.emit(self.checked_collections())

    # --- indexing ---

    @property
    def is_indexing(self) -> bool:
        return self.runner.is_running(self.task_id)

    def start_indexing(self, name: str = "") -> bool:
        name = name or self.current_collection()
        if not name or self.is_indexing:
            return False
        get_embedder = self.embedder
        max_bytes = self.limit.value() * _MB
        index = self.index

        def work(cancel: CancelToken, progress: ProgressCallback) -> IndexReport:
            return index_collection(
                index,
                name,
                cancel=cancel,
                progress=progress,
                # Loaded here, off the GUI thread: a model load takes up to a second.
                embedder=get_embedder(),
                max_bytes=max_bytes,
            )

        self._indexing = name
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText(self.tr("Indexing %1…").replace("%1", name))
        self.cancel_button.setEnabled(True)
        self.index_button.setEnabled(False)
        self.remove_button.setEnabled(False)
        self.task_id = self.runner.submit(
            work,
            name="index",
            on_progress=self._on_progress,
            on_finished=self._on_finished,
            on_failed=self._on_failed,
            on_cancelled=self._on_cancelled,
        )
        return self.task_id is not None

    def cancel_indexing(self) -> None:
        if self.task_id is not None:
            self.runner.cancel(self.task_id)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def _end(self, message: str) -> None:
        self.task_id = None
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.index_button.setEnabled(True)
        self.remove_button.setEnabled(True)
        self.status.setText(message)
        self.refresh()

    def _on_finished(self, report: IndexReport) -> None:
        if report.cancelled:
            message = self.tr("Stopped. Index again to continue where it stopped.")
        else:
            message = (
                self.tr("%1: %2 indexed, %3 unchanged, %4 removed, %5 not indexed.")
                .replace("%1", self._indexing)
                .replace("%2", str(report.indexed))
                .replace("%3", str(report.unchanged))
                .replace("%4", str(report.removed))
                .replace("%5", str(len(report.bad)))
            )
        self._end(message)
        self.indexed.emit(self._indexing, report)

    def set_max_file_mb(self, mb: int) -> None:
        """Show the size limit from the settings (no limit_changed is emitted)."""
        self.limit.blockSignals(True)
        self.limit.setValue(mb)
        self.limit.blockSignals(False)

    def _on_failed(self, message: str) -> None:
        self._end(error_text(message))

    def _on_cancelled(self) -> None:
        # Cancelled before it started: nothing was written; the run still ends here.
        self._end(self.tr("Stopped. Index again to continue where it stopped."))
        self.indexed.emit(self._indexing, IndexReport(cancelled=True))

    def _show_bad_files(self) -> None:
        self.bad_files.clear()
        name = self.current_collection()
        if not name:
            return
        try:
            bad = self.index.bad_files(name)
        except Exception:  # a collection removed meanwhile
            log.debug("no bad files for %r", name, exc_info=True)
            return
        for row in bad:
            reason = reason_text(row)
            item = QTreeWidgetItem([Path(row.path).name, reason])
            item.setToolTip(0, plain_tooltip(row.path))  # paths and messages: literal text
            item.setToolTip(1, plain_tooltip(reason))
            self.bad_files.addTopLevelItem(item)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        self.cancel_indexing()
        self.runner.shutdown(timeout_ms=timeout_ms)


def reason_text(row: DocumentRow) -> str:
    """Why a file was not indexed, in the UI's language.

    The index keeps the reason's code and values, so a reason stored before the language
    changed is shown in the new one; rows from before codes were stored are matched by
    their English sentence.
    """
    if row.code:
        return error_text((row.code, row.error_params(), row.message))
    return error_text(row.message)


class ChatKnowledge(QObject):
    """The chat window's knowledge: attachments above the input, the Sources block under
    the chat, the Library dock, and each chat's choice of collections.

    The choice is kept in the chat's settings (``collections``); a new chat takes the
    choice made before its first message. Retrieval is full-text (BM25), which needs no
    model and takes milliseconds; with an embedding model set, it is hybrid.
    """

    #: a sentence for the window's message bar
    error = Signal(str)
    #: the user changed the Library's size limit (MB): for the settings
    limit_changed = Signal(int)

    def __init__(
        self,
        window: QMainWindow,
        *,
        store: Any,
        controller: Any,
        data_dir: Path | None = None,
        embedder: Callable[[], Embedder | None] | None = None,
        max_file_mb: int = DEFAULT_LIBRARY_FILE_MB,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.controller = controller
        self.data_dir = data_dir
        self.embedder = embedder or self._installed_embedder
        self._embedder: Embedder | None = None
        self._embedder_tried = False
        self._embedder_lock = threading.Lock()
        #: Embedders replaced by another choice: an indexing task may still hold one, so
        #: they are closed at shutdown, not when replaced.
        self._retired: list[Embedder] = []
        self._embedding_name: str | None = None
        self.max_file_mb = max_file_mb
        self.bar = AttachmentBar(max_bytes=max_file_mb * _MB, parent=window)
        self.bar.failed.connect(self.error)
        self.sources = SourcesView(window)
        self._runner = TaskRunner(max_threads=1, parent=self)
        self._retrieval: str | None = None
        self.panel: LibraryPanel | None = None
        self.dock: QDockWidget | None = None
        self._index: KnowledgeIndex | None = None
        self._pending_choice: list[str] = []
        controller.answer_stored.connect(self.show_answer_sources)
        controller.conversation_changed.connect(self._chat_opened)

    # --- the index and the Library dock ---

    def index(self) -> KnowledgeIndex:
        if self._index is None:
            from app.core.paths import app_paths

            data = self.data_dir or app_paths().ensure().data
            self._index = KnowledgeIndex.in_data_dir(data)
        return self._index

    def _installed_embedder(self) -> Embedder | None:
        """The chosen embedding model once downloaded (loaded on first use), else None:
        full-text search alone needs no model."""
        # Indexing and retrieval ask from worker threads: one load, one lock.
        with self._embedder_lock:
            if self._embedder is None and not self._embedder_tried:
                self._embedder_tried = True
                self._embedder = self._load_embedder()
            return self._embedder

    def _load_embedder(self) -> Embedder | None:
        from app.core.knowledge.embed import LlamaEmbedder, installed_embedding_model
        from app.core.paths import app_paths

        found = installed_embedding_model(app_paths().models, self._embedding_name or None)
        if found is None:
            return None
        path, query_prefix, passage_prefix = found
        try:
            return LlamaEmbedder(path, query_prefix=query_prefix, passage_prefix=passage_prefix)
        except Exception:
            log.exception("the embedding model could not be loaded; full-text only")
            return None

    def set_embedding_model(self, name: str) -> None:
        """The embedding model setting (model manager's "Use for Library") is ``name``:
        when it changed, the next search or indexing loads the new choice."""
        if self._embedding_name is None:
            self._embedding_name = name
            return
        if name == self._embedding_name:
            return
        self._embedding_name = name
        with self._embedder_lock:
            if self._embedder is not None:
                self._retired.append(self._embedder)
            self._embedder = None
            self._embedder_tried = False

    def show_library(self) -> LibraryPanel:
        if self.panel is None:
            self.panel = LibraryPanel(
                self.index(), embedder=self.embedder, max_file_mb=self.max_file_mb
            )
            self.panel.selection_changed.connect(self._choose)
            self.panel.limit_changed.connect(self._limit_changed)
            self.dock = QDockWidget(self.tr("Library"), self.window)
            self.dock.setObjectName("libraryDock")
            self.dock.setWidget(self.panel)
            self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
            self.panel.set_checked(self.chosen_collections())
        assert self.dock is not None
        self.dock.show()
        self.dock.raise_()
        return self.panel

    # --- the size limit (a setting) ---

    def set_max_file_mb(self, mb: int) -> None:
        """The limit from the settings: for indexing and for the next attachments."""
        self.max_file_mb = mb
        self.bar.max_bytes = mb * _MB
        if self.panel is not None:
            self.panel.set_max_file_mb(mb)

    def _limit_changed(self, mb: int) -> None:
        self.max_file_mb = mb
        self.bar.max_bytes = mb * _MB
        self.limit_changed.emit(mb)

    # --- per-chat choice ---

    def chosen_collections(self) -> list[str]:
        chat = self.controller.conversation_id
        if not chat:
            return list(self._pending_choice)
        try:
            value = self.store.conversation_settings(chat).get("collections")
        except Exception:  # a chat deleted meanwhile
            log.debug("no settings for the chat", exc_info=True)
            return []
        return [str(v) for v in value] if isinstance(value, list) else []

    def _choose(self, names: list[str]) -> None:
        chat = self.controller.conversation_id
        if not chat:
            self._pending_choice = list(names)
            return
        self._save_choice(chat, names)

    def _save_choice(self, chat: str, names: Sequence[str]) -> None:
        from app.core.store import ChatOps

        try:
            stored = dict(self.store.conversation_settings(chat))
            stored["collections"] = list(names)
            ChatOps.for_store(self.store).set_conversation_settings(chat, stored)
        except Exception:
            log.exception("could not save the chat's collections")

    def _chat_opened(self, chat: str) -> None:
        self.sources.set_sources([])
        if chat and self._pending_choice:
            self._save_choice(chat, self._pending_choice)
            self._pending_choice = []
        if self.panel is not None:
            self.panel.set_checked(self.chosen_collections())

    # --- a turn ---

    def prepare(self, question: str) -> tuple[list[Attachment], list[StoredChunk]]:
        """What goes with the question: the attached files and the retrieved passages."""
        return self.bar.attachments, self.retrieve(question)

    @property
    def is_retrieving(self) -> bool:
        return self._retrieval is not None and self._runner.is_running(self._retrieval)

    def prepare_async(
        self,
        question: str,
        ready: Callable[[list[Attachment], list[StoredChunk]], None],
    ) -> bool:
        """Like :meth:`prepare`, with the search on a worker thread (see
        :meth:`search_async`); ``ready`` runs on the GUI thread."""
        attachments = self.bar.attachments
        return self.search_async(question, lambda sources: ready(attachments, sources))

    def search_async(self, question: str, ready: Callable[[list[StoredChunk]], None]) -> bool:
        """The chat's collections searched for ``question`` on a worker thread; ``ready``
        gets the passages on the GUI thread. The first meaning search loads the embedding
        model and the collection's vectors (up to seconds at 100k passages), which must not
        freeze the window. Without chosen collections ``ready`` runs at once. False while a
        search is still running (``ready`` is then not called)."""
        if self.is_retrieving:
            return False
        names = self.chosen_collections()
        if not names or not question.strip():
            ready([])
            return True
        index = self.index()
        get_embedder = self.embedder

        def work(_cancel: CancelToken, _progress: ProgressCallback) -> list[StoredChunk]:
            from app.core.knowledge.retrieve import retrieve

            return retrieve(index, names, question, k=5, embedder=get_embedder())

        def failed(reason: str) -> None:
            log.warning("retrieval failed; the question goes without sources: %s", reason)
            self._retrieval = None
            ready([])

        def finished(sources: list[StoredChunk]) -> None:
            self._retrieval = None
            ready(sources)

        self._retrieval = self._runner.submit(
            work, name="retrieve", on_finished=finished, on_failed=failed
        )
        return self._retrieval is not None

    def retrieve(self, question: str) -> list[StoredChunk]:
        """The passages of the chat's collections for ``question`` (none without any)."""
        names = self.chosen_collections()
        sources: list[StoredChunk] = []
        if names and question.strip():
            from app.core.knowledge.retrieve import retrieve

            try:
                sources = retrieve(self.index(), names, question, k=5, embedder=self.embedder())
            except Exception:
                log.exception("retrieval failed; the question goes without sources")
        return sources

    def sent(self) -> None:
        """The message went out: the attachments went with it."""
        self.bar.clear()
        self.sources.set_sources([])

    def show_answer_sources(self, message: Any) -> None:
        provenance = getattr(message, "provenance", None) or {}
        if not isinstance(provenance, Mapping):
            provenance = {}
        sources = provenance.get("sources")
        tokens = provenance.get("source_tokens")
        self.sources.set_sources(
            sources if isinstance(sources, list) else [],
            tokens=tokens if isinstance(tokens, int) else 0,
        )

    def shutdown(self) -> None:
        self.bar.runner.shutdown(timeout_ms=2000)
        self._runner.shutdown(timeout_ms=5000)
        self.sources.shutdown()
        if self.panel is not None:
            self.panel.shutdown()
        if self._index is not None:
            self._index.close()
            self._index = None
        for embedder in [*self._retired, *([self._embedder] if self._embedder else [])]:
            embedder.close()
        self._retired.clear()
        self._embedder = None
