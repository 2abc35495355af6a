"""The source viewer: the cited passage in its document, highlighted, with its page or
lines; notes for files deleted or changed since indexing; opening the file (at the page)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from app.core.knowledge.chunk import chunk_document
from app.core.knowledge.extract import extract_file
from app.ui.source_viewer import SourceViewer, page_url
from app.ui.sources_view import SourcesView
from tests.core.knowledge.files import pdf_bytes

WAIT_MS = 30_000
# Showing the viewer again brings it forward: a no-op the offscreen platform reports.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise", extend=True)


def _record(path: Path, index: int, n: int = 1) -> dict[str, Any]:
    chunk = chunk_document(extract_file(path))[index]
    return {
        "n": n,
        "path": str(path),
        "page": chunk.page,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "snippet": chunk.text[:600],
    }


@pytest.fixture
def opened() -> list[QUrl]:
    return []


@pytest.fixture
def viewer(qtbot: QtBot, opened: list[QUrl]) -> Iterator[SourceViewer]:
    widget = SourceViewer(opener=opened.append)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(
        "# Chimneys\n\nSweep them once a year.\n\n"
        + "Words about nothing in particular. " * 80
        + "\n\n# Tea\n\nGreen tea is steeped at eighty degrees\nfor two minutes.\n",
        encoding="utf-8",
    )
    return path


def _show(qtbot: QtBot, viewer: SourceViewer, source: dict[str, Any]) -> Any:
    with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS) as loaded:
        viewer.show_source(source)
    return loaded.args[0]


def test_a_text_source_is_shown_at_its_lines_with_the_passage_selected(
    qtbot: QtBot, viewer: SourceViewer, notes: Path, opened: list[QUrl]
) -> None:
    chunks = chunk_document(extract_file(notes))
    tea = next(i for i, chunk in enumerate(chunks) if "Green tea" in chunk.text)
    source = _record(notes, tea)
    passage = _show(qtbot, viewer, source)
    assert passage.status == "found"
    assert viewer.isVisible() and not viewer.isModal()
    first, last = source["line_start"], source["line_end"]
    assert viewer.header.text() == f"notes.md — lines {first}–{last}"
    assert viewer.highlighted_text() == (
        "# Tea\n\nGreen tea is steeped at eighty degrees\nfor two minutes."
    )
    assert viewer.text.toPlainText() == notes.read_text(encoding="utf-8")
    # Marked as well as selected, and scrolled so the passage shows.
    [mark] = viewer.text.extraSelections()
    assert mark.cursor.selectedText().startswith("# Tea")
    assert viewer.text.cursorRect().bottom() <= viewer.text.viewport().height()
    assert not viewer.note.isVisibleTo(viewer)
    assert not viewer.page_button.isVisibleTo(viewer)
    with qtbot.waitSignal(viewer.opened) as signal:
        viewer.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(notes))] and signal.args == [str(notes)]


def test_a_pdf_source_names_its_page_and_opens_at_it(
    qtbot: QtBot, viewer: SourceViewer, tmp_path: Path, opened: list[QUrl]
) -> None:
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(pdf_bytes(["Intro.", "Results: the sky is blue.", "End."]))
    _show(qtbot, viewer, _record(paper, 1))
    assert viewer.header.text() == "paper.pdf — page 2"
    assert viewer.highlighted_text() == "Results: the sky is blue."
    assert viewer.page_button.isVisibleTo(viewer) and viewer.page_button.isEnabled()
    assert viewer.page_button.text() == "Open at page 2"
    viewer.page_button.click()
    assert opened == [page_url(str(paper), 2)]
    assert opened[0].fragment() == "page=2" and opened[0].toLocalFile() == str(paper)


def test_a_vanished_file_shows_a_note_and_the_stored_snippet(
    qtbot: QtBot, viewer: SourceViewer, notes: Path, opened: list[QUrl]
) -> None:
    source = _record(notes, 0)
    notes.unlink()
    passage = _show(qtbot, viewer, source)
    assert passage.status == "missing"
    assert viewer.note.isVisibleTo(viewer)
    assert "no longer there" in viewer.note.text()
    assert viewer.text.toPlainText() == source["snippet"]
    assert viewer.highlighted_text() == source["snippet"]
    assert not viewer.open_button.isEnabled()
    viewer.open_file()  # even if asked directly, nothing is handed to the system
    assert opened == []


def test_a_changed_file_says_so_and_keeps_the_snippet(
    qtbot: QtBot, viewer: SourceViewer, notes: Path
) -> None:
    source = _record(notes, 0)
    notes.write_text("Entirely new content.\n", encoding="utf-8")
    passage = _show(qtbot, viewer, source)
    assert passage.status == "changed"
    assert "changed since it was indexed" in viewer.note.text()
    assert viewer.text.toPlainText() == source["snippet"]
    assert viewer.open_button.isEnabled()  # the file is there: the user may look at it


def test_names_and_passages_are_plain_text(
    qtbot: QtBot, viewer: SourceViewer, tmp_path: Path
) -> None:
    path = tmp_path / "<b>bold<b>.txt"
    path.write_text('<img src="x.png"> <b>not bold</b>\n', encoding="utf-8")
    _show(qtbot, viewer, _record(path, 0))
    assert viewer.header.text().startswith("<b>bold<b>.txt")
    assert viewer.highlighted_text() == '<img src="x.png"> <b>not bold</b>'
    from PySide6.QtCore import Qt

    for label in (viewer.header, viewer.path_label, viewer.note):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_the_sources_block_opens_the_viewer_and_only_the_last_request_shows(
    qtbot: QtBot, notes: Path, tmp_path: Path, opened: list[QUrl]
) -> None:
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(pdf_bytes(["Intro.", "Results: the sky is blue."]))
    view = SourcesView(opener=opened.append)
    qtbot.addWidget(view)
    view.set_sources([_record(notes, 0, n=1), _record(paper, 1, n=2)])
    viewer = view.viewer()
    with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS) as loaded:
        view.open_source(0)
        view.list.itemActivated.emit(view.list.item(1))
    # The first request's result came too late and was dropped.
    assert loaded.args[0].path == str(paper)
    assert viewer.header.text() == "paper.pdf — page 2"
    with qtbot.waitSignal(view.opened):
        viewer.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(paper))]
    assert not view.show_citation(view.sources, 7)  # no such source: nothing opens
    view.shutdown()


@pytest.mark.parametrize("name", ["install.sh", "setup.py", "run.bat", "notes.desktop"])
def test_a_cited_file_the_system_could_run_is_shown_in_its_folder_never_opened(
    qtbot: QtBot, viewer: SourceViewer, tmp_path: Path, opened: list[QUrl], name: str
) -> None:
    """A cited path can come from an imported chat: Hearth never asks the system to open a
    script or program, only its folder."""
    script = tmp_path / name
    script.write_text("echo sweep the chimney once a year\n", encoding="utf-8")
    source = {"n": 1, "path": str(script), "line_start": 1, "line_end": 1, "snippet": "echo"}
    _show(qtbot, viewer, source)
    assert viewer.open_button.text() == "Show in folder"
    with qtbot.waitSignal(viewer.opened):
        viewer.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path))]


def test_a_document_name_linking_to_a_script_is_not_opened(
    qtbot: QtBot, viewer: SourceViewer, tmp_path: Path, opened: list[QUrl]
) -> None:
    script = tmp_path / "payload.sh"
    script.write_text("echo hello\n", encoding="utf-8")
    disguised = tmp_path / "notes.txt"
    disguised.symlink_to(script)
    source = {"n": 1, "path": str(disguised), "line_start": 1, "line_end": 1, "snippet": "echo"}
    _show(qtbot, viewer, source)
    with qtbot.waitSignal(viewer.opened):
        viewer.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path))]
