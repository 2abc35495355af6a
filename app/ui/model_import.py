"""The import side of the model manager: offer a GGUF, check it, ask, copy or register it.

Offered files (the file dialog, drag and drop) wait in a queue and are taken one at a time:

1. the name and header are checked by :func:`~app.core.models.validate_import` on the
   panel's :class:`~app.workers.tasks.TaskRunner` (bounded reader, regular files only), so a
   slow disk, a huge header or a FIFO never freezes the window;
2. the panel's inline bar asks: copy it into Hearth's models folder, or use it where it is;
3. a copy runs on the :class:`~app.workers.downloads.DownloadWorker` (progress in the
   panel's progress box); registering in place runs as a task (it reads the header again).

A refusal is a sentence in the panel's message area, and nothing is added. Its texts are
translated in the panel's context ("ModelPanel"), where they were before this split.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QFileDialog

from app.core.catalog import format_bytes
from app.core.gguf import is_embedding_architecture
from app.core.models import GgufMetadata, InstalledModel, import_gguf, validate_import

if TYPE_CHECKING:
    from app.ui.model_panel import ModelPanel

log = logging.getLogger("app.ui.model_panel")

#: Keys of import jobs on the download worker start with this.
IMPORT_KEY_PREFIX = "import:"


class ModelImports(QObject):
    """Runs the panel's imports, one at a time; see the module's description."""

    def __init__(self, panel: ModelPanel) -> None:
        super().__init__(panel)
        self._panel = panel
        #: Checked and waiting for the copy / in-place answer.
        self.pending: tuple[Path, GgufMetadata] | None = None
        #: Offered while another import was under way.
        self.queued: list[Path] = []
        #: The worker's key of a running copy, and its (done, total) bytes.
        self.key: str | None = None
        self.progress: tuple[int, int] = (0, 0)
        #: The task checking (or registering) a file.
        self.check: str | None = None
        panel.import_copy_button.clicked.connect(lambda: self.answer(copy=True))
        panel.import_in_place_button.clicked.connect(lambda: self.answer(copy=False))
        panel.import_cancel_button.clicked.connect(self.skip)
        worker = panel.worker
        worker.import_progressed.connect(self._on_progressed)
        worker.imported.connect(self._on_imported)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    def busy(self) -> bool:
        return self.pending is not None or self.key is not None or self.check is not None

    # --- offering -----------------------------------------------------------------------------

    def choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self._panel,
            QCoreApplication.translate("ModelPanel", "Import GGUF model"),
            str(Path.home()),
            QCoreApplication.translate("ModelPanel", "GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.offer(Path(path))

    def offer(self, path: Path) -> bool:
        """Check a file off the GUI thread, then ask (inline) whether to copy it or use it
        in place.

        A file that is not a usable GGUF (or is oddly named, or not a regular file) is
        refused with the reason in the message area, and nothing is added. Returns False
        when the check could not start (the panel is closing).
        """
        path = Path(path)
        if self.busy():
            self.queued.append(path)
            return True
        self.check = self._panel.tasks.submit(
            lambda _cancel, _progress: validate_import(path),
            name="check-import",
            on_finished=lambda meta: self._checked(path, meta),
            on_failed=self._refused,
            on_cancelled=self._refused,
        )
        return self.check is not None

    def _refused(self, message: str = "") -> None:
        self.check = None
        if message:
            log.info("import refused: %s", message)
            self._panel.show_message(message)
        self._next()

    def _checked(self, path: Path, meta: object) -> None:
        self.check = None
        if not isinstance(meta, GgufMetadata):
            self._next()
            return
        self.pending = (path, meta)
        details = ", ".join(
            part
            for part in (
                meta.architecture,
                meta.file_type,
                format_bytes(meta.file_size),
                QCoreApplication.translate("ModelPanel", "%1 tokens of context").replace(
                    "%1", str(meta.context_length)
                )
                if meta.context_length
                else "",
                QCoreApplication.translate("ModelPanel", "an embedding model for the Library")
                if is_embedding_architecture(meta.architecture)
                else ""
                if meta.has_chat_template
                else QCoreApplication.translate("ModelPanel", "no chat template"),
            )
            if part
        )
        self._panel.import_label.setText(
            QCoreApplication.translate(
                "ModelPanel",
                "Import “%1” (%2)? Copy it into Hearth's models folder, or use it where it is.",
            )
            .replace("%1", path.name)
            .replace("%2", details)
        )
        self._panel.import_bar.setVisible(True)

    # --- the answer ---------------------------------------------------------------------------

    def answer(self, *, copy: bool) -> None:
        pending = self.pending
        if pending is None:
            return
        path, _meta = pending
        self.pending = None
        panel = self._panel
        panel.import_bar.setVisible(False)
        if not copy:
            # Registering in place reads the header again and writes the registry: short,
            # but still disk work, so it runs as a task too.
            models_dir, catalog = panel.models_dir, panel.catalog
            self.check = panel.tasks.submit(
                lambda _cancel, _progress: import_gguf(
                    path, copy=False, models_dir=models_dir, catalog=catalog
                ),
                name="register-model",
                on_finished=self._registered,
                on_failed=self._refused,
                on_cancelled=self._refused,
            )
            return
        key = f"{IMPORT_KEY_PREFIX}{path}"
        if panel.worker.import_file(key, path, copy=True, catalog=panel.catalog):
            self.key = key
            self.progress = (0, path.stat().st_size if path.exists() else 0)
            panel.update_progress_box()
        else:
            panel.show_message(
                QCoreApplication.translate("ModelPanel", "%1 is already being imported.").replace(
                    "%1", path.name
                )
            )
            self._next()

    def skip(self) -> None:
        self.pending = None
        self._panel.import_bar.setVisible(False)
        self._next()

    def _registered(self, model: object) -> None:
        self.check = None
        if isinstance(model, InstalledModel):
            self._done(model)
        self._next()

    def _next(self) -> None:
        if self.busy():
            return
        while self.queued:
            if self.offer(self.queued.pop(0)):
                return

    def _done(self, model: InstalledModel) -> None:
        self._panel.note_installed(model)
        how = (
            QCoreApplication.translate("ModelPanel", "Hearth uses it where it is.")
            if model.in_place
            else QCoreApplication.translate(
                "ModelPanel", "It was copied into Hearth's models folder."
            )
        )
        self._panel.show_message(
            QCoreApplication.translate("ModelPanel", "Imported %1. %2")
            .replace("%1", model.name)
            .replace("%2", how)
        )

    # --- the worker's copy -------------------------------------------------------------------

    def _on_progressed(self, key: str, done: int, total: int) -> None:
        if key != self.key:
            return
        self.progress = (done, total)
        self._panel.update_progress_box()

    def _on_imported(self, key: str, model: object) -> None:
        if key == self.key:
            self.key = None
        self._panel.update_progress_box()
        if isinstance(model, InstalledModel):
            self._done(model)
        self._next()

    def _on_failed(self, key: str, message: str) -> None:
        if key != self.key:
            return
        self.key = None
        self._panel.update_progress_box()
        self._panel.show_message(message)
        self._next()

    def _on_cancelled(self, key: str) -> None:
        if key != self.key:
            return
        self.key = None
        self._panel.update_progress_box()
        self._next()
