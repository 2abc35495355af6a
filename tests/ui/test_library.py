"""The Library panel, the attachment bar (button, drop, paste) and the Sources block."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.qtbot import QtBot

from app.core.knowledge.index import KnowledgeIndex
from app.ui.attachments import AttachmentBar, install_drop_and_paste
from app.ui.library_panel import LibraryPanel
from app.ui.sources_view import SourcesView, location_text

CORPUS = Path(__file__).resolve().parents[1] / "support" / "corpus" / "notes"
WAIT_MS = 30_000


@pytest.fixture
def index(tmp_path: Path) -> Iterator[KnowledgeIndex]:
    idx = KnowledgeIndex(tmp_path / "knowledge.sqlite3")
    yield idx
    idx.close()


@pytest.fixture
def panel(qtbot: QtBot, index: KnowledgeIndex) -> Iterator[LibraryPanel]:
    widget = LibraryPanel(index)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_add_a_folder_indexes_it_and_lists_bad_files(
    qtbot: QtBot, panel: LibraryPanel, tmp_path: Path
) -> None:
    notes = tmp_path / "notes"
    shutil.copytree(CORPUS, notes)
    (notes / "blob.txt").write_bytes(bytes(range(256)) * 8)
    panel.create_collection("Notes")
    with qtbot.waitSignal(panel.indexed, timeout=WAIT_MS) as done:
        panel.add_paths([notes])
    name, report = done.args
    assert name == "Notes" and report.indexed == 8 and len(report.bad) == 1
    assert "8 files, 1 not indexed" in panel.collections.item(0).text()
    assert panel.bad_files.topLevelItemCount() == 1
    row = panel.bad_files.topLevelItem(0)
    assert row.text(0) == "blob.txt" and "binary" in row.text(1)
    assert "8 indexed" in panel.status.text()
    assert not panel.progress.isVisible() and panel.index_button.isEnabled()


def test_checking_collections_is_the_chats_choice(qtbot: QtBot, panel: LibraryPanel) -> None:
    panel.create_collection("A")
    panel.create_collection("B")
    with qtbot.waitSignal(panel.selection_changed) as changed:
        panel.collections.item(1).setCheckState(Qt.CheckState.Checked)
    assert changed.args == [["B"]]
    with qtbot.assertNotEmitted(panel.selection_changed):
        panel.set_checked(["A"])
    assert panel.checked_collections() == ["A"]


def test_cancel_stops_and_indexing_again_continues(
    qtbot: QtBot, panel: LibraryPanel, index: KnowledgeIndex, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"note{i:03}.md").write_text(f"# Note {i}\n\nText number {i}.\n")
    index.add_root("Many", folder)
    panel.refresh()
    with qtbot.waitSignal(panel.indexed, timeout=WAIT_MS) as done:
        assert panel.start_indexing("Many")
        panel.cancel_indexing()
    report = done.args[1]
    assert report.cancelled or report.indexed == 300
    assert "Stopped" in panel.status.text() or report.indexed == 300
    with qtbot.waitSignal(panel.indexed, timeout=WAIT_MS) as again:
        panel.start_indexing("Many")
    assert again.args[1].indexed + again.args[1].unchanged == 300
    assert index.check_consistency() == []


def test_attach_a_file_and_a_bad_one(qtbot: QtBot, tmp_path: Path) -> None:
    bar = AttachmentBar()
    qtbot.addWidget(bar)
    bad = tmp_path / "blob.txt"
    bad.write_bytes(bytes(range(256)) * 8)
    with qtbot.waitSignal(bar.changed, timeout=WAIT_MS):
        bar.add_paths([CORPUS / "合同摘要.md"])
    with qtbot.waitSignal(bar.failed, timeout=WAIT_MS) as failed:
        bar.add_paths([bad])
    assert "binary" in failed.args[0]
    assert [a.name for a in bar.attachments] == ["合同摘要.md"]
    assert bar.chips[0].text().startswith("合同摘要.md")
    assert "四千五百元" in bar.attachments[0].text
    taken = bar.take()
    assert len(taken) == 1 and bar.attachments == [] and bar.chips == []
    bar.runner.shutdown()


def test_a_chip_click_removes_it(qtbot: QtBot) -> None:
    bar = AttachmentBar()
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.changed, timeout=WAIT_MS):
        bar.add_paths([CORPUS / "bicycle.txt"])
    with qtbot.waitSignal(bar.changed):
        bar.chips[0].click()
    assert bar.attachments == []
    bar.runner.shutdown()


def test_drop_and_paste_files_onto_the_input(qtbot: QtBot) -> None:
    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    bar = AttachmentBar()
    qtbot.addWidget(bar)
    install_drop_and_paste(editor, bar)
    editor.show()
    qtbot.waitExposed(editor)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(CORPUS / "bicycle.txt"))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(5, 5), *args)
    assert QApplication.sendEvent(editor.viewport(), enter) and enter.isAccepted()
    with qtbot.waitSignal(bar.changed, timeout=WAIT_MS):
        QApplication.sendEvent(editor.viewport(), QDropEvent(QPointF(5, 5), *args))
    assert [a.name for a in bar.attachments] == ["bicycle.txt"]
    pasted = QMimeData()
    pasted.setUrls([QUrl.fromLocalFile(str(CORPUS / "茶.txt"))])
    QApplication.clipboard().setMimeData(pasted)
    editor.setFocus()
    with qtbot.waitSignal(bar.changed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [a.name for a in bar.attachments] == ["bicycle.txt", "茶.txt"]
    assert editor.toPlainText() == ""  # the file was attached, not pasted as text
    bar.runner.shutdown()
    # The clipboard owns our QMimeData; left there, Qt deletes it in an exit handler after
    # Python has finalised, and the process segfaults on the way out.
    QApplication.clipboard().clear()


def test_sources_block_lists_and_opens(qtbot: QtBot) -> None:
    opened: list[QUrl] = []
    view = SourcesView(opener=opened.append)
    qtbot.addWidget(view)
    view.set_sources(
        [
            {"n": 1, "path": "/notes/a.md", "line_start": 3, "line_end": 9, "snippet": "Sweep."},
            {"n": 2, "path": "/notes/b.pdf", "page": 4, "snippet": "Page text."},
        ]
    )
    assert view.toggle.text() == "Sources (2)"
    assert not view.list.isVisibleTo(view)
    view.toggle.setChecked(True)
    assert view.list.isVisibleTo(view)
    assert view.list.item(0).text().startswith("[1] a.md · lines 3–9")
    assert view.list.item(1).text().startswith("[2] b.pdf · p. 4")
    # An entry opens the source viewer (tests/ui/test_source_viewer.py), not the system.
    shown: list[int] = []
    view.source_shown.connect(shown.append)
    with qtbot.waitSignal(view.viewer().loaded, timeout=WAIT_MS):
        view.list.itemActivated.emit(view.list.item(1))
    assert shown == [1] and opened == []
    # /notes/b.pdf does not exist: the viewer shows the stored snippet.
    assert view.viewer().header.text() == "b.pdf — page 4"
    assert view.viewer().text.toPlainText() == "Page text."
    view.shutdown()
    view.set_sources([])
    assert not view.isVisibleTo(view.parentWidget() or view) or view.sources == []


def test_location_text() -> None:
    assert location_text({"page": 2}) == "p. 2"
    assert location_text({"line_start": 4, "line_end": 4}) == "line 4"
    assert location_text({}) == ""


class FakeController(QObject):
    answer_stored = Signal(object)
    conversation_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.conversation_id = ""


def test_chat_knowledge_keeps_each_chats_collections_and_shows_sources(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from dataclasses import dataclass

    from PySide6.QtWidgets import QMainWindow

    from app.core.store import ChatStore
    from app.ui.library_panel import ChatKnowledge

    window = QMainWindow()
    qtbot.addWidget(window)
    store = ChatStore.open(tmp_path / "chats.sqlite3")
    controller = FakeController()
    knowledge = ChatKnowledge(window, store=store, controller=controller, data_dir=tmp_path)
    index = knowledge.index()
    index.add_root("notes", CORPUS)
    from app.core.knowledge.collections import index_collection

    index_collection(index, "notes")
    panel = knowledge.show_library()
    assert knowledge.dock is not None and knowledge.dock.isVisibleTo(window)
    # Chosen before the chat exists: kept for the chat its first message creates.
    panel.collections.item(0).setCheckState(Qt.CheckState.Checked)
    assert knowledge.chosen_collections() == ["notes"]
    chat = store.create_conversation()
    controller.conversation_id = chat.id
    controller.conversation_changed.emit(chat.id)
    assert store.conversation_settings(chat.id)["collections"] == ["notes"]
    attachments, sources = knowledge.prepare("租金是多少？")
    assert attachments == [] and sources and "四千五百元" in sources[0].text

    @dataclass
    class Message:
        provenance: dict[str, object]

    knowledge.show_answer_sources(
        Message(
            {
                "sources": [{"n": 1, "path": sources[0].path, "line_start": 5, "snippet": "x"}],
                "source_tokens": 120,
            }
        )
    )
    assert knowledge.sources.toggle.text() == "Sources (1) · ~120 tokens of context"
    # Another chat has its own (empty) choice.
    other = store.create_conversation()
    controller.conversation_id = other.id
    controller.conversation_changed.emit(other.id)
    assert knowledge.chosen_collections() == [] and panel.checked_collections() == []
    assert knowledge.sources.sources == []
    knowledge.shutdown()
    store.close()


def test_the_model_manager_does_not_offer_embedding_models_as_chat_models(tmp_path: Path) -> None:
    from app.core.catalog import load_catalog
    from app.ui.model_rows import build_rows

    catalog = load_catalog()
    assert any(e.role == "embedding" for e in catalog.models)
    rows = build_rows(catalog, [], tmp_path, 4096)
    # Embedding entries are rows of the embedding section only (role "embedding"); the
    # chat rows hold none (tests/ui/test_embedding_models.py drives the panel).
    chat = [row for row in rows if row.role == "chat"]
    assert chat and all("embeddings" not in str(row) for row in chat)
    embedding = {row.key for row in rows if row.role == "embedding"}
    assert embedding == {e.id for e in catalog.embedding_models}


def test_a_new_embedding_choice_is_loaded_on_next_use_and_the_old_one_closed_at_quit(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMainWindow

    from app.ui.library_panel import ChatKnowledge

    class FakeEmbedder:
        def __init__(self, name: str) -> None:
            self.name = name
            self.closed = False

        def close(self) -> None:
            self.closed = True

    class FakeController(QObject):
        answer_stored = Signal(object)
        conversation_changed = Signal(object)

    window = QMainWindow()
    qtbot.addWidget(window)
    knowledge = ChatKnowledge(window, store=None, controller=FakeController(), data_dir=tmp_path)
    loads: list[str] = []
    choice = {"name": "bge.gguf"}

    def load() -> FakeEmbedder:
        loads.append(choice["name"])
        return FakeEmbedder(choice["name"])

    # Stand in for the real loader, keeping ChatKnowledge's caching and swapping.
    knowledge._load_embedder = load  # type: ignore[method-assign]
    knowledge.set_embedding_model("bge.gguf")
    first = knowledge.embedder()
    assert knowledge.embedder() is first  # cached
    choice["name"] = "e5.gguf"
    knowledge.set_embedding_model("bge.gguf")  # unchanged: kept
    assert knowledge.embedder() is first
    knowledge.set_embedding_model("e5.gguf")
    second = knowledge.embedder()
    assert second is not first and loads == ["bge.gguf", "e5.gguf"]
    assert not first.closed  # an indexing task may still hold it
    knowledge.shutdown()
    assert first.closed and second.closed
