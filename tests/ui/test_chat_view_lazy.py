"""A long chat is built lazily: the newest messages at once, older ones on scroll or need."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.session import LiveSnapshot
from app.core.store import ChatStore
from app.ui.chat_view import LAZY_TAIL, ChatView, UserMessageWidget
from app.ui.find_bar import FindBar
from app.ui.live_turn import ChatPresenter

PAIRS = 60  # 120 messages: far more than the lazily built tail


class Rig:
    def __init__(self, qtbot: QtBot, store: ChatStore) -> None:
        self.window = QWidget()
        qtbot.addWidget(self.window)
        self.view = ChatView(self.window)
        self.bar = FindBar(self.view, self.window)
        layout = QVBoxLayout(self.window)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)
        self.window.resize(700, 500)
        self.store = store
        self.presenter = ChatPresenter(self.view, lambda _stats, _created: "")
        conversation = store.create_conversation(title="long")
        self.conversation_id = conversation.id
        store.add_message(conversation.id, None, "system", "The chat starts here.")
        parent = store.active_path(conversation.id)[-1].id
        self.ids: list[str] = []
        for n in range(PAIRS):
            user = store.add_message(conversation.id, parent, "user", f"question {n}")
            answer = store.add_message(conversation.id, user.id, "assistant", f"answer {n}")
            self.ids += [user.id, answer.id]
            parent = answer.id

    def open(self, live: LiveSnapshot | None = None) -> None:
        self.presenter.rebuild(self.store, self.conversation_id, live)

    def shown_ids(self) -> list[str]:
        return [m.message_id for m in self.view.messages]

    def top(self, widget: QWidget) -> int:
        """The widget's top in the scrolled column (older messages sit in pages)."""
        return widget.mapTo(self.view.widget(), QPoint(0, 0)).y()


@pytest.fixture
def rig(qtbot: QtBot, isolated_app_dirs: AppPaths) -> Iterator[Rig]:
    store = ChatStore.open(isolated_app_dirs.database)
    rig = Rig(qtbot, store)
    rig.window.show()
    qtbot.waitExposed(rig.window)
    yield rig
    rig.view.clear()  # no lazy build may read the store after it is closed
    store.close()


def test_opening_builds_only_the_newest_messages(qtbot: QtBot, rig: Rig) -> None:
    rig.open()
    assert rig.shown_ids() == rig.ids[-LAZY_TAIL:]
    # The system notice and the older messages wait.
    assert rig.view.pending_count == 1 + 2 * PAIRS - LAZY_TAIL
    bar = rig.view.verticalScrollBar()
    # Then only enough for a screen of margin above the view, at the bottom.
    height = rig.view.viewport().height()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() > height, timeout=5000)
    built = len(rig.view.messages)
    assert rig.shown_ids() == rig.ids[-built:]
    assert rig.view.pending_count > 0


def test_scrolling_to_the_top_builds_older_messages_in_order_and_keeps_the_place(
    qtbot: QtBot, rig: Rig
) -> None:
    rig.open()
    bar = rig.view.verticalScrollBar()
    height = rig.view.viewport().height()
    # Settled: at the bottom, and the newest widget at the top is laid out (a new one sits
    # at y 0 until the layout has run).
    qtbot.waitUntil(
        lambda: bar.value() == bar.maximum() > height and rig.top(rig.view.messages[0]) > 0,
        timeout=5000,
    )
    before = len(rig.view.messages)
    reading = rig.view.messages[0]
    bar.setValue(0)  # the oldest built message is now at the top of the view
    offset = rig.top(reading)
    qtbot.waitUntil(lambda: len(rig.view.messages) > before, timeout=5000)
    built = len(rig.view.messages)
    assert rig.shown_ids() == rig.ids[-built:]
    # The message that was at the top stays where it was while the new ones appear above.
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=5000)
    qtbot.waitUntil(lambda: rig.top(reading) - bar.value() == offset, timeout=5000)


def test_build_all_restores_the_whole_chat_with_the_notice_first(qtbot: QtBot, rig: Rig) -> None:
    rig.open()
    rig.view.build_all()
    assert rig.shown_ids() == rig.ids
    assert rig.view.pending_count == 0
    notice = rig.view._notices[0]
    first = rig.view.messages[0]
    assert notice.text() == "The chat starts here."
    # Above the first message once laid out (older messages sit in pages of the column).
    qtbot.waitUntil(lambda: rig.top(notice) + notice.height() <= rig.top(first), timeout=5000)


def test_find_in_chat_searches_messages_not_built_yet(qtbot: QtBot, rig: Rig) -> None:
    rig.open()
    rig.bar.open_bar()
    qtbot.keyClicks(rig.bar.field, "question 0")
    first = rig.bar.matches[0].message
    assert isinstance(first, UserMessageWidget) and first.message_id == rig.ids[0]
    # question 0 and question 0x (none: 60 pairs run to 59) -> exactly one match.
    assert rig.bar.match_count == 1
    top = first.mapTo(rig.view.widget(), first.rect().topLeft()).y()
    bar = rig.view.verticalScrollBar()
    assert bar.value() <= top <= bar.value() + rig.view.viewport().height()


def test_jumping_to_an_old_message_builds_and_shows_it(qtbot: QtBot, rig: Rig) -> None:
    rig.open()
    target = rig.ids[3]
    assert rig.view.message(target) is None
    rig.view.scroll_to_message(target)
    widget = rig.view.message(target)
    assert widget is not None
    qtbot.waitUntil(lambda: widget.visibleRegion().isEmpty() is False, timeout=5000)


def test_a_short_chat_is_built_at_once(qtbot: QtBot, isolated_app_dirs: AppPaths) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    built: list[str] = []
    items = [(f"m{n}", lambda n=n: built.append(f"m{n}")) for n in range(LAZY_TAIL)]
    view.show_lazily(items)
    assert built == [f"m{n}" for n in range(LAZY_TAIL)]
    assert view.pending_count == 0
