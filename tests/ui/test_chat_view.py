"""The conversation view under hostile model output: huge answers, markup in names and notes."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from app.ui import message_widgets as message_widgets_module
from app.ui import render
from app.ui.chat_view import AssistantMessageWidget, ChatView
from app.ui.plain import PlainLabel, plain_tooltip

HOSTILE = '<img src="file:///etc/passwd"><b>x</b><a href="http://e">link</a>'
CEILING_S = 20.0  # hang protection only; the report gives measured figures


@pytest.fixture(autouse=True)
def _full_math_allowance() -> None:
    # Formula layout time is shared across renders (a bucket that refills over seconds);
    # each test starts with a full one, whatever the previous test spent.
    from app.ui.render.math_layout import _ALLOWANCE

    _ALLOWANCE.refill()


@pytest.fixture(autouse=True)
def _math_imported_on_this_thread() -> None:
    # ChatView warms the renderer up on a thread; importing ziamath here first keeps its
    # import-time DeprecationWarning inside _ziamath's filter instead of that thread's race.
    render._ziamath()


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    widget = ChatView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def test_user_text_notes_and_notices_show_markup_literally(view: ChatView) -> None:
    user = view.add_user_message("u1", HOSTILE)
    answer = view.add_assistant_message("a1")
    answer.set_note(HOSTILE)
    answer.meta.setText(HOSTILE)
    answer.meta.setToolTip(HOSTILE)
    notice = view.add_notice(HOSTILE)
    for label in (user.body, answer.note, answer.meta, notice, answer.branch_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert user.body.text() == HOSTILE and notice.text() == HOSTILE
    # The tooltip is escaped inside a rich-text wrapper: what Qt shows is the literal text.
    assert _as_qt_shows_it(answer.meta.toolTip()) == HOSTILE


def test_plain_tooltip_leaves_ordinary_text_alone() -> None:
    assert plain_tooltip("model.gguf (Q4_K_M)\ntemperature 0.6") == (
        "model.gguf (Q4_K_M)\ntemperature 0.6"
    )
    for text in ("a\n<b>b</b>", "<b>b</b>\nline two", "x < y"):
        assert _as_qt_shows_it(plain_tooltip(text)) == text


def _as_qt_shows_it(tooltip: str) -> str:
    # QToolTip renders text that Qt.mightBeRichText accepts as HTML, the rest as plain text.
    if not QtGui.mightBeRichText(tooltip):
        return tooltip
    document = QTextDocument()
    document.setHtml(tooltip)
    return str(document.toPlainText())


def test_plain_label_takes_text_or_parent(qtbot: QtBot) -> None:
    label = PlainLabel(HOSTILE)
    qtbot.addWidget(label)
    assert label.text() == HOSTILE and label.textFormat() == Qt.TextFormat.PlainText


def test_html_model_name_and_error_show_literally_in_the_window_banners(qtbot: QtBot) -> None:
    from app.ui.banners import MessageBar, ModelBanner

    banner = ModelBanner()
    bar = MessageBar()
    qtbot.addWidget(banner)
    qtbot.addWidget(bar)
    banner.show_loading(HOSTILE)
    bar.show_message(HOSTILE)
    assert banner.label.textFormat() == Qt.TextFormat.PlainText
    assert HOSTILE in banner.label.text()
    assert bar.label.textFormat() == Qt.TextFormat.PlainText
    assert bar.label.text() == HOSTILE


def _document_text(widget: AssistantMessageWidget) -> str:
    return str(widget.answer.document().toPlainText())


def test_a_one_megabyte_answer_loads_in_steps_without_holding_the_window(
    view: ChatView, qtbot: QtBot
) -> None:
    text = ("lorem ipsum dolor $x$ sit **amet** " * 30_000)[:1_000_000] + " THE END"
    text = "```python\nprint('first')\n```\n\n" + text
    widget = view.add_assistant_message("big")
    started = time.monotonic()
    with qtbot.waitSignal(widget.render_done, timeout=int(CEILING_S * 6 * 1000)):
        widget.set_content(answer=text, reasoning="", state="finished")
        first_step = time.monotonic() - started
        assert first_step < 3.0  # one slice, then back to the event loop
    shown = _document_text(widget)
    assert shown.rstrip().endswith("THE END")
    assert "print('first')" in shown
    assert widget.copyable_code_blocks() == [("python", "print('first')")]


def test_a_one_megabyte_single_line_answer_streams_in_linear_time(view: ChatView) -> None:
    text = ("lorem ipsum dolor sit amet " * 40_000)[:1_000_000]
    widget = view.add_assistant_message("stream")
    widget.begin_streaming()
    slowest = 0.0
    started = time.monotonic()
    for offset in range(0, len(text), 4_000):
        step = time.monotonic()
        widget.append("", text[offset : offset + 4_000])
        slowest = max(slowest, time.monotonic() - step)
    finish = time.monotonic()
    widget.finish("finished", "")
    finish_s = time.monotonic() - finish
    assert time.monotonic() - started < CEILING_S * 3
    # Before the fix each delta re-laid out one giant paragraph: ~80 ms at 1 MB and
    # growing; now a delta costs the same at any length.
    assert slowest < 1.0
    assert finish_s < 3.0
    assert _document_text(widget).replace("\n", "").replace(" ", "") == text.replace(" ", "")


def test_a_short_streamed_answer_ends_without_a_blank_tail(view: ChatView) -> None:
    widget = view.add_assistant_message("short")
    widget.begin_streaming()
    for piece in ("Hello **world**.", "\n\nSecond", " paragraph.\n\n"):
        widget.append("", piece)
    widget.finish("finished", "")
    streamed = widget.answer.document().blockCount()
    widget.set_content(answer=widget.answer_text, reasoning="", state="finished")
    assert streamed == widget.answer.document().blockCount()
    assert _document_text(widget).split() == ["Hello", "world.", "Second", "paragraph."]


def test_a_latex_bomb_answer_renders_and_the_chat_stays_usable(view: ChatView) -> None:
    bomb = "$" + "\\sqrt{" * 400 + "数学" + "}" * 400 + "$"
    widget = view.add_assistant_message("bomb")
    started = time.monotonic()
    widget.set_content(answer=f"Look: {bomb} done.", reasoning="", state="finished")
    assert time.monotonic() - started < CEILING_S
    assert "done." in _document_text(widget)
    after = view.add_assistant_message("after")
    after.set_content(answer="Still **fine**.", reasoning="", state="finished")
    assert _document_text(after).strip() == "Still fine."


def test_theme_change_during_a_stepwise_load_restarts_it(
    view: ChatView, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_widgets_module, "FULL_RENDER_MAX_CHARS", 1_000)
    monkeypatch.setattr(message_widgets_module, "RENDER_STEP_CHARS", 500)
    text = "word " * 2_000
    widget = view.add_assistant_message("restart")
    widget.set_content(answer=text, reasoning="", state="finished")
    with qtbot.waitSignal(widget.render_done, timeout=int(CEILING_S * 1000)):
        widget.set_theme(view._theme)
    assert _document_text(widget).split() == text.split()


def test_streamed_text_that_outruns_the_renderer_is_rendered_over_later_turns(
    qtbot: QtBot, view: ChatView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delta bigger than one event-loop turn's budget is not rendered in one go: the rest
    continues on later turns, in order, and finish renders whatever is still waiting."""
    monkeypatch.setattr(message_widgets_module, "STREAM_RENDER_BUDGET_S", 0.0)
    slice_chars = message_widgets_module.STREAM_SLICE_CHARS
    words = " ".join(f"w{i}" for i in range(3 * slice_chars // 4))  # about 4 slices
    widget = view.add_assistant_message("fast")
    widget.begin_streaming()
    widget.append("", words)
    # With no time budget, one slice per turn: the rest waits for the event loop.
    assert widget._unrendered_at == slice_chars
    assert len(_document_text(widget)) < len(words)
    qtbot.waitUntil(lambda: _document_text(widget).split() == words.split(), timeout=10_000)
    # Text still waiting when the turn ends is rendered by finish.
    second = view.add_assistant_message("fast-then-end")
    second.begin_streaming()
    second.append("", words)
    second.finish("finished", "")
    assert not second.streaming
    assert _document_text(second).split() == words.split()
