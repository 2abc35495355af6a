"""The model manager panel: the catalog and installed models, downloads, import, verify.

A page of the main window. The table lists every catalog entry and every other installed
model (imported, registered in place, or found in the models folder) with its size, the
RAM it needs at the current context, whether it fits this machine, and its state. Below
it: the progress of the selected download (speed, ETA, source), the actions, and an
inline message area; errors are shown there, never in a blocking dialog.

The panel never does long work itself: downloads, re-hashes and import copies run on the
:class:`~app.workers.downloads.DownloadWorker`, which keeps going while the panel is
hidden. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
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
    FitVerdict,
    estimate_ram,
    fit_on_this_machine,
    format_bytes,
)
from app.core.downloads import DownloadProgress
from app.core.errors import HearthError
from app.core.models import (
    GgufMetadata,
    InstalledModel,
    catalog_entry_state,
    import_gguf,
    list_installed,
    remove_model,
    validate_gguf,
)
from app.core.network import NetworkGateway
from app.core.settings import Settings
from app.workers.downloads import DownloadWorker, request_for

log = logging.getLogger(__name__)

#: Row keys of installed models that are not catalog entries start with this.
FILE_KEY_PREFIX = "file:"
#: Keys of import jobs on the worker start with this.
IMPORT_KEY_PREFIX = "import:"
#: The progress bar counts in tenths of a percent, so small files still move smoothly.
PROGRESS_SCALE = 1000

RowState = Literal[
    "absent",
    "partial",
    "checking",
    "downloading",
    "pausing",
    "cancelling",
    "verifying",
    "installed",
    "registered",
    "missing",
    "damaged",
    "failed",
]
#: States in which a worker job for the row is running.
_LIVE_STATES = frozenset({"checking", "downloading", "pausing", "cancelling", "verifying"})


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One line of the table: a catalog entry, or an installed model outside the catalog."""

    key: str
    name: str
    quant: str
    size: int
    size_exact: bool
    ram_need: int
    fit: FitVerdict
    state: RowState
    entry: CatalogEntry | None = None
    installed: InstalledModel | None = None
    #: Bytes on disk: the file, or the .part of a paused download.
    on_disk: int = 0
    progress: DownloadProgress | None = None
    #: Why it failed (or what verification found), for the state cell and its tooltip.
    reason: str = ""

    @property
    def percent(self) -> float | None:
        progress = self.progress
        if progress is not None and progress.total > 0:
            return min(100.0, 100.0 * progress.downloaded / progress.total)
        if self.on_disk and self.size:
            return min(100.0, 100.0 * self.on_disk / self.size)
        return None

    @property
    def is_live(self) -> bool:
        return self.state in _LIVE_STATES

    @property
    def usable_path(self) -> Path | None:
        """The file to load, when the model is on disk and not busy."""
        if self.installed is None or not self.installed.available or self.is_live:
            return None
        return self.installed.path


class ModelTableModel(QAbstractTableModel):
    """The rows of the panel's table. Texts come from the panel (translated there)."""

    NAME, QUANT, SIZE, RAM, FIT, STATE = range(6)
    KEY_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, panel: ModelPanel) -> None:
        super().__init__(panel)
        self._panel = panel
        self._rows: list[ModelRow] = []

    # --- Qt model API ---
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 6

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self._panel.column_titles()[section]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == self.KEY_ROLE:
            return row.key
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._panel.cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._panel.cell_tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.SIZE, self.RAM):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # --- rows ---
    @property
    def rows(self) -> list[ModelRow]:
        return list(self._rows)

    def set_rows(self, rows: list[ModelRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_of(self, key: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.key == key), -1)

    def row(self, key: str) -> ModelRow | None:
        index = self.row_of(key)
        return self._rows[index] if index >= 0 else None

    def update_row(self, row: ModelRow) -> None:
        index = self.row_of(row.key)
        if index < 0:
            return
        self._rows[index] = row
        self.dataChanged.emit(self.index(index, 0), self.index(index, self.columnCount() - 1))


class ModelPanel(QWidget):
    """The model manager page. Build it once; it follows the worker's jobs from then on."""

    #: The absolute path of an installed model the user chose to use (the window loads it).
    use_model_requested = Signal(str)
    #: The user asked to go back to the chat.
    back_requested = Signal()

    def __init__(
        self,
        *,
        catalog: Catalog,
        settings: Settings,
        gateway: NetworkGateway,
        models_dir: Path,
        worker: DownloadWorker,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
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
        self._pending_import: tuple[Path, GgufMetadata] | None = None
        self._queued_imports: list[Path] = []
        self._import_key: str | None = None
        self._import_progress: tuple[int, int] = (0, 0)
        self._delete_key: str | None = None

        self.setObjectName("modelPanel")
        self.setAccessibleName(self.tr("Model manager"))
        self.setAcceptDrops(True)
        self._build()
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

        self.table_model = ModelTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("modelTable")
        self.table.setAccessibleName(self.tr("Models you can download or use"))
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        horizontal = self.table.horizontalHeader()
        horizontal.setStretchLastSection(True)
        horizontal.setSectionResizeMode(ModelTableModel.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (
            ModelTableModel.QUANT,
            ModelTableModel.SIZE,
            ModelTableModel.RAM,
            ModelTableModel.FIT,
        ):
            horizontal.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.progress_box = QWidget(self)
        self.progress_bar = QProgressBar(self.progress_box)
        self.progress_bar.setObjectName("downloadProgress")
        self.progress_bar.setRange(0, PROGRESS_SCALE)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.progress_label = QLabel(self.progress_box)
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
        self.message_box = QWidget(self)
        self.message_box.setObjectName("modelPanelMessage")
        self.message_label = QLabel(self.message_box)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setAccessibleName(self.tr("Message"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"), self.message_box)
        self.dismiss_button.setAccessibleName(self.tr("Dismiss message"))
        message_layout = QHBoxLayout(self.message_box)
        message_layout.setContentsMargins(0, 0, 0, 0)
        message_layout.addWidget(self.message_label, 1)
        message_layout.addWidget(self.dismiss_button)
        self.message_box.setVisible(False)

        # Inline choice for an import: copy it in, or use it where it is.
        self.import_bar = QWidget(self)
        self.import_bar.setObjectName("modelPanelImport")
        self.import_label = QLabel(self.import_bar)
        self.import_label.setWordWrap(True)
        self.import_label.setAccessibleName(self.tr("Import"))
        self.import_copy_button = QPushButton(self.tr("Copy into Hearth"), self.import_bar)
        self.import_copy_button.setAccessibleName(
            self.tr("Copy the file into Hearth's models folder")
        )
        self.import_copy_button.setToolTip(
            self.tr("Hearth keeps its own copy; the original can be moved or deleted")
        )
        self.import_in_place_button = QPushButton(self.tr("Use where it is"), self.import_bar)
        self.import_in_place_button.setAccessibleName(self.tr("Use the file where it is"))
        self.import_in_place_button.setToolTip(
            self.tr("No copy is made; the file must stay where it is")
        )
        self.import_cancel_button = QPushButton(self.tr("Don't import"), self.import_bar)
        self.import_cancel_button.setAccessibleName(self.tr("Do not import the file"))
        import_layout = QHBoxLayout(self.import_bar)
        import_layout.setContentsMargins(0, 0, 0, 0)
        import_layout.addWidget(self.import_label, 1)
        import_layout.addWidget(self.import_copy_button)
        import_layout.addWidget(self.import_in_place_button)
        import_layout.addWidget(self.import_cancel_button)
        self.import_bar.setVisible(False)

        # Inline confirmation for Delete.
        self.delete_bar = QWidget(self)
        self.delete_bar.setObjectName("modelPanelDelete")
        self.delete_label = QLabel(self.delete_bar)
        self.delete_label.setWordWrap(True)
        self.delete_label.setAccessibleName(self.tr("Confirm deletion"))
        self.delete_confirm_button = QPushButton(self.tr("Delete"), self.delete_bar)
        self.delete_confirm_button.setAccessibleName(self.tr("Yes, delete it"))
        self.delete_keep_button = QPushButton(self.tr("Keep"), self.delete_bar)
        self.delete_keep_button.setAccessibleName(self.tr("No, keep it"))
        delete_layout = QHBoxLayout(self.delete_bar)
        delete_layout.setContentsMargins(0, 0, 0, 0)
        delete_layout.addWidget(self.delete_label, 1)
        delete_layout.addWidget(self.delete_confirm_button)
        delete_layout.addWidget(self.delete_keep_button)
        self.delete_bar.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(header)
        layout.addWidget(self.offline_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress_box)
        layout.addLayout(actions)
        layout.addWidget(self.import_bar)
        layout.addWidget(self.delete_bar)
        layout.addWidget(self.message_box)

    def _connect(self) -> None:
        self.back_button.clicked.connect(self.back_requested)
        self.import_button.clicked.connect(self.choose_import_file)
        self.download_button.clicked.connect(self.download_selected)
        self.pause_button.clicked.connect(self.pause_selected)
        self.resume_button.clicked.connect(self.resume_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.use_button.clicked.connect(self.use_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        self.dismiss_button.clicked.connect(self.clear_message)
        self.import_copy_button.clicked.connect(lambda: self._finish_import_choice(copy=True))
        self.import_in_place_button.clicked.connect(lambda: self._finish_import_choice(copy=False))
        self.import_cancel_button.clicked.connect(self._skip_import)
        self.delete_confirm_button.clicked.connect(self._confirm_delete)
        self.delete_keep_button.clicked.connect(self._cancel_delete)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self.use_selected())
        worker = self.worker
        worker.started.connect(self._on_started)
        worker.progressed.connect(self._on_progressed)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.paused.connect(self._on_paused)
        worker.cancelled.connect(self._on_cancelled)
        worker.verified.connect(self._on_verified)
        worker.import_progressed.connect(self._on_import_progressed)
        worker.imported.connect(self._on_imported)

    # --- texts -------------------------------------------------------------------------

    def column_titles(self) -> list[str]:
        return [
            self.tr("Model"),
            self.tr("Quant"),
            self.tr("Size"),
            self.tr("Memory needed"),
            self.tr("Fits here?"),
            self.tr("State"),
        ]

    def fit_text(self, verdict: FitVerdict) -> str:
        if verdict.fit == "fits":
            return self.tr("Fits")
        if verdict.fit == "tight":
            return self.tr("Tight")
        return self.tr("Too big for this machine")

    def state_text(self, row: ModelRow) -> str:
        percent = row.percent
        # Rounded down, as the progress bar does: never "100%" before the file is complete.
        number = str(math.floor(percent)) if percent is not None else ""
        state = row.state
        if state == "absent":
            return self.tr("Not downloaded")
        if state == "partial":
            return self.tr("Paused at %1%").replace("%1", number or "0")
        if state == "checking":
            return self.tr("Checking…")
        if state == "downloading":
            return self.tr("Downloading %1%").replace("%1", number or "0")
        if state == "pausing":
            return self.tr("Pausing…")
        if state == "cancelling":
            return self.tr("Cancelling…")
        if state == "verifying":
            return (
                self.tr("Verifying %1%").replace("%1", number) if number else self.tr("Verifying…")
            )
        if state == "installed":
            return self.tr("Installed")
        if state == "registered":
            return self.tr("Installed (used where it is)")
        if state == "missing":
            return self.tr("Missing: the file is gone")
        if state == "damaged":
            return self.tr("Damaged: delete and download again")
        return self.tr("Failed: %1").replace("%1", row.reason)

    def cell_text(self, row: ModelRow, column: int) -> str:
        if column == ModelTableModel.NAME:
            if row.entry is not None and row.entry.default:
                return self.tr("%1 (recommended)").replace("%1", row.name)
            return row.name
        if column == ModelTableModel.QUANT:
            return row.quant or "?"
        if column == ModelTableModel.SIZE:
            size = format_bytes(row.size)
            return size if row.size_exact else f"~{size}"
        if column == ModelTableModel.RAM:
            return format_bytes(row.ram_need)
        if column == ModelTableModel.FIT:
            return self.fit_text(row.fit)
        return self.state_text(row)

    def cell_tooltip(self, row: ModelRow, column: int) -> str | None:
        if column == ModelTableModel.FIT:
            return row.fit.message
        if column == ModelTableModel.RAM:
            return self.tr("Estimated at %1 tokens of context").replace(
                "%1", str(self.settings.effective_context())
            )
        if column == ModelTableModel.STATE and row.reason:
            return row.reason
        if column == ModelTableModel.NAME:
            if row.entry is not None and row.entry.description:
                return row.entry.description
            if row.installed is not None:
                return str(row.installed.path)
        return None

    # --- public API ----------------------------------------------------------------------

    def set_settings(self, settings: Settings) -> None:
        """New settings (context length changes the memory estimate; offline the hint)."""
        self.settings = settings
        self.refresh()
        self._update_offline_hint()

    def refresh(self) -> None:
        """Re-read the models folder and rebuild the table, keeping the selection."""
        selected = self.selected_key()
        self.table_model.set_rows(self._build_rows())
        if selected is not None:
            self.select_model(selected)
        self._update_actions()

    def selected_key(self) -> str | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        key = indexes[0].data(ModelTableModel.KEY_ROLE)
        return str(key) if key is not None else None

    def selected_row(self) -> ModelRow | None:
        key = self.selected_key()
        return self.table_model.row(key) if key is not None else None

    def select_model(self, key: str) -> bool:
        """Select a row by key (a catalog id, or ``file:<name>``); False if there is none."""
        index = self.table_model.row_of(key)
        if index < 0:
            return False
        self.table.selectionModel().select(
            self.table_model.index(index, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.table_model.index(index, 0))
        self._update_actions()
        return True

    def show_message(self, text: str) -> None:
        """Show a sentence in the panel's message area."""
        if not text:
            return
        log.info("model panel message: %s", text)
        self.message_label.setText(text)
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
        if row is None or path is None or row.state == "damaged":
            return
        self.use_model_requested.emit(str(path))

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
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Import GGUF model"),
            str(Path.home()),
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.offer_import(Path(path))

    def offer_import(self, path: Path) -> bool:
        """Check a file and ask (inline) whether to copy it or use it in place.

        A file that is not a usable GGUF is refused at once with the reason in the message
        area, and nothing is added. Returns True when the choice is being asked.
        """
        path = Path(path)
        if self._pending_import is not None or self._import_key is not None:
            self._queued_imports.append(path)
            return True
        try:
            meta = validate_gguf(path)
        except HearthError as exc:
            log.info("import of %s refused: %s (%s)", path, exc, exc.detail)
            self.show_message(str(exc))
            self._offer_next_import()
            return False
        self._pending_import = (path, meta)
        details = ", ".join(
            part
            for part in (
                meta.architecture,
                meta.file_type,
                format_bytes(meta.file_size),
                self.tr("%1 tokens of context").replace("%1", str(meta.context_length))
                if meta.context_length
                else "",
                "" if meta.has_chat_template else self.tr("no chat template"),
            )
            if part
        )
        self.import_label.setText(
            self.tr("Import “%1” (%2)? Copy it into Hearth's models folder, or use it where it is.")
            .replace("%1", path.name)
            .replace("%2", details)
        )
        self.import_bar.setVisible(True)
        return True

    # --- import and delete internals ---------------------------------------------------

    def _finish_import_choice(self, *, copy: bool) -> None:
        pending = self._pending_import
        if pending is None:
            return
        path, _meta = pending
        self._pending_import = None
        self.import_bar.setVisible(False)
        if not copy:
            # Registering in place only writes the registry: no copy, so no thread.
            try:
                model = import_gguf(
                    path, copy=False, models_dir=self.models_dir, catalog=self.catalog
                )
            except HearthError as exc:
                self.show_message(str(exc))
            else:
                self._imported(model)
            self._offer_next_import()
            return
        key = f"{IMPORT_KEY_PREFIX}{path}"
        if self.worker.import_file(key, path, copy=True, catalog=self.catalog):
            self._import_key = key
            self._import_progress = (0, path.stat().st_size if path.exists() else 0)
            self._update_progress_box()
        else:
            self.show_message(self.tr("%1 is already being imported.").replace("%1", path.name))
            self._offer_next_import()

    def _skip_import(self) -> None:
        self._pending_import = None
        self.import_bar.setVisible(False)
        self._offer_next_import()

    def _offer_next_import(self) -> None:
        if self._pending_import is not None or self._import_key is not None:
            return
        while self._queued_imports:
            if self.offer_import(self._queued_imports.pop(0)):
                return

    def _imported(self, model: InstalledModel) -> None:
        self.refresh()
        key = model.entry.id if model.entry is not None else f"{FILE_KEY_PREFIX}{model.name}"
        self.select_model(key)
        how = (
            self.tr("Hearth uses it where it is.")
            if model.in_place
            else self.tr("It was copied into Hearth's models folder.")
        )
        self.show_message(self.tr("Imported %1. %2").replace("%1", model.name).replace("%2", how))

    def _confirm_delete(self) -> None:
        key, self._delete_key = self._delete_key, None
        self.delete_bar.setVisible(False)
        row = self.table_model.row(key) if key is not None else None
        if row is None or row.installed is None or self.worker.is_active(row.key):
            return
        try:
            outcome = remove_model(
                row.installed.name, models_dir=self.models_dir, catalog=self.catalog
            )
        except (HearthError, OSError) as exc:
            log.warning("deleting %s failed: %r", row.installed.name, exc)
            message = str(exc) if isinstance(exc, HearthError) else (exc.strerror or str(exc))
            self.show_message(
                self.tr("%1 could not be deleted: %2")
                .replace("%1", row.name)
                .replace("%2", message)
            )
            self.refresh()
            return
        self._damaged.pop(row.key, None)
        self._failures.pop(row.key, None)
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
        if self.table_model.row_of(key) >= 0 and self.worker.job_kind(key) == "download":
            self._refresh_row(key, state="checking")

    def _on_progressed(self, key: str, progress: DownloadProgress) -> None:
        if self.table_model.row_of(key) < 0:
            return
        self._progress[key] = progress
        self._refresh_row(key)

    def _on_finished(self, key: str, path: str) -> None:
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        self._failures.pop(key, None)
        self.refresh()
        row = self.table_model.row(key)
        name = row.name if row is not None else Path(path).name
        self.show_message(self.tr("%1 is downloaded and verified.").replace("%1", name))

    def _on_failed(self, key: str, message: str) -> None:
        if key == self._import_key:
            self._import_key = None
            self._update_progress_box()
            self.show_message(message)
            self._offer_next_import()
            return
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        if self.table_model.row_of(key) >= 0:
            self._failures[key] = message
        self.refresh()
        self.show_message(message)

    def _on_paused(self, key: str) -> None:
        self._progress.pop(key, None)
        self._stopping.pop(key, None)
        self.refresh()

    def _on_cancelled(self, key: str) -> None:
        if key == self._import_key:
            self._import_key = None
            self._update_progress_box()
            self._offer_next_import()
            return
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

    def _on_import_progressed(self, key: str, done: int, total: int) -> None:
        if key != self._import_key:
            return
        self._import_progress = (done, total)
        self._update_progress_box()

    def _on_imported(self, key: str, model: object) -> None:
        if key == self._import_key:
            self._import_key = None
        self._update_progress_box()
        if isinstance(model, InstalledModel):
            self._imported(model)
        self._offer_next_import()

    # --- rows ------------------------------------------------------------------------------

    def _build_rows(self) -> list[ModelRow]:
        n_ctx = self.settings.effective_context()
        try:
            installed = list_installed(self.models_dir, self.catalog)
        except OSError as exc:
            log.warning("could not list the models folder %s: %r", self.models_dir, exc)
            installed = []
        rows: list[ModelRow] = []
        for entry in self.catalog.models:
            model = next(
                (m for m in installed if m.entry is not None and m.entry.id == entry.id), None
            )
            disk = catalog_entry_state(entry, self.models_dir)
            if model is not None:
                state: RowState = "registered" if model.in_place else "installed"
                if not model.available:
                    state = "missing"
                on_disk = model.size
            elif disk.state == "partial":
                state, on_disk = "partial", disk.on_disk
            else:
                state, on_disk = "absent", 0
            estimate = estimate_ram(entry, n_ctx)
            rows.append(
                self._with_live_state(
                    ModelRow(
                        key=entry.id,
                        name=entry.name,
                        quant=entry.quant,
                        size=entry.size,
                        size_exact=entry.size_exact,
                        ram_need=estimate.total,
                        fit=fit_on_this_machine(estimate),
                        state=state,
                        entry=entry,
                        installed=model,
                        on_disk=on_disk,
                    )
                )
            )
        for model in installed:
            if model.entry is not None:
                continue
            estimate = estimate_ram(model, n_ctx)
            state = "registered" if model.in_place else "installed"
            if not model.available:
                state = "missing"
            rows.append(
                self._with_live_state(
                    ModelRow(
                        key=f"{FILE_KEY_PREFIX}{model.name}",
                        name=model.display_name,
                        quant=model.metadata.file_type if model.metadata is not None else "",
                        size=model.size,
                        size_exact=True,
                        ram_need=estimate.total,
                        fit=fit_on_this_machine(estimate),
                        state=state,
                        installed=model,
                        on_disk=model.size,
                    )
                )
            )
        return rows

    def _with_live_state(self, row: ModelRow, state: RowState | None = None) -> ModelRow:
        """Overlay what the disk cannot tell: a running job, a failure, a verification."""
        key = row.key
        progress = self._progress.get(key)
        if self.worker.is_active(key):
            if state is None:
                state = self._stopping.get(key)
            if state is None and progress is not None:
                state = _state_of_phase(progress.phase)
            if state is None:
                kind = self.worker.job_kind(key)
                state = "verifying" if kind == "verify" else "checking"
            return replace(row, state=state, progress=progress, reason="")
        if state is not None:
            return replace(row, state=state, progress=progress)
        if key in self._damaged and row.installed is not None:
            return replace(row, state="damaged", reason=self._damaged[key])
        if key in self._failures and row.installed is None:
            return replace(row, state="failed", reason=self._failures[key])
        return row

    def _refresh_row(self, key: str, *, state: RowState | None = None) -> None:
        row = self.table_model.row(key)
        if row is None:
            return
        self.table_model.update_row(self._with_live_state(row, state))
        if key == self.selected_key():
            self._update_actions()

    # --- view state --------------------------------------------------------------------

    def _selection_changed(self) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        row = self.selected_row()
        active = row is not None and self.worker.is_active(row.key)
        stopping = row is not None and row.state in ("pausing", "cancelling")
        is_entry = row is not None and row.entry is not None
        installed = row is not None and row.installed is not None
        has_part = row is not None and not installed and row.on_disk > 0
        downloading = active and row is not None and row.state in ("checking", "downloading")
        self.download_button.setEnabled(is_entry and not installed and not active and not has_part)
        self.resume_button.setEnabled(is_entry and not installed and not active and has_part)
        self.pause_button.setEnabled(downloading and not stopping)
        self.cancel_button.setEnabled(
            is_entry and not installed and (has_part or active) and not stopping
        )
        usable = row is not None and row.usable_path is not None and not active
        self.use_button.setEnabled(usable and row is not None and row.state != "damaged")
        self.verify_button.setEnabled(usable)
        self.delete_button.setEnabled(installed and not active)
        self._update_progress_box()

    def _update_progress_box(self) -> None:
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
        if self._import_key is not None:
            done, total = self._import_progress
            self.progress_bar.setRange(0, PROGRESS_SCALE)
            self.progress_bar.setValue(round(done * PROGRESS_SCALE / total) if total else 0)
            name = Path(self._import_key.removeprefix(IMPORT_KEY_PREFIX)).name
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
            return self.state_text(row)
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
            parts.append(self.tr("%1 left").replace("%1", _duration(progress.eta_s)))
        if progress.source:
            parts.append(self.tr("from %1").replace("%1", progress.source))
        if progress.message and not progress.message.startswith("Downloading from"):
            parts.append(progress.message)
        return " · ".join(parts) or self.state_text(row)

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
        if _local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.offer_import(path)


def _state_of_phase(phase: str) -> RowState:
    if phase in ("checking", "probing"):
        return "checking"
    if phase == "verifying":
        return "verifying"
    return "downloading"


def _local_files(mime: Any) -> list[Path]:
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def _duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf") or seconds < 0:
        return "--:--"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
