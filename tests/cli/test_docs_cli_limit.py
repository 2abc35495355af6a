"""``python -m app docs index`` takes the Library's size limit from the settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.__main__ import apply_global_options, build_parser
from app.cli import docs as docs_cli
from app.core.paths import app_paths
from app.core.settings import Settings, save_settings

MB = 1024 * 1024


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    apply_global_options(args)
    return int(docs_cli.run(args))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path / "hearth"))
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_hearth", False)]:
        root.removeHandler(handler)
        handler.close()


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
