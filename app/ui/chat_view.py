"""The conversation view: a scrolling column of message widgets.

Streaming cost is proportional to the new text: deltas are inserted at the end of the
documents with a cursor; Markdown is rendered per finished block while streaming (the
open tail block is re-rendered, never the whole answer) and in full once at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.knowledge.context import split_user_content
from app.ui import render
from app.ui.plain import PlainLabel

#: Messages are identified by the store's ids (strings).
MessageId = str

#: Answers longer than this are never rendered in one piece on the GUI thread: they are
#: shown block by block, RENDER_STEP_CHARS per event-loop turn (a 1 MB answer in one
#: piece is one giant layout; in steps the window stays responsive throughout).
FULL_RENDER_MAX_CHARS = 200_000
RENDER_STEP_CHARS = 8_000
#: A long chat opens with only its newest messages built (a screenful plus a margin);
#: older ones are built LAZY_BATCH at a time when the user scrolls near the top.
LAZY_TAIL = 12
LAZY_BATCH = 8
#: Older messages are built when the view is within this many viewport heights of the top.
LAZY_MARGIN_SCREENS = 1.0

_renderer_warmed = False


def _warm_renderer() -> None:
    """Import the math and Python-highlighting code off the GUI thread, once.

    The first formula or code block of the first answer otherwise pays these imports on
    the GUI thread mid-stream (a ~100 ms freeze, measured by scripts/bench_gui.py). The
    reasoning phase that precedes an answer gives this thread time to finish.
    """
    global _renderer_warmed
    if _renderer_warmed:
        return
    _renderer_warmed = True

    def work() -> None:
        try:
            from pygments.lexers import get_lexer_by_name

            zm = render._ziamath()
            if zm is not None:  # the first layout reads the math font's tables
                zm.Latex(r"\frac{a}{b} + \sum_{k=0}^{n} x_k^2", size=16).svgxml()
            get_lexer_by_name("python")
        except Exception:  # only a warm-up: the renderer will import (or fail) as before
            return

    threading.Thread(target=work, name="render-warmup", daemon=True).start()


def _small_button(text: str, tooltip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tooltip)
    button.setAccessibleName(tooltip)
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class AutoHeightBrowser(QTextBrowser):
    """A read-only rich-text view whose height follows its content (no inner scrollbar)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setOpenLinks(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextBrowserInteraction
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.viewport().setAutoFillBackground(False)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)

    def _fit(self, *_args: object) -> None:
        height = int(self.document().size().height()) + 4
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        # setTextWidth lays out the whole document again. Streaming changes only the
        # height (setFixedHeight in _fit), so relayout only when the width really changed.
        width = self.viewport().width()
        if self.document().textWidth() != width:
            self.document().setTextWidth(width)
        self._fit()

    def sizeHint(self) -> QSize:
        return QSize(400, int(self.document().size().height()) + 4)

    def wheelEvent(self, event: Any) -> None:
        # Let the surrounding scroll area scroll; this widget never scrolls itself.
        event.ignore()


class ReasoningBlock(QWidget):
    """The model's reasoning: a collapsible block with a live header."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._started = time.monotonic()
        self._elapsed: float | None = None
        self._tokens = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.header = QToolButton(self)
        self.header.setCheckable(True)
        self.header.setChecked(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setArrowType(Qt.ArrowType.DownArrow)
        self.header.setAutoRaise(True)
        self.header.setObjectName("reasoningHeader")
        self.header.toggled.connect(self.set_expanded)
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("reasoningBody")
        self.body.setReadOnly(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setMaximumHeight(220)
        self.body.setAccessibleName(self.tr("Reasoning"))
        self.header.setAccessibleName(self.tr("Show or hide the reasoning"))
        layout.addWidget(self.header, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self._update_header()

    @property
    def text(self) -> str:
        return str(self.body.toPlainText())

    @property
    def is_open(self) -> bool:
        return self._elapsed is None

    def set_text(self, text: str, *, elapsed_s: float | None) -> None:
        self.body.setPlainText(text)
        self._tokens = 0
        self._elapsed = elapsed_s
        self._update_header()

    def append(self, delta: str) -> None:
        cursor = self.body.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(delta)
        bar = self.body.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_token_count(self, tokens: int) -> None:
        """The live count for the header (the worker counts the generated tokens)."""
        self._tokens = tokens

    def tick(self) -> None:
        if self._elapsed is None:
            self._update_header()

    def close_block(self, note: str = "", seconds: float | None = None) -> None:
        """Close the block; ``seconds`` is the session's measure of the thinking time."""
        if seconds is not None:
            self._elapsed = seconds
        elif self._elapsed is None:
            self._elapsed = time.monotonic() - self._started
        self._update_header(note)
        self.header.setChecked(False)

    def set_expanded(self, expanded: bool) -> None:
        self.body.setVisible(expanded)
        self.header.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)

    def _update_header(self, note: str = "") -> None:
        if self._elapsed is None:
            seconds = time.monotonic() - self._started
            text = self.tr("Thinking… %n token(s) · %1 s", "", self._tokens).replace(
                "%1", f"{seconds:.0f}"
            )
        elif self._elapsed > 0:
            text = self.tr("Thought for %1 s").replace("%1", f"{self._elapsed:.0f}")
        else:
            text = self.tr("Reasoning")
        if note:
            text += f" — {note}"
        self.header.setText(text)


class MessageWidget(QFrame):
    """Common frame of a chat message: role styling and the footer row."""

    def __init__(self, message_id: MessageId, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_id = message_id
        self.role = role
        self.setObjectName("userMessage" if role == "user" else "assistantMessage")
        self.setProperty("role", role)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 8, 12, 6)
        self.layout_.setSpacing(4)
        self.footer = QHBoxLayout()
        self.footer.setSpacing(2)
        self.meta = PlainLabel(self)
        self.meta.setObjectName("messageMeta")
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prev_branch = _small_button("‹", self.tr("Previous version"), self)
        self.branch_label = PlainLabel(self)
        self.branch_label.setObjectName("branchLabel")
        self.next_branch = _small_button("›", self.tr("Next version"), self)
        for widget in (self.prev_branch, self.branch_label, self.next_branch):
            widget.setVisible(False)
            self.footer.addWidget(widget)
        self.footer.addWidget(self.meta)
        self.footer.addStretch(1)

    def set_branch(self, index: int, count: int) -> None:
        visible = count > 1
        for widget in (self.prev_branch, self.branch_label, self.next_branch):
            widget.setVisible(visible)
        self.branch_label.setText(f"{index + 1}/{count}")
        self.prev_branch.setEnabled(index > 0)
        self.next_branch.setEnabled(index < count - 1)


class UserMessageWidget(MessageWidget):
    def __init__(self, message_id: MessageId, text: str, parent: QWidget | None = None) -> None:
        super().__init__(message_id, "user", parent)
        # A stored question with files holds them in R1's file format: show the files as
        # chips above the question, and the question alone as the text.
        files, question = split_user_content(text)
        self.text = question
        self.file_names = [name for name, _body in files]
        if self.file_names:
            self.files_label = PlainLabel(self)
            self.files_label.setObjectName("userFiles")
            self.files_label.setWordWrap(True)
            self.files_label.setText("📎 " + "   📎 ".join(self.file_names))
            self.files_label.setAccessibleName(self.tr("Attached files"))
            self.layout_.addWidget(self.files_label)
        self.body = PlainLabel(self)
        self.body.setObjectName("userText")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setText(question)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setAccessibleName(self.tr("Your message"))
        self.layout_.addWidget(self.body)
        self.edit_button = _small_button(self.tr("Edit"), self.tr("Edit and resend"), self)
        self.copy_button = _small_button(self.tr("Copy"), self.tr("Copy message"), self)
        self.delete_button = _small_button(self.tr("Delete"), self.tr("Delete message"), self)
        for button in (self.edit_button, self.copy_button, self.delete_button):
            self.footer.addWidget(button)
        self.layout_.addLayout(self.footer)


class AssistantMessageWidget(MessageWidget):
    """An answer: reasoning block, answer text, stats and actions."""

    #: A huge answer finished rendering block by block (see ``_render_in_steps``).
    render_done = Signal()

    def __init__(
        self, message_id: MessageId, theme: render.RenderTheme, parent: QWidget | None = None
    ) -> None:
        super().__init__(message_id, "assistant", parent)
        self._theme = theme
        self.reasoning = ReasoningBlock(self)
        self.reasoning.setVisible(False)
        self.answer = AutoHeightBrowser(self)
        self.answer.setObjectName("answerText")
        self.answer.setAccessibleName(self.tr("Answer"))
        self.note = PlainLabel(self)
        self.note.setObjectName("messageNote")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self.layout_.addWidget(self.reasoning)
        self.layout_.addWidget(self.answer)
        self.layout_.addWidget(self.note)
        self.copy_button = _small_button(self.tr("Copy"), self.tr("Copy answer"), self)
        self.regenerate_button = _small_button(
            self.tr("Regenerate"), self.tr("Regenerate this answer"), self
        )
        self.continue_button = _small_button(
            self.tr("Continue"), self.tr("Continue this answer"), self
        )
        self.delete_button = _small_button(self.tr("Delete"), self.tr("Delete message"), self)
        self.continue_button.setVisible(False)
        # Rating (for the distillation dataset): thumbs up/down, and a note once rated.
        self.good_button = _small_button("👍", self.tr("Good answer"), self)
        self.bad_button = _small_button("👎", self.tr("Bad answer"), self)
        self.note_button = _small_button(self.tr("Note"), self.tr("Add a note to the rating"), self)
        for button in (self.good_button, self.bad_button):
            button.setCheckable(True)
        self.note_button.setVisible(False)
        self.rating = ""
        self.rating_note = ""
        for button in (
            self.copy_button,
            self.regenerate_button,
            self.continue_button,
            self.delete_button,
            self.good_button,
            self.bad_button,
            self.note_button,
        ):
            self.footer.addWidget(button)
        self.layout_.addLayout(self.footer)
        self._answer_text: list[str] = []
        self._renderer: render.IncrementalRenderer | None = None
        # Code blocks of an answer rendered block-wise (a huge one), in Copy-link order.
        self._final_code_blocks: list[tuple[str, str]] | None = None
        self._load_generation = 0
        self._tail_start = 0
        self.streaming = False
        self.state = "complete"

    def set_rating(self, value: str, note: str = "") -> None:
        """Show the user's rating ("good", "bad" or "" for none) and its note."""
        self.rating, self.rating_note = value, note if value else ""
        self.good_button.setChecked(value == "good")
        self.bad_button.setChecked(value == "bad")
        self.note_button.setVisible(bool(value))
        self.note_button.setToolTip(self.rating_note or self.tr("Add a note to the rating"))

    # --- content ---
    @property
    def answer_text(self) -> str:
        return "".join(self._answer_text)

    @property
    def reasoning_text(self) -> str:
        return self.reasoning.text

    def set_content(
        self, *, answer: str, reasoning: str, state: str, reasoning_seconds: float | None = None
    ) -> None:
        self._answer_text = [answer]
        if reasoning:
            self.reasoning.setVisible(True)
            self.reasoning.set_text(reasoning, elapsed_s=reasoning_seconds)
            self.reasoning.header.setChecked(False)
        self._render_full()
        self.set_state(state)

    def begin_streaming(self) -> None:
        self._load_generation += 1
        self._final_code_blocks = None
        self.streaming = True
        self.state = "streaming"
        self._answer_text = []
        self._renderer = render.IncrementalRenderer(self._theme)
        self.answer.clear()
        self._tail_start = 0
        self.regenerate_button.setEnabled(False)
        self.continue_button.setVisible(False)
        _warm_renderer()

    def resume_streaming(self) -> None:
        """Continue an interrupted answer: keep the text, stream more after it."""
        previous = self.answer_text
        self.begin_streaming()
        if self.reasoning.text and self.reasoning.is_open:
            self.reasoning.setVisible(True)
        if previous:
            self.append("", previous)

    def append(self, reasoning_delta: str, answer_delta: str) -> None:
        if reasoning_delta:
            if not self.reasoning.isVisible():
                self.reasoning.setVisible(True)
            self.reasoning.append(reasoning_delta)
        if answer_delta:
            # The reasoning block closes on the session's ReasoningEnded (close_reasoning),
            # never here: one place decides when the thinking ended.
            self._answer_text.append(answer_delta)
            if self._renderer is None:
                self._renderer = render.IncrementalRenderer(self._theme)
            update = self._renderer.append(answer_delta)
            self._apply_update(update)

    def _apply_update(self, update: Any) -> None:
        """Append newly finished blocks and replace only the open tail block."""
        document = self.answer.document()
        cursor = QTextCursor(document)
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        ratio = self.answer.devicePixelRatioF()
        if update.stable_html_to_append:
            render.register_math_resources(document, update.stable_html_to_append, ratio)
            cursor.insertHtml(update.stable_html_to_append)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            # The tail goes into a block of its own. Inserted HTML merges into the block
            # at the cursor, so a long paragraph handed over in pieces would otherwise grow
            # one giant block that Qt lays out again on every delta (a 1 MB single-line
            # answer took minutes); with its own block each delta costs the same.
            if cursor.block().length() > 1:
                cursor.insertBlock()
            self._tail_start = cursor.position()
        if update.tail_html:
            render.register_math_resources(document, update.tail_html, ratio)
            cursor.insertHtml(update.tail_html)

    def tick(self) -> None:
        self.reasoning.tick()

    def close_reasoning(self, note: str = "", *, seconds: float | None = None) -> None:
        if self.reasoning.isVisible():
            self.reasoning.close_block(note, seconds)

    def finish(self, state: str, meta: str) -> None:
        self.streaming = False
        renderer, self._renderer = self._renderer, None
        # The full render fixes what block-wise streaming cannot (e.g. loose lists); when
        # it is identical to what was streamed, keep the document and skip a re-layout. A
        # huge answer keeps its block-wise rendering: laying it all out again at once
        # would hold the GUI thread for seconds.
        if renderer is None:
            self._render_full()
        elif len(renderer.text) > FULL_RENDER_MAX_CHARS:
            self._drop_empty_tail_block()
            self._final_code_blocks = renderer.copyable_code_blocks()
        elif renderer.finish() != renderer.streamed_html():
            self._render_full()
        else:
            self._drop_empty_tail_block()
        self.set_state(state)
        self.meta.setText(meta)

    def set_state(self, state: str) -> None:
        self.state = state
        self.regenerate_button.setEnabled(True)
        # States are the session's EndState vocabulary (or "streaming").
        self.continue_button.setVisible(state in ("interrupted", "stopped", "length"))
        notes = {
            "interrupted": self.tr("This answer was interrupted before it finished."),
            "stopped": self.tr("Stopped."),
        }
        note = notes.get(state, "")
        if state == "failed" and not note:
            note = self.tr("This answer ended with an error.")
        self.set_note(note)

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def copyable_code_blocks(self) -> list[tuple[str, str]]:
        """Code blocks numbered as the shown HTML numbers its Copy links."""
        if self._renderer is not None:
            return self._renderer.copyable_code_blocks()
        if self._final_code_blocks is not None:
            return self._final_code_blocks
        return render.copyable_code_blocks(self.answer_text)

    def _drop_empty_tail_block(self) -> None:
        # _apply_update leaves the tail a block of its own; if the answer ended with an
        # empty tail, that block would show as a blank line.
        cursor = QTextCursor(self.answer.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if cursor.block().length() == 1 and cursor.blockNumber() > 0:
            cursor.deletePreviousChar()

    def set_theme(self, theme: render.RenderTheme) -> None:
        self._theme = theme
        if not self.streaming:
            self._render_full()

    def _render_full(self) -> None:
        self._final_code_blocks = None
        self._load_generation += 1
        text = self.answer_text
        if len(text) > FULL_RENDER_MAX_CHARS:
            self._render_in_steps(text, self._load_generation)
            return
        html = render.render_markdown(text, self._theme)
        render.register_math_resources(
            self.answer.document(), html, self.answer.devicePixelRatioF()
        )
        self.answer.setHtml(html)
        self._tail_start = 0

    def _render_in_steps(self, text: str, generation: int) -> None:
        """Show a huge answer block by block, one slice per event-loop turn.

        The streaming renderer makes each slice cost the same, and the window stays
        responsive between slices; a newer render (or streaming) cancels this one.
        """
        self.answer.clear()
        self._tail_start = 0
        renderer = render.IncrementalRenderer(self._theme)

        def step(offset: int) -> None:
            if generation != self._load_generation or self.streaming:
                return
            end = min(len(text), offset + RENDER_STEP_CHARS)
            self._apply_update(renderer.append(text[offset:end]))
            if end < len(text):
                QTimer.singleShot(0, self, lambda: step(end))
            else:
                self._drop_empty_tail_block()
                self._final_code_blocks = renderer.copyable_code_blocks()
                self.render_done.emit()

        step(0)


class EmptyState(QWidget):
    """Shown on an empty chat: a greeting and example prompts."""

    example_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 48, 24, 24)
        layout.setSpacing(10)
        self.title = PlainLabel(self)
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle = PlainLabel(self)
        self.subtitle.setObjectName("emptySubtitle")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        self.buttons: list[QPushButton] = []
        for _ in range(3):
            button = QPushButton(self)
            button.setObjectName("examplePrompt")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(self._chosen)
            self.buttons.append(button)
            layout.addWidget(button)
        layout.addStretch(1)
        self.retranslate()

    def examples(self) -> list[str]:
        return [
            self.tr(
                "A cage holds chickens and rabbits: 35 heads and 94 legs in all. "
                "How many chickens and how many rabbits are there?"
            ),
            self.tr("Write a quicksort function in Python and explain how it works."),
            self.tr("If all A are B, and some B are C, can we conclude that some A are C?"),
        ]

    def retranslate(self) -> None:
        self.title.setText(self.tr("What can I help you think through?"))
        self.subtitle.setText(self.tr("Everything stays on this computer. Try one of these:"))
        for button, text in zip(self.buttons, self.examples(), strict=True):
            button.setText(text)
            button.setAccessibleName(text)

    def _chosen(self) -> None:
        button = self.sender()
        if isinstance(button, QPushButton):
            self.example_chosen.emit(button.text())


class ChatView(QScrollArea):
    """A column of messages with stick-to-bottom scrolling while streaming."""

    regenerate_requested = Signal(str)
    continue_requested = Signal(str)
    edit_requested = Signal(str)
    delete_requested = Signal(str)
    rate_requested = Signal(str, str)  # message id, "good" / "bad" / "" (clear)
    note_requested = Signal(str)  # message id
    branch_requested = Signal(str, int)  # message id, -1 for previous / +1 for next
    example_chosen = Signal(str)
    link_activated = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName(self.tr("Conversation"))
        self._theme = render.theme_for(False)
        self._container = QWidget(self)
        self._container.setObjectName("chatContainer")
        self._column = QVBoxLayout(self._container)
        self._column.setContentsMargins(16, 12, 16, 12)
        self._column.setSpacing(10)
        self._column.addStretch(1)
        self.setWidget(self._container)
        self.empty_state = EmptyState(self._container)
        self.empty_state.example_chosen.connect(self.example_chosen)
        self._column.insertWidget(0, self.empty_state)
        self._messages: list[MessageWidget] = []
        self._notices: list[QLabel] = []
        #: Builders of the older messages not built yet, oldest first (see show_lazily).
        self._pending: list[tuple[MessageId, Callable[[], None]]] = []
        #: While older messages are built: where the next widget goes (column, list).
        self._prepend_at: tuple[int, int] | None = None
        self._building_older = False
        #: After older messages were built above: the message the user was reading and
        #: its offset in the viewport, kept while the new content settles (until they scroll).
        self._anchor: tuple[MessageWidget, int] | None = None
        #: A message just built to jump to: kept in view while the layout settles.
        self._reveal: MessageWidget | None = None
        self._stick_to_bottom = True
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)
        self.verticalScrollBar().actionTriggered.connect(self._on_user_scroll)
        self._live_timer = QTimer(self)
        self._live_timer.setInterval(500)
        self._live_timer.timeout.connect(self._tick_live)
        _warm_renderer()  # while the user types the first question, not mid-answer

    # --- content ---
    @property
    def messages(self) -> Sequence[MessageWidget]:
        return tuple(self._messages)

    def message(self, message_id: MessageId) -> MessageWidget | None:
        for widget in self._messages:
            if widget.message_id == message_id:
                return widget
        return None

    @property
    def pending_count(self) -> int:
        """Older messages of the open chat that are not built yet."""
        return len(self._pending)

    def show_lazily(self, items: Sequence[tuple[MessageId, Callable[[], None]]]) -> None:
        """Show a chat's messages, oldest first: each builder adds its message's widget.

        Only the newest LAZY_TAIL are built now; a 600-message chat would otherwise lay
        out hundreds of rendered answers before the window can paint. The rest are built
        when the user scrolls up (or all at once by :meth:`build_all`, for find-in-chat).
        """
        split = max(0, len(items) - LAZY_TAIL)
        self._pending = list(items[:split])
        for _message_id, build in items[split:]:
            build()
        if self._pending:
            self.empty_state.setVisible(False)
            QTimer.singleShot(0, self, self._maybe_build_older)

    def build_all(self) -> None:
        """Build every pending older message (find-in-chat needs them all)."""
        if self._pending:
            self.build_older(len(self._pending))
        self._anchor = None

    def build_older(self, count: int = LAZY_BATCH, *, keep_place: bool = False) -> int:
        """Build up to ``count`` older messages above the shown ones.

        With ``keep_place`` what the user is reading stays put while the new content
        above is laid out (Qt lays it out later, so the anchor is applied on each range
        change until the user scrolls).
        """
        if not self._pending or self._building_older:
            return 0
        batch = self._pending[-count:]
        del self._pending[-len(batch) :]
        bar = self.verticalScrollBar()
        if keep_place and not self._stick_to_bottom and self._anchor is None and self._messages:
            reading = self._messages[0]
            self._anchor = (reading, reading.y() - bar.value())
        first_message = self._column.indexOf(self._messages[0]) if self._messages else -1
        notices_above = sum(
            1 for label in self._notices if 0 <= self._column.indexOf(label) < first_message
        )
        self._building_older = True
        # New widgets go below the empty state and any notice above the first message.
        self._prepend_at = (1 + notices_above if first_message >= 0 else 1, 0)
        try:
            for _message_id, build in batch:
                build()
        finally:
            self._prepend_at = None
            self._building_older = False
        return len(batch)

    def set_theme(self, theme: render.RenderTheme) -> None:
        self._theme = theme
        for widget in self._messages:
            if isinstance(widget, AssistantMessageWidget):
                widget.set_theme(theme)

    def clear(self) -> None:
        self._live_timer.stop()
        self._pending.clear()
        self._anchor = None
        self._reveal = None
        for widget in self._messages:
            self._column.removeWidget(widget)
            widget.deleteLater()
        self._messages.clear()
        for label in self._notices:
            self._column.removeWidget(label)
            label.deleteLater()
        self._notices.clear()
        self.empty_state.setVisible(True)
        self._stick_to_bottom = True

    def add_user_message(self, message_id: MessageId, text: str) -> UserMessageWidget:
        widget = UserMessageWidget(message_id, text, self._container)
        widget.edit_button.clicked.connect(lambda: self.edit_requested.emit(message_id))
        widget.copy_button.clicked.connect(lambda: self._copy(widget.text))
        widget.delete_button.clicked.connect(lambda: self.delete_requested.emit(message_id))
        self._wire_branch(widget)
        self._add(widget)
        return widget

    def add_assistant_message(self, message_id: MessageId) -> AssistantMessageWidget:
        widget = AssistantMessageWidget(message_id, self._theme, self._container)
        widget.copy_button.clicked.connect(lambda: self._copy(widget.answer_text))
        widget.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(message_id))
        widget.continue_button.clicked.connect(lambda: self.continue_requested.emit(message_id))
        widget.delete_button.clicked.connect(lambda: self.delete_requested.emit(message_id))
        # A click on the lit thumb clears the rating; the other thumb replaces it.
        widget.good_button.clicked.connect(
            lambda: self.rate_requested.emit(message_id, "" if widget.rating == "good" else "good")
        )
        widget.bad_button.clicked.connect(
            lambda: self.rate_requested.emit(message_id, "" if widget.rating == "bad" else "bad")
        )
        widget.note_button.clicked.connect(lambda: self.note_requested.emit(message_id))
        widget.answer.anchorClicked.connect(self._on_anchor)
        self._wire_branch(widget)
        self._add(widget)
        return widget

    def add_notice(self, text: str, *, before: MessageId = "") -> QLabel:
        """A centred marker line, e.g. where old turns were trimmed from the context.

        With ``before`` it goes just above that message, otherwise at the end.
        """
        label = PlainLabel(text, self._container)
        label.setObjectName("chatNotice")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        anchor = self.message(before) if before else None
        index = self._column.indexOf(anchor) if anchor is not None else -1
        if index < 0 and self._prepend_at is not None:
            column_index, list_index = self._prepend_at
            self._prepend_at = (column_index + 1, list_index)
            index = column_index
        self._column.insertWidget(index if index >= 0 else self._column.count() - 1, label)
        self._notices.append(label)
        return label

    def start_live_updates(self) -> None:
        self._live_timer.start()

    def stop_live_updates(self) -> None:
        self._live_timer.stop()

    def scroll_to_bottom(self) -> None:
        self._stick_to_bottom = True
        self._anchor = None
        self._reveal = None
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def scroll_to_message(self, message_id: MessageId) -> None:
        widget = self.message(message_id)
        if widget is None and any(pending == message_id for pending, _ in self._pending):
            self._stick_to_bottom = False
            while widget is None and self.build_older():
                widget = self.message(message_id)
            self._anchor = None
            self._reveal = widget
        if widget is not None:
            self._stick_to_bottom = False
            self.ensureWidgetVisible(widget, 0, 40)

    # --- internals ---
    def _add(self, widget: MessageWidget) -> None:
        self.empty_state.setVisible(False)
        if self._prepend_at is not None:
            column_index, list_index = self._prepend_at
            self._column.insertWidget(column_index, widget)
            self._messages.insert(list_index, widget)
            self._prepend_at = (column_index + 1, list_index + 1)
            return
        self._column.insertWidget(self._column.count() - 1, widget)
        self._messages.append(widget)

    def _settle(self) -> None:
        """Lay the column out now, so scroll positions are real (Qt defers it otherwise)."""
        layout = self._container.layout()
        if layout is not None:
            layout.activate()
        # QScrollArea sizes its widget and scroll bars on a LayoutRequest; deliver it now.
        QCoreApplication.sendEvent(self, QEvent(QEvent.Type.LayoutRequest))

    def _maybe_build_older(self) -> None:
        """Build older messages while the view is near the top or the content is short."""
        if not self._pending or self._building_older:
            return
        self._settle()
        bar = self.verticalScrollBar()
        near_top = bar.value() <= self.viewport().height() * LAZY_MARGIN_SCREENS
        if near_top and self.build_older(keep_place=True):
            QTimer.singleShot(0, self, self._maybe_build_older)

    def _on_user_scroll(self, _action: int) -> None:
        self._anchor = None
        self._reveal = None

    def _wire_branch(self, widget: MessageWidget) -> None:
        message_id = widget.message_id
        widget.prev_branch.clicked.connect(lambda: self.branch_requested.emit(message_id, -1))
        widget.next_branch.clicked.connect(lambda: self.branch_requested.emit(message_id, 1))

    def _copy(self, text: str) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(text)

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == render.COPY_URL_SCHEME:
            browser = self.sender()
            for widget in self._messages:
                if isinstance(widget, AssistantMessageWidget) and widget.answer is browser:
                    blocks = widget.copyable_code_blocks()
                    index = render.copy_index_from_url(url)
                    if index is not None and 0 <= index < len(blocks):
                        self._copy(blocks[index][1])
                    return
            return
        self.link_activated.emit(url)

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick_to_bottom = value >= bar.maximum() - 24
        near_top = value <= self.viewport().height() * LAZY_MARGIN_SCREENS
        if self._pending and not self._building_older and near_top:
            QTimer.singleShot(0, self, self._maybe_build_older)

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)
        elif self._reveal is not None:
            self.ensureWidgetVisible(self._reveal, 0, 40)
        elif self._anchor is not None:
            # Child positions are updated after the range (the layout runs later in the
            # same resize), so re-anchor once this event is done.
            QTimer.singleShot(0, self, self._apply_anchor)

    def _apply_anchor(self) -> None:
        if self._anchor is not None and not self._stick_to_bottom:
            widget, offset = self._anchor
            self.verticalScrollBar().setValue(widget.y() - offset)

    def _tick_live(self) -> None:
        for widget in reversed(self._messages):
            if isinstance(widget, AssistantMessageWidget) and widget.streaming:
                widget.tick()
                break
