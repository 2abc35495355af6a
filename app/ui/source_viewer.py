"""The source viewer: a cited passage shown in its document (issue 15).

A non-modal window. The document is extracted again off the GUI thread
(:func:`app.core.knowledge.passage.load_passage` through the task runner) and shown as
plain text, scrolled to the passage, which is selected and highlighted. The header names
the file and the page (PDF) or lines. "Open file" hands the file to the system; for a PDF,
"Open at page" adds ``#page=P`` to the file URL.

A file deleted, changed or unreadable since it was indexed gets a note, and the snippet the
answer was given is shown instead. Everything shown is plain text: file names and passages
come from the user's files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.cancel import CancelToken, ProgressCallback
from app.core.knowledge.passage import Passage, load_passage
from app.ui.errors_i18n import error_text
from app.ui.plain import PlainLabel
from app.workers.tasks import TaskRunner

log = logging.getLogger(__name__)

#: Hands a URL to the system (QDesktopServices.openUrl); tests pass a recorder.
UrlOpener = Callable[[QUrl], object]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


#: Documents Hearth asks the system to open. A cited path can come from an imported chat
#: file, which anyone could have written, so the system is never handed a file it might
#: run (programs, scripts, shortcuts, source code with an interpreter registered): for
#: those the viewer opens the folder instead and the text stays readable in the viewer.
OPENABLE_SUFFIXES = frozenset(
    {".txt", ".text", ".md", ".markdown", ".rst", ".org", ".pdf", ".docx", ".html", ".htm",
     ".csv", ".tsv", ".log"}
)  # fmt: skip


def openable(path: str) -> bool:
    """True when ``path`` and the file it resolves to are documents the system may open."""
    if not path or Path(path).suffix.lower() not in OPENABLE_SUFFIXES:
        return False
    try:
        real = Path(path).resolve(strict=True)
    except (OSError, RuntimeError):  # gone, unreadable, or a symlink loop
        return False
    return real.is_file() and real.suffix.lower() in OPENABLE_SUFFIXES


def page_url(path: str, page: int) -> QUrl:
    """``file:///…#page=P``. Not every PDF viewer honours the fragment (browsers and
    Acrobat do, some desktop viewers ignore it or refuse the URL): the plain "Open file"
    stays next to it."""
    url = QUrl.fromLocalFile(path)
    url.setFragment(f"page={page}")
    return url


class SourceViewer(QDialog):
    """One cited passage in its document; :meth:`show_source` replaces what is shown."""

    #: the passage is shown (a :class:`Passage`); tests and accessibility wait on it
    loaded = Signal(object)
    #: the path of a file handed to the system
    opened = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        opener: UrlOpener | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sourceViewer")
        self.setModal(False)
        self.setWindowTitle(self.tr("Source"))
        self.resize(760, 560)
        self.runner = runner or TaskRunner(max_threads=1, parent=self)
        self.opener: UrlOpener = opener or QDesktopServices.openUrl
        self.source: dict[str, Any] = {}
        self.passage: Passage | None = None
        self._generation = 0
        self._task: str | None = None

        self.header = PlainLabel(self)
        self.header.setObjectName("sourceHeader")
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.setWordWrap(True)
        self.path_label = PlainLabel(self)
        self.path_label.setObjectName("sourcePath")
        self.path_label.setWordWrap(True)
        self.note = PlainLabel(self)
        self.note.setObjectName("sourceNote")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("sourceText")
        self.text.setReadOnly(True)
        self.text.setAccessibleName(self.tr("Document text"))
        self.open_button = QPushButton(self.tr("Open file"), self)
        self.open_button.clicked.connect(self.open_file)
        self.page_button = QPushButton(self)
        self.page_button.clicked.connect(self.open_at_page)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.page_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.path_label)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)

    # --- what is shown ---

    @property
    def path(self) -> str:
        return str(self.source.get("path") or "")

    @property
    def page(self) -> int:
        return _int(self.source.get("page"))

    def show_source(self, source: Mapping[str, Any]) -> None:
        """Show ``source`` (a provenance record): the snippet at once, then the document
        with the passage once it is extracted again."""
        from app.ui.sources_view import source_title

        self._generation += 1
        generation = self._generation
        if self._task is not None:
            self.runner.cancel(self._task)
        self.source = dict(source)
        self.passage = None
        self.header.setText(source_title(self.source))
        self.path_label.setText(self.path)
        self._set_note(self.tr("Reading the file…"))
        self.text.setPlainText(str(self.source.get("snippet") or ""))
        self.text.setExtraSelections([])
        is_pdf = self.path.lower().endswith(".pdf") and self.page > 0
        self.page_button.setText(self.tr("Open at page %1").replace("%1", str(self.page)))
        self.page_button.setVisible(is_pdf)
        self._update_buttons()
        snapshot = dict(self.source)

        def work(cancel: CancelToken, progress: ProgressCallback) -> Passage:
            return load_passage(snapshot, cancel, progress)

        self._task = self.runner.submit(
            work,
            name="source-viewer",
            on_finished=lambda passage: self._show_passage(generation, passage),
            on_failed=lambda message: self._show_failure(generation, message),
        )
        if self.isVisible():
            self.raise_()  # already open, perhaps behind the main window: bring it forward
        else:
            self.show()
        self.activateWindow()

    def _show_passage(self, generation: int, passage: Passage) -> None:
        if generation != self._generation:
            return  # another source was asked for meanwhile
        self._task = None
        self.passage = passage
        self.text.setPlainText(passage.text)
        self._highlight(passage.start, passage.end)
        notes = {
            "found": "",
            "moved": self.tr(
                "The file has changed since it was indexed; the passage was found at another "
                "place in it."
            ),
            "changed": self.tr(
                "The file has changed since it was indexed and no longer holds this passage. "
                "Shown is the passage as it was indexed."
            ),
            "missing": self.tr(
                "The file is no longer there: it was moved or deleted since it was indexed. "
                "Shown is the passage as it was indexed."
            ),
        }
        if passage.status == "unreadable":
            reason = error_text(passage.error) if passage.error is not None else ""
            note = self.tr(
                "The file could not be read again: %1 Shown is the passage as it was indexed."
            ).replace("%1", reason)
        else:
            note = notes.get(passage.status, "")
        if passage.offset:
            extra = self.tr("Only the part of the document around the passage is shown.")
            note = f"{note} {extra}".strip()
        self._set_note(note)
        self._update_buttons()
        self.loaded.emit(passage)

    def _show_failure(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self._task = None
        snippet = str(self.source.get("snippet") or "")
        self.passage = Passage(self.path, "unreadable", snippet, 0, len(snippet))
        self._highlight(0, len(snippet))
        self._set_note(
            self.tr(
                "The file could not be read again: %1 Shown is the passage as it was indexed."
            ).replace("%1", error_text(message))
        )
        self._update_buttons()
        self.loaded.emit(self.passage)

    def _highlight(self, start: int, end: int) -> None:
        """Select the passage, mark it, and scroll so that it begins in view."""
        document = self.text.document()
        last = max(0, document.characterCount() - 1)
        start, end = max(0, min(start, last)), max(0, min(end, last))
        cursor = QTextCursor(document)
        # The anchor at the end and the cursor at the start: scrolling to the cursor shows
        # the passage's beginning, however long it is.
        cursor.setPosition(end)
        cursor.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = QTextCursor(cursor)
        fmt = QTextCharFormat()
        color = QColor(self.palette().highlight().color())
        color.setAlpha(70)
        fmt.setBackground(color)
        mark.format = fmt
        self.text.setExtraSelections([mark] if end > start else [])
        self.text.setTextCursor(cursor)
        self.text.centerCursor()

    def highlighted_text(self) -> str:
        """The passage as selected in the view (paragraph breaks as newlines)."""
        return self.text.textCursor().selectedText().replace("\u2029", "\n")

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _update_buttons(self) -> None:
        exists = bool(self.path) and Path(self.path).is_file()
        gone = self.passage is not None and self.passage.status == "missing"
        self.open_button.setEnabled(exists and not gone)
        document = openable(self.path)
        self.open_button.setText(self.tr("Open file") if document else self.tr("Show in folder"))
        self.page_button.setEnabled(exists and not gone and document)

    # --- opening with the system ---

    def open_file(self) -> None:
        if openable(self.path):
            self._open(QUrl.fromLocalFile(self.path))
        else:
            # Not a document (or it points at something that is not): show its folder.
            self._open(QUrl.fromLocalFile(str(Path(self.path).parent)))

    def open_at_page(self) -> None:
        if openable(self.path):
            self._open(page_url(self.path, self.page))

    def _open(self, url: QUrl) -> None:
        if not self.path or not Path(self.path).is_file():
            # Deleted while the viewer was open: say so rather than ask the system.
            self._set_note(
                self.tr(
                    "The file is no longer there: it was moved or deleted since it was indexed. "
                    "Shown is the passage as it was indexed."
                )
            )
            self._update_buttons()
            return
        log.info("opening a cited file with the system")
        self.opener(url)
        self.opened.emit(self.path)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        self.runner.shutdown(timeout_ms=timeout_ms)
