"""The message widgets of the conversation view: a question, an answer, its reasoning.

Split from ``chat_view.py`` (which re-exports every name here). An answer streams in with
cost proportional to the new text: deltas are rendered per finished block (the open tail
block is re-rendered, never the whole answer) and inserted at the end of the document
with a cursor; a huge answer is shown block by block across event-loop turns.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.knowledge.context import split_user_content
from app.ui import render
from app.ui.plain import PlainLabel
from app.ui.sources_view import citation_tooltips
from app.ui.wrapped_label import WrappedLabel

#: Messages are identified by the store's ids (strings).
MessageId = str

#: Answers longer than this are never rendered in one piece on the GUI thread: they are
#: shown block by block, RENDER_STEP_CHARS per event-loop turn (a 1 MB answer in one
#: piece is one giant layout; in steps the window stays responsive throughout).
FULL_RENDER_MAX_CHARS = 200_000
#: The most one event-loop turn spends rendering streamed text: well under the GUI's 50 ms
#: bound. Text that arrives faster than it renders (a fast server, a 1 MB answer) is shown
#: a little later instead of freezing the window.
STREAM_RENDER_BUDGET_S = 0.025
#: Streamed text is handed to the renderer this many characters at a time, so one piece
#: stays under the budget even when it is dense with formulas.
STREAM_SLICE_CHARS = 1024
RENDER_STEP_CHARS = 8_000

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


_SOURCE_NAME = re.compile(r"\[\d+\] ")


class UserMessageWidget(MessageWidget):
    def __init__(self, message_id: MessageId, text: str, parent: QWidget | None = None) -> None:
        super().__init__(message_id, "user", parent)
        # A stored question with files holds them in R1's file format: show the files as
        # chips above the question, and the question alone as the text.
        files, question = split_user_content(text)
        self.text = question
        # Numbered blocks ("[1] notes.md (line 3)") are Library sources, not attachments.
        self.file_names = [name for name, _body in files if not _SOURCE_NAME.match(name)]
        if self.file_names:
            self.files_label = WrappedLabel(self)  # cached height: see wrapped_label
            self.files_label.setObjectName("userFiles")
            self.files_label.setWordWrap(True)
            self.files_label.setText("📎 " + "   📎 ".join(self.file_names))
            self.files_label.setAccessibleName(self.tr("Attached files"))
            self.layout_.addWidget(self.files_label)
        self.body = WrappedLabel(self)  # cached height: see wrapped_label
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
        # Streamed answer text not rendered yet (from _unrendered_at on); see _render_pending.
        self._unrendered = ""
        self._unrendered_at = 0
        self._render_scheduled = False
        # Code blocks of an answer rendered block-wise (a huge one), in Copy-link order.
        self._final_code_blocks: list[tuple[str, str]] | None = None
        self._load_generation = 0
        self._tail_start = 0
        self.streaming = False
        self.state = "complete"
        #: The Library sources the answer's question carried (provenance records); the
        #: answer's [n] markers link to them (issue 15).
        self.sources: list[Mapping[str, Any]] = []
        self.source_tokens = 0
        self._citations: dict[int, str] = {}

    def set_rating(self, value: str, note: str = "") -> None:
        """Show the user's rating ("good", "bad" or "" for none) and its note."""
        self.rating, self.rating_note = value, note if value else ""
        self.good_button.setChecked(value == "good")
        self.bad_button.setChecked(value == "bad")
        self.note_button.setVisible(bool(value))
        self.note_button.setToolTip(self.rating_note or self.tr("Add a note to the rating"))

    def set_sources(self, sources: Sequence[Mapping[str, Any]], *, tokens: int = 0) -> None:
        """The answer's sources; set before its text, so the [n] markers render as links."""
        self.sources = [s for s in sources if isinstance(s, Mapping)]
        self.source_tokens = tokens
        citations = citation_tooltips(self.sources)
        if citations != self._citations:
            self._citations = citations
            if not self.streaming and self.answer_text:
                self._render_full()

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
        self._unrendered, self._unrendered_at = "", 0
        self._renderer = render.IncrementalRenderer(self._theme, citations=self._citations)
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
            self._unrendered = self._unrendered[self._unrendered_at :] + answer_delta
            self._unrendered_at = 0
            self._render_pending()

    def _render_pending(self, budget_s: float | None = None) -> None:
        """Render the streamed text that is waiting, for at most ``budget_s``; the rest
        continues on the next event-loop turn."""
        self._render_scheduled = False
        if self._unrendered_at >= len(self._unrendered):
            return
        if self._renderer is None:
            self._renderer = render.IncrementalRenderer(self._theme, citations=self._citations)
        budget = STREAM_RENDER_BUDGET_S if budget_s is None else budget_s
        deadline = time.perf_counter() + budget
        text = self._unrendered
        while self._unrendered_at < len(text):
            end = self._unrendered_at + STREAM_SLICE_CHARS
            self._apply_update(self._renderer.append(text[self._unrendered_at : end]))
            self._unrendered_at = min(end, len(text))
            if time.perf_counter() >= deadline:
                break
        if self._unrendered_at < len(text):
            if not self._render_scheduled:
                self._render_scheduled = True
                QTimer.singleShot(0, self, self._render_pending)
            return
        self._unrendered, self._unrendered_at = "", 0

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
        # Text that came faster than it rendered is rendered now: the answer is complete
        # when the turn ends (at a model's speed nothing is left; see _render_pending).
        self._render_pending(budget_s=math.inf)
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
        html = render.render_markdown(text, self._theme, citations=self._citations)
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
        renderer = render.IncrementalRenderer(self._theme, citations=self._citations)

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
