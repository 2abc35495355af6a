"""Why a file was not indexed, in the UI's language: every reason has a stable code, the
index keeps the code and its values, and the Library translates them when it shows them
(so a reason stored before a language switch is shown in the new language)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.error_messages import ENGLISH
from app.core.errors import english
from app.core.knowledge import collections, extract
from app.core.knowledge.collections import index_collection
from app.core.knowledge.index import KnowledgeIndex
from app.ui import error_texts_files
from app.ui.errors_i18n import CONTEXT, TEXTS
from app.ui.library_panel import LibraryPanel

WAIT_MS = 30_000


class MarkerTranslator(QTranslator):
    """Translates every core error sentence to "ZH:" + its source text, so a test sees
    that a string went through translate() with the right context and source."""

    def translate(  # type: ignore[override]
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        return "ZH:" + source if context == CONTEXT else None

    def isEmpty(self) -> bool:
        return False


@pytest.fixture
def marker(qapp: QApplication) -> Iterator[MarkerTranslator]:
    translator = MarkerTranslator()
    assert qapp.installTranslator(translator)
    yield translator
    qapp.removeTranslator(translator)


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


def reason_codes() -> set[str]:
    """Every documents.* code the extraction and indexing code can list a file with."""
    codes: set[str] = set()
    for module in (extract, collections):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        codes |= set(re.findall(r'"(documents\.[a-z_]+)"', source))
    return codes


def test_every_reason_code_has_an_english_text_and_a_translation_entry() -> None:
    codes = reason_codes()
    # The reasons issue 15 names, each by at least one code.
    for expected in (
        "documents.encrypted",
        "documents.no_text_layer",
        "documents.inflates",
        "documents.would_inflate",
        "documents.binary",
        "documents.too_large_limit",
        "documents.unreadable",
        "documents.symlink_loop",
        "documents.vanished",
        "documents.changed",
        "documents.timeout",
        "documents.link_outside",
        "documents.root_missing",
    ):
        assert expected in codes
    for code in codes:
        assert code in ENGLISH, code
        assert code in TEXTS and TEXTS[code] == ENGLISH[code], code
    # The disk filling up stops the run (not one file); its sentence is coded too.
    assert "documents.disk_full" in TEXTS
    # The codes added for these reasons are marked for lupdate in the files table.
    for code in ("documents.timeout", "documents.pdf_limit", "documents.link_outside"):
        assert code in error_texts_files.MARKED


def test_a_reason_stored_in_english_is_shown_in_the_new_language(
    qtbot: QtBot, panel: LibraryPanel, index: KnowledgeIndex, tmp_path: Path, qapp: QApplication
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "ok.md").write_text("# Fine\n\nA fine note.\n", encoding="utf-8")
    index.add_root("Docs", folder)
    index_collection(index, "Docs")  # stored while the UI was English
    panel.refresh()
    english_text = english("documents.binary", {"name": "blob.txt"})
    assert panel.bad_files.topLevelItem(0).text(1) == english_text

    translator = MarkerTranslator()
    assert qapp.installTranslator(translator)
    try:
        panel.refresh()
        row = panel.bad_files.topLevelItem(0)
        assert row.text(0) == "blob.txt"
        assert row.text(1) == "ZH:" + english_text
        assert row.toolTip(1)  # the tooltip shows the same (translated) sentence
    finally:
        qapp.removeTranslator(translator)


def test_the_timeout_reason_goes_through_translate_with_its_values(
    qtbot: QtBot, panel: LibraryPanel, index: KnowledgeIndex, marker: MarkerTranslator
) -> None:
    cid = index.create_collection("Docs")
    params = {"name": "slow.pdf", "seconds": "120"}
    index.write_error(
        cid,
        "/docs/slow.pdf",
        reason="timeout",
        message=english("documents.timeout", params),
        code="documents.timeout",
        params=params,
    )
    panel.refresh()
    row = panel.bad_files.topLevelItem(0)
    assert row.text(1) == "ZH:“slow.pdf” took longer than 120 s to read; it was skipped."
    assert QCoreApplication.translate(CONTEXT, TEXTS["documents.timeout"]).startswith("ZH:")


def test_a_row_from_before_codes_were_stored_is_matched_by_its_english(
    qtbot: QtBot, panel: LibraryPanel, index: KnowledgeIndex, marker: MarkerTranslator
) -> None:
    cid = index.create_collection("Old")
    message = english("documents.no_text_layer", {"name": "scan.pdf"})
    index.write_error(cid, "/old/scan.pdf", reason="no_text_layer", message=message)
    panel.refresh()
    assert panel.bad_files.topLevelItem(0).text(1) == "ZH:" + message


def test_the_panel_shows_the_chinese_reason_under_the_zh_cn_translator(
    qtbot: QtBot, panel: LibraryPanel, index: KnowledgeIndex, tmp_path: Path, chinese: QApplication
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    index.add_root("Docs", folder)
    index_collection(index, "Docs")
    panel.refresh()
    shown = panel.bad_files.topLevelItem(0).text(1)
    translated = QCoreApplication.translate(CONTEXT, ENGLISH["documents.binary"])
    assert translated != ENGLISH["documents.binary"]  # the shipped zh_CN has this one
    assert shown == translated.format(name="blob.txt")
    assert "blob.txt" in shown and shown != english("documents.binary", {"name": "blob.txt"})
