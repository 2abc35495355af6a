"""Ask ×4 in the window (the tally above the answers, ‹k/4› branches) and the thumbs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.store import ChatStore
from app.ui.chat_view import AssistantMessageWidget
from app.ui.main_window import MainWindow
from app.ui.vote_view import VoteView
from tests.support.window import assistant_widgets as answers
from tests.support.window import make_window as make_window_with

SHORT = SamplingParams(max_tokens=16, temperature=0.8, seed=3)


def make_window(qtbot: QtBot, store: ChatStore) -> MainWindow:
    return make_window_with(qtbot, store, SHORT)


def test_the_tally_reads_like_a_sentence(qtbot: QtBot) -> None:
    view = VoteView()
    qtbot.addWidget(view)
    view.show_result(
        {
            "samples": 4,
            "winner": "42",
            "winner_votes": 2,
            "no_answer": 1,
            "groups": [{"answer": "42", "votes": 2}, {"answer": "7", "votes": 1}],
        }
    )
    assert view.headline.text() == "2 of 4 say 42"
    assert "1 say 7" in view.details.text() and "No answer: 1" in view.details.text()
    view.show_result({"samples": 3, "winner": None, "winner_votes": 0, "no_answer": 3})
    assert view.headline.text() == "None of 3 samples gave an answer"
    view.start(2)
    view.sample_text(0, 10)
    view.sample_ended(1, "length")
    assert "Sample 1: 10 characters" in view.details.text()
    assert "out of budget" in view.details.text()


def test_ask_times_four_shows_four_branches_and_the_tally(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store)
    with qtbot.waitSignal(window.client.model_loaded, timeout=30000):
        window.load_model(str(tiny_model_f32))
    window.input.setPlainText("What is 2+2?")
    with qtbot.waitSignal(window.controller.generation_finished, timeout=60000):
        window.ask_votes_action.trigger()
    assert window.input.toPlainText() == ""
    assert not window.controller.is_generating
    [answer] = answers(window)
    assert answer.branch_label.text().endswith("/4")
    siblings = store.siblings(answer.message_id)
    assert siblings.count == 4
    # Every sample shows the tally of its vote above its text, whichever branch is shown.
    assert answer.findChildren(VoteView)
    qtbot.mouseClick(
        answer.next_branch if siblings.index < 3 else answer.prev_branch, Qt.MouseButton.LeftButton
    )
    [other] = answers(window)
    assert other.message_id != answer.message_id
    assert other.findChildren(VoteView)
    window.close()


def test_thumbs_and_note_are_stored_and_shown_again(qtbot: QtBot, store: ChatStore) -> None:
    conversation = store.create_conversation("rated")
    question = store.add_message(conversation.id, None, "user", "6 x 7?")
    answer_id = store.add_message(conversation.id, question.id, "assistant", "42").id
    window = make_window(qtbot, store)
    window.open_conversation(conversation.id)

    def shown() -> AssistantMessageWidget:
        # A store change may rebuild the view: always look at the widget shown now.
        [answer] = answers(window)
        return answer

    assert shown().note_button.isHidden()
    qtbot.mouseClick(shown().good_button, Qt.MouseButton.LeftButton)
    rating = store.rating(answer_id)
    assert rating is not None and rating.value == "good"
    assert shown().good_button.isChecked() and not shown().note_button.isHidden()
    window.controller.votes.ask_note = lambda current: "checked by hand"
    qtbot.mouseClick(shown().note_button, Qt.MouseButton.LeftButton)
    assert store.rating(answer_id).note == "checked by hand"  # type: ignore[union-attr]
    qtbot.mouseClick(shown().bad_button, Qt.MouseButton.LeftButton)
    assert store.rating(answer_id).value == "bad"  # type: ignore[union-attr]
    # Reopened: the rating is shown again; a click on the lit thumb clears it.
    window.open_conversation(conversation.id)
    assert shown().bad_button.isChecked() and shown().rating_note == "checked by hand"
    assert not shown().good_button.isChecked()
    qtbot.mouseClick(shown().bad_button, Qt.MouseButton.LeftButton)
    assert store.rating(answer_id) is None
    assert not shown().bad_button.isChecked()
    window.close()
