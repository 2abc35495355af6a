"""Export → Dataset…: the user's chats as training data (see app/core/dataset.py).

Choose the chats (all, the open one, or a search), the filters (rated good only, finished
answers only, a model, a date range), the format and a folder. The export runs on the
:class:`~app.workers.tasks.TaskRunner` with a progress bar and a Cancel button; the folder
then holds the data file, its dataset card (README.md) and LLaMA-Factory's
dataset_info.json.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import CancelToken, ProgressCallback
from app.core.dataset import (
    DATASET_FORMATS,
    ChatSelection,
    DatasetFilter,
    DatasetSummary,
    export_dataset,
)
from app.ui.errors_i18n import error_text
from app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)


class DatasetDialog(QDialog):
    """Choose what to export and where; runs the export with progress."""

    #: The export ended: the summary (a DatasetSummary).
    exported = Signal(object)

    def __init__(
        self,
        store: Any,
        *,
        current_chat_id: str = "",
        runner: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export dataset"))
        self.store = store
        self.current_chat_id = current_chat_id
        self.runner = runner or TaskRunner(parent=self)
        self._task = ""
        self.summary: DatasetSummary | None = None

        self.all_chats = QRadioButton(self.tr("All chats"), self)
        self.this_chat = QRadioButton(self.tr("This chat"), self)
        self.searched = QRadioButton(self.tr("Chats matching a search:"), self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search words"))
        self.search.setAccessibleName(self.tr("Search"))
        group = QButtonGroup(self)
        for button in (self.all_chats, self.this_chat, self.searched):
            group.addButton(button)
        self.all_chats.setChecked(True)
        self.this_chat.setEnabled(bool(current_chat_id))
        self.search.textEdited.connect(lambda _text: self.searched.setChecked(True))

        self.good_only = QCheckBox(self.tr("Only answers rated good (👍)"), self)
        self.finished_only = QCheckBox(self.tr("Only finished answers"), self)
        self.finished_only.setChecked(True)
        self.model = QLineEdit(self)
        self.model.setPlaceholderText(self.tr("Any model"))
        self.model.setAccessibleName(self.tr("Model"))
        self.use_since = QCheckBox(self.tr("From"), self)
        self.since = QDateEdit(QDate.currentDate().addMonths(-1), self)
        self.use_until = QCheckBox(self.tr("Until"), self)
        self.until = QDateEdit(QDate.currentDate(), self)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")

        self.format = QComboBox(self)
        labels = {
            "openai": self.tr("OpenAI messages (reasoning_content) – TRL"),
            "sharegpt": self.tr("ShareGPT (<think> tags) – LLaMA-Factory"),
            "alpaca": self.tr("Alpaca (instruction/output/history)"),
        }
        for name in DATASET_FORMATS:
            self.format.addItem(labels[name], name)
        self.folder = QLineEdit(self)
        self.folder.setAccessibleName(self.tr("Output folder"))
        browse = QPushButton(self.tr("Choose…"), self)
        browse.clicked.connect(self._choose_folder)

        self.progress = QProgressBar(self)
        self.progress.setVisible(False)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # errors may quote paths
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton(
            self.tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self._cancel)

        chats = QVBoxLayout()
        chat_widgets: tuple[QWidget, ...] = (
            self.all_chats,
            self.this_chat,
            self.searched,
            self.search,
        )
        for widget in chat_widgets:
            chats.addWidget(widget)
        dates = QHBoxLayout()
        date_widgets: tuple[QWidget, ...] = (self.use_since, self.since, self.use_until, self.until)
        for widget in date_widgets:
            dates.addWidget(widget)
        dates.addStretch(1)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form = QFormLayout()
        form.addRow(self.tr("Chats:"), chats)
        form.addRow(self.tr("Answers:"), self.good_only)
        form.addRow("", self.finished_only)
        form.addRow(self.tr("Model:"), self.model)
        form.addRow(self.tr("Dates:"), dates)
        form.addRow(self.tr("Format:"), self.format)
        form.addRow(self.tr("Folder:"), folder_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # --- choices ---

    def selection(self) -> ChatSelection:
        if self.this_chat.isChecked() and self.current_chat_id:
            return ChatSelection(chat_ids=(self.current_chat_id,))
        if self.searched.isChecked() and self.search.text().strip():
            return ChatSelection(search=self.search.text().strip())
        return ChatSelection()

    def filters(self) -> DatasetFilter:
        return DatasetFilter(
            good_only=self.good_only.isChecked(),
            finished_only=self.finished_only.isChecked(),
            model=self.model.text().strip(),
            since=_day_start(self.since.date()) if self.use_since.isChecked() else None,
            # Until a day means up to the end of it.
            until=_day_start(self.until.date().addDays(1)) if self.use_until.isChecked() else None,
        )

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the dataset"))
        if folder:
            self.folder.setText(folder)

    # --- running ---

    def start_export(self) -> None:
        folder = self.folder.text().strip()
        if not folder:
            self.status.setText(self.tr("Choose a folder for the dataset first."))
            return
        if self._task:
            return
        fmt = self.format.currentData()
        selection, filters, store = self.selection(), self.filters(), self.store
        out = Path(folder).expanduser()

        def work(cancel: CancelToken, progress: ProgressCallback) -> DatasetSummary:
            return export_dataset(
                store,
                out,
                fmt=fmt,
                selection=selection,
                filters=filters,
                cancel=cancel,
                progress=progress,
            )

        self.export_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText(self.tr("Exporting…"))
        self._task = (
            self.runner.submit(
                work,
                name="dataset-export",
                on_progress=self._progressed,
                on_finished=self._finished,
                on_failed=self._failed,
                on_cancelled=self._cancelled,
            )
            or ""
        )

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _finished(self, summary: DatasetSummary) -> None:
        self._task = ""
        self.summary = summary
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(
            self.tr("%1 records written to %2 (%3 duplicates removed). The folder also has a")
            .replace("%1", str(summary.records))
            .replace("%2", str(summary.path))
            .replace("%3", str(summary.duplicates))
            + " "
            + self.tr("dataset card (README.md) that says how to load it.")
        )
        self.exported.emit(summary)

    def _failed(self, message: str) -> None:
        self._task = ""
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(error_text(message))

    def _cancelled(self) -> None:
        self._task = ""
        self.export_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(self.tr("Export cancelled; no file was written."))

    def _cancel(self) -> None:
        if self._task:
            self.runner.cancel(self._task)
        else:
            self.reject()


def _day_start(date: QDate) -> float:
    """Midnight UTC of ``date`` (the CLI's --since/--until read dates the same way)."""
    return datetime(date.year(), date.month(), date.day(), tzinfo=UTC).timestamp()
