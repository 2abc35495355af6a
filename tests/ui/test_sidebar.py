"""The conversation sidebar against a real store: groups, pins, rename, delete/undo,
search (English and Chinese), export/import and refresh."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.store import ChatStore
from app.ui import sidebar as sidebar_module
from app.ui import sidebar_models
from app.ui.sidebar import (
    CONVERSATION_ID_ROLE,
    GROUP_OLDER,
    GROUP_PINNED,
    GROUP_TODAY,
    GROUP_WEEK,
    GROUP_YESTERDAY,
    HIT_ROLE,
    Sidebar,
    date_group,
)


@pytest.fixture
def store(isolated_app_dirs: AppPaths) -> Iterator[ChatStore]:
    store = ChatStore.open(isolated_app_dirs.database)
    yield store
    store.close()


def make_sidebar(qtbot: QtBot, store: ChatStore) -> Sidebar:
    sidebar = Sidebar(store)
    qtbot.addWidget(sidebar)
    sidebar.resize(280, 420)
    sidebar.show()
    qtbot.waitExposed(sidebar)
    return sidebar


def set_updated(store: ChatStore, conversation_id: str, when: datetime) -> None:
    store.connection.execute(
        "UPDATE conversations SET updated = ? WHERE id = ?", (when.timestamp(), conversation_id)
    )


def noon(days_ago: int) -> datetime:
    today = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def chat(store: ChatStore, title: str, question: str = "", answer: str = "") -> str:
    conversation = store.create_conversation(title)
    if question:
        q = store.add_message(conversation.id, None, "user", question)
        if answer:
            store.add_message(conversation.id, q.id, "assistant", answer)
    return conversation.id


def rows(sidebar: Sidebar) -> list[tuple[str, str]]:
    """(kind-or-id, display text) of every row, top to bottom."""
    model = sidebar.model
    result = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        key = index.data(CONVERSATION_ID_ROLE) or "header"
        result.append((key, index.data(Qt.ItemDataRole.DisplayRole)))
    return result


def click_row(qtbot: QtBot, view: QAbstractItemView, index: QModelIndex) -> None:
    view.scrollTo(index)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
    )


# --- groups and pins -------------------------------------------------------------------


def test_date_group_uses_local_calendar_days() -> None:
    now = datetime(2025, 3, 10, 0, 10).timestamp()
    assert date_group(datetime(2025, 3, 10, 0, 0).timestamp(), now) == GROUP_TODAY
    assert date_group(datetime(2025, 3, 9, 23, 50).timestamp(), now) == GROUP_YESTERDAY
    assert date_group(datetime(2025, 3, 9, 0, 0).timestamp(), now) == GROUP_YESTERDAY
    assert date_group(datetime(2025, 3, 8, 23, 59).timestamp(), now) == GROUP_WEEK
    assert date_group(datetime(2025, 3, 3, 0, 0).timestamp(), now) == GROUP_WEEK
    assert date_group(datetime(2025, 3, 2, 23, 59).timestamp(), now) == GROUP_OLDER
    assert date_group(now + 3600, now) == GROUP_TODAY  # a clock set back


def test_conversations_are_grouped_by_date(qtbot: QtBot, store: ChatStore) -> None:
    ids = {days: chat(store, f"chat {days}") for days in (0, 1, 3, 30)}
    for days, conversation_id in ids.items():
        set_updated(store, conversation_id, noon(days) if days else datetime.now())
    sidebar = make_sidebar(qtbot, store)
    model = sidebar.model
    assert model.groups() == [GROUP_TODAY, GROUP_YESTERDAY, GROUP_WEEK, GROUP_OLDER]
    assert rows(sidebar) == [
        ("header", "Today"),
        (ids[0], "chat 0"),
        ("header", "Yesterday"),
        (ids[1], "chat 1"),
        ("header", "Previous 7 days"),
        (ids[3], "chat 3"),
        ("header", "Older"),
        (ids[30], "chat 30"),
    ]
    header = model.index(0, 0)
    assert not header.flags() & Qt.ItemFlag.ItemIsSelectable
    assert model.index(1, 0).flags() & Qt.ItemFlag.ItemIsEditable


def test_pinned_chats_are_on_top_and_unpin_from_the_menu(qtbot: QtBot, store: ChatStore) -> None:
    old = chat(store, "old but important")
    new = chat(store, "fresh")
    set_updated(store, old, noon(40))
    sidebar = make_sidebar(qtbot, store)
    assert sidebar.model.groups() == [GROUP_TODAY, GROUP_OLDER]

    sidebar.set_pinned(old, True)
    assert sidebar.model.groups()[0] == GROUP_PINNED
    assert rows(sidebar)[:2] == [("header", "Pinned"), (old, "old but important")]
    assert sidebar.model.ids_in_group(GROUP_PINNED) == [old]
    assert store.get_conversation(old).pinned

    menu = sidebar._context_menu(sidebar.model.index_of(old))
    [unpin] = [a for a in menu.actions() if a.text() == "Unpin"]
    unpin.trigger()
    assert GROUP_PINNED not in sidebar.model.groups()
    assert not store.get_conversation(old).pinned
    assert new in sidebar.model.ids_in_group(GROUP_TODAY)


def test_clicking_and_enter_open_a_conversation(qtbot: QtBot, store: ChatStore) -> None:
    first = chat(store, "first")
    second = chat(store, "second")
    sidebar = make_sidebar(qtbot, store)
    with qtbot.waitSignal(sidebar.conversation_selected) as blocker:
        click_row(qtbot, sidebar.list_view, sidebar.model.index_of(first))
    assert blocker.args == [first]
    sidebar.list_view.setCurrentIndex(sidebar.model.index_of(second))
    with qtbot.waitSignal(sidebar.conversation_selected) as blocker:
        qtbot.keyClick(sidebar.list_view, Qt.Key.Key_Return)
    assert blocker.args == [second]
    with qtbot.waitSignal(sidebar.new_chat_requested):
        qtbot.mouseClick(sidebar.new_chat_button, Qt.MouseButton.LeftButton)


# --- rename, delete --------------------------------------------------------------------


def test_rename_inline_saves_the_title(qtbot: QtBot, store: ChatStore) -> None:
    conversation_id = chat(store, "old title", "hello")
    sidebar = make_sidebar(qtbot, store)
    index = sidebar.model.index_of(conversation_id)
    sidebar.list_view.setCurrentIndex(index)
    sidebar.list_view.setFocus()
    qtbot.keyClick(sidebar.list_view, Qt.Key.Key_F2)
    editor = sidebar.list_view.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit)
    assert editor.text() == "old title"
    editor.selectAll()
    # QTest can only type ASCII; Chinese arrives as committed text, as an IME sends it.
    editor.insert("新的名字")
    qtbot.keyClicks(editor, " renamed")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: store.get_conversation(conversation_id).title == "新的名字 renamed")
    assert sidebar.model.index_of(conversation_id).data() == "新的名字 renamed"


def test_rename_from_the_menu_and_empty_titles_are_refused(qtbot: QtBot, store: ChatStore) -> None:
    conversation_id = chat(store, "keep me")
    sidebar = make_sidebar(qtbot, store)
    menu = sidebar._context_menu(sidebar.model.index_of(conversation_id))
    [rename] = [a for a in menu.actions() if a.text() == "Rename"]
    rename.trigger()
    assert sidebar.list_view.state() == QAbstractItemView.State.EditingState
    index = sidebar.model.index_of(conversation_id)
    assert not sidebar.model.setData(index, "   ", Qt.ItemDataRole.EditRole)
    assert store.get_conversation(conversation_id).title == "keep me"


def test_a_refresh_during_an_inline_edit_waits_for_the_edit(qtbot: QtBot, store: ChatStore) -> None:
    conversation_id = chat(store, "editing")
    sidebar = make_sidebar(qtbot, store)
    sidebar.rename_conversation(conversation_id)
    editor = sidebar.list_view.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit)
    later = chat(store, "created meanwhile")
    sidebar.refresh()
    assert sidebar.model.index_of(later).isValid() is False  # editor kept
    editor.setText("edited")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sidebar.model.index_of(later).isValid())
    assert store.get_conversation(conversation_id).title == "edited"


def test_delete_shows_undo_and_undo_restores(qtbot: QtBot, store: ChatStore) -> None:
    keep = chat(store, "keep")
    doomed = chat(store, "doomed", "a question")
    sidebar = make_sidebar(qtbot, store)
    sidebar.select_conversation(doomed)
    sidebar.list_view.setFocus()
    with qtbot.waitSignal(sidebar.conversation_deleted) as blocker:
        qtbot.keyClick(sidebar.list_view, Qt.Key.Key_Delete)
    assert blocker.args == [doomed]
    assert not sidebar.model.index_of(doomed).isValid()
    assert [s.id for s in store.list_conversations()] == [keep]
    assert sidebar.undo_bar.isVisible()
    assert "doomed" in sidebar.undo_bar.label.text()
    assert sidebar.current_conversation_id == ""

    with qtbot.waitSignal(sidebar.conversation_restored):
        qtbot.mouseClick(sidebar.undo_bar.undo_button, Qt.MouseButton.LeftButton)
    assert not sidebar.undo_bar.isVisible()
    assert sidebar.model.index_of(doomed).isValid()
    assert store.count_messages(doomed) == 1
    assert {s.id for s in store.list_conversations()} == {keep, doomed}


def test_the_undo_bar_goes_away_by_itself(qtbot: QtBot, store: ChatStore) -> None:
    doomed = chat(store, "doomed")
    sidebar = make_sidebar(qtbot, store)
    sidebar.UNDO_TIMEOUT_MS = 30
    menu = sidebar._context_menu(sidebar.model.index_of(doomed))
    [delete] = [a for a in menu.actions() if a.text() == "Delete"]
    delete.trigger()
    assert sidebar.undo_bar.isVisible()
    qtbot.waitUntil(lambda: not sidebar.undo_bar.isVisible(), timeout=3000)
    assert store.list_conversations() == []


# --- search ----------------------------------------------------------------------------


@pytest.fixture
def searchable(store: ChatStore) -> dict[str, str]:
    ids = {}
    english = store.create_conversation("Sorting")
    q = store.add_message(english.id, None, "user", "How do I write QuickSort in Python?")
    a = store.add_message(english.id, q.id, "assistant", "Pick a pivot, then recurse: quicksort.")
    ids["english"], ids["english_answer"] = english.id, a.id
    chinese = store.create_conversation("数学题")
    q = store.add_message(chinese.id, None, "user", "鸡兔同笼，共35个头，94只脚，各有几只？")
    ids["chinese"], ids["chinese_question"] = chinese.id, q.id
    return ids


def type_search(qtbot: QtBot, sidebar: Sidebar, text: str) -> None:
    sidebar.search_box.clear()
    sidebar.search_box.setFocus()
    if text.isascii():
        qtbot.keyClicks(sidebar.search_box, text)
    else:
        # QTest can only type ASCII; an input method commits Chinese as whole text.
        sidebar.search_box.insert(text)
    qtbot.waitUntil(lambda: sidebar.searching and sidebar.results_label.text() != "")
    qtbot.waitUntil(lambda: not sidebar._search_timer.isActive())


def test_search_english_highlights_and_opens_the_message(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str]
) -> None:
    sidebar = make_sidebar(qtbot, store)
    type_search(qtbot, sidebar, "quicksort")
    model = sidebar.results_model
    assert model.rowCount() == 2  # the question and the answer
    hits = [model.index(r, 0).data(HIT_ROLE) for r in range(model.rowCount())]
    assert all(hit.conversation_id == searchable["english"] for hit in hits)
    assert [hit.marked() for hit in hits] == [
        "Pick a pivot, then recurse: «quicksort».",
        "How do I write «QuickSort» in Python?",
    ]
    html = model.snippet_html(hits[0])
    assert '<span style="background-color:#ffd54f; color:#000000;">quicksort</span>' in html
    assert sidebar.results_label.text() == "2 results"
    sidebar.results_view.grab()  # paints every row through the delegate

    with qtbot.waitSignal(sidebar.open_message) as blocker:
        click_row(qtbot, sidebar.results_view, model.index(0, 0))
    assert blocker.args == [searchable["english"], searchable["english_answer"]]
    assert sidebar.current_conversation_id == searchable["english"]


def test_search_chinese_with_the_index_and_the_short_fallback(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str]
) -> None:
    sidebar = make_sidebar(qtbot, store)
    type_search(qtbot, sidebar, "兔同笼")  # three characters: the trigram index
    [hit] = [sidebar.results_model.index(0, 0).data(HIT_ROLE)]
    assert sidebar.results_model.rowCount() == 1
    assert hit.marked().startswith("鸡«兔同笼»")
    assert ">兔同笼</span>" in sidebar.results_model.snippet_html(hit)

    type_search(qtbot, sidebar, "同笼")  # two characters: LIKE
    assert sidebar.results_model.rowCount() == 1
    assert sidebar.results_model.index(0, 0).data(HIT_ROLE).marked() == (
        "鸡兔«同笼»，共35个头，94只脚，各有几只？"
    )
    type_search(qtbot, sidebar, "数学")  # a title, two characters
    [title_hit] = [sidebar.results_model.index(0, 0).data(HIT_ROLE)]
    assert title_hit.message_id is None
    # Enter in the box opens the first result; a title hit has no message id.
    with qtbot.waitSignal(sidebar.open_message) as blocker:
        qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Return)
    assert blocker.args == [searchable["chinese"], ""]


def test_no_results_and_escape_returns_to_the_list(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str]
) -> None:
    sidebar = make_sidebar(qtbot, store)
    type_search(qtbot, sidebar, "zebra crossing")
    assert sidebar.results_model.rowCount() == 0
    assert sidebar.results_label.text() == "No chats match “zebra crossing”."
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)
    assert not sidebar.searching
    assert sidebar.search_box.text() == ""
    assert sidebar.pages.currentWidget() is sidebar.list_page


def test_focus_search_puts_the_cursor_in_the_box(qtbot: QtBot, store: ChatStore) -> None:
    sidebar = make_sidebar(qtbot, store)
    sidebar.activateWindow()
    sidebar.focus_search()
    qtbot.waitUntil(sidebar.search_box.hasFocus)
    assert sidebar.search_box.placeholderText() == "Search all chats (Ctrl+K)"


# --- export / import -------------------------------------------------------------------


def test_export_one_chat_writes_a_private_file(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str], tmp_path: Path
) -> None:
    sidebar = make_sidebar(qtbot, store)
    asked: list[str] = []

    def save_dialog(parent: QWidget, caption: str, start: str, filters: str) -> tuple[str, str]:
        asked.append(start)
        return str(tmp_path / "out" / "sorting"), "JSON, lossless (*.json)"

    sidebar.get_save_file_name = save_dialog
    menu = sidebar._context_menu(sidebar.model.index_of(searchable["english"]))
    [export_action] = [a for a in menu.actions() if a.text() == "Export…"]
    with qtbot.waitSignal(sidebar.status_message):
        export_action.trigger()
    written = tmp_path / "out" / "sorting.json"
    assert asked and asked[0].endswith("Sorting.md")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600 or os.name != "posix"
    data = json.loads(written.read_text(encoding="utf-8"))
    assert [c["title"] for c in data["conversations"]] == ["Sorting"]
    assert len(data["conversations"][0]["messages"]) == 2

    sidebar.get_save_file_name = lambda *_args: (str(tmp_path / "数学.md"), "")
    with qtbot.waitSignal(sidebar.status_message) as saved:
        path = sidebar.export_conversation(searchable["chinese"])
    assert path == tmp_path / "数学.md" and saved.args == [f"Saved to {path}"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 数学题") and "鸡兔同笼" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 or os.name != "posix"

    sidebar.get_save_file_name = lambda *_args: ("", "")  # cancelled
    assert sidebar.export_conversation(searchable["chinese"]) is None


def test_export_all_then_import_brings_chats_back(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str], tmp_path: Path
) -> None:
    sidebar = make_sidebar(qtbot, store)
    target = tmp_path / "all.json"
    sidebar.get_save_file_name = lambda *_args: (str(target), "")
    with qtbot.waitSignal(sidebar.status_message):
        sidebar.export_all_action.trigger()
    assert len(json.loads(target.read_text(encoding="utf-8"))["conversations"]) == 2

    for conversation_id in (searchable["english"], searchable["chinese"]):
        store.delete_conversation(conversation_id)
    store.purge_deleted()
    sidebar.refresh()
    assert sidebar.model.conversation_count() == 0
    assert sidebar.empty_label.isVisible()

    sidebar.get_open_file_name = lambda *_args: (str(target), "")
    with (
        qtbot.waitSignal(sidebar.status_message) as blocker,
        qtbot.waitSignal(sidebar.conversations_imported) as imported,
    ):
        assert sidebar.import_chats() is not None
    assert imported.args == [2]
    assert blocker.args == ["Imported 2 chats (3 messages)."]
    assert sidebar.model.conversation_count() == 2
    assert not sidebar.empty_label.isVisible()

    with qtbot.waitSignal(sidebar.status_message) as blocker:
        sidebar.import_chats()  # the same file again: nothing doubles
    assert blocker.args == [
        "Imported 0 chats (0 messages). Skipped 2 chats already in your history."
    ]
    assert sidebar.model.conversation_count() == 2


def test_importing_a_bad_file_reports_a_sentence(
    qtbot: QtBot, store: ChatStore, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("{not json", encoding="utf-8")
    sidebar = make_sidebar(qtbot, store)
    sidebar.get_open_file_name = lambda *_args: (str(bad), "")
    with qtbot.waitSignal(sidebar.error) as blocker:
        sidebar.import_chats()
    assert "notes.json" in blocker.args[0] and "not" in blocker.args[0]
    sidebar.get_open_file_name = lambda *_args: ("", "")  # cancelled
    assert sidebar.import_chats() is None


def test_export_and_import_run_off_the_gui_thread(
    qtbot: QtBot,
    store: ChatStore,
    searchable: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sidebar = make_sidebar(qtbot, store)
    threads: list[threading.Thread] = []
    real_export = sidebar_module.export.export_file

    def watched_export(*args: Any, **kwargs: Any) -> Path:
        threads.append(threading.current_thread())
        return real_export(*args, **kwargs)

    monkeypatch.setattr(sidebar_module.export, "export_file", watched_export)
    target = tmp_path / "all.json"
    sidebar.get_save_file_name = lambda *_args: (str(target), "")
    with qtbot.waitSignal(sidebar.status_message):
        sidebar.export_all()
    real_import = sidebar.ops.import_file

    def watched_import(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(sidebar.ops, "import_file", watched_import)
    sidebar.get_open_file_name = lambda *_args: (str(target), "")
    with qtbot.waitSignal(sidebar.status_message):
        sidebar.import_chats()
    assert len(threads) == 2
    assert all(thread is not threading.main_thread() for thread in threads)


# --- refresh ---------------------------------------------------------------------------


def top_visible_id(sidebar: Sidebar) -> str:
    conversation_id, _offset = sidebar._top_visible_conversation()
    return conversation_id


def test_refresh_keeps_the_selection_and_what_is_in_view(qtbot: QtBot, store: ChatStore) -> None:
    ids = [chat(store, f"chat {n:02d}") for n in range(60)]
    sidebar = make_sidebar(qtbot, store)
    selected = ids[20]
    sidebar.select_conversation(selected)
    bar = sidebar.list_view.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)
    before = top_visible_id(sidebar)
    assert before

    chat(store, "a new one on top")
    sidebar.refresh()
    assert sidebar.list_view.currentIndex().data(CONVERSATION_ID_ROLE) == selected
    assert sidebar.list_view.selectionModel().isSelected(sidebar.model.index_of(selected))
    assert top_visible_id(sidebar) == before
    assert sidebar.model.conversation_count() == 61

    bar.setValue(0)  # at the top, new chats show up in view
    newest = chat(store, "newest")
    sidebar.refresh()
    assert bar.value() == 0
    assert sidebar.list_view.indexAt(QPoint(4, 4)).row() == 0
    assert sidebar.model.index(1, 0).data(CONVERSATION_ID_ROLE) == newest


def test_select_conversation_loads_a_new_chat_without_emitting(
    qtbot: QtBot, store: ChatStore
) -> None:
    sidebar = make_sidebar(qtbot, store)
    created = chat(store, "created by the controller")
    with qtbot.assertNotEmitted(sidebar.conversation_selected):
        sidebar.select_conversation(created)
    assert sidebar.list_view.currentIndex().data(CONVERSATION_ID_ROLE) == created
    sidebar.select_conversation("")
    assert not sidebar.list_view.selectionModel().hasSelection()


def test_a_long_list_is_handed_to_the_view_in_batches(
    qtbot: QtBot, store: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sidebar_models, "LIST_BATCH", 10)
    ids = [chat(store, f"chat {n:02d}") for n in range(45)]  # newest last
    sidebar = make_sidebar(qtbot, store)
    model = sidebar.model
    assert model.conversation_count() == 45
    assert model.rowCount() < 46  # 45 chats + the "Today" header, not all revealed

    sidebar.select_conversation(ids[0])  # the oldest, at the very end
    assert model.rowCount() == 46
    assert sidebar.list_view.currentIndex().data(CONVERSATION_ID_ROLE) == ids[0]
    sidebar.refresh()
    assert model.rowCount() == 46  # a refresh keeps the selected row revealed
    assert sidebar.list_view.currentIndex().data(CONVERSATION_ID_ROLE) == ids[0]

    sidebar.select_conversation("")
    model.set_conversations(store.list_conversations())
    sidebar.list_view.doItemsLayout()
    revealed = model.rowCount()
    bar = sidebar.list_view.verticalScrollBar()
    bar.setValue(bar.maximum())  # scrolling to the end fetches more
    qtbot.waitUntil(lambda: model.rowCount() > revealed)


# --- accessibility ---------------------------------------------------------------------


def test_every_control_has_an_accessible_name(qtbot: QtBot, store: ChatStore) -> None:
    sidebar = make_sidebar(qtbot, store)
    controls = [
        *sidebar.findChildren(QAbstractButton),
        *sidebar.findChildren(QLineEdit),
        *sidebar.findChildren(QAbstractItemView),
    ]
    assert len(controls) >= 7
    unnamed = [c for c in controls if not c.accessibleName()]
    assert unnamed == []


def test_escape_in_search_does_not_trigger_the_windows_escape_shortcut(
    qtbot: QtBot, store: ChatStore, searchable: dict[str, str]
) -> None:
    sidebar = make_sidebar(qtbot, store)
    stops: list[bool] = []
    stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), sidebar)
    stop.activated.connect(lambda: stops.append(True))
    sidebar.activateWindow()
    sidebar.focus_search()
    qtbot.waitUntil(sidebar.search_box.hasFocus)
    type_search(qtbot, sidebar, "pivot")
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)
    assert not sidebar.searching and stops == []
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)  # nothing to clear: the window's
    assert stops == [True]
