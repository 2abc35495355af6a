"""The model manager's rows: what each line of the table says, built from the catalog, the
last listing of the models folder and a ``stat`` of each catalog file; the table model; and
small helpers of the panel. No texts are made here: the panel translates them.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from app.core.catalog import (
    Catalog,
    CatalogEntry,
    FitVerdict,
    RamEstimate,
    estimate_ram,
    fit_on_this_machine,
)
from app.core.downloads import DownloadProgress
from app.core.models import InstalledModel, catalog_entry_state, list_installed
from app.workers.tasks import TaskRunner

log = logging.getLogger("app.ui.model_panel")

#: Row keys of installed models that are not catalog entries start with this.
FILE_KEY_PREFIX = "file:"
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
LIVE_STATES = frozenset({"checking", "downloading", "pausing", "cancelling", "verifying"})
#: What an embedding model needs beyond its weights: llama.cpp's compute buffer for the
#: embedder's 2048-token batches (app/core/knowledge/embed.py), tens of MB for the small
#: BERTs, rounded up. There is no KV cache to count: the models are not causal.
EMBEDDING_OVERHEAD_BYTES = 128 * 1024 * 1024
Role = Literal["chat", "embedding"]


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
    #: "embedding": listed in the Library's section, never loaded for chat.
    role: Role = "chat"
    #: An embedding model the Library uses now.
    in_use: bool = False

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
        return self.state in LIVE_STATES

    @property
    def usable_path(self) -> Path | None:
        """The file to load, when the model is on disk and not busy."""
        if self.installed is None or not self.installed.available or self.is_live:
            return None
        return self.installed.path


class RowTexts(Protocol):
    """What the table asks of its panel: translated titles and cell texts."""

    def column_titles(self) -> list[str]: ...

    def cell_text(self, row: ModelRow, column: int) -> str: ...

    def cell_tooltip(self, row: ModelRow, column: int) -> str | None: ...


class ModelTableModel(QAbstractTableModel):
    """The rows of the panel's table. Texts come from the panel (translated there)."""

    NAME, QUANT, SIZE, RAM, FIT, STATE = range(6)
    KEY_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, panel: RowTexts, parent: QObject | None = None) -> None:
        super().__init__(parent)
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
            return plain_tooltip(self._panel.cell_tooltip(row, column))
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


def build_rows(
    catalog: Catalog, installed: list[InstalledModel], models_dir: Path, n_ctx: int
) -> list[ModelRow]:
    """The table's rows from the catalog, the last listing and a stat of each catalog file.

    Embedding models (``role`` "embedding": catalog entries, or imported BERT-like files)
    are rows too; the panel lists them in their own section, never as chat models."""
    rows: list[ModelRow] = []
    for entry in catalog.models:
        model = next((m for m in installed if m.entry is not None and m.entry.id == entry.id), None)
        disk = catalog_entry_state(entry, models_dir)
        if model is not None and not model.in_place and disk.state != "installed":
            model = None  # deleted since the last listing
        if model is None and disk.state == "installed":
            # On disk since the last listing (a download just ended): a stat says enough.
            model = InstalledModel(
                name=entry.file,
                path=models_dir / entry.file,
                size=disk.on_disk,
                origin="catalog",
                entry=entry,
                sha256=entry.sha256,
            )
        if model is not None:
            state: RowState = "registered" if model.in_place else "installed"
            if not model.available:
                state = "missing"
            on_disk = model.size
        elif disk.state == "partial":
            state, on_disk = "partial", disk.on_disk
        else:
            state, on_disk = "absent", 0
        estimate = _estimate(entry, entry.role, n_ctx)
        rows.append(
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
                role=entry.role,
            )
        )
    for model in installed:
        if model.entry is not None:
            continue
        estimate = _estimate(model, model.role, n_ctx)
        state = "registered" if model.in_place else "installed"
        if not model.available:
            state = "missing"
        rows.append(
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
                role=model.role,
            )
        )
    return rows


def _estimate(model: CatalogEntry | InstalledModel, role: Role, n_ctx: int) -> RamEstimate:
    if role == "embedding":
        size = model.size
        return RamEstimate(weights=size, kv_cache=0, overhead=EMBEDDING_OVERHEAD_BYTES, n_ctx=0)
    return estimate_ram(model, n_ctx)


def library_choice(rows: list[ModelRow], chosen: str) -> ModelRow | None:
    """The embedding row the Library uses: the installed one named ``chosen`` (the
    ``embedding_model`` setting), else the first installed one; as
    :func:`app.core.knowledge.embed.embedding_model_in_use` decides from the disk."""
    usable = [
        (r, r.installed.name)
        for r in rows
        if r.role == "embedding" and r.installed is not None and r.installed.available
    ]
    picked = next((r for r, name in usable if name == chosen), None)
    return picked or (usable[0][0] if usable else None)


def with_live_state(
    row: ModelRow,
    *,
    job: str | None,
    progress: DownloadProgress | None,
    stopping: RowState | None,
    damaged: str | None,
    failure: str | None,
    state: RowState | None = None,
) -> ModelRow:
    """Overlay what the disk cannot tell: a running job (``job`` is its kind), a failure,
    a verification."""
    if job is not None:
        if state is None:
            state = stopping
        if state is None and progress is not None:
            state = state_of_phase(progress.phase)
        if state is None:
            state = "verifying" if job == "verify" else "checking"
        return replace(row, state=state, progress=progress, reason="")
    if state is not None:
        return replace(row, state=state, progress=progress)
    if damaged is not None and row.installed is not None:
        return replace(row, state="damaged", reason=damaged)
    if failure is not None and row.installed is None:
        return replace(row, state="failed", reason=failure)
    return row


@dataclass(frozen=True, slots=True)
class RowActions:
    """Which of the panel's actions the selected row allows."""

    download: bool
    resume: bool
    pause: bool
    cancel: bool
    use: bool
    verify: bool
    delete: bool
    use_for_library: bool = False


def row_actions(row: ModelRow | None, *, active: bool) -> RowActions:
    """The actions for ``row`` (None: nothing selected); ``active``: a worker job runs on it."""
    active = active and row is not None
    stopping = row is not None and row.state in ("pausing", "cancelling")
    is_entry = row is not None and row.entry is not None
    installed = row is not None and row.installed is not None
    has_part = row is not None and not installed and row.on_disk > 0
    downloading = active and row is not None and row.state in ("checking", "downloading")
    usable = row is not None and row.usable_path is not None and not active
    embedding = row is not None and row.role == "embedding"
    return RowActions(
        download=is_entry and not installed and not active and not has_part,
        resume=is_entry and not installed and not active and has_part,
        pause=downloading and not stopping,
        cancel=is_entry and not installed and (has_part or active) and not stopping,
        # An embedding model is never loaded for chat; a chat model never serves the Library.
        use=usable and not embedding and row is not None and row.state != "damaged",
        verify=usable,
        delete=installed and not active,
        use_for_library=usable and embedding and row is not None and row.state != "damaged",
    )


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows ``text`` as written: Qt would take ``<b>`` in a path as markup."""
    if text is None or "<" not in text:
        return text
    return f"<p>{html.escape(text)}</p>"


def state_of_phase(phase: str) -> RowState:
    if phase in ("waiting", "checking", "probing"):
        return "checking"
    if phase == "verifying":
        return "verifying"
    return "downloading"


def local_files(mime: Any) -> list[Path]:
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def duration(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf") or seconds < 0:
        return "--:--"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class InlineBar(QWidget):
    """A line under the table: a label and buttons (a message, or an inline question)."""

    def __init__(
        self,
        parent: QWidget,
        object_name: str,
        label_name: str,
        buttons: list[tuple[str, str, str]],
    ) -> None:
        """``buttons`` are (text, accessible name, tooltip); hidden until shown."""
        super().__init__(parent)
        self.setObjectName(object_name)
        self.label = QLabel(self)
        # Model names, file names and errors appear here: never interpreted as markup.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setAccessibleName(label_name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        for text, accessible, tip in buttons:
            button = QPushButton(text, self)
            button.setAccessibleName(accessible)
            if tip:
                button.setToolTip(tip)
            layout.addWidget(button)
            self.buttons.append(button)
        self.setVisible(False)


class FolderListing(QObject):
    """Lists the models folder on the task runner: one listing at a time; a request made
    meanwhile runs once the current one ends, so the last word is always fresh."""

    #: list[InstalledModel]: a listing ended (an empty list if the folder could not be read).
    listed = Signal(list)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._task: str | None = None
        self._again: tuple[Path, Catalog] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None or self._again is not None

    def request(self, models_dir: Path, catalog: Catalog) -> None:
        if self._task is not None:
            self._again = (models_dir, catalog)
            return
        self._task = self._tasks.submit(
            lambda _cancel, _progress: list_installed(models_dir, catalog),
            name="list-models",
            on_finished=self._finished,
            on_failed=self._failed,
            on_cancelled=self._failed,
        )

    def _finished(self, installed: object) -> None:
        self._ended(installed if isinstance(installed, list) else [])

    def _failed(self, message: str = "") -> None:
        log.warning("could not list the models folder: %s", message)
        self._ended([])

    def _ended(self, installed: list[InstalledModel]) -> None:
        self._task = None
        again, self._again = self._again, None
        if again is not None:
            self.request(*again)
        self.listed.emit(installed)


def model_table_view(
    model: ModelTableModel, parent: QWidget, *, object_name: str, accessible_name: str
) -> QTableView:
    """A read-only, one-row-at-a-time table of models (chat and embedding sections alike)."""
    table = QTableView(parent)
    table.setObjectName(object_name)
    table.setAccessibleName(accessible_name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    horizontal = table.horizontalHeader()
    horizontal.setStretchLastSection(True)
    horizontal.setSectionResizeMode(ModelTableModel.NAME, QHeaderView.ResizeMode.Stretch)
    for column in (
        ModelTableModel.QUANT,
        ModelTableModel.SIZE,
        ModelTableModel.RAM,
        ModelTableModel.FIT,
    ):
        horizontal.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table
