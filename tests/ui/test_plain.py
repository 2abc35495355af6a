"""User and model data show as literal text in labels, tooltips and message boxes."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.store import ConversationSummary
from app.ui.plain import PlainLabel, plain_message_box, plain_tooltip

HOSTILE = '<img src="file:///etc/passwd"><b>x</b>'


def as_qt_shows_it(tooltip: str) -> str:
    """What a tooltip shows: Qt renders text it takes for rich text as HTML."""
    if not QtGui.mightBeRichText(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    return str(document.toPlainText())


def test_plain_label_shows_markup_and_its_tooltip_literally(qtbot: QtBot) -> None:
    label = PlainLabel(HOSTILE)
    qtbot.addWidget(label)
    label.setToolTip(HOSTILE)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == HOSTILE
    assert as_qt_shows_it(label.toolTip()) == HOSTILE


def test_plain_message_box_shows_markup_literally(qtbot: QtBot) -> None:
    box = plain_message_box(None, QMessageBox.Icon.Critical, "Hearth", HOSTILE)
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.TextFormat.PlainText and box.text() == HOSTILE


def test_a_chat_title_with_markup_shows_literally_in_the_sidebar(qtbot: QtBot) -> None:
    from app.ui.sidebar_models import ConversationListModel, UndoBar

    model = ConversationListModel()
    now = time.time()
    model.set_conversations([ConversationSummary("c1", HOSTILE, now, now, False, 2)], now)
    index = next(
        model.index(row, 0)
        for row in range(model.rowCount())
        if model.data(model.index(row, 0), Qt.ItemDataRole.DisplayRole) == HOSTILE
    )
    tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert as_qt_shows_it(tooltip).startswith(HOSTILE)
    bar = UndoBar()
    qtbot.addWidget(bar)
    assert bar.label.textFormat() == Qt.TextFormat.PlainText


def test_ordinary_tooltips_are_unchanged() -> None:
    assert plain_tooltip("Stop generating (Esc)") == "Stop generating (Esc)"
    assert as_qt_shows_it(plain_tooltip("a < b and c > d")) == "a < b and c > d"
