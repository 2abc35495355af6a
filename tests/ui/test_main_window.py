"""The window end to end with the real worker, store and a tiny model: type, Enter, stream, stop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.store import ChatStore
from app.ui.chat_view import UserMessageWidget
from app.ui.main_window import MainWindow
from tests.support.window import assistant_widgets, load_tiny, make_window

SHORT = SamplingParams(max_tokens=24, temperature=0.0, seed=3)
ENDLESS = SamplingParams(max_tokens=100000, temperature=0.8, seed=3)


@pytest.fixture
def window(qtbot: QtBot, store: ChatStore) -> Iterator[MainWindow]:
    window = make_window(qtbot, store, SHORT)
    yield window
    window.close()


def send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.input.setFocus()
    qtbot.keyClicks(window.input, text)
    qtbot.keyClick(window.input, Qt.Key.Key_Return)


def test_without_a_model_the_window_says_so_and_offers_to_open_one(window: MainWindow) -> None:
    assert window.banner.isVisible()
    assert "No model" in window.banner.label.text()
    assert window.banner.open_button.isVisible()
    send_attempt = window.controller.send("hello")
    assert not send_attempt
    assert window.message_bar.isVisible()
    assert "No model" in window.message_bar.label.text()


def test_a_bad_model_file_shows_a_message_and_the_app_keeps_running(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    bogus = tmp_path / "random.gguf"
    bogus.write_bytes(b"not a model at all" * 100)
    with qtbot.waitSignal(window.client.model_load_failed, timeout=60000):
        window.load_model(str(bogus))
    assert window.banner.isVisible()
    assert "GGUF" in window.banner.label.text() or "model" in window.banner.label.text()
    assert window.client.model_info is None


def test_type_enter_and_the_answer_streams_in(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    assert not window.banner.isVisible()
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        send(qtbot, window, "Hello there")
    reason, stats = finished.args
    assert reason in ("length", "finished")
    assert window.input.toPlainText() == ""
    users = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    assert [u.text for u in users] == ["Hello there"]
    [answer] = assistant_widgets(window)
    assert answer.answer_text or answer.reasoning_text
    assert "tok/s" in window.speed_label.text()
    assert stats.generated_tokens > 0
    # Both messages are on disk, the answer complete with its provenance.
    [conversation] = store.list_conversations()
    path = store.active_path(conversation.id)
    assert [m.role for m in path] == ["user", "assistant"]
    assert path[1].state == reason
    assert path[1].provenance["model"]["file"] == tiny_model_f32.name
    assert conversation.title == "Hello there"


def test_stop_button_stops_at_once_and_keeps_the_text(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, ENDLESS)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Tell me a long story")
    assert window.stop_button.isVisible()
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0] == "stopped"
    assert window.send_button.isVisible()
    [answer] = assistant_widgets(window)
    assert answer.continue_button.isVisibleTo(answer)
    saved = store.get_message(answer.message_id)
    assert saved.state == "stopped"
    assert saved.content + saved.reasoning
    window.close()


def test_escape_stops_generation(qtbot: QtBot, store: ChatStore, tiny_model_f32: Path) -> None:
    window = make_window(qtbot, store, ENDLESS)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Go on forever")
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        qtbot.keyClick(window.input, Qt.Key.Key_Escape)
    assert finished.args[0] == "stopped"
    window.close()


def test_closing_mid_generation_returns_promptly_and_saves_the_answer(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, ENDLESS)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Keep talking")
    qtbot.waitUntil(
        lambda: bool(
            assistant_widgets(window)[0].reasoning_text or assistant_widgets(window)[0].answer_text
        ),
        timeout=60000,
    )
    message_id = assistant_widgets(window)[0].message_id
    started = time.monotonic()
    window.close()
    # A hang ceiling only (the machine may be loaded): that the turn was cut short rather
    # than waited for shows in the saved state below ("interrupted", not "length").
    assert time.monotonic() - started < 30.0
    saved = store.get_message(message_id)
    assert saved.state == "interrupted"
    assert saved.content or saved.reasoning


def test_regenerate_keeps_the_old_answer_as_an_alternative(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    window.settings = replace(window.settings, sampling=replace(SHORT, temperature=0.9, seed=None))
    window.controller.apply_settings(window.settings)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        send(qtbot, window, "Pick a number")
    [first] = assistant_widgets(window)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        qtbot.mouseClick(first.regenerate_button, Qt.MouseButton.LeftButton)
    [second] = assistant_widgets(window)
    assert second.message_id != first.message_id
    assert second.branch_label.text() == "2/2"
    with qtbot.waitSignal(window.chat_view.branch_requested):
        qtbot.mouseClick(second.prev_branch, Qt.MouseButton.LeftButton)
    [shown] = assistant_widgets(window)
    assert shown.message_id == first.message_id
    assert shown.branch_label.text() == "1/2"


def test_edit_and_resend_branches_the_conversation(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        send(qtbot, window, "First wording")
    [user] = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        window.controller.edit(user.message_id, "Second wording")
    [edited] = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    assert edited.text == "Second wording"
    assert edited.branch_label.text() == "2/2"
    conversation = window.controller.conversation_id
    roles = [(m.role, m.content) for m in store.messages(conversation) if m.role == "user"]
    assert ("user", "First wording") in roles and ("user", "Second wording") in roles


def test_switching_chats_mid_generation_keeps_saving_into_the_right_chat(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, ENDLESS)  # runs until the context is full
    finished: list[str] = []
    window.controller.generation_finished.connect(lambda reason, _stats: finished.append(reason))
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Streaming chat")
    streaming_conversation = window.controller.conversation_id
    answer_id = store.active_path(streaming_conversation)[-1].id
    window.new_chat()
    assert window.controller.is_generating, "the switch must happen mid-generation"

    def saved_text() -> str:
        message = store.get_message(answer_id)
        return message.reasoning + message.content

    # The streaming saves keep landing in the chat that is no longer on screen.
    qtbot.waitUntil(lambda: bool(saved_text()), timeout=60000)
    window.controller.stop()  # running to a full context takes long on a busy machine
    qtbot.waitUntil(lambda: bool(finished), timeout=60000)
    # Nothing leaked into the chat on screen; the answer landed in its own chat.
    assert window.chat_view.messages == ()
    assert window.controller.conversation_id == ""
    final = store.get_message(answer_id)
    assert final.conversation_id == streaming_conversation
    assert final.state == finished[0] and final.state in ("stopped", "length")
    assert final.content + final.reasoning
    assert [c.id for c in store.list_conversations()] == [streaming_conversation]
    # Going back shows the finished answer.
    window.controller.open_conversation(streaming_conversation)
    [shown] = assistant_widgets(window)
    assert shown.message_id == answer_id
    window.close()


def test_summarise_and_continue_opens_a_new_chat_seeded_with_a_summary(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        send(qtbot, window, "Remember the number 42")
    old = window.controller.conversation_id
    with qtbot.waitSignal(window.controller.summary_finished, timeout=60000) as done:
        assert window.controller.summarise_and_continue()
    new = done.args[0]
    assert new and new != old
    assert window.controller.conversation_id == new
    [root] = store.active_path(new)
    assert root.role == "system"
    assert root.content.startswith("Summary of the earlier chat")
    assert len(root.content) > len("Summary of the earlier chat “Remember the number 42”:")
    # The old chat is untouched.
    assert [m.role for m in store.active_path(old)] == ["user", "assistant"]


def test_continue_resumes_a_stopped_answer_in_the_same_message(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, ENDLESS)
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Start, then stop")
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        window.controller.stop()
    # The continuation is short, so the test ends by itself.
    window.apply_settings(replace(window.settings, sampling=replace(ENDLESS, max_tokens=40)))
    [answer] = assistant_widgets(window)
    stopped = store.get_message(answer.message_id)
    before = stopped.reasoning + stopped.content
    assert stopped.state == "stopped" and before
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        qtbot.mouseClick(answer.continue_button, Qt.MouseButton.LeftButton)
    assert finished.args[0] in ("length", "finished")
    [continued] = assistant_widgets(window)
    assert continued.message_id == answer.message_id
    resumed = store.get_message(answer.message_id)
    assert resumed.state == finished.args[0]
    assert (resumed.reasoning + resumed.content).startswith(before)
    assert len(resumed.reasoning + resumed.content) > len(before)
    window.close()


def test_delete_removes_a_message_and_its_answers(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    for text in ("first question", "second question"):
        with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
            send(qtbot, window, text)
    users = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    qtbot.mouseClick(users[1].delete_button, Qt.MouseButton.LeftButton)
    remaining = [
        m.content for m in store.active_path(window.controller.conversation_id) if m.role == "user"
    ]
    assert remaining == ["first question"]
    assert len(window.chat_view.messages) == 2


def test_a_prompt_longer_than_the_context_is_explained_and_nothing_hangs(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, SHORT)
    load_tiny(qtbot, window, tiny_model_f32)  # n_ctx 2048 (see make_window)
    huge = "word " * 6000
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as finished:
        assert window.controller.send(huge)
    assert finished.args[0] == "failed"
    assert window.message_bar.isVisible()
    assert "too long" in window.message_bar.label.text()
    [answer] = assistant_widgets(window)
    assert store.get_message(answer.message_id).state == "failed"
    # The app keeps working: a normal question still gets an answer.
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000) as again:
        send(qtbot, window, "A short question")
    assert again.args[0] in ("length", "finished")
    window.close()


def test_answer_now_ends_the_thinking_and_the_answer_follows(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, ENDLESS)  # runs until the context is full
    load_tiny(qtbot, window, tiny_model_f32)
    with qtbot.waitSignal(window.controller.text_arrived, timeout=60000):
        send(qtbot, window, "Think hard")
    [answer] = assistant_widgets(window)
    if not window.controller.is_generating:
        pytest.fail("the turn ended before Answer now could be pressed")
    assert window.answer_now_button.isVisible()
    with qtbot.waitSignal(window.controller.reasoning_closed, timeout=60000) as closed:
        qtbot.mouseClick(window.answer_now_button, Qt.MouseButton.LeftButton)
    assert closed.args[0] == "answer_now"
    # The answer follows the thinking; then stop (running to a full context takes long).
    qtbot.waitUntil(lambda: bool(answer.answer_text), timeout=60000)
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        window.controller.stop()
    assert "answer requested" in answer.reasoning.header.text()
    saved = store.get_message(answer.message_id)
    assert saved.reasoning and saved.content  # thinking kept, and an answer after it
    assert not window.answer_now_button.isVisible()
    window.close()


def test_the_message_box_has_focus_when_the_window_opens(qtbot: QtBot, store: ChatStore) -> None:
    window = make_window(qtbot, store, SHORT)
    qtbot.waitUntil(lambda: window.input.hasFocus(), timeout=10000)
    window.show_model_manager()  # no panel attached here: stays on the chat
    window.new_chat()
    assert window.input.hasFocus()
    window.close()


def test_trimmed_history_is_marked_where_the_model_s_view_begins(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, SHORT)  # n_ctx 2048: three long questions do not fit
    load_tiny(qtbot, window, tiny_model_f32)
    for n in range(3):
        with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
            window.controller.send(f"question {n}: " + "word " * 230)
    notices = window.chat_view._notices
    assert len(notices) == 1
    assert "earlier message" in notices[0].text()
    users = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    column = window.chat_view._column
    # Above the first message the model still saw, below the one it no longer sees.
    assert column.indexOf(users[0]) < column.indexOf(notices[0]) < column.indexOf(users[2])
    window.close()
