"""``python -m app docs index`` takes the Library's size limit from the settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.paths import app_paths
from app.core.settings import Settings, save_settings

# The same CLI runner and data folder as the other `docs` tests (the fixture is autouse).
from tests.cli.test_docs_cli import _data_dir, run_cli  # noqa: F401

MB = 1024 * 1024


def test_the_settings_limit_is_the_default_and_max_mb_overrides_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    line = "The hearth was swept on Sunday.\n"
    (folder / "big.txt").write_text(line * (3 * MB // 2 // len(line)), encoding="utf-8")
    (folder / "small.txt").write_text("a small note", encoding="utf-8")
    paths = app_paths().ensure()
    save_settings(paths.settings_file, replace(Settings(), library_max_file_mb=1))
    assert run_cli(["docs", "add", "d", str(folder)]) == 0
    assert run_cli(["docs", "index", "d"]) == 1
    out = capsys.readouterr().out
    assert "1 indexed" in out and "big.txt" in out and "1.0 MB" in out
    assert run_cli(["docs", "index", "d", "--max-mb", "2"]) == 0
    assert "1 indexed, 1 unchanged" in capsys.readouterr().out
