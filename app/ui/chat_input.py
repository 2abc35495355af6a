"""The message box: Enter sends, Shift+Enter adds a newline, IME composition is never sent."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget


class ChatInput(QPlainTextEdit):
    """A multi-line input that grows with its text up to a few lines."""

    submitted = Signal(str)
    MAX_VISIBLE_LINES = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._composing = False
        self.setTabChangesFocus(True)
        self.setPlaceholderText(
            self.tr("Message Hearth… (Enter to send, Shift+Enter for a new line)")
        )
        self.setAccessibleName(self.tr("Message input"))
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        # While an input method (Chinese pinyin, Japanese, …) is composing, Enter belongs
        # to the IME: it commits the candidate. We track the preedit to never send it.
        self._composing = bool(event.preeditString())
        super().inputMethodEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        is_enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if is_enter and self._composing:
            # The IME owns Enter while composing (it commits the candidate); never send
            # half-typed text, and never turn that Enter into a newline either.
            event.accept()
            return
        if is_enter:
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
                return
            if not modifiers & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            ):
                self._submit()
                return
        super().keyPressEvent(event)

    def _submit(self) -> None:
        text = self.toPlainText()
        if not text.strip():
            return
        self.submitted.emit(text)

    def _fit_height(self) -> None:
        line_height = self.fontMetrics().lineSpacing()
        lines = max(1, min(self.MAX_VISIBLE_LINES, self.document().lineCount()))
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line_height + frame + 4)
