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


# --- a data folder Hearth cannot use is a sentence, never a traceback ---


def test_a_folder_that_cannot_be_made_private_is_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.paths import DataDirError

    if os.name != "posix":
        pytest.skip("permissions are POSIX")
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "shared"))
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data").chmod(0o755)

    def refuse(self: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(Path, "chmod", refuse)
    with pytest.raises(DataDirError) as caught:
        app_paths().ensure()
    message = str(caught.value)
    assert "cannot make its folder" in message and "data" in message
    assert "--data-dir" in message and "Traceback" not in message


def test_a_file_where_a_folder_should_be_is_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.paths import DataDirError

    (tmp_path / "portable").mkdir()
    (tmp_path / "portable" / "data").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "portable"))
    with pytest.raises(DataDirError) as caught:
        app_paths().ensure()
    assert "Hearth cannot" in str(caught.value)


def test_the_command_line_says_so_in_one_sentence(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "data").write_text("not a folder", encoding="utf-8")
    env = {**os.environ, ENV_DATA_DIR: str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "app", "chats", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("hearth: Hearth cannot")
    assert "Traceback" not in result.stderr
