"""Files attached to the next message: an attach button, chips, drag and drop, and paste.

Extraction (PDF, DOCX, encodings) runs off the GUI thread through the task runner; a file
that cannot be read shows its reason in ``failed`` and is not attached. The chips show the
file name and size; × removes one. :meth:`AttachmentBar.take` hands the attachments to the
send and clears the bar. :class:`EditMessageDialog` edits a sent question with its files
shown as chips, so an edit keeps them (or drops the ones removed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, QObject, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import CancelToken, ProgressCallback
from app.core.errors import HearthError
from app.core.knowledge.context import Attachment
from app.core.knowledge.extract import DEFAULT_MAX_FILE_BYTES, ExtractionError, extract_file
from app.ui.plain import plain_tooltip
from app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

#: At most this many files on one message.
MAX_ATTACHMENTS = 8


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def local_paths(mime: QMimeData) -> list[Path]:
    """Local files named by dropped or pasted data (URLs of other schemes are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class AttachmentChip(QToolButton):
    """One attached file: its name and size; clicking × removes it."""

    def __init__(self, attachment: Attachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        self.setText(f"{attachment.name} · {_size_text(attachment.size)}  ×")
        self.setToolTip(plain_tooltip(self.tr("Remove %1").replace("%1", attachment.name)))
        self.setAccessibleName(self.tr("Attached file %1").replace("%1", attachment.name))
        self.setAutoRaise(True)


class AttachmentBar(QWidget):
    """The attach button and the chips of the files going with the next message."""

    changed = Signal()
    #: a sentence: why a file could not be attached
    failed = Signal(str)
    #: extraction started (True) or all done (False)
    busy = Signal(bool)

    def __init__(
        self,
        runner: TaskRunner | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_FILE_BYTES,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentBar")
        self.runner = runner or TaskRunner(parent=self)
        self.max_bytes = max_bytes
        self._attachments: list[Attachment] = []
        self._pending: set[str] = set()
        self.attach_button = QToolButton(self)
        self.attach_button.setText(self.tr("Attach…"))
        self.attach_button.setToolTip(
            self.tr("Attach files: text, Markdown, code, PDF, DOCX or HTML")
        )
        self.attach_button.setAccessibleName(self.tr("Attach files"))
        self.attach_button.clicked.connect(self.choose_files)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(12, 0, 12, 0)
        self._layout.addWidget(self.attach_button)
        self._layout.addStretch(1)
        self.chips: list[AttachmentChip] = []

    # --- state ---

    @property
    def attachments(self) -> list[Attachment]:
        return list(self._attachments)

    @property
    def is_busy(self) -> bool:
        return bool(self._pending)

    def take(self) -> list[Attachment]:
        """The attachments for the message being sent; the bar is emptied."""
        taken = list(self._attachments)
        self.clear()
        return taken

    def clear(self) -> None:
        self._attachments.clear()
        self._rebuild()

    def set_attachments(self, attachments: Sequence[Attachment]) -> None:
        """Show these files (already extracted: a sent message's, for an edit)."""
        self._attachments = list(attachments)[:MAX_ATTACHMENTS]
        self._rebuild()

    def remove(self, attachment: Attachment) -> None:
        if attachment in self._attachments:
            self._attachments.remove(attachment)
            self._rebuild()

    # --- adding ---

    def choose_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(
            self,
            self.tr("Attach files"),
            "",
            self.tr("Documents (*.txt *.md *.pdf *.docx *.html *.htm *.py *.js *.json *.csv);;"
                    "All files (*)"),
        )  # fmt: skip
        self.add_paths([Path(f) for f in files])

    def add_paths(self, paths: list[Path]) -> None:
        """Extract each file off the GUI thread, then show it as a chip."""
        for path in paths:
            if len(self._attachments) + len(self._pending) >= MAX_ATTACHMENTS:
                self.failed.emit(
                    self.tr("At most %1 files can go with one message.").replace(
                        "%1", str(MAX_ATTACHMENTS)
                    )
                )
                return
            if any(a.path == str(path) for a in self._attachments) or str(path) in self._pending:
                continue
            self._pending.add(str(path))
            if len(self._pending) == 1:
                self.busy.emit(True)

            def work(
                cancel: CancelToken,
                _progress: ProgressCallback,
                path: Path = path,
                max_bytes: int = self.max_bytes,
            ) -> Attachment:
                cancel.raise_if_cancelled()
                try:
                    doc = extract_file(path, max_bytes=max_bytes)
                except ExtractionError as exc:
                    # The reason in the UI's language (the runner passes on str(exc)).
                    raise _TranslatedError(exc) from exc
                return Attachment.from_extracted(path, doc)

            task = self.runner.submit(
                work,
                name="attach",
                on_finished=lambda result, key=str(path): self._extracted(key, result),
                on_failed=lambda message, key=str(path): self._failed(key, message),
                on_cancelled=lambda key=str(path): self._done(key),
            )
            if task is None:
                self._done(str(path))

    def _extracted(self, key: str, attachment: Attachment) -> None:
        self._done(key)
        self._attachments.append(attachment)
        self._rebuild()

    def _failed(self, key: str, message: str) -> None:
        self._done(key)
        self.failed.emit(message)

    def _done(self, key: str) -> None:
        self._pending.discard(key)
        if not self._pending:
            self.busy.emit(False)

    def _rebuild(self) -> None:
        for chip in self.chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for attachment in self._attachments:
            chip = AttachmentChip(attachment, self)
            chip.clicked.connect(lambda _checked=False, a=attachment: self.remove(a))
            self._layout.insertWidget(self._layout.count() - 1, chip)
            self.chips.append(chip)
        self.changed.emit()


class _TranslatedError(HearthError):
    """An extraction error whose str() is its sentence in the UI's language (the task
    runner passes on only the sentence; short sentences cannot be matched back later)."""

    def __init__(self, error: ExtractionError) -> None:
        from app.ui.errors_i18n import error_text

        super().__init__(error_text(error), detail=error.detail)
        self.error = error


class EditMessageDialog(QDialog):
    """Edit a sent question and send it again; its files stay as chips (× drops one)."""

    def __init__(
        self,
        text: str,
        attachments: Sequence[Attachment] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editMessageDialog")
        # The window's own sentences (they were its input dialog's), translated already.
        self.setWindowTitle(QCoreApplication.translate("MainWindow", "Edit message"))
        self.editor = QPlainTextEdit(self)
        self.editor.setPlainText(text)
        name = QCoreApplication.translate("UserMessageWidget", "Your message")
        self.editor.setAccessibleName(name)
        self.bar = AttachmentBar(parent=self)
        # Files are kept or removed here; new ones are attached in the chat input.
        self.bar.attach_button.setVisible(False)
        self.bar.set_attachments(attachments)
        self.bar.setVisible(bool(attachments))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.send_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText(QCoreApplication.translate("MainWindow", "Send"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self._update_send)
        layout = QVBoxLayout(self)
        prompt = QCoreApplication.translate("MainWindow", "Edit your message and send it again:")
        layout.addWidget(QLabel(prompt, self))
        layout.addWidget(self.bar)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)
        self.resize(560, 320)
        self._update_send()

    def text(self) -> str:
        return self.editor.toPlainText()

    def attachments(self) -> list[Attachment]:
        return self.bar.attachments

    def _update_send(self) -> None:
        self.send_button.setEnabled(bool(self.text().strip()))


class DropAndPaste(QObject):
    """Event filter for the chat input: dropped or pasted files become attachments."""

    def __init__(self, target: QWidget, bar: AttachmentBar) -> None:
        super().__init__(target)
        self.bar = bar
        target.setAcceptDrops(True)
        target.installEventFilter(self)
        # A text edit receives drags on its viewport, and key presses on itself.
        viewport = getattr(target, "viewport", None)
        if callable(viewport):
            viewport().setAcceptDrops(True)
            viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            drag = event
            assert isinstance(drag, (QDragEnterEvent, QDropEvent))
            if local_paths(drag.mimeData()):
                drag.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            drop = event
            assert isinstance(drop, QDropEvent)
            paths = local_paths(drop.mimeData())
            if paths:
                self.bar.add_paths(paths)
                drop.acceptProposedAction()
                return True
        elif kind == QEvent.Type.KeyPress:
            key = event
            assert isinstance(key, QKeyEvent)
            if key.matches(QKeySequence.StandardKey.Paste):
                from PySide6.QtWidgets import QApplication

                paths = local_paths(QApplication.clipboard().mimeData())
                if paths:
                    self.bar.add_paths(paths)
                    return True
        return False


def install_drop_and_paste(target: QWidget, bar: AttachmentBar) -> DropAndPaste:
    return DropAndPaste(target, bar)
