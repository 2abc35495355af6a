"""The conversation view: a scrolling column of message widgets.

Streaming cost is proportional to the new text: deltas are inserted at the end of the
documents with a cursor; Markdown is rendered per finished block while streaming (the
open tail block is re-rendered, never the whole answer) and in full once at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ui import render
from app.ui.message_widgets import (
    FULL_RENDER_MAX_CHARS,
    RENDER_STEP_CHARS,
    AssistantMessageWidget,
    AutoHeightBrowser,
    MessageId,
    MessageWidget,
    ReasoningBlock,
    UserMessageWidget,
    _warm_renderer,
)
from app.ui.plain import PlainLabel

#: A long chat opens with only its newest messages built (a screenful plus a margin);
#: older ones are built LAZY_BATCH at a time when the user scrolls near the top.
LAZY_TAIL = 8
LAZY_BATCH = 4
#: Older messages are built when the view is within this many viewport heights of the top.
LAZY_MARGIN_SCREENS = 1.0

__all__ = [
    "FULL_RENDER_MAX_CHARS",
    "LAZY_BATCH",
    "LAZY_MARGIN_SCREENS",
    "LAZY_TAIL",
    "RENDER_STEP_CHARS",
    "AssistantMessageWidget",
    "AutoHeightBrowser",
    "ChatView",
    "EmptyState",
    "MessageId",
    "MessageWidget",
    "ReasoningBlock",
    "UserMessageWidget",
]


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
