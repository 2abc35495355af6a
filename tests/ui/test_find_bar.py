"""Find in chat: counts across user messages, reasoning and answers; highlights; keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.ui.chat_view import AssistantMessageWidget, ChatView, UserMessageWidget
from app.ui.find_bar import ANSWER, REASONING, USER, FindBar


class Harness:
    def __init__(self, qtbot: QtBot) -> None:
        self.window = QWidget()
        qtbot.addWidget(self.window)
        self.view = ChatView(self.window)
        self.bar = FindBar(self.view, self.window)
        layout = QVBoxLayout(self.window)
        layout.addWidget(self.bar)
        layout.addWidget(self.view, 1)
        self.window.resize(700, 400)

    def user(self, message_id: str, text: str) -> UserMessageWidget:
        return self.view.add_user_message(message_id, text)

    def answer(self, message_id: str, answer: str, reasoning: str = "") -> AssistantMessageWidget:
        widget = self.view.add_assistant_message(message_id)
        widget.set_content(answer=answer, reasoning=reasoning, state="complete")
        return widget


@pytest.fixture
def harness(qtbot: QtBot) -> Iterator[Harness]:
    harness = Harness(qtbot)
    harness.user("u1", "Tell me about the cat.\nCAT facts, please!")
    harness.answer(
        "a1",
        "A **cat** is a small mammal.\n\n- cats purr\n- dogs bark",
        reasoning="The user asks about a cat; keep it short.",
    )
    harness.user("u2", "And dogs?")
    harness.answer("a2", "Dogs are loyal. 狗很忠诚，猫很独立。")
    for n in range(12):  # enough to scroll
        harness.user(f"filler{n}", f"filler question {n}\n" * 3)
    harness.answer("last", "The last cat of the chat.")
    harness.window.show()
    qtbot.waitExposed(harness.window)
    yield harness


def parts(bar: FindBar) -> list[tuple[str, str]]:
    return [(m.message.message_id, m.part) for m in bar.matches]


def test_finds_text_across_messages_and_counts(qtbot: QtBot, harness: Harness) -> None:
    bar = harness.bar
    assert not bar.isVisible()
    bar.open_bar()
    assert bar.isVisible()
    qtbot.keyClicks(bar.field, "cat")
    assert parts(bar) == [
        ("u1", USER),  # "cat." and "CAT": case does not matter
        ("u1", USER),
        ("a1", REASONING),
        ("a1", ANSWER),  # the rendered "cat" (no ** markers) ...
        ("a1", ANSWER),  # ... and "cats"
        ("last", ANSWER),
    ]
    assert bar.match_count == 6
    assert bar.count_label.text() == "1 of 6"
    assert bar.current_index == 0


def test_next_previous_wrap_and_the_label_follows(qtbot: QtBot, harness: Harness) -> None:
    bar = harness.bar
    bar.open_bar()
    bar.set_query("dogs")
    assert parts(bar) == [("a1", ANSWER), ("u2", USER), ("a2", ANSWER)]
    assert bar.count_label.text() == "1 of 3"
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count_label.text() == "2 of 3"
    qtbot.mouseClick(bar.next_button, Qt.MouseButton.LeftButton)
    assert bar.current_index == 2
    bar.find_next()
    assert bar.current_index == 0  # wraps
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count_label.text() == "3 of 3"
    qtbot.mouseClick(bar.previous_button, Qt.MouseButton.LeftButton)
    assert bar.count_label.text() == "2 of 3"


def test_matches_are_highlighted_and_cleared_on_close(qtbot: QtBot, harness: Harness) -> None:
    bar = harness.bar
    first = harness.view.message("a1")
    user = harness.view.message("u1")
    assert isinstance(first, AssistantMessageWidget) and isinstance(user, UserMessageWidget)
    bar.open_bar()
    bar.set_query("cat")
    # Answer matches are extra selections over exactly the matched text.
    selections = first.answer.extraSelections()
    assert len(selections) == 2
    assert [s.cursor.selectedText().lower() for s in selections] == ["cat", "cat"]
    assert len(first.reasoning.body.extraSelections()) == 1
    # The user's label shows its matches through temporary rich text.
    assert user.body.textFormat() == Qt.TextFormat.RichText
    assert "background-color" in user.body.text() and ">CAT</span>" in user.body.text()

    with qtbot.waitSignal(bar.closed):
        qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()
    assert first.answer.extraSelections() == []
    assert first.reasoning.body.extraSelections() == []
    assert user.body.textFormat() == Qt.TextFormat.PlainText
    assert user.body.text() == "Tell me about the cat.\nCAT facts, please!"
    assert bar.match_count == 0


def test_a_match_in_collapsed_reasoning_expands_it_until_close(
    qtbot: QtBot, harness: Harness
) -> None:
    bar = harness.bar
    first = harness.view.message("a1")
    assert isinstance(first, AssistantMessageWidget)
    assert not first.reasoning.body.isVisibleTo(first)  # finished answers fold it
    bar.open_bar()
    bar.set_query("keep it short")
    assert parts(bar) == [("a1", REASONING)]
    assert first.reasoning.body.isVisibleTo(first)
    bar.close_bar()
    assert not first.reasoning.body.isVisibleTo(first)


def test_going_to_a_match_scrolls_it_into_view(qtbot: QtBot, harness: Harness) -> None:
    view = harness.view
    bar = harness.bar
    bar_value = view.verticalScrollBar()
    bar_value.setValue(0)
    bar.open_bar()
    bar.set_query("last cat")
    assert bar.match_count == 1
    last = view.message("last")
    assert last is not None
    qtbot.waitUntil(lambda: bar_value.value() > 0)
    top = last.mapTo(view.widget(), last.rect().topLeft()).y()
    visible_from = bar_value.value()
    assert visible_from <= top + last.height() and top <= visible_from + view.viewport().height()


def test_chinese_and_no_matches(qtbot: QtBot, harness: Harness) -> None:
    bar = harness.bar
    bar.open_bar()
    bar.set_query("很忠诚")
    assert parts(bar) == [("a2", ANSWER)]
    assert bar.count_label.text() == "1 of 1"
    assert not bar.next_button.isEnabled()
    bar.set_query("zebra")
    assert bar.match_count == 0
    assert bar.count_label.text() == "No matches"
    bar.set_query("")
    assert bar.count_label.text() == ""


def test_new_messages_are_found_on_the_next_step(qtbot: QtBot, harness: Harness) -> None:
    bar = harness.bar
    bar.open_bar()
    bar.set_query("dogs")
    assert bar.match_count == 3
    harness.user("u9", "More dogs please")
    bar.find_next()
    assert bar.match_count == 4
    assert bar.count_label.text() == "2 of 4"
    harness.view.clear()  # widgets are deleted; the bar must not touch them any more
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    bar.refresh()
    assert bar.match_count == 0
    bar.close_bar()


def test_every_control_has_an_accessible_name(harness: Harness) -> None:
    bar = harness.bar
    controls = [*bar.findChildren(QAbstractButton), *bar.findChildren(QLineEdit)]
    assert len(controls) >= 4
    assert [c for c in controls if not c.accessibleName()] == []
    assert bar.accessibleName()


def test_escape_closes_the_bar_not_the_windows_escape_shortcut(
    qtbot: QtBot, harness: Harness
) -> None:
    stops: list[bool] = []
    stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), harness.window)
    stop.activated.connect(lambda: stops.append(True))
    harness.window.activateWindow()
    harness.bar.open_bar()
    qtbot.waitUntil(harness.bar.field.hasFocus)
    with qtbot.waitSignal(harness.bar.closed):
        qtbot.keyClick(harness.bar.field, Qt.Key.Key_Escape)
    assert stops == []
    qtbot.keyClick(harness.view, Qt.Key.Key_Escape)  # closed: Esc is the window's again
    assert stops == [True]
