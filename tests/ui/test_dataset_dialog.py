"""Export → Dataset…: choices become the export's selection and filters; it runs off the
GUI thread with progress and writes the data file and its card."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.dataset import read_records
from app.core.store import ChatStore
from app.ui.dataset_dialog import DatasetDialog


def add_chat(store: ChatStore, question: str, answer: str, *, good: bool = False) -> str:
    conversation = store.create_conversation(question)
    q = store.add_message(conversation.id, None, "user", question)
    a = store.add_message(conversation.id, q.id, "assistant", answer, "some reasoning")
    if good:
        store.set_rating(a.id, "good")
    return conversation.id


def test_export_writes_the_chosen_chats(qtbot: QtBot, store: ChatStore, tmp_path: Path) -> None:
    add_chat(store, "about apples", "red", good=True)
    current = add_chat(store, "about pears", "green")
    dialog = DatasetDialog(store, current_chat_id=current)
    qtbot.addWidget(dialog)
    dialog.start_export()
    assert "Choose a folder" in dialog.status.text()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.good_only.setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("sharegpt"))
    with qtbot.waitSignal(dialog.exported, timeout=10000) as done:
        dialog.export_button.click()
    summary = done.args[0]
    [record] = list(read_records(summary.path))
    assert record["conversations"][0]["value"] == "about apples"
    assert "1 records" in dialog.status.text()
    assert (tmp_path / "out" / "README.md").is_file()

    dialog.good_only.setChecked(False)
    dialog.this_chat.setChecked(True)
    dialog.format.setCurrentIndex(dialog.format.findData("openai"))
    with qtbot.waitSignal(dialog.exported, timeout=10000) as done:
        dialog.export_button.click()
    [record] = list(read_records(done.args[0].path))
    assert record["messages"][0]["content"] == "about pears"


def test_search_and_dates_become_the_filters(qtbot: QtBot, store: ChatStore) -> None:
    dialog = DatasetDialog(store)
    qtbot.addWidget(dialog)
    assert not dialog.this_chat.isEnabled()
    qtbot.keyClicks(dialog.search, "apples")
    assert dialog.searched.isChecked()
    assert dialog.selection().search == "apples"
    dialog.use_since.setChecked(True)
    dialog.use_until.setChecked(True)
    filters = dialog.filters()
    assert filters.since is not None and filters.until is not None
    assert filters.until > filters.since
    assert filters.finished_only and not filters.good_only
