"""The window end to end with the tiny model: attach a file, use a collection, send; the
question is stored in R1's file format, shows its file chip, and the Sources block lists
the passages the answer was given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.core.knowledge.collections import index_collection
from app.core.store import ChatStore
from app.ui.chat_view import AssistantMessageWidget, UserMessageWidget
from tests.ui.test_main_window import SHORT, load_tiny, make_window, send

CORPUS = Path(__file__).resolve().parents[1] / "support" / "corpus" / "notes"
WAIT_MS = 60_000


def _with_notes_collection(qtbot: QtBot, window: Any, model: Path) -> Any:
    """The tiny model loaded, and the fixture notes indexed and chosen for this chat."""
    load_tiny(qtbot, window, model)
    knowledge = window.knowledge
    index = knowledge.index()
    index.add_root("notes", CORPUS)
    index_collection(index, "notes")
    window.library_action.trigger()
    assert knowledge.panel is not None
    knowledge.panel.collections.item(0).setCheckState(Qt.CheckState.Checked)
    return knowledge


def test_attach_and_ask_a_collection_from_the_window(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    window = make_window(qtbot, store, SHORT)
    try:
        knowledge = _with_notes_collection(qtbot, window, tiny_model_f32)
        with qtbot.waitSignal(knowledge.bar.changed, timeout=WAIT_MS):
            knowledge.bar.add_paths([CORPUS / "bicycle.txt"])
        with qtbot.waitSignal(window.controller.answer_stored, timeout=WAIT_MS) as stored:
            send(qtbot, window, "How often should the chimney be swept?")
        assert knowledge.bar.attachments == []
        [conversation] = store.list_conversations()
        question, answer = store.active_path(conversation.id)
        assert question.content.startswith("[file name]: bicycle.txt\n[file content begin]\n")
        assert "[file name]: [1] " in question.content
        assert question.content.endswith("How often should the chimney be swept?")
        assert question.provenance["attachments"][0]["name"] == "bicycle.txt"
        assert store.conversation_settings(conversation.id)["collections"] == ["notes"]
        sources = answer.provenance["sources"]
        assert "certified sweep" in sources[0]["snippet"]
        assert stored.args[0].id == answer.id
        assert knowledge.sources.isVisibleTo(window)
        assert knowledge.sources.toggle.text().startswith(f"Sources ({len(sources)})")
        [user] = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
        assert user.text == "How often should the chimney be swept?"
        assert user.file_names == ["bicycle.txt"]  # the sources are not shown as attachments
        # The answer streamed knowing its sources, so its [n] markers were links throughout.
        [reply] = [w for w in window.chat_view.messages if isinstance(w, AssistantMessageWidget)]
        assert reply.sources == sources
        # Reopening the chat rebuilds the question from the store the same way.
        window.controller.open_conversation(conversation.id)
        [user] = [w for w in window.chat_view.messages if isinstance(w, UserMessageWidget)]
        assert user.text == "How often should the chimney be swept?"
    finally:
        window.close()


def test_the_library_search_runs_off_the_gui_thread(
    qtbot: QtBot, store: ChatStore, tiny_model_f32: Path
) -> None:
    """The first meaning search loads the embedding model (up to seconds): the window
    stays responsive meanwhile, refuses a second send, and then sends with the sources."""
    import threading

    window = make_window(qtbot, store, SHORT)
    try:
        knowledge = _with_notes_collection(qtbot, window, tiny_model_f32)
        release = threading.Event()
        loader_threads: list[threading.Thread] = []

        def slow_load() -> None:  # full-text only, after the "model load"
            loader_threads.append(threading.current_thread())
            release.wait(30)

        knowledge._load_embedder = slow_load  # type: ignore[method-assign,assignment]
        window.send_message("How often should the chimney be swept?")
        # send_message returned while the search waits: the GUI thread is free.
        qtbot.waitUntil(lambda: bool(loader_threads), timeout=WAIT_MS)
        assert loader_threads[0] is not threading.main_thread()
        assert knowledge.is_retrieving
        assert store.list_conversations() == []
        window.send_message("A second question too soon")
        assert "Still searching" in window.message_bar.label.text()
        with qtbot.waitSignal(window.controller.answer_stored, timeout=WAIT_MS):
            release.set()
        [conversation] = store.list_conversations()
        question, answer = store.active_path(conversation.id)
        assert question.content.endswith("How often should the chimney be swept?")
        assert "certified sweep" in answer.provenance["sources"][0]["snippet"]
    finally:
        release.set()
        window.close()
