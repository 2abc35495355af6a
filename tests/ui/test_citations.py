"""An answer's [n] markers: links to its sources, only where n is one, and a click on one
opens the Sources block and the source viewer at that passage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt, QUrl
from PySide6.QtGui import QHelpEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from app.core.knowledge.chunk import chunk_document
from app.core.knowledge.extract import extract_file
from app.core.store import ChatOps, ChatStore
from app.ui import render
from app.ui.chat_view import AssistantMessageWidget, ChatView
from app.ui.plain import plain_tooltip
from app.ui.sources_view import citation_tooltips
from tests.core.knowledge.files import pdf_bytes
from tests.support.window import assistant_widgets, make_window
from tests.ui.test_main_window import SHORT

LIGHT = render.light_theme()
WAIT_MS = 30_000
# A tooltip, or the open viewer, is brought forward: the offscreen platform says it cannot.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise", extend=True)

SOURCES: list[dict[str, Any]] = [
    {"n": 1, "path": "/notes/a.md", "line_start": 3, "line_end": 9, "snippet": "Sweep."},
    {"n": 2, "path": "/notes/b.pdf", "page": 4, "snippet": "Page text."},
    {"n": 3, "path": "/notes/c.txt", "line_start": 5, "line_end": 5, "snippet": "Tea."},
]


def _anchors(document: QTextDocument) -> list[tuple[str, str, str]]:
    """``(href, shown text, tooltip)`` of every link fragment in the document."""
    found: list[tuple[str, str, str]] = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            fmt = fragment.charFormat()
            if fmt.isAnchor():
                found.append((fmt.anchorHref(), fragment.text(), fmt.toolTip()))
            iterator += 1
        block = block.next()
    return found


def _document(html: str) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(html)
    return document


def test_markers_link_only_real_sources_outside_code(qapp: QApplication) -> None:
    text = (
        "Sweep yearly [1]. Pages [2], [1, 3]. Not a source: [7], [0], [2, 9].\n\n"
        "Inline `[1]` stays code, \\[2] is escaped, and [a link](https://x.org) [3] too.\n\n"
        "```\nprint([1])\n```\n\n    [2] indented code\n"
    )
    html = render.render_markdown(text, LIGHT, citations=citation_tooltips(SOURCES))
    hrefs = [href for href, _text, _tip in _anchors(_document(html))]
    assert hrefs == [
        "hearth-cite:1",
        "hearth-cite:2",
        "hearth-cite:1",
        "hearth-cite:3",
        "https://x.org",
        "hearth-cite:3",
        "hearth-copy:0",
        "hearth-copy:1",
    ]
    # The markers still read as written.
    plain = _document(html).toPlainText()
    assert "[1, 3]" in plain and "[7]" in plain and "[2, 9]" in plain and "print([1])" in plain


def test_full_width_markers_in_chinese_answers_link_too(qapp: QApplication) -> None:
    text = (
        "每年清扫一次【1】。见［2］和【1，3】、【1、3】。不是来源：【7】。\n\n"
        "代码 `【1】` 不变，[链接【2】](https://x.org) 也不变。\n"
    )
    html = render.render_markdown(text, LIGHT, citations=citation_tooltips(SOURCES))
    anchors = _anchors(_document(html))
    assert [href for href, _text, _tip in anchors] == [
        "hearth-cite:1",
        "hearth-cite:2",
        "hearth-cite:1",
        "hearth-cite:3",
        "hearth-cite:1",
        "hearth-cite:3",
        "https://x.org",
    ]
    assert [shown for _href, shown, _tip in anchors[:2]] == ["【1】", "［2］"]
    plain = _document(html).toPlainText()
    assert "【1, 3】" in plain and "【7】" in plain and "【1】" in plain


def test_no_sources_means_no_links_and_forged_links_stay_text(qapp: QApplication) -> None:
    assert "hearth-cite" not in render.render_markdown("See [1] and [2].", LIGHT)
    # A model cannot forge our link with Markdown: only http(s)/mailto links are made.
    html = render.render_markdown(
        "[click](hearth-cite:1)", LIGHT, citations=citation_tooltips(SOURCES)
    )
    assert [a for a in _anchors(_document(html))] == []
    # Inside a link's text a marker is text, and the link survives.
    html = render.render_markdown("[see [2]](https://x.org)", LIGHT, citations={2: "b"})
    assert [(h, t) for h, t, _ in _anchors(_document(html))] == [("https://x.org", "see [2]")]


def test_streaming_links_markers_in_the_inline_pass(qapp: QApplication) -> None:
    renderer = render.IncrementalRenderer(LIGHT, citations=citation_tooltips(SOURCES))
    pieces = ["Chimneys are swept once a year [", "1]. Pages\n\n", "say [2", "] and [9]."]
    for piece in pieces:
        update = renderer.append(piece)
    assert "hearth-cite:2" in update.tail_html
    # Only the new paragraph was parsed again, never the whole answer.
    assert renderer.parsed_chars < 3 * len("".join(pieces))
    assert renderer.finish() == renderer.streamed_html()
    hrefs = [href for href, _t, _tip in _anchors(_document(renderer.finish()))]
    assert hrefs == ["hearth-cite:1", "hearth-cite:2"]


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    widget = ChatView()
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    return widget


def test_an_answer_links_its_markers_with_the_source_as_tooltip(
    qtbot: QtBot, view: ChatView
) -> None:
    hostile = {"n": 1, "path": "/x/<img src=x>.md", "line_start": 2, "line_end": 4}
    answer = view.add_assistant_message("a1")
    answer.set_sources([hostile, SOURCES[1]])
    answer.set_content(answer="Both [1] and [2]; not [3].", reasoning="", state="finished")
    links = _anchors(answer.answer.document())
    assert [(href, text) for href, text, _ in links] == [
        ("hearth-cite:1", "[1]"),
        ("hearth-cite:2", "[2]"),
    ]
    tips = {href: tip for href, _text, tip in links}
    assert tips["hearth-cite:2"] == "b.pdf — page 4"
    # A file name that looks like markup is shown literally in the tooltip.
    assert tips["hearth-cite:1"] == plain_tooltip("<img src=x>.md — lines 2–4")
    assert tips["hearth-cite:1"] != "<img src=x>.md — lines 2–4"

    # Hovering the marker shows the tooltip.
    point = _link_point(qtbot, answer, "hearth-cite:2")
    viewport = answer.answer.viewport()
    QApplication.sendEvent(
        viewport, QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    )
    assert QToolTip.text() == "b.pdf — page 4"
    QToolTip.hideText()

    # Sources set after the text (a stored answer) re-render it with links; none, without.
    answer.set_sources([])
    assert _anchors(answer.answer.document()) == []


def test_a_streamed_answer_links_markers_and_clicks_are_not_handed_to_the_system(
    qtbot: QtBot, view: ChatView
) -> None:
    answer = view.add_assistant_message("a1")
    answer.set_sources(SOURCES)
    answer.begin_streaming()
    answer.append("", "The sweep [2")
    answer.append("", "] is yearly.")
    assert [h for h, _t, _tip in _anchors(answer.answer.document())] == ["hearth-cite:2"]
    answer.finish("finished", "")
    opened: list[QUrl] = []
    view.link_activated.connect(opened.append)
    with qtbot.waitSignal(view.citation_activated) as clicked:
        _click_link(qtbot, answer, "hearth-cite:2")
    assert clicked.args == ["a1", 2]
    assert opened == []


def _link_point(qtbot: QtBot, answer: AssistantMessageWidget, href: str) -> QPoint:
    """A point of the answer's viewport over the link ``href``, once it is laid out."""
    document = answer.answer.document()
    block = document.begin()
    position = -1
    while block.isValid() and position < 0:
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().anchorHref() == href:
                position = fragment.position()
                break
            iterator += 1
        block = block.next()
    assert position >= 0, f"no link {href}"
    cursor = QTextCursor(document)
    cursor.setPosition(position)

    def point() -> QPoint:
        rect = answer.answer.cursorRect(cursor)
        return QPoint(rect.right() + 6, rect.center().y())

    # The answer is laid out on the event loop: wait until the link is under the point.
    qtbot.waitUntil(lambda: answer.answer.anchorAt(point()) == href, timeout=WAIT_MS)
    return point()


def _click_link(qtbot: QtBot, answer: AssistantMessageWidget, href: str) -> None:
    """A real mouse click on the link ``href`` in the answer."""
    point = _link_point(qtbot, answer, href)
    qtbot.mouseClick(answer.answer.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_clicking_a_marker_opens_the_sources_and_the_viewer_at_that_passage(
    qtbot: QtBot, store: ChatStore, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Chimneys\n\nSweep them once a year.\n", encoding="utf-8")
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(pdf_bytes(["Intro.", "Tea is steeped for two minutes."]))
    records = []
    for n, (path, index) in enumerate([(notes, 0), (paper, 1)], start=1):
        chunk = chunk_document(extract_file(path))[index]
        records.append(
            {
                "n": n,
                "path": str(path),
                "page": chunk.page,
                "line_start": chunk.line_start,
                "line_end": chunk.line_end,
                "snippet": chunk.text[:600],
            }
        )
    ops = ChatOps.for_store(store)
    chat = store.create_conversation(title="Tea").id
    _question, answer = ops.start_turn(
        chat, None, "How long is tea steeped?", provenance={"sources": records}
    )
    ops.finish_message(
        answer.id,
        content="Two minutes [2], and sweep yearly [1].",
        reasoning="",
        provenance={"sources": records, "source_tokens": 40},
    )
    window = make_window(qtbot, store, SHORT)
    try:
        window.controller.open_conversation(chat)
        [widget] = assistant_widgets(window)
        sources = window.knowledge.sources
        viewer = sources.viewer()
        with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS) as loaded:
            _click_link(qtbot, widget, "hearth-cite:2")
        assert loaded.args[0].status == "found"
        # The Sources block shows this answer's sources, expanded, entry 2 selected.
        assert sources.isVisibleTo(window) and sources.list.isVisibleTo(window)
        assert sources.list.currentRow() == 1
        assert sources.toggle.text().startswith("Sources (2)")
        assert viewer.isVisible() and not viewer.isModal()
        assert viewer.header.text() == "paper.pdf — page 2"
        assert viewer.highlighted_text() == "Tea is steeped for two minutes."

        with qtbot.waitSignal(viewer.loaded, timeout=WAIT_MS):
            _click_link(qtbot, widget, "hearth-cite:1")
        assert sources.list.currentRow() == 0
        assert viewer.header.text().startswith("notes.md — line")
        assert "Sweep them once a year." in viewer.highlighted_text()
    finally:
        window.close()


def test_an_unended_answer_takes_its_questions_sources(store: ChatStore) -> None:
    from app.ui.live_turn import answer_sources

    ops = ChatOps.for_store(store)
    chat = store.create_conversation(title="Tea").id
    carried = {"sources": SOURCES[:2], "source_tokens": 30}
    _question, answer = ops.start_turn(chat, None, "Tea?", provenance=carried)
    streaming = store.get_message(answer.id)
    assert streaming.state == "streaming"
    assert answer_sources(store, streaming) == (SOURCES[:2], 30)
    # An ended answer keeps what its own provenance says (the session copied it there).
    ended = ops.finish_message(answer.id, content="Two minutes [1].", reasoning="")
    assert answer_sources(store, ended) == ([], 0)
