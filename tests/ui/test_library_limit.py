"""The Library's size limit is a setting: saved, reloaded, bounded, shown in MB, and
applied by indexing and by attachments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.paths import AppPaths
from app.core.settings import (
    DEFAULT_LIBRARY_FILE_MB,
    MAX_LIBRARY_FILE_MB,
    Settings,
    load_settings,
    save_settings,
    settings_from_dict,
)
from app.core.store import ChatStore
from app.ui.library_panel import LibraryPanel
from app.ui.main_window import MainWindow
from tests.support.window import make_window

MB = 1024 * 1024
#: Lines of ordinary text: a file of them is large but quick to chunk.
LINE = "The hearth was swept on Sunday, and the ashes went to the garden.\n"
WAIT_MS = 30_000


def test_the_limit_persists_across_a_settings_reload(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert Settings().library_max_file_mb == DEFAULT_LIBRARY_FILE_MB == 50
    save_settings(path, replace(Settings(), library_max_file_mb=7))
    loaded = load_settings(path)
    assert loaded.library_max_file_mb == 7 and loaded.library_max_bytes() == 7 * MB


@pytest.mark.parametrize("bad", [0, -3, MAX_LIBRARY_FILE_MB + 1, "12", 2.5, True, None])
def test_a_bad_limit_falls_back_to_the_default(bad: object) -> None:
    settings = settings_from_dict({"library_max_file_mb": bad})
    assert settings.library_max_file_mb == DEFAULT_LIBRARY_FILE_MB


def test_the_panel_shows_the_limit_in_mb_and_indexing_applies_it(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from app.core.knowledge.index import KnowledgeIndex

    index = KnowledgeIndex(tmp_path / "knowledge.sqlite3")
    panel = LibraryPanel(index, max_file_mb=1)
    qtbot.addWidget(panel)
    try:
        assert panel.limit.value() == 1 and panel.limit.suffix() == " MB"
        assert panel.limit.minimum() == 1 and panel.limit.maximum() == MAX_LIBRARY_FILE_MB
        folder = tmp_path / "docs"
        folder.mkdir()
        (folder / "big.txt").write_text(LINE * (3 * MB // 2 // len(LINE)), encoding="utf-8")
        (folder / "small.txt").write_text("a small note", encoding="utf-8")
        index.add_root("Docs", folder)
        panel.refresh()
        with qtbot.waitSignal(panel.indexed, timeout=WAIT_MS) as done:
            assert panel.start_indexing("Docs")
        _name, report = done.args
        assert report.indexed == 1
        assert [(Path(b.path).name, b.reason) for b in report.bad] == [("big.txt", "too_large")]
        assert "1.0 MB" in report.bad[0].message

        # Raised in the panel: the change is announced (for the settings) and applied.
        with qtbot.waitSignal(panel.limit_changed) as changed:
            panel.limit.setValue(2)
        assert changed.args == [2]
        with qtbot.waitSignal(panel.indexed, timeout=WAIT_MS) as done:
            assert panel.start_indexing("Docs")
        assert done.args[1].indexed == 1 and not done.args[1].bad
        # Set from the settings: shown, not announced back.
        with qtbot.assertNotEmitted(panel.limit_changed):
            panel.set_max_file_mb(9)
        assert panel.limit.value() == 9
    finally:
        panel.shutdown()
        index.close()


@pytest.fixture
def window(qtbot: QtBot, store: ChatStore) -> Iterator[MainWindow]:
    window = make_window(qtbot, store, SamplingParams(max_tokens=8))
    yield window
    window.close()


def test_the_window_saves_the_limit_and_attachments_use_it(
    qtbot: QtBot, window: MainWindow, isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    knowledge = window.knowledge
    assert knowledge.bar.max_bytes == window.settings.library_max_bytes()
    panel = knowledge.show_library()
    assert panel.limit.value() == window.settings.library_max_file_mb
    saved: list[Settings] = []
    window.settings_changed.connect(saved.append)
    panel.limit.setValue(1)
    assert saved and saved[-1].library_max_file_mb == 1
    assert window.settings.library_max_file_mb == 1
    # What the app saves on settings_changed reads back the same.
    path = isolated_app_dirs.settings_file
    save_settings(path, saved[-1])
    assert load_settings(path).library_max_file_mb == 1

    # An attachment past the limit is refused with its reason; one under it is attached.
    big = tmp_path / "big.txt"
    big.write_text(LINE * (3 * MB // 2 // len(LINE)), encoding="utf-8")
    with qtbot.waitSignal(knowledge.bar.failed, timeout=WAIT_MS) as failed:
        knowledge.bar.add_paths([big])
    assert "big.txt" in failed.args[0] and "1.0 MB" in failed.args[0]
    assert knowledge.bar.attachments == []

    # Settings applied from elsewhere (the Settings dialog, a reload) reach the panel too.
    window.apply_settings(replace(window.settings, library_max_file_mb=3))
    assert panel.limit.value() == 3 and knowledge.bar.max_bytes == 3 * MB
    with qtbot.waitSignal(knowledge.bar.changed, timeout=WAIT_MS):
        knowledge.bar.add_paths([big])
    assert [a.name for a in knowledge.bar.attachments] == ["big.txt"]
