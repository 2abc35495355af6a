"""Paths: HEARTH_DATA_DIR puts everything under one directory; resources are found."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.core.paths import ENV_DATA_DIR, app_paths, is_frozen, resource_path, resources_dir


def test_data_dir_override_puts_every_directory_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "portable"))
    paths = app_paths().ensure()
    for directory in (paths.data, paths.config, paths.cache, paths.logs, paths.models):
        assert directory.is_relative_to(tmp_path / "portable")
        assert directory.is_dir()
        if os.name == "posix":
            assert directory.stat().st_mode & 0o777 == 0o700
    assert paths.database.parent == paths.data


def test_default_paths_come_from_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATA_DIR)
    paths = app_paths()
    assert "Hearth" in str(paths.data)
    assert paths.models == paths.data / "models"


def test_resources_are_found_from_source_and_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resource_path("icons", "hearth.svg").is_file()
    assert not is_frozen()
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
