"""Find in the open chat (Ctrl+F): a small bar with a field, ‹ › and "N of M".

It searches what the chat view shows: the user's messages, the reasoning and the
rendered answers. Matches in answers and reasoning are highlighted with extra
selections (nothing in the documents changes); a user message, a plain QLabel, shows
its matches through temporary rich text that is put back when the bar closes.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

from app.ui.chat_view import AssistantMessageWidget, ChatView, MessageWidget, UserMessageWidget
from app.ui.sidebar import name_clear_button

log = logging.getLogger(__name__)

ALL_MATCHES_COLOR = QColor("#ffe082")
CURRENT_MATCH_COLOR = QColor("#ff9800")
MATCH_TEXT_COLOR = QColor("#000000")

USER = "user"
REASONING = "reasoning"
ANSWER = "answer"


@dataclass(frozen=True, slots=True)
class FindMatch:
    """One occurrence: in which message, which part of it, and where."""

    message: MessageWidget
    part: str  # USER, REASONING or ANSWER
    #: Document positions (reasoning, answer) or string indices (user text).
    start: int
    end: int


def _alive(widget: QObject) -> bool:
    return bool(shiboken6.isValid(widget))


class FindBar(QWidget):
    """Find text across the messages of ``chat_view``; hidden until :meth:`open_bar`."""

    closed = Signal()
    #: Emitted after each search or move: (current index, 0-based or -1; match count).
    matches_changed = Signal(int, int)

    def __init__(self, chat_view: ChatView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chat_view = chat_view
        self.setObjectName("findBar")
        self.setAccessibleName(self.tr("Find in chat"))
        self._matches: list[FindMatch] = []
        self._current = -1
        self._signature: tuple[tuple[str, int], ...] = ()
        #: Editors carrying our extra selections, and labels switched to rich text.
        self._highlighted_editors: list[QTextEdit | QPlainTextEdit] = []
        self._highlighted_labels: list[UserMessageWidget] = []
        #: Reasoning blocks we expanded to show a match (collapsed again on close).
        self._expanded: list[AssistantMessageWidget] = []

        self.field = QLineEdit(self)
        self.field.setObjectName("findField")
        self.field.setPlaceholderText(self.tr("Find in chat"))
        self.field.setAccessibleName(self.tr("Find in chat"))
        self.field.setClearButtonEnabled(True)
        name_clear_button(self.field, self.tr("Clear"))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("findCount")
        self.count_label.setAccessibleName(self.tr("Matches"))
        self.count_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("888 of 888") + 8)
        self.previous_button = self._button("‹", self.tr("Previous match (Shift+Enter)"))
        self.previous_button.setAccessibleName(self.tr("Previous match"))
        self.next_button = self._button("›", self.tr("Next match (Enter)"))
        self.next_button.setAccessibleName(self.tr("Next match"))
        self.close_button = self._button("×", self.tr("Close (Esc)"))
        self.close_button.setAccessibleName(self.tr("Close find bar"))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(4)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count_label)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(self.close_button)

        self.field.textChanged.connect(self.search)
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button.clicked.connect(self.find_next)
        self.close_button.clicked.connect(self.close_bar)
        for widget in (self.field, self.previous_button, self.next_button, self.close_button):
            widget.installEventFilter(self)
        self._update_count()
        self.setVisible(False)

    def _button(self, text: str, tooltip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tooltip)
        button.setAutoRaise(True)
        return button

    # --- public API ---
    @property
    def match_count(self) -> int:
        return len(self._matches)

    @property
    def current_index(self) -> int:
        """0-based index of the current match; -1 when there is none."""
        return self._current

    @property
    def matches(self) -> tuple[FindMatch, ...]:
        return tuple(self._matches)

    @property
    def current_match(self) -> FindMatch | None:
        return self._matches[self._current] if 0 <= self._current < len(self._matches) else None

    def open_bar(self) -> None:
        """Show the bar and put the cursor in the field (Ctrl+F)."""
        self.setVisible(True)
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        if self.field.text():
            self.search()

    def close_bar(self) -> None:
        """Hide the bar and remove every highlight (Esc)."""
        self._clear_highlights()
        for widget in self._expanded:
            if _alive(widget):
                widget.reasoning.header.setChecked(False)
        self._expanded.clear()
        self._matches = []
        self._current = -1
        self._update_count()
        was_visible = self.isVisible()
        self.setVisible(False)
        if was_visible:
            self.chat_view.setFocus(Qt.FocusReason.OtherFocusReason)
            self.closed.emit()

    def set_query(self, text: str) -> None:
        """Search for ``text`` (as if typed)."""
        if self.field.text() == text:
            self.search()
        else:
            self.field.setText(text)

    def refresh(self) -> None:
        """Search again, e.g. after the chat changed; keeps the position where possible."""
        if self.isVisible():
            self._search(keep=self._current)

    def search(self, *_args: object) -> None:
        """Find every match of the field's text and go to the first one."""
        self._search(keep=0)

    def find_next(self) -> None:
        self._step(1)

    def find_previous(self) -> None:
        self._step(-1)

    # --- searching ---
    def _search(self, *, keep: int) -> None:
        self._clear_highlights()
        query = self.field.text()
        if query:
            # A long chat is built lazily; find-in-chat searches all of it.
            self.chat_view.build_all()
        self._matches = self._find_all(query) if query else []
        self._signature = self._view_signature()
        if self._matches:
            self._current = min(max(keep, 0), len(self._matches) - 1)
        else:
            self._current = -1
        self._highlight_all()
        self._reveal_current()
        self._update_count()

    def _find_all(self, query: str) -> list[FindMatch]:
        matches: list[FindMatch] = []
        pattern = re.compile(re.escape(query), re.IGNORECASE)
        for message in self.chat_view.messages:
            if isinstance(message, UserMessageWidget):
                matches += [
                    FindMatch(message, USER, m.start(), m.end())
                    for m in pattern.finditer(message.text)
                ]
            elif isinstance(message, AssistantMessageWidget):
                if message.reasoning.isVisibleTo(message) and message.reasoning.text:
                    body = message.reasoning.body.document()
                    matches += self._find_in_document(message, REASONING, body, query)
                matches += self._find_in_document(message, ANSWER, message.answer.document(), query)
        return matches

    @staticmethod
    def _find_in_document(
        message: MessageWidget, part: str, document: QTextDocument, query: str
    ) -> list[FindMatch]:
        # QTextDocument.find works in document positions (UTF-16 units, one per block
        # break), which is what cursors and extra selections need.
        found: list[FindMatch] = []
        cursor = document.find(query, 0)
        while not cursor.isNull():
            if cursor.selectionEnd() <= cursor.selectionStart():
                break
            found.append(FindMatch(message, part, cursor.selectionStart(), cursor.selectionEnd()))
            cursor = document.find(query, cursor.selectionEnd())
        return found

    def _view_signature(self) -> tuple[tuple[str, int], ...]:
        """Cheap fingerprint of the shown messages, to notice when they changed."""
        signature: list[tuple[str, int]] = []
        for message in self.chat_view.messages:
            if isinstance(message, AssistantMessageWidget):
                size = message.answer.document().characterCount() + len(message.reasoning.text)
            elif isinstance(message, UserMessageWidget):
                size = len(message.text)
            else:
                size = 0
            signature.append((message.message_id, size))
        return tuple(signature)

    def _step(self, step: int) -> None:
        if self._view_signature() != self._signature:
            self._search(keep=self._current)
        if not self._matches:
            return
        previous = self._current
        self._current = (self._current + step) % len(self._matches)
        self._rehighlight(previous)
        self._rehighlight(self._current)
        self._reveal_current()
        self._update_count()

    # --- highlighting ---
    def _highlight_all(self) -> None:
        seen: set[tuple[int, str]] = set()
        for match in self._matches:
            key = (id(match.message), match.part)
            if key not in seen:
                seen.add(key)
                self._paint(match.message, match.part)

    def _rehighlight(self, index: int) -> None:
        if 0 <= index < len(self._matches):
            match = self._matches[index]
            self._paint(match.message, match.part)

    def _paint(self, message: MessageWidget, part: str) -> None:
        """Show every match of one message part, the current one stronger."""
        if not _alive(message):
            return
        current = self.current_match
        spans = [
            (m.start, m.end, m is current)
            for m in self._matches
            if m.message is message and m.part == part
        ]
        if part == USER and isinstance(message, UserMessageWidget):
            self._paint_label(message, spans)
            return
        if not isinstance(message, AssistantMessageWidget):
            return
        editor: QTextEdit | QPlainTextEdit = (
            message.reasoning.body if part == REASONING else message.answer
        )
        selections = []
        for start, end, is_current in spans:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(editor.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            text_format = QTextCharFormat()
            text_format.setBackground(CURRENT_MATCH_COLOR if is_current else ALL_MATCHES_COLOR)
            text_format.setForeground(MATCH_TEXT_COLOR)
            selection.format = text_format
            selections.append(selection)
        editor.setExtraSelections(selections)
        if editor not in self._highlighted_editors:
            self._highlighted_editors.append(editor)

    def _paint_label(self, message: UserMessageWidget, spans: list[tuple[int, int, bool]]) -> None:
        text = message.text
        parts: list[str] = []
        position = 0
        for start, end, is_current in spans:
            color = (CURRENT_MATCH_COLOR if is_current else ALL_MATCHES_COLOR).name()
            parts.append(html.escape(text[position:start]))
            parts.append(
                f'<span style="background-color:{color}; color:{MATCH_TEXT_COLOR.name()}">'
                f"{html.escape(text[start:end])}</span>"
            )
            position = end
        parts.append(html.escape(text[position:]))
        # pre-wrap keeps the user's line breaks and spaces exactly as plain text shows them.
        message.body.setTextFormat(Qt.TextFormat.RichText)
        message.body.setText(f'<div style="white-space:pre-wrap">{"".join(parts)}</div>')
        if message not in self._highlighted_labels:
            self._highlighted_labels.append(message)

    def _clear_highlights(self) -> None:
        for editor in self._highlighted_editors:
            if _alive(editor):
                editor.setExtraSelections([])
        self._highlighted_editors.clear()
        for message in self._highlighted_labels:
            if _alive(message):
                message.body.setTextFormat(Qt.TextFormat.PlainText)
                message.body.setText(message.text)
        self._highlighted_labels.clear()

    # --- scrolling ---
    def _reveal_current(self) -> None:
        match = self.current_match
        if match is None or not _alive(match.message):
            return
        message = match.message
        container = self.chat_view.widget()
        if container is None:
            return
        target: QWidget
        if match.part == USER and isinstance(message, UserMessageWidget):
            target = message.body
            area = QRect(0, 0, target.width(), target.height())
        elif isinstance(message, AssistantMessageWidget):
            if match.part == REASONING:
                if not message.reasoning.body.isVisibleTo(message.reasoning):
                    message.reasoning.header.setChecked(True)
                    self._expanded.append(message)
                body = message.reasoning.body
                cursor = QTextCursor(body.document())
                cursor.setPosition(match.start)
                body.setTextCursor(cursor)
                body.ensureCursorVisible()
                target = body.viewport()
                area = body.cursorRect(cursor)
            else:
                target = message.answer.viewport()
                cursor = QTextCursor(message.answer.document())
                cursor.setPosition(match.start)
                area = message.answer.cursorRect(cursor)
        else:
            return
        layout = container.layout()
        if layout is not None:
            # Expanding a reasoning block moves everything below it: settle the geometry
            # before asking where the match is.
            layout.activate()
        center = target.mapTo(container, area.center())
        self.chat_view.ensureVisible(center.x(), center.y(), 0, max(40, area.height() * 2))

    def _update_count(self) -> None:
        if not self.field.text():
            text = ""
        elif not self._matches:
            text = self.tr("No matches")
        else:
            text = (
                self.tr("%1 of %2")
                .replace("%1", str(self._current + 1))
                .replace("%2", str(len(self._matches)))
            )
        self.count_label.setText(text)
        self.previous_button.setEnabled(len(self._matches) > 1)
        self.next_button.setEnabled(len(self._matches) > 1)
        self.matches_changed.emit(self._current, len(self._matches))

    # --- keys ---
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if isinstance(event, QKeyEvent):
            key = event.key()
            if kind == QEvent.Type.ShortcutOverride and key == Qt.Key.Key_Escape:
                # Esc closes the bar rather than triggering the window's Esc shortcut.
                event.accept()
                return True
            if kind == QEvent.Type.KeyPress:
                if key == Qt.Key.Key_Escape:
                    self.close_bar()
                    return True
                if watched is self.field and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                        self.find_previous()
                    else:
                        self.find_next()
                    return True
                if key == Qt.Key.Key_F3:
                    if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                        self.find_previous()
                    else:
                        self.find_next()
                    return True
        return super().eventFilter(watched, event)
