"""The thin controller over ChatSession: the defects it fixes, with the real window and host."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.store import ChatStore
from app.ui.chat_view import UserMessageWidget
from tests.support.window import assistant_widgets as answers
from tests.support.window import load_tiny, make_window

SHORT = SamplingParams(max_tokens=24, temperature=0.0, seed=3)
ENDLESS = SamplingParams(max_tokens=100000, temperature=0.8, seed=3)


def test_regenerate_or_edit_without_a_model_says_so_and_saves_nothing(
    qtbot: QtBot, store: ChatStore
) -> None:
    conversation = store.create_conversation("Earlier chat")
    question = store.add_message(conversation.id, None, "user", "What is 6 x 7?")
    store.add_message(conversation.id, question.id, "assistant", "42")
    window = make_window(qtbot, store, SHORT)
    window.open_conversation(conversation.id)
    before = store.count_messages()
    [answer] = answers(window)
    for _click in range(3):
        qtbot.mouseClick(answer.regenerate_button, Qt.MouseButton.LeftButton)
    assert "Load a model first" in window.message_bar.label.text()
    [user] = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    window.controller.edit(user.message_id, "What is 7 x 6?")
    assert store.count_messages() == before
    assert [m.content for m in store.active_path(conversation.id)] == ["What is 6 x 7?", "42"]
    assert not window.controller.is_generating
    assert window.send_button.isVisible() and not window.stop_button.isVisible()
    window.close()


def test_a_failed_summary_leaves_the_generating_state(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(qtbot, store, SHORT)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=30000):
        window.controller.send("Remember the number 42")
    session = window.controller.session
    summarise = session.summarise
    # A summary request that cannot fit the context fails in the engine.
    monkeypatch.setattr(session, "summarise", lambda _prompt, **kw: summarise("word " * 6000, **kw))
    with qtbot.waitSignal(window.controller.summary_finished, timeout=30000) as done:
        assert window.controller.summarise_and_continue()
    assert done.args[0] == ""
    assert not window.controller.is_generating
    assert window.send_button.isVisible() and not window.stop_button.isVisible()
    assert "too long" in window.message_bar.label.text()
    assert len(store.list_conversations()) == 1
    # And the window still answers.
    with qtbot.waitSignal(window.controller.generation_finished, timeout=30000) as again:
        window.controller.send("Still there?")
    assert again.args[0] in ("finished", "length")
    window.close()


def test_the_answer_is_saved_while_it_streams_in_the_window(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    # A big context: the tiny model writes ~1,000 tokens a second, and the answer must
    # still be streaming after two one-per-second saves even on a slow, loaded machine.
    window = make_window(qtbot, store, ENDLESS, context_length=32768)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=30000):
        window.controller.send("Tell me a long story")
    [answer] = answers(window)

    def stored() -> str:
        message = store.get_message(answer.message_id)
        assert message.state == "streaming", "the turn ended before the saves were seen"
        return message.reasoning + message.content

    qtbot.waitUntil(lambda: len(stored()) > 0, timeout=30000)
    first = stored()
    # A second save, a second or so later, holds more: the row grows before the end.
    qtbot.waitUntil(lambda: len(stored()) > len(first), timeout=30000)
    assert stored().startswith(first)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        window.controller.stop()
    assert finished.args[0] == "stopped"
    assert store.get_message(answer.message_id).state == "stopped"
    window.close()


def test_a_burst_of_tokens_is_one_widget_update_and_nothing_is_shown_twice(
    qtbot: QtBot, store: ChatStore
) -> None:
    from app.core.session import TextAppended
    from app.ui.chat_view import ChatView
    from app.ui.live_turn import ChatPresenter, coalesced

    view = ChatView()
    qtbot.addWidget(view)
    widget = view.add_assistant_message("m1")
    presenter = ChatPresenter(view, lambda _stats, _created: "")
    calls: list[tuple[str, str]] = []
    original = widget.append

    def spy(reasoning: str, answer: str) -> None:
        calls.append((reasoning, answer))
        original(reasoning, answer)

    widget.append = spy  # type: ignore[method-assign]
    presenter.live = widget
    text = "Hello there, this is a streamed answer."
    events = [TextAppended(1, "m1", "", char, 0, 0, index + 1) for index, char in enumerate(text)]
    merged = coalesced(list(events))
    assert len(merged) == 1
    # A view rebuilt mid-stream already shows the first 10 characters: they are skipped.
    presenter._shown = (0, 10)
    assert presenter.show_text(merged[0])  # type: ignore[arg-type]
    assert calls == [("", text[10:])]
    assert not presenter.show_text(events[5])  # old text again: nothing to show
    assert calls == [("", text[10:])]
