"""The pre-Qt check for the system libraries of Qt's xcb plugin (app.preflight)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import preflight
from app.preflight import (
    EXIT_MISSING_LIBRARIES,
    gui_preflight,
    install_sentence,
    missing_libraries,
    read_dynamic,
    will_use_xcb,
    xcb_plugin,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is Linux")
CURSOR = "libxcb-cursor.so.0"


def only_missing(*names: str) -> preflight.LoaderCheck:
    """A fake loader: everything loads except ``names``."""

    def check(name: str) -> str | None:
        return name if name in names else None

    return check


@pytest.fixture
def plugin() -> tuple[Path, list[Path]]:
    found = xcb_plugin()
    if found is None:
        pytest.skip("this PySide6 has no xcb platform plugin")
    return found


# --- reading the plugin -----------------------------------------------------------------


@LINUX_ONLY
def test_the_xcb_plugin_is_found_without_importing_qt_and_its_needs_are_read(
    plugin: tuple[Path, list[Path]],
) -> None:
    path, bundle = plugin
    assert path.name == "libqxcb.so"
    dynamic = read_dynamic(path)
    assert "libQt6XcbQpa.so.6" in dynamic.needed
    assert CURSOR in dynamic.needed
    assert any("$ORIGIN" in entry for entry in dynamic.runpath)
    assert (bundle[0] / "libQt6XcbQpa.so.6").is_file()
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, app.preflight as p; p.xcb_plugin(); "
         "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert probe.stdout.strip() == "[]"


@LINUX_ONLY
def test_libraries_shipped_with_qt_are_followed_and_the_rest_asked_of_the_loader(
    plugin: tuple[Path, list[Path]],
) -> None:
    path, bundle = plugin
    asked: list[str] = []

    def check(name: str) -> str | None:
        asked.append(name)
        return name if name == CURSOR else None

    assert missing_libraries([path], bundle_dirs=bundle, check=check) == [CURSOR]
    # Qt's own libraries come with PySide6: never asked of the system, but followed, so
    # what QtGui needs (EGL, fontconfig) is asked too.
    assert not [name for name in asked if name.startswith("libQt6")]
    assert {"libEGL.so.1", "libfontconfig.so.1", "libxkbcommon-x11.so.0"} <= set(asked)
    assert len(asked) == len(set(asked))  # each once


def test_a_file_that_is_not_elf_is_skipped(tmp_path: Path) -> None:
    bogus = tmp_path / "libqxcb.so"
    bogus.write_bytes(b"not an ELF file at all")
    with pytest.raises(preflight.ElfError):
        read_dynamic(bogus)
    assert missing_libraries([bogus], check=only_missing(CURSOR)) == []


# --- the sentence -----------------------------------------------------------------------


def test_one_sentence_with_the_exact_install_lines() -> None:
    sentence = install_sentence([CURSOR, "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"])
    assert sentence == (
        "Hearth cannot open its window: this system lacks libxcb-cursor.so.0, "
        "libxcb-icccm.so.4, libxkbcommon-x11.so.0; install them with "
        "`sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0` "
        "(Debian, Ubuntu) or `sudo dnf install xcb-util-cursor xcb-util-wm libxkbcommon-x11` "
        "(Fedora), then start Hearth again."
    )
    assert "\n" not in sentence


def test_packages_are_named_once_and_unknown_libraries_by_their_file() -> None:
    sentence = install_sentence(["libxcb-shape.so.0", "libxcb-xkb.so.1", "libodd.so.3"])
    assert "`sudo apt-get install libxcb-shape0 libxcb-xkb1`" in sentence
    assert "`sudo dnf install libxcb`" in sentence  # one Fedora package provides both
    assert "plus the package that provides libodd.so.3" in sentence
    only_unknown = install_sentence(["libodd.so.3"])
    assert "apt-get" not in only_unknown and "libodd.so.3" in only_unknown


# --- when it runs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, "linux", False),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, "linux", True),
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "win32", False),
        ({"DISPLAY": ":0"}, "darwin", False),
    ],
)
def test_it_runs_only_when_qt_will_use_xcb(
    env: dict[str, str], platform: str, expected: bool
) -> None:
    assert will_use_xcb(env, platform) is expected


def test_offscreen_never_asks_the_loader() -> None:
    def check(_name: str) -> str | None:
        raise AssertionError("the loader must not be asked")

    assert gui_preflight({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, check=check) is None


@LINUX_ONLY
def test_a_missing_library_gives_the_sentence_and_nothing_missing_gives_none(
    plugin: tuple[Path, list[Path]],
) -> None:
    env = {"DISPLAY": ":0"}
    assert gui_preflight(env, check=only_missing()) is None
    sentence = gui_preflight(env, check=only_missing(CURSOR))
    assert sentence is not None
    assert "`sudo apt-get install libxcb-cursor0`" in sentence
    assert "`sudo dnf install xcb-util-cursor`" in sentence


# --- the real loader, with a library made missing on purpose -------------------------------


@LINUX_ONLY
@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler (gcc)")
def test_the_real_loader_finds_a_library_missing_from_a_restricted_search_path(
    tmp_path: Path,
) -> None:
    """plugin -> libhearthmid.so.1 -> libhearthleaf.so.1, built here. The loader finds them
    only through LD_LIBRARY_PATH; without the leaf, the error names the leaf."""
    libs = tmp_path / "libs"
    libs.mkdir()
    source = tmp_path / "x.c"

    def build(name: str, soname: str | None, body: str, *links: str) -> Path:
        source.write_text(body, encoding="utf-8")
        out = libs / name
        command = ["gcc", "-shared", "-fPIC", "-o", str(out), str(source), f"-L{libs}"]
        if soname:
            command.append(f"-Wl,-soname,{soname}")
        subprocess.run([*command, *links], check=True, capture_output=True, timeout=120)
        return out

    build("libhearthleaf.so.1", "libhearthleaf.so.1", "int leaf(void) { return 1; }")
    (libs / "libhearthleaf.so").symlink_to("libhearthleaf.so.1")
    build(
        "libhearthmid.so.1",
        "libhearthmid.so.1",
        "int leaf(void); int mid(void) { return leaf(); }",
        "-lhearthleaf",
    )
    (libs / "libhearthmid.so").symlink_to("libhearthmid.so.1")
    plugin = build("libfakeplugin.so", None, "int mid(void); int p(void) { return mid(); }",
                   "-lhearthmid")  # fmt: skip
    assert read_dynamic(plugin).needed[:1] == ("libhearthmid.so.1",)

    def run(library_path: str) -> list[str]:
        probe = textwrap.dedent(
            f"""
            import json, sys
            from pathlib import Path
            from app.preflight import missing_libraries
            print(json.dumps(missing_libraries([Path({str(plugin)!r})])))
            """
        )
        env = {**os.environ, "LD_LIBRARY_PATH": library_path}
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return list(json.loads(done.stdout))

    assert run(str(libs)) == []
    assert run(str(tmp_path / "empty")) == ["libhearthmid.so.1"]
    (libs / "libhearthleaf.so.1").unlink()
    assert run(str(libs)) == ["libhearthleaf.so.1"]


@LINUX_ONLY
def test_the_loader_check_reports_only_what_is_absent(tmp_path: Path) -> None:
    assert preflight.dlopen_check("libc.so.6") is None
    assert preflight.dlopen_check("libhearth-surely-absent.so.9") == "libhearth-surely-absent.so.9"
    # Present but not loadable is not "missing": no install line fixes it; Qt decides.
    broken = tmp_path / "libbroken.so.1"
    broken.write_bytes(b"\x7fELF but not really")
    assert preflight.dlopen_check(str(broken)) is None


def test_the_loader_check_reads_through_the_frozen_apps_ctypes_wrapper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PyInstaller's ctypes re-raises a failed load with its own message, the loader's
    message being the cause (seen in a real frozen build)."""
    import ctypes

    real = ctypes.CDLL

    class FrozenCDLL(real):  # type: ignore[misc, valid-type]
        def __init__(self, name: str, *args: object, **kwargs: object) -> None:
            try:
                super().__init__(name, *args, **kwargs)
            except Exception as base_error:
                raise OSError(f"Failed to load dynlib/dll {name!r}.") from base_error

    monkeypatch.setattr(ctypes, "CDLL", FrozenCDLL)
    assert preflight.dlopen_check("libhearth-absent.so.2") == "libhearth-absent.so.2"
    assert preflight.dlopen_check("libc.so.6") is None


# --- wired into python -m app: before Qt, one sentence, a non-zero exit ----------------------

MAIN_WITH_FAKE_LOADER = textwrap.dedent(
    """
    import json, sys
    import app.preflight as preflight

    # The fake loader check: libxcb-cursor is "missing"; everything else loads.
    preflight.dlopen_check = lambda name: name if name == "libxcb-cursor.so.0" else None
    from app.__main__ import main

    code = main(sys.argv[1:])
    qt = sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken")))
    print(json.dumps({"code": code, "qt": qt}))
    """
)


@LINUX_ONLY
def test_python_m_app_prints_the_install_line_instead_of_qts_abort(
    plugin: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")
    }
    # A display that does not exist: Qt would abort on it if it were ever reached.
    env.update({"DISPLAY": ":97", "HEARTH_DATA_DIR": str(tmp_path / "hearth")})
    done = subprocess.run(
        [sys.executable, "-c", MAIN_WITH_FAKE_LOADER],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": EXIT_MISSING_LIBRARIES, "qt": []}
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] == install_sentence(["libxcb-cursor.so.0"])
