"""The conversation view: a scrolling column of message widgets.

Streaming cost is proportional to the new text: deltas are inserted at the end of the
documents with a cursor; Markdown is rendered per finished block while streaming (the
open tail block is re-rendered, never the whole answer) and in full once at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QBoxLayout,
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
#: older ones are built when the user scrolls near the top, a few per event-loop turn.
LAZY_TAIL = 8
#: How many older messages build_older() builds when not told.
LAZY_BATCH = 4
#: Older messages are built when the view is within this many viewport heights of the top.
LAZY_MARGIN_SCREENS = 1.0
#: While scrolling up, one event-loop turn builds older messages for at most this long (at
#: least one message), then lets input and painting run; the next turn goes on. Building
#: four at a time cost a turn 65-76 ms (docs/BENCHMARKS.md, "big chats").
LAZY_TURN_BUDGET_S = 0.008
#: Older messages are built into pages of this many items above the newest ones. A new
#: item at the top then moves the items of its page and the pages below, not every
#: message of the chat (moving hundreds of widgets was most of a step's cost).
LAZY_PAGE_SIZE = 16

__all__ = [
    "FULL_RENDER_MAX_CHARS",
    "LAZY_BATCH",
    "LAZY_MARGIN_SCREENS",
    "LAZY_PAGE_SIZE",
    "LAZY_TAIL",
    "LAZY_TURN_BUDGET_S",
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


class _Column(QWidget):
    """The widget inside the scroll area that holds the column of messages."""

    def sizeHint(self) -> QSize:
        # QWidget's size hint asks the layout for its height at the width the messages
        # would like, and the scroll area then asks at the real width; every layout
        # remembers one width, so each pass laid every message out twice (tens of ms in
        # a 600-message chat). The hint's height is not used (the scroll area sizes this
        # widget by its height for the real width): answer without a height-for-width.
        layout = self.layout()
        return layout.sizeHint() if layout is not None else super().sizeHint()


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
    #: an answer's [n] marker was clicked: (message id, source number n)
    citation_activated = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName(self.tr("Conversation"))
        self._theme = render.theme_for(False)
        self._container = _Column(self)
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
        #: While older messages are built: where the next widget goes (the layout and
        #: the index in it, the index in _messages).
        self._prepend_at: tuple[QBoxLayout, int, int] | None = None
        self._building_older = False
        #: The pages older messages are built into (see LAZY_PAGE_SIZE), the top one first.
        self._pages: list[QWidget] = []
        #: One pending "build older messages" per turn, however many scroll events came.
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._maybe_build_older)
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

    @property
    def building(self) -> bool:
        """Older messages are being built, a turn at a time (the view is near the top)."""
        return self._build_timer.isActive()

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
            self._build_timer.start()

    def build_all(self) -> None:
        """Build every pending older message (find-in-chat needs them all)."""
        if self._pending:
            self.build_older(len(self._pending))
        self._anchor = None

    def build_older(
        self,
        count: int = LAZY_BATCH,
        *,
        keep_place: bool = False,
        budget_s: float | None = None,
    ) -> int:
        """Build up to ``count`` older messages above the shown ones, newest first.

        With ``budget_s`` it stops once that long has been spent (after one message at
        least). With ``keep_place`` what the user is reading stays put: the view is
        re-anchored as soon as the new content is laid out, before anything is painted
        (and again on later relayouts, until the user scrolls).
        """
        if not self._pending or self._building_older:
            return 0
        bar = self.verticalScrollBar()
        if keep_place and not self._stick_to_bottom and self._anchor is None and self._messages:
            reading = self._first_visible()
            self._anchor = (reading, self._top_of(reading) - bar.value())
        started = time.perf_counter()
        built = 0
        self._building_older = True
        # Showing a widget lays its parent out again: with hundreds of messages in the
        # column that is the expensive part, so the column waits and is laid out once.
        self._column.setEnabled(False)
        try:
            while self._pending and built < count:
                _message_id, build = self._pending.pop()
                layout = self._top_page_layout()
                self._prepend_at = (layout, 0, 0)
                items = layout.count()
                build()
                built += 1
                item = layout.itemAt(0) if layout.count() > items else None
                new = item.widget() if item is not None else None
                if new is not None and not new.testAttribute(
                    Qt.WidgetAttribute.WA_WState_ExplicitShowHide
                ):
                    new.show()
                if budget_s is not None and time.perf_counter() - started >= budget_s:
                    break
        finally:
            self._prepend_at = None
            self._column.setEnabled(True)
            self._building_older = False
        self._settle_built()
        self._apply_anchor()
        return built

    def _settle_built(self) -> None:
        """Lay out what was just built to its final heights, now rather than over turns.

        Qt would lay the page out on the next turn, and only then would a new answer get
        its width and fit its height to it: the view would move under the reader twice.
        """
        page = self._pages[0] if self._pages else None
        page_layout = page.layout() if page is not None else None
        if page is None or page_layout is None:
            self._settle()
            return
        if page.width() != self._pages[-1].width() or len(self._pages) == 1:
            self._settle()  # a new page: give it its width first
        # The page lays its items out at its width (an invalidated page ignores its resize
        # until its own posted request); the new answers fit their height to that width,
        # their messages are laid out again, then the page, and the column once.
        page_layout.activate()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        page_layout.activate()
        self._settle()

    def _top_page_layout(self) -> QBoxLayout:
        """The layout the next older item goes into (at its top); a new page if full."""
        if self._pages:
            top = self._pages[0].layout()
            if isinstance(top, QBoxLayout) and top.count() < LAZY_PAGE_SIZE:
                return top
            index = self._column.indexOf(self._pages[0])
        elif self._messages:
            # Below the empty state and any notice above the first message (e.g. the
            # marker of where the model's context begins, placed before that message).
            first_message = self._column.indexOf(self._messages[0])
            index = 1 + sum(
                1 for label in self._notices if 0 <= self._column.indexOf(label) < first_message
            )
        else:
            index = 1  # below the empty state
        page = QWidget(self._container)
        page.setObjectName("chatPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(self._column.spacing())
        self._column.insertWidget(index, page)
        page.show()
        self._pages.insert(0, page)
        return layout

    def _first_visible(self) -> MessageWidget:
        """The first message reaching into the view: the one the user is reading.

        Not the oldest one built: those just built above may still change height when
        they fit their width, which would move everything below them.
        """
        value = self.verticalScrollBar().value()
        low, high = 0, len(self._messages) - 1
        while low < high:  # the messages are in column order
            middle = (low + high) // 2
            widget = self._messages[middle]
            if self._top_of(widget) + widget.height() <= value:
                low = middle + 1
            else:
                high = middle
        return self._messages[low]

    def _top_of(self, widget: QWidget) -> int:
        """The widget's top in the column (it may sit in a page)."""
        return widget.mapTo(self._container, QPoint(0, 0)).y()

    def _slot_of(self, widget: QWidget) -> tuple[QBoxLayout, int]:
        """The layout holding ``widget`` (the column or a page) and its index there."""
        parent = widget.parentWidget()
        layout = parent.layout() if parent is not None else None
        if isinstance(layout, QBoxLayout):
            return layout, layout.indexOf(widget)
        return self._column, -1

    def set_theme(self, theme: render.RenderTheme) -> None:
        self._theme = theme
        for widget in self._messages:
            if isinstance(widget, AssistantMessageWidget):
                widget.set_theme(theme)

    def clear(self) -> None:
        self._live_timer.stop()
        self._build_timer.stop()
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
        for page in self._pages:
            self._column.removeWidget(page)
            page.deleteLater()
        self._pages.clear()
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
        layout, index = self._slot_of(anchor) if anchor is not None else (self._column, -1)
        if index < 0 and self._prepend_at is not None:
            layout, index, list_index = self._prepend_at
            self._prepend_at = (layout, index + 1, list_index)
        if index < 0:
            layout, index = self._column, self._column.count() - 1
        layout.insertWidget(index, label)
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
        waiting = [n for n, (pending, _) in enumerate(self._pending) if pending == message_id]
        if widget is None and waiting:
            self._stick_to_bottom = False
            # Everything from that message down, in one go (one layout pass).
            self.build_older(len(self._pending) - waiting[0])
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
            layout, index, list_index = self._prepend_at
            layout.insertWidget(index, widget)
            self._messages.insert(list_index, widget)
            self._prepend_at = (layout, index + 1, list_index + 1)
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
        """Build older messages while the view is near the top or the content is short.

        One turn's worth at a time (LAZY_TURN_BUDGET_S); the next turn checks again.
        """
        # No layout pass first: a stale layout only errs towards building one turn more.
        if not self._pending or self._building_older:
            return
        if self._near_top() and self.build_older(
            len(self._pending), keep_place=True, budget_s=LAZY_TURN_BUDGET_S
        ):
            self._build_timer.start()

    def _near_top(self) -> bool:
        return self.verticalScrollBar().value() <= self.viewport().height() * LAZY_MARGIN_SCREENS

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
        if url.scheme() == render.CITE_URL_SCHEME:
            # Our own link to a source of this answer: never handed to the system.
            number = render.cite_number_from_url(url)
            browser = self.sender()
            for widget in self._messages:
                if isinstance(widget, AssistantMessageWidget) and widget.answer is browser:
                    if number is not None:
                        self.citation_activated.emit(widget.message_id, number)
                    return
            return
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
        if self._pending and not self._building_older and self._near_top():
            self._build_timer.start()

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
            self.verticalScrollBar().setValue(self._top_of(widget) - offset)

    def _tick_live(self) -> None:
        for widget in reversed(self._messages):
            if isinstance(widget, AssistantMessageWidget) and widget.streaming:
                widget.tick()
                break
