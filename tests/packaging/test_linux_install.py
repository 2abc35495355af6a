"""The Linux desktop entry and the per-user install script (packaging/linux/)."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import PACKAGING

LINUX = PACKAGING / "linux"
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def read_desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_desktop_entry_has_what_menus_need() -> None:
    entry = read_desktop_entry(LINUX / "hearth.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Hearth"
    assert entry["Icon"] == "hearth"
    assert entry["Terminal"] == "false"
    # Must match the X11 WM_CLASS Qt gives the window, so docks group it under this icon.
    assert entry["StartupWMClass"] == "Hearth"
    assert entry["Categories"].endswith(";")
    assert "zh_CN" in "".join(entry)  # a Chinese name or comment for the menu


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils")
def test_desktop_entry_validates() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(LINUX / "hearth.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """A stand-in for the unpacked tarball: the real scripts, a fake app."""
    root = tmp_path / "Hearth-0.1.0-linux-x86_64"
    app = root / "Hearth"
    (app / "_internal").mkdir(parents=True)
    executable = app / "Hearth"
    executable.write_text("#!/bin/sh\necho fake hearth\n")
    executable.chmod(executable.stat().st_mode | stat.S_IXUSR)
    shutil.copy(LINUX / "install.sh", root / "install.sh")
    shutil.copy(LINUX / "hearth.desktop", root / "hearth.desktop")
    shutil.copy(PACKAGING.parent / "resources" / "icons" / "hearth.svg", root / "hearth.svg")
    (root / "icons").mkdir()
    (root / "icons" / "hearth-48.png").write_bytes(b"\x89PNG fake")
    (root / "LICENSES").mkdir()
    (root / "LICENSES" / "README.txt").write_text("licences")
    return root


def run_script(script: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, env=env, check=False
    )


@needs_bash
def test_install_registers_for_the_user_and_uninstall_keeps_user_data(
    unpacked: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_script(unpacked / "install.sh", home)
    assert result.returncode == 0, result.stderr

    prefix = home / ".local" / "opt" / "hearth"
    assert os.access(prefix / "Hearth", os.X_OK)
    assert (prefix / "uninstall.sh").is_file()
    assert (prefix / "LICENSES" / "README.txt").is_file()
    desktop = home / ".local" / "share" / "applications" / "hearth.desktop"
    entry = read_desktop_entry(desktop)
    assert entry["Exec"] == f'"{prefix}/Hearth"'
    assert entry["TryExec"] == f"{prefix}/Hearth"
    icons = home / ".local" / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "hearth.svg").is_file()
    assert (icons / "48x48" / "apps" / "hearth.png").is_file()
    command = home / ".local" / "bin" / "hearth"
    assert command.is_symlink() and command.resolve() == (prefix / "Hearth").resolve()

    # The user's chats exist; uninstalling the app must leave them.
    chats = home / ".local" / "share" / "Hearth" / "data" / "chats.sqlite3"
    chats.parent.mkdir(parents=True)
    chats.write_text("my chats")
    result = run_script(prefix / "uninstall.sh", home)
    assert result.returncode == 0, result.stderr
    assert not prefix.exists()
    assert not desktop.exists()
    assert not (icons / "scalable" / "apps" / "hearth.svg").exists()
    assert not command.is_symlink()
    assert chats.read_text() == "my chats"
    assert str(chats.parents[1]) in result.stdout  # tells the user where their data is


@needs_bash
def test_uninstall_removes_user_data_only_when_asked(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert run_script(unpacked / "install.sh", home).returncode == 0
    config = home / ".config" / "Hearth" / "settings.json"
    config.parent.mkdir(parents=True)
    config.write_text("{}")
    result = run_script(unpacked / "install.sh", home, "--uninstall", "--remove-user-data")
    assert result.returncode == 0, result.stderr
    assert not config.parent.exists()
    assert not (home / ".local" / "opt" / "hearth").exists()


@needs_bash
def test_reinstall_updates_in_place_and_paths_with_spaces_work(
    unpacked: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    prefix = home / "My Apps" / "hearth"
    assert run_script(unpacked / "install.sh", home, "--prefix", str(prefix)).returncode == 0
    (unpacked / "Hearth" / "new-file").write_text("v2")
    result = run_script(unpacked / "install.sh", home, "--prefix", str(prefix))
    assert result.returncode == 0, result.stderr
    assert (prefix / "new-file").read_text() == "v2"
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["hearth"]  # no leftovers
    entry = read_desktop_entry(home / ".local" / "share" / "applications" / "hearth.desktop")
    assert entry["Exec"] == f'"{prefix}/Hearth"'


@needs_bash
def test_install_refuses_to_overwrite_a_folder_that_is_not_hearth(
    unpacked: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    foreign = home / "projects"
    foreign.mkdir(parents=True)
    (foreign / "thesis.tex").write_text("precious")
    result = run_script(unpacked / "install.sh", home, "--prefix", str(foreign))
    assert result.returncode != 0
    assert (foreign / "thesis.tex").read_text() == "precious"
    result = run_script(unpacked / "install.sh", home, "--uninstall", "--prefix", str(foreign))
    assert (foreign / "thesis.tex").read_text() == "precious"
    assert run_script(unpacked / "install.sh", home, "--prefix", str(home)).returncode != 0
