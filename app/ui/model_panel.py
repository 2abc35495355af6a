"""The model manager panel: the catalog and installed models, downloads, import, verify.

A page of the main window. The table lists every catalog entry and every other installed
model (imported, registered in place, or found in the models folder) with its size, the
RAM it needs at the current context, whether it fits this machine, and its state. Below
it: the progress of the selected download (speed, ETA, source), the actions, and an
inline message area; errors are shown there, never in a blocking dialog.

No long work here: downloads, re-hashes and import copies run on the
:class:`~app.workers.downloads.DownloadWorker` (they go on while the panel is hidden); the
folder listing and import checks on the :class:`~app.workers.tasks.TaskRunner`. Rows and
the table model are in :mod:`app.ui.model_rows`, imports in :mod:`app.ui.model_import`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import (
    QItemSelectionModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import (
    Catalog,
    CatalogEntry,
    format_bytes,
)
from app.core.downloads import DownloadProgress
from app.core.errors import HearthError
from app.core.models import (
    InstalledModel,
    remove_model,
)
from app.core.network import NetworkGateway
from app.core.settings import Settings
from app.ui.errors_i18n import error_text
from app.ui.model_embedding import EmbeddingSection
from app.ui.model_import import IMPORT_KEY_PREFIX, ModelImports
from app.ui.model_rows import (
    FILE_KEY_PREFIX,
    PROGRESS_SCALE,
    FolderListing,
    InlineBar,
    ModelRow,
    ModelTableModel,
    RowState,
    build_rows,
    duration,
    library_choice,
    local_files,
    model_table_view,
    row_actions,
    with_live_state,
)
from app.ui.model_texts import PanelTexts
from app.workers.downloads import DownloadWorker, request_for
from app.workers.tasks import TaskRunner

__all__ = ["FILE_KEY_PREFIX", "IMPORT_KEY_PREFIX", "ModelPanel", "ModelRow", "ModelTableModel"]

log = logging.getLogger(__name__)


class ModelPanel(QWidget):
    """The model manager page. Build it once; it follows the worker's jobs from then on."""

    #: The absolute path of an installed model the user chose to use (the window loads it).
    use_model_requested = Signal(str)
    #: The user asked to go back to the chat.
    back_requested = Signal()
    #: A listing of the models folder has been applied to the table.
    listing_done = Signal()
    #: Settings: the user chose the Library's embedding model ("Use for Library").
    settings_changed = Signal(object)

    def __init__(
        self,
        *,
        catalog: Catalog,
        settings: Settings,
        gateway: NetworkGateway,
        models_dir: Path,
        worker: DownloadWorker,
        tasks: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        #: Runs the folder listing and import checks off the GUI thread.
        self.tasks = tasks if tasks is not None else TaskRunner(parent=self)
        #: The models folder as last listed (catalog files present are added from a stat).
        self._installed: list[InstalledModel] = []
        self.listing = FolderListing(self.tasks, self)
        self.listing.listed.connect(self._listing_applied)

        self.catalog = catalog
        self.settings = settings
        self.gateway = gateway
        self.models_dir = Path(models_dir)
        self.worker = worker
        #: Live states the disk cannot tell: failures, pausing, verification results.
        self._failures: dict[str, str] = {}
        self._damaged: dict[str, str] = {}
        self._stopping: dict[str, RowState] = {}
        self._progress: dict[str, DownloadProgress] = {}
        #: Import offered and waiting for the copy / in-place choice, then queued ones.
        self._delete_key: str | None = None

        self.setObjectName("modelPanel")
        self.setAccessibleName(self.tr("Model manager"))
        self.setAcceptDrops(True)
        self._build()
        self.imports = ModelImports(self)
        self._connect()
        self.refresh()
        default = catalog.default_entry
        if not (default is not None and self.select_model(default.id)):
            rows = self.table_model.rows
            if rows:
                self.select_model(rows[0].key)
        self._update_offline_hint()

    # --- construction ------------------------------------------------------------------

    def _build(self) -> None:
        self.title_label = QLabel(self.tr("Models"), self)
        self.title_label.setObjectName("modelPanelTitle")
        self.title_label.setAccessibleName(self.tr("Models"))
        self.back_button = QPushButton(self.tr("Back to chat"), self)
        self.back_button.setAccessibleName(self.tr("Back to chat"))
        self.import_button = QPushButton(self.tr("Import GGUF…"), self)
        self.import_button.setAccessibleName(self.tr("Import a GGUF model file"))
        self.import_button.setToolTip(
            self.tr("Add a .gguf file you already have. You can also drop files here.")
        )
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.import_button)
        header.addWidget(self.back_button)

        self.offline_label = QLabel(self)
        self.offline_label.setObjectName("modelPanelOffline")
        self.offline_label.setWordWrap(True)
        self.offline_label.setAccessibleName(self.tr("Offline mode"))

        #: The tables' texts (translated in this panel's context).
        self.texts = PanelTexts(lambda: self.settings)
        self.table_model = ModelTableModel(self.texts, self)
        self.table = model_table_view(
            self.table_model,
            self,
            object_name="modelTable",
            accessible_name=self.tr("Models you can download or use"),
        )

        self.progress_box = QWidget(self)
        self.progress_bar = QProgressBar(self.progress_box)
        self.progress_bar.setObjectName("downloadProgress")
        self.progress_bar.setRange(0, PROGRESS_SCALE)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.progress_label = QLabel(self.progress_box, textFormat=Qt.TextFormat.PlainText)
        self.progress_label.setObjectName("downloadDetails")
        self.progress_label.setAccessibleName(self.tr("Download speed, time left and source"))
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_bar)
        progress_layout.addWidget(self.progress_label)
        self.progress_box.setVisible(False)

        def button(text: str, accessible: str, tip: str = "") -> QPushButton:
            widget = QPushButton(text, self)
            widget.setAccessibleName(accessible)
            if tip:
                widget.setToolTip(tip)
            return widget

        self.download_button = button(self.tr("Download"), self.tr("Download the selected model"))
        self.pause_button = button(
            self.tr("Pause"),
            self.tr("Pause the download"),
            self.tr("Stop for now; what is downloaded is kept"),
        )
        self.resume_button = button(
            self.tr("Resume"),
            self.tr("Resume the download"),
            self.tr("Continue where the download stopped"),
        )
        self.cancel_button = button(
            self.tr("Cancel"),
            self.tr("Cancel the download"),
            self.tr("Stop and delete what was downloaded"),
        )
        self.delete_button = button(self.tr("Delete"), self.tr("Delete the selected model"))
        self.use_button = button(
            self.tr("Use"), self.tr("Use the selected model"), self.tr("Load it for chatting")
        )
        self.use_button.setDefault(True)
        self.verify_button = button(
            self.tr("Verify"),
            self.tr("Verify the selected model"),
            self.tr("Re-read the file and check its checksum"),
        )
        actions = QHBoxLayout()
        for widget in (
            self.download_button,
            self.pause_button,
            self.resume_button,
            self.cancel_button,
        ):
            actions.addWidget(widget)
        actions.addStretch(1)
        for widget in (self.verify_button, self.delete_button, self.use_button):
            actions.addWidget(widget)

        # Inline message: errors and results, never a blocking dialog.
        self.message_box = InlineBar(
            self,
            "modelPanelMessage",
            self.tr("Message"),
            [(self.tr("Dismiss"), self.tr("Dismiss message"), "")],
        )
        self.message_label = self.message_box.label
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        (self.dismiss_button,) = self.message_box.buttons

        # Inline choice for an import: copy it in, or use it where it is.
        self.import_bar = InlineBar(
            self,
            "modelPanelImport",
            self.tr("Import"),
            [
                (
                    self.tr("Copy into Hearth"),
                    self.tr("Copy the file into Hearth's models folder"),
                    self.tr("Hearth keeps its own copy; the original can be moved or deleted"),
                ),
                (
                    self.tr("Use where it is"),
                    self.tr("Use the file where it is"),
                    self.tr("No copy is made; the file must stay where it is"),
                ),
                (self.tr("Don't import"), self.tr("Do not import the file"), ""),
            ],
        )
        self.import_label = self.import_bar.label
        (
            self.import_copy_button,
            self.import_in_place_button,
            self.import_cancel_button,
        ) = self.import_bar.buttons

        # Inline confirmation for Delete.
        self.delete_bar = InlineBar(
            self,
            "modelPanelDelete",
            self.tr("Confirm deletion"),
            [
                (self.tr("Delete"), self.tr("Yes, delete it"), ""),
                (self.tr("Keep"), self.tr("No, keep it"), ""),
            ],
        )
        self.delete_label = self.delete_bar.label
        self.delete_confirm_button, self.delete_keep_button = self.delete_bar.buttons

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(header)
        layout.addWidget(self.offline_label)
        layout.addWidget(self.table, 2)
        # Embedding models: the Library's, listed apart and never offered for chat.
        self.embedding = EmbeddingSection(self.texts, self)
        layout.addWidget(self.embedding, 1)
        layout.addWidget(self.progress_box)
        layout.addLayout(actions)
        layout.addWidget(self.import_bar)
        layout.addWidget(self.delete_bar)
        layout.addWidget(self.message_box)

    def _connect(self) -> None:
        self.back_button.clicked.connect(self.back_requested)
        self.import_button.clicked.connect(self.imports.choose_file)
        self.download_button.clicked.connect(self.download_selected)
        self.pause_button.clicked.connect(self.pause_selected)
        self.resume_button.clicked.connect(self.resume_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.use_button.clicked.connect(self.use_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        self.dismiss_button.clicked.connect(self.clear_message)
        self.delete_confirm_button.clicked.connect(self._confirm_delete)
        self.delete_keep_button.clicked.connect(self._cancel_delete)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self._selection_changed(self.table)
        )
        self.table.doubleClicked.connect(lambda _index: self.use_selected())
        self.embedding.table.selectionModel().selectionChanged.connect(
            lambda *_: self._selection_changed(self.embedding.table)
        )
        self.embedding.use_button.clicked.connect(self.use_for_library_selected)
        worker = self.worker
        worker.started.connect(self._on_started)
        worker.progressed.connect(self._on_progressed)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.paused.connect(self._on_paused)
        worker.cancelled.connect(self._on_cancelled)
        worker.verified.connect(self._on_verified)

    # --- public API ----------------------------------------------------------------------

    def set_settings(self, settings: Settings) -> None:
        """New settings (context length changes the memory estimate; offline the hint)."""
        self.settings = settings
        self.refresh()
        self._update_offline_hint()

    def refresh(self) -> None:
        """Rebuild the table now from what is known, and re-read the models folder off the
        GUI thread (``listing_done`` follows); the selection is kept."""
        self._apply_rows()
        self.listing.request(self.models_dir, self.catalog)

    @property
    def is_listing(self) -> bool:
        """True while the models folder is being read."""
        return self.listing.busy

    def _listing_applied(self, installed: list[InstalledModel]) -> None:
        self._installed = installed
        self._apply_rows()
        if not self.listing.busy:
            self.listing_done.emit()

    def _apply_rows(self) -> None:
        selected = self.selected_key()
        rows = self._build_rows()
        self.table_model.set_rows([r for r in rows if r.role == "chat"])
        self.embedding.table_model.set_rows([r for r in rows if r.role == "embedding"])
        self.embedding.show_in_use(next((r for r in rows if r.in_use), None))
        if selected is not None:
            self.select_model(selected)
        self._update_actions()

    def _tables(self) -> tuple[tuple[QTableView, ModelTableModel], ...]:
        """The chat models' table, then the embedding models' one."""
        return ((self.table, self.table_model), (self.embedding.table, self.embedding.table_model))

    def _row(self, key: str) -> ModelRow | None:
        """The row of ``key`` in either table."""
        return self.table_model.row(key) or self.embedding.table_model.row(key)

    def selected_key(self) -> str | None:
        for table, _model in self._tables():
            indexes = table.selectionModel().selectedRows()
            if indexes:
                key = indexes[0].data(ModelTableModel.KEY_ROLE)
                return str(key) if key is not None else None
        return None

    def selected_row(self) -> ModelRow | None:
        key = self.selected_key()
        return self._row(key) if key is not None else None

    def select_model(self, key: str) -> bool:
        """Select a row by key (a catalog id, or ``file:<name>``) in whichever table lists
        it (chat or embedding models); False if there is none."""
        for table, model in self._tables():
            index = model.row_of(key)
            if index < 0:
                continue
            table.selectionModel().select(
                model.index(index, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            table.scrollTo(model.index(index, 0))
            self._update_actions()
            return True
        return False

    def show_message(self, text: str) -> None:
        """Show a sentence in the panel's message area."""
        if not text:
            return
        log.info("model panel message: %s", text)
        self.message_label.setText(error_text(text))
        self.message_box.setVisible(True)

    def clear_message(self) -> None:
        self.message_label.clear()
        self.message_box.setVisible(False)

    # --- actions -------------------------------------------------------------------------

    def download_selected(self) -> None:
        row = self.selected_row()
        if row is None or row.entry is None or row.is_live:
            return
        self._start_download(row.entry)

    def resume_selected(self) -> None:
        self.download_selected()

    def pause_selected(self) -> None:
        row = self.selected_row()
        if row is None or not self.worker.pause(row.key):
            return
        self._stopping[row.key] = "pausing"
        self._refresh_row(row.key)

    def cancel_selected(self) -> None:
        row = self.selected_row()
        if row is None or row.entry is None:
            return
        if self.worker.is_active(row.key):
            self._stopping[row.key] = "cancelling"
            self.worker.cancel(row.key, file_name=row.entry.file)
            self._refresh_row(row.key)
        else:
            self.worker.cancel(row.key, file_name=row.entry.file)

    def use_selected(self) -> None:
        row = self.selected_row()
        path = row.usable_path if row is not None else None
        if row is None or path is None or row.state == "damaged" or row.role != "chat":
            return  # an embedding model is never loaded for chat
        self.use_model_requested.emit(str(path))

    def use_for_library_selected(self) -> None:
        """Make the selected embedding model the Library's (the ``embedding_model``
        setting, which the Library reads); ``settings_changed`` carries the new settings."""
        row = self.selected_row()
        if row is None or row.role != "embedding" or row.usable_path is None:
            return
        assert row.installed is not None  # a usable path implies it
        self.settings = replace(self.settings, embedding_model=row.installed.name)
        self._apply_rows()
        self.settings_changed.emit(self.settings)
        self.show_message(
            self.tr("The Library will use %1 for meaning search.").replace("%1", row.name)
        )

    def verify_selected(self) -> None:
        row = self.selected_row()
        if row is None or row.installed is None or row.is_live:
            return
        if not row.installed.available:
            self.show_message(
                self.tr("%1 is no longer at %2.")
                .replace("%1", row.name)
                .replace("%2", str(row.installed.path))
            )
            return
        self._damaged.pop(row.key, None)
        self._failures.pop(row.key, None)
        if self.worker.verify(row.key, row.installed):
            self._progress.pop(row.key, None)
            self._refresh_row(row.key, state="verifying")

    def delete_selected(self) -> None:
        """Ask (inline) to delete the selected model; :meth:`_confirm_delete` does it."""
        row = self.selected_row()
        if row is None or row.installed is None or row.is_live:
            return
        self._delete_key = row.key
        if row.installed.in_place:
            text = self.tr(
                "Remove “%1” from Hearth's list? The file itself stays where it is."
            ).replace("%1", row.name)
            self.delete_confirm_button.setText(self.tr("Remove"))
        else:
            text = (
                self.tr("Delete “%1” (%2) from this computer?")
                .replace("%1", row.name)
                .replace("%2", format_bytes(row.installed.size))
            )
            self.delete_confirm_button.setText(self.tr("Delete"))
        self.delete_label.setText(text)
        self.delete_bar.setVisible(True)

    def choose_import_file(self) -> None:
        """Ask for a .gguf with a file dialog and offer it for import."""
        self.imports.choose_file()

    def offer_import(self, path: Path) -> bool:
        """Check a file off the GUI thread, then ask (inline) whether to copy it or use it
        in place; see :meth:`ModelImports.offer`."""
        return self.imports.offer(path)

    def note_installed(self, model: InstalledModel) -> None:
        """Show a model just added (an import) at once and select it; the listing that
        follows confirms it."""
        self._installed = [m for m in self._installed if m.name != model.name] + [model]
        self.refresh()
        key = model.entry.id if model.entry is not None else f"{FILE_KEY_PREFIX}{model.name}"
        self.select_model(key)

    # --- import and delete internals ---------------------------------------------------

    def _confirm_delete(self) -> None:
        key, self._delete_key = self._delete_key, None
        self.delete_bar.setVisible(False)
        row = self._row(key) if key is not None else None
        if row is None or row.installed is None or self.worker.is_active(row.key):
            return
        try:
            outcome = remove_model(
                row.installed.name, models_dir=self.models_dir, catalog=self.catalog
            )
        except (HearthError, OSError) as exc:
            log.warning("deleting %s failed: %r", row.installed.name, exc)
            message = (
                error_text(exc) if isinstance(exc, HearthError) else (exc.strerror or str(exc))
            )
            self.show_message(
                self.tr("%1 could not be deleted: %2")
                .replace("%1", row.name)
                .replace("%2", message)
            )
            self.refresh()
            return
        self._damaged.pop(row.key, None)
        self._failures.pop(row.key, None)
        self._installed = [m for m in self._installed if m.name != row.installed.name]
        self.refresh()
        if outcome == "unregistered":
            self.show_message(
                self.tr("Removed %1 from the list; the file was left where it is.").replace(
                    "%1", row.name
                )
            )
        else:
            self.show_message(self.tr("Deleted %1.").replace("%1", row.name))

    def _cancel_delete(self) -> None:
        self._delete_key = None
        self.delete_bar.setVisible(False)

    # --- downloads -----------------------------------------------------------------------

    def _start_download(self, entry: CatalogEntry) -> None:
        self._failures.pop(entry.id, None)
        self._progress.pop(entry.id, None)
        request = request_for(entry, self.catalog, self.settings)
        if not self.worker.start(request):
            self.show_message(
                self.tr("%1 is still busy; try again in a moment.").replace("%1", entry.name)
            )
            return
        self.clear_message()

    # --- worker signals ----------------------------------------------------------------

    def _on_started(self, key: str) -> None:
        if self._row(key) is not None and self.worker.job_kind(key) == "download":
            self._refresh_row(key, state="checking")

    def _on_progressed(self, key: str, progress: DownloadProgress) -> None:
        if self._row(key) is None:
            return
        self._progress[key] = progress
        self._refresh_row(key)

    def _on_finished(self, key: str, path: str) -> None:
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        self._failures.pop(key, None)
        self.refresh()
        row = self._row(key)
        name = row.name if row is not None else Path(path).name
        self.show_message(self.tr("%1 is downloaded and verified.").replace("%1", name))

    def _on_failed(self, key: str, message: str) -> None:
        if key.startswith(IMPORT_KEY_PREFIX):
            return  # the import controller's
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        if self._row(key) is not None:
            self._failures[key] = error_text(message)
        self.refresh()
        self.show_message(message)

    def _on_paused(self, key: str) -> None:
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        self.refresh()

    def _on_cancelled(self, key: str) -> None:
        if key.startswith(IMPORT_KEY_PREFIX):
            return  # the import controller's
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        self._failures.pop(key, None)
        self.refresh()

    def _on_verified(self, key: str, ok: object, message: str) -> None:
        self._progress.pop(key, None)
        if ok is False:
            self._damaged[key] = message
        else:
            self._damaged.pop(key, None)
        self.refresh()
        self.show_message(message)

    # --- rows ------------------------------------------------------------------------------

    def _build_rows(self) -> list[ModelRow]:
        rows = build_rows(
            self.catalog, self._installed, self.models_dir, self.settings.effective_context()
        )
        in_use = library_choice(rows, self.settings.embedding_model)
        rows = [replace(r, in_use=True) if r is in_use else r for r in rows]
        return [self._with_live_state(row) for row in rows]

    def _with_live_state(self, row: ModelRow, state: RowState | None = None) -> ModelRow:
        key = row.key
        return with_live_state(
            row,
            job=self.worker.job_kind(key),
            progress=self._progress.get(key),
            stopping=self._stopping.get(key),
            damaged=self._damaged.get(key),
            failure=self._failures.get(key),
            state=state,
        )

    def _refresh_row(self, key: str, *, state: RowState | None = None) -> None:
        row = self._row(key)
        if row is None:
            return
        updated = self._with_live_state(row, state)
        for _table, model in self._tables():
            model.update_row(updated)  # a no-op in the table that does not list it
        if key == self.selected_key():
            self._update_actions()

    # --- view state --------------------------------------------------------------------

    def _selection_changed(self, table: QTableView) -> None:
        # One selection across both tables: picking a row in one clears the other.
        if table.selectionModel().hasSelection():
            for other, _model in self._tables():
                if other is not table and other.selectionModel().hasSelection():
                    other.selectionModel().clearSelection()
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_row()
        actions = row_actions(row, active=row is not None and self.worker.is_active(row.key))
        self.download_button.setEnabled(actions.download)
        self.resume_button.setEnabled(actions.resume)
        self.pause_button.setEnabled(actions.pause)
        self.cancel_button.setEnabled(actions.cancel)
        self.use_button.setEnabled(actions.use)
        self.verify_button.setEnabled(actions.verify)
        self.delete_button.setEnabled(actions.delete)
        self.embedding.use_button.setEnabled(actions.use_for_library and not (row and row.in_use))
        entry = row.entry if row is not None else None
        sources = (
            self.catalog.sources_for(entry, custom_endpoint=self.settings.custom_hf_endpoint)
            if entry is not None
            else []
        )
        self.embedding.show_details(row, sources)
        self.update_progress_box()

    def update_progress_box(self) -> None:
        row = self.selected_row()
        if row is not None and row.is_live:
            progress = row.progress
            percent = row.percent
            if percent is None:
                self.progress_bar.setRange(0, 0)  # busy, size unknown yet
            else:
                self.progress_bar.setRange(0, PROGRESS_SCALE)
                self.progress_bar.setValue(math.floor(percent * PROGRESS_SCALE / 100))
            self.progress_label.setText(self._progress_details(row, progress))
            self.progress_box.setVisible(True)
            return
        if self.imports.key is not None:
            done, total = self.imports.progress
            self.progress_bar.setRange(0, PROGRESS_SCALE)
            self.progress_bar.setValue(round(done * PROGRESS_SCALE / total) if total else 0)
            name = Path(self.imports.key.removeprefix(IMPORT_KEY_PREFIX)).name
            self.progress_label.setText(
                self.tr("Copying %1: %2 of %3")
                .replace("%1", name)
                .replace("%2", format_bytes(done))
                .replace("%3", format_bytes(total))
            )
            self.progress_box.setVisible(True)
            return
        self.progress_box.setVisible(False)

    def _progress_details(self, row: ModelRow, progress: DownloadProgress | None) -> str:
        if progress is None:
            return self.texts.state_text(row)
        parts: list[str] = []
        if progress.total > 0:
            parts.append(
                self.tr("%1 of %2")
                .replace("%1", format_bytes(progress.downloaded))
                .replace("%2", format_bytes(progress.total))
            )
        elif progress.downloaded:
            parts.append(format_bytes(progress.downloaded))
        if progress.bytes_per_s > 0:
            parts.append(self.tr("%1/s").replace("%1", format_bytes(progress.bytes_per_s)))
        if progress.eta_s is not None and progress.phase in ("downloading", "verifying"):
            parts.append(self.tr("%1 left").replace("%1", duration(progress.eta_s)))
        if progress.source:
            parts.append(self.tr("from %1").replace("%1", progress.source))
        if progress.message and not progress.message.startswith("Downloading from"):
            parts.append(progress.message)
        return " · ".join(parts) or self.texts.state_text(row)

    def _update_offline_hint(self) -> None:
        offline = bool(self.gateway.offline)
        self.offline_label.setText(
            self.tr("Offline mode is on: Hearth will not download. Turn it off in the settings.")
            if offline
            else ""
        )
        self.offline_label.setVisible(offline)

    # --- events --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        # Files may have changed while the panel was hidden (the CLI, another window).
        self.refresh()
        self._update_offline_hint()
        super().showEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.imports.offer(path)
