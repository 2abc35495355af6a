"""Editing a question with files: the chips stay in the edit box, × drops only that one,
and the new branch carries the files kept (same name, size, hash, text)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.knowledge.context import Attachment, split_user_content, stored_attachments
from app.core.store import ChatStore
from app.ui.attachments import EditMessageDialog
from app.ui.chat_view import UserMessageWidget
from app.ui.main_window import MainWindow
from tests.support.window import load_tiny, make_window

SHORT = SamplingParams(max_tokens=8, temperature=0.0, seed=3)
LEASE = Attachment("lease.txt", "/tmp/lease.txt", 21, "ab" * 32, "text", "Rent: 4500 per month.")
PETS = Attachment("pets.md", "/tmp/pets.md", 18, "cd" * 32, "markdown", "# Pets\n\nCats only.")
WAIT_MS = 60_000


@pytest.fixture
def window(qtbot: QtBot, store: ChatStore) -> Iterator[MainWindow]:
    window = make_window(qtbot, store, SHORT)
    yield window
    window.close()


def test_the_dialog_shows_chips_and_removing_one_drops_only_it(qtbot: QtBot) -> None:
    dialog = EditMessageDialog("What is the rent?", [LEASE, PETS])
    qtbot.addWidget(dialog)
    assert dialog.text() == "What is the rent?"
    assert [chip.attachment.name for chip in dialog.bar.chips] == ["lease.txt", "pets.md"]
    assert not dialog.bar.attach_button.isVisibleTo(dialog)
    dialog.bar.chips[0].click()
    assert dialog.attachments() == [PETS]
    assert [chip.attachment.name for chip in dialog.bar.chips] == ["pets.md"]
    # An empty question cannot be sent.
    dialog.editor.setPlainText("  ")
    assert not dialog.send_button.isEnabled()
    dialog.editor.setPlainText("Dogs?")
    assert dialog.send_button.isEnabled()


def test_editing_a_question_keeps_its_files_and_can_drop_one(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    window.knowledge.bar.set_attachments([LEASE, PETS])
    with qtbot.waitSignal(window.controller.generation_finished, timeout=WAIT_MS):
        window.send_message("What is the rent?")
    [conversation] = store.list_conversations()
    original = store.active_path(conversation.id)[0]
    assert [name for name, _ in split_user_content(original.content)[0]] == [
        "lease.txt",
        "pets.md",
    ]

    window.edit_message(original.id)
    dialog = window.edit_dialog
    assert isinstance(dialog, EditMessageDialog)
    # The question alone is edited; the files are chips, not text in the box.
    assert dialog.text() == "What is the rent?"
    assert "[file name]" not in dialog.text()
    assert [chip.attachment.name for chip in dialog.bar.chips] == ["lease.txt", "pets.md"]
    assert dialog.bar.isVisibleTo(dialog)
    # × on the first chip drops it and only it.
    dialog.bar.chips[0].click()
    assert [a.name for a in dialog.attachments()] == ["pets.md"]
    dialog.editor.setPlainText("Are dogs allowed?")
    with qtbot.waitSignal(window.controller.generation_finished, timeout=WAIT_MS):
        dialog.send_button.click()

    edited = store.active_path(conversation.id)[0]
    assert edited.id != original.id and edited.parent_id == original.parent_id
    files, question = split_user_content(edited.content)
    assert files == [("pets.md", "# Pets\n\nCats only.")] and question == "Are dogs allowed?"
    [kept] = stored_attachments(edited.content, edited.provenance)
    [before] = [a for a in stored_attachments(original.content, original.provenance)][1:]
    assert kept == before  # same name, size, hash, kind and text
    # The view shows the edited question with its one file as a chip.
    users = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
    assert users[-1].text == "Are dogs allowed?" and users[-1].file_names == ["pets.md"]


def test_editing_without_touching_the_chips_keeps_every_file(
    qtbot: QtBot, window: MainWindow, store: ChatStore, tiny_model_f32: Path
) -> None:
    load_tiny(qtbot, window, tiny_model_f32)
    window.knowledge.bar.set_attachments([LEASE])
    with qtbot.waitSignal(window.controller.generation_finished, timeout=WAIT_MS):
        window.send_message("What is the rent?")
    [conversation] = store.list_conversations()
    original = store.active_path(conversation.id)[0]
    window.edit_message(original.id)
    window.edit_dialog.editor.setPlainText("What is the yearly rent?")
    with qtbot.waitSignal(window.controller.generation_finished, timeout=WAIT_MS):
        window.edit_dialog.send_button.click()
    edited = store.active_path(conversation.id)[0]
    assert edited.provenance["attachments"] == original.provenance["attachments"]
    assert split_user_content(edited.content) == (
        [("lease.txt", "Rent: 4500 per month.")],
        "What is the yearly rent?",
    )
