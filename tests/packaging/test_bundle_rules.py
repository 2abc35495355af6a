"""What the frozen bundle keeps and drops (packaging/bundle_rules.py)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.conftest import PACKAGING, ROOT


@pytest.mark.parametrize(
    "module",
    [
        "tkinter",
        "pytest",
        "mypy",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.Qt3DCore",
        "PySide6.QtWebEngineCore",
        "PySide6.QtMultimedia",
        "PySide6.QtNetwork",
        "llama_cpp.server",
    ],
)
def test_unused_modules_are_excluded(rules: ModuleType, module: str) -> None:
    assert module in rules.EXCLUDED_MODULES


@pytest.mark.parametrize(
    "module",
    [
        "PySide6",
        "PySide6.QtCore",
        "PySide6.QtGui",
        "PySide6.QtWidgets",
        "PySide6.QtSvg",
        "llama_cpp",
        "numpy",
        "gguf",
        "jinja2",
        "app",
    ],
)
def test_modules_the_app_needs_are_not_excluded(rules: ModuleType, module: str) -> None:
    assert module not in rules.EXCLUDED_MODULES


def test_the_qt_modules_used_by_the_app_are_the_declared_ones(rules: ModuleType) -> None:
    """A new Qt module in app/ must be added to QT_MODULES_USED (and get a filtered hook),
    or the frozen app will miss it: the spec excludes every other PySide6 module."""
    used: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in rules.QT_MODULES_EXCLUDED + rules.QT_MODULES_USED:
            if f"PySide6.{name} " in text or f"PySide6.{name}\n" in text:
                used.add(name)
    assert used <= set(rules.QT_MODULES_USED), used - set(rules.QT_MODULES_USED)


@pytest.mark.parametrize(
    ("plugin_dir", "file_name"),
    [
        ("platforms", "libqxcb.so"),
        ("platforms", "libqwayland.so"),
        ("platforms", "libqoffscreen.so"),
        ("platforms", "qwindows.dll"),
        ("platforms", "libqcocoa.dylib"),
        ("platformthemes", "libqxdgdesktopportal.so"),
        ("platforminputcontexts", "libibusplatforminputcontextplugin.so"),
        ("imageformats", "libqsvg.so"),
        ("imageformats", "libqjpeg.so"),
        ("iconengines", "libqsvgicon.so"),
        ("iconengines", "qsvgicon.dll"),
        ("wayland-shell-integration", "libxdg-shell.so"),
        ("styles", "qmodernwindowsstyle.dll"),
    ],
)
def test_needed_qt_plugins_are_kept(rules: ModuleType, plugin_dir: str, file_name: str) -> None:
    assert rules.keep_qt_plugin(plugin_dir, file_name)


@pytest.mark.parametrize(
    ("plugin_dir", "file_name"),
    [
        ("platforms", "libqeglfs.so"),
        ("platforms", "libqvnc.so"),
        ("platforms", "libqlinuxfb.so"),
        ("platformthemes", "libqgtk3.so"),
        ("platforminputcontexts", "libqtvirtualkeyboardplugin.so"),
        ("imageformats", "libqpdf.so"),
        ("imageformats", "libqtiff.so"),
        ("generic", "libqevdevmouseplugin.so"),
        ("egldeviceintegrations", "libqeglfs-kms-integration.so"),
        ("xcbglintegrations", "libqxcb-glx-integration.so"),
        ("tls", "libqopensslbackend.so"),
        ("networkinformation", "libqnetworkmanager.so"),
        ("sqldrivers", "libqsqlite.so"),
        ("qmltooling", "libqmldbg_debugger.so"),
        ("wayland-graphics-integration-client", "libqt-plugin-wayland-egl.so"),
    ],
)
def test_unused_qt_plugins_are_dropped(rules: ModuleType, plugin_dir: str, file_name: str) -> None:
    assert not rules.keep_qt_plugin(plugin_dir, file_name)


def _installed_qt_plugins() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt" / "plugins"


@pytest.mark.skipif(
    not (_installed_qt_plugins() / "platforms" / "libqxcb.so").exists(),
    reason="not a Linux PySide6 wheel",
)
def test_installed_linux_plugins_keep_what_a_window_needs(rules: ModuleType) -> None:
    """Against the PySide6 actually installed: the xcb, Wayland and offscreen platforms
    and the SVG icon engine survive the filter; the rest of the platforms do not."""
    plugins = _installed_qt_plugins()
    kept = {
        f"{path.parent.name}/{path.name}"
        for path in plugins.glob("*/*")
        if rules.keep_qt_plugin(path.parent.name, path.name)
    }
    assert {
        "platforms/libqxcb.so",
        "platforms/libqoffscreen.so",
        "iconengines/libqsvgicon.so",
        "imageformats/libqsvg.so",
    } <= kept
    assert any(name.startswith("platforms/libqwayland") for name in kept)
    assert "platforms/libqeglfs.so" not in kept
    assert not any(name.startswith(("qmltooling/", "sqldrivers/", "tls/")) for name in kept)


@pytest.mark.parametrize(
    ("source", "dest", "kept"),
    [
        ("/v/PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms", True),
        ("/v/PySide6/Qt/plugins/platforms/libqvnc.so", "PySide6/Qt/plugins/platforms", False),
        ("C:\\v\\PySide6\\plugins\\platforms\\qwindows.dll", "PySide6\\plugins\\platforms", True),
        ("/v/PySide6/Qt/translations/qtbase_zh_CN.qm", "PySide6/Qt/translations", True),
        ("/v/PySide6/Qt/translations/qtbase_en.qm", "PySide6/Qt/translations", True),
        ("/v/PySide6/Qt/translations/qtbase_de.qm", "PySide6/Qt/translations", False),
        ("/v/PySide6/Qt/translations/qt_help_zh_CN.qm", "PySide6/Qt/translations", False),
        ("/v/PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/lib", True),
    ],
)
def test_qt_hook_entries_are_filtered(
    rules: ModuleType, source: str, dest: str, kept: bool
) -> None:
    assert rules.keep_qt_entry(source, dest) is kept
    assert rules.filter_qt_entries([(source, dest)]) == ([(source, dest)] if kept else [])


WHEEL_LIB = [
    "libggml-base.so", "libggml-base.so.0", "libggml-base.so.0.25.3",
    "libggml-cpu.so", "libggml-cpu.so.0", "libggml-cpu.so.0.25.3",
    "libggml.so", "libggml.so.0", "libggml.so.0.25.3",
    "libllama.so", "libllama.so.0", "libllama.so.0.5.0",
    "libmtmd.so", "libmtmd.so.0", "libmtmd.so.0.5.0",
]  # fmt: skip


def test_llama_libraries_are_taken_once_under_the_names_ctypes_opens(rules: ModuleType) -> None:
    assert rules.select_llama_libraries(WHEEL_LIB, "linux") == ["libggml.so", "libllama.so"]


def test_llama_cpu_variants_of_a_backend_dl_build_are_all_taken(rules: ModuleType) -> None:
    names = [
        *WHEEL_LIB,
        "libggml-cpu-x64.so",
        "libggml-cpu-haswell.so",
        "libggml-cpu-skylakex.so",
    ]
    chosen = rules.select_llama_libraries(names, "linux")
    assert {"libggml-cpu-x64.so", "libggml-cpu-haswell.so", "libggml-cpu-skylakex.so"} <= set(
        chosen
    )
    assert not any(name.startswith("libmtmd") or ".so." in name for name in chosen)


def test_llama_libraries_on_windows_and_macos(rules: ModuleType) -> None:
    windows = ["ggml.dll", "ggml-base.dll", "ggml-cpu-haswell.dll", "llama.dll", "mtmd.dll"]
    assert rules.select_llama_libraries(windows, "win32") == [
        "ggml-base.dll",
        "ggml-cpu-haswell.dll",
        "ggml.dll",
        "llama.dll",
    ]
    mac = ["libggml.dylib", "libllama.dylib", "libmtmd.dylib", "README.txt"]
    assert rules.select_llama_libraries(mac, "darwin") == ["libggml.dylib", "libllama.dylib"]


def test_installed_llama_cpp_provides_the_libraries_it_opens(rules: ModuleType) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    chosen = rules.select_llama_libraries([p.name for p in lib_dir.iterdir()], "linux")
    assert {"libllama.so", "libggml.so"} <= set(chosen)


def test_gguf_check_reads_the_magic(rules: ModuleType, tmp_path: Path) -> None:
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 16)
    bad = tmp_path / "m.bin"
    bad.write_bytes(b"PK\3\4")
    assert rules.is_gguf(str(good))
    assert not rules.is_gguf(str(bad))
    assert not rules.is_gguf(str(tmp_path / "missing.gguf"))


def test_tarball_names(rules: ModuleType) -> None:
    assert rules.tarball_name("0.1.0") == "Hearth-0.1.0-linux-x86_64"
    assert (
        rules.tarball_name("0.1.0", "/m/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf")
        == "Hearth-0.1.0-linux-x86_64-with-DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M"
    )
    assert (
        rules.tarball_name("1.0", "odd name (1)!.GGUF") == "Hearth-1.0-linux-x86_64-with-odd_name_1"
    )


def test_macos_minimum_follows_the_qt_wheel(rules: ModuleType) -> None:
    assert rules.macos_minimum_version("Tag: cp310-abi3-macosx_14_0_universal2\n") == "14.0"
    assert rules.macos_minimum_version("Tag: cp39-abi3-macosx_12_0_universal2\n") == "12.0"
    linux = "Tag: cp310-abi3-manylinux_2_34_x86_64\n"
    assert rules.macos_minimum_version(linux) == rules.MACOS_MINIMUM_DEFAULT


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/py/lib/libpython3.11.so.1.0", True),
        ("/py/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", True),
        ("/py/lib/python3.11/site-packages/numpy.libs/libscipy_openblas64_.so", False),
        ("/venv/lib/python3.11/site-packages/yaml/_yaml.so", False),
        ("/usr/lib/x86_64-linux-gnu/libX11.so.6", False),
    ],
)
def test_only_the_python_runtime_is_stripped(
    rules: ModuleType, source: str, expected: bool
) -> None:
    assert rules.is_python_runtime_binary(source, "/py") is expected


def test_highest_glibc(rules: ModuleType) -> None:
    text = "0 DF *UND* GLIBC_2.2.5 memcpy\n0 DF *UND* GLIBC_2.36 arc4random\n GLIBC_2.4 x\n"
    assert rules.highest_glibc(text) == "2.36"
    assert rules.highest_glibc("no versions here") is None


def test_spec_and_hooks_fit_together(rules: ModuleType) -> None:
    """The spec compiles, and every Qt module the app uses has a filtered hook."""
    compile((PACKAGING / "hearth.spec").read_text(encoding="utf-8"), "hearth.spec", "exec")
    hooks = {path.name for path in (PACKAGING / "hooks").glob("hook-*.py")}
    assert "hook-llama_cpp.py" in hooks
    assert {f"hook-PySide6.{name}.py" for name in rules.QT_MODULES_USED} <= hooks
