"""The input box: Enter sends, Shift+Enter adds a newline, IME composition is not sent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from pytestqt.qtbot import QtBot

from app.ui.chat_input import ChatInput


def make_input(qtbot: QtBot) -> tuple[ChatInput, list[str]]:
    box = ChatInput()
    qtbot.addWidget(box)
    sent: list[str] = []
    box.submitted.connect(sent.append)
    return box, sent


def test_enter_sends_the_text(qtbot: QtBot) -> None:
    box, sent = make_input(qtbot)
    # QTest can only type Latin-1 keys; CJK text arrives via the input method instead.
    qtbot.keyClicks(box, "hello ")
    box.insertPlainText("世界")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == ["hello 世界"]


def test_shift_enter_adds_a_newline_without_sending(qtbot: QtBot) -> None:
    box, sent = make_input(qtbot)
    qtbot.keyClicks(box, "line one")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "line two")
    assert sent == []
    assert box.toPlainText() == "line one\nline two"
    qtbot.keyClick(box, Qt.Key.Key_Enter)
    assert sent == ["line one\nline two"]


def test_blank_input_is_not_sent(qtbot: QtBot) -> None:
    box, sent = make_input(qtbot)
    qtbot.keyClicks(box, "   ")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == []


def test_enter_during_ime_composition_is_not_sent(qtbot: QtBot) -> None:
    box, sent = make_input(qtbot)
    composing = QInputMethodEvent("nihao", [])
    box.inputMethodEvent(composing)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == []
    # The IME commits the candidate; now Enter sends the committed text.
    commit = QInputMethodEvent("", [])
    commit.setCommitString("你好")
    box.inputMethodEvent(commit)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert sent == ["你好"]


def test_grows_with_text_up_to_a_limit(qtbot: QtBot) -> None:
    box, _sent = make_input(qtbot)
    one_line = box.height()
    box.setPlainText("\n".join(["x"] * 3))
    three_lines = box.height()
    box.setPlainText("\n".join(["x"] * 50))
    many_lines = box.height()
    assert one_line < three_lines < many_lines
    box.setPlainText("\n".join(["x"] * 80))
    assert box.height() == many_lines
