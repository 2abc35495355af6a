"""Scrolling up through a 600-message chat: older messages are built in order, a turn's
worth at a time, and what the user is looking at never moves while they appear."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.store import ChatStore
from app.ui.chat_view import (
    LAZY_PAGE_SIZE,
    LAZY_TAIL,
    AssistantMessageWidget,
    ChatView,
    MessageWidget,
)
from app.ui.live_turn import ChatPresenter
from app.ui.wrapped_label import WrappedLabel

PAIRS = 300  # 600 messages


def answer_text(n: int) -> str:
    # Some answers are long enough to wrap over several lines, so heights differ.
    extra = " and then some more words to wrap" * (n % 7)
    return f"answer {n}: **bold** and `code`{extra}"


class Rig:
    def __init__(self, qtbot: QtBot, store: ChatStore) -> None:
        self.window = QWidget()
        qtbot.addWidget(self.window)
        self.view = ChatView(self.window)
        layout = QVBoxLayout(self.window)
        layout.addWidget(self.view)
        self.window.resize(700, 500)
        self.store = store
        self.presenter = ChatPresenter(self.view, lambda _stats, _created: "")
        conversation = store.create_conversation(title="long")
        self.conversation_id = conversation.id
        self.ids: list[str] = []
        self.answers: dict[str, str] = {}
        parent = None
        for n in range(PAIRS):
            user = store.add_message(conversation.id, parent, "user", f"question {n}")
            answer = store.add_message(conversation.id, user.id, "assistant", answer_text(n))
            self.ids += [user.id, answer.id]
            self.answers[answer.id] = answer_text(n)
            parent = answer.id

    def open(self) -> None:
        self.presenter.rebuild(self.store, self.conversation_id, None)

    def shown_ids(self) -> list[str]:
        return [m.message_id for m in self.view.messages]

    def column(self) -> QWidget:
        column = self.view.widget()
        assert column is not None
        return column

    def top(self, widget: QWidget) -> int:
        """The widget's top in the scrolled column."""
        return widget.mapTo(self.column(), QPoint(0, 0)).y()

    def under_cursor(self) -> MessageWidget:
        """The message under a pointer resting a third of the way down the view."""
        bar = self.view.verticalScrollBar()
        y = bar.value() + self.view.viewport().height() // 3
        for widget in self.view.messages:
            top = self.top(widget)
            if top <= y < top + widget.height():
                return widget
        # Between two messages (the spacing): the one below.
        below = [w for w in self.view.messages if self.top(w) > y]
        assert below, f"no message near y={y} (column height {self.column().height()})"
        return below[0]


@pytest.fixture
def rig(qtbot: QtBot, isolated_app_dirs: AppPaths) -> Iterator[Rig]:
    store = ChatStore.open(isolated_app_dirs.database)
    rig = Rig(qtbot, store)
    rig.window.show()
    qtbot.waitExposed(rig.window)
    yield rig
    rig.view.clear()  # no lazy build may read the store after it is closed
    store.close()


def test_scrolling_up_builds_every_message_in_order_and_nothing_jumps(
    qtbot: QtBot, rig: Rig
) -> None:
    view = rig.view
    bar = view.verticalScrollBar()
    rig.open()
    assert rig.shown_ids() == rig.ids[-LAZY_TAIL:]
    # Settled at the bottom with a screen of older messages above.
    qtbot.waitUntil(lambda: not view.building and bar.value() == bar.maximum() > 0, timeout=10000)
    built = len(view.messages)
    assert rig.shown_ids() == rig.ids[-built:]
    assert view.pending_count == len(rig.ids) - built > 0

    grew = 0
    for _ in range(20 * len(rig.ids)):  # bounded: each step either scrolls or builds
        if bar.value() == 0 and view.pending_count == 0:
            break
        # The user scrolls up half a page (a slider action, as the wheel makes) ...
        bar.setSliderPosition(bar.value() - bar.pageStep() // 2)
        reading = rig.under_cursor()
        offset = rig.top(reading) - bar.value()
        # ... and rests while older messages are built above: the message under the
        # pointer is where it was once they are (an anchor that never held times out).
        qtbot.waitUntil(
            lambda r=reading, o=offset: (
                not view.building and rig.top(r) - bar.value() == o  # type: ignore[misc]
            ),
            timeout=10000,
        )
        now = len(view.messages)
        assert now >= built
        grew += now > built
        built = now
        # Always the newest messages, oldest first: a contiguous tail of the chat.
        assert rig.shown_ids() == rig.ids[-built:]
    else:
        pytest.fail(f"never reached the top: {view.pending_count} messages still pending")

    assert grew > 10  # built step by step on the way up, not all at once
    # Every message is there, in order, and each answer is rendered.
    assert rig.shown_ids() == rig.ids
    answers = [w for w in view.messages if isinstance(w, AssistantMessageWidget)]
    assert len(answers) == PAIRS
    for widget in answers:
        assert widget.answer_text == rig.answers[widget.message_id]
        shown = widget.answer.toPlainText()
        assert shown.startswith(widget.answer_text.split(":")[0] + ": bold and code")
    # Laid out one below the other, with no overlap.
    tops = [(rig.top(w), w.height()) for w in view.messages]
    for (top, height), (next_top, _h) in itertools.pairwise(tops):
        assert next_top >= top + height


def test_one_turn_builds_until_its_budget_is_spent_and_at_least_one(qtbot: QtBot, rig: Rig) -> None:
    rig.open()
    view = rig.view
    qtbot.waitUntil(lambda: not view.building, timeout=10000)
    before = view.pending_count
    assert view.build_older(50, budget_s=0.0) == 1
    assert view.pending_count == before - 1
    assert view.build_older(5) == 5


def test_older_messages_go_into_pages_and_a_notice_lands_above_its_message(
    qtbot: QtBot, rig: Rig
) -> None:
    rig.open()
    view = rig.view
    view.build_all()
    column = rig.column().layout()
    assert column is not None
    # Far fewer items in the column than messages: a new one moves a page, not the chat.
    assert column.count() < len(rig.ids) // LAZY_PAGE_SIZE + LAZY_TAIL + 4
    target = view.messages[5]
    notice = view.add_notice("The model's view begins here.", before=target.message_id)
    previous = view.messages[4]
    # Between the message before and its message, once laid out.
    qtbot.waitUntil(
        lambda: (
            notice.isVisible()
            and rig.top(previous) + previous.height() <= rig.top(notice)
            and rig.top(notice) + notice.height() <= rig.top(target)
        ),
        timeout=5000,
    )


def test_wrapped_label_forgets_its_heights_when_text_or_font_change(qtbot: QtBot) -> None:
    label = WrappedLabel("short")
    qtbot.addWidget(label)
    short = label.heightForWidth(120)
    label.setText("a much longer text that has to wrap over several lines at this width " * 3)
    tall = label.heightForWidth(120)
    assert tall > short
    font = QFont(label.font())
    font.setPointSize(font.pointSize() * 3)
    label.setFont(font)  # a FontChange event
    assert label.heightForWidth(120) > tall
    label.setText("short")
    assert label.heightForWidth(120) < tall
    label.changeEvent(QEvent(QEvent.Type.StyleChange))
    assert label.heightForWidth(120) > 0
