"""What goes into the frozen Hearth bundle, as plain data and small pure functions.

The spec file (``hearth.spec``) and the hooks in ``packaging/hooks/`` import this module,
and ``tests/packaging`` tests it, so the rules are written once and can be checked
without running PyInstaller.

The app uses only QtCore, QtGui, QtWidgets and QtSvg. PyInstaller's Qt hooks collect
every plugin of each plugin type a module may use (all platforms, all image formats, all
input methods...) and every translation of every module; most of that is dead weight for
Hearth, and some of it drags in further shared libraries. The keep-lists below are the
plugins Hearth needs on Linux, Windows and macOS.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from pathlib import PurePath

#: Qt bindings modules Hearth imports. Everything else in PySide6 is excluded.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtSvg")

#: PySide6 modules that must never be collected (PyInstaller follows some of them through
#: optional imports in third-party code; listing them keeps the bundle small and stable).
QT_MODULES_EXCLUDED = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization",
    "QtDBus", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer",
    "QtLabsStyleKit", "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork",
    "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets",
    "QtPositioning", "QtPrintSupport", "QtQml", "QtQmlFeatures", "QtQuick", "QtQuick3D",
    "QtQuickControls2", "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml",
    "QtSensors", "QtSerialBus", "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine",
    "QtSvgWidgets", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtXml",
)  # fmt: skip

#: Python modules that are never needed at run time: GUI toolkits we do not use, test
#: and lint tools from the dev extra, build tools, and llama-cpp-python's optional server
#: and multimodal bindings (Hearth is a text-only client of the library).
EXCLUDED_MODULES: tuple[str, ...] = (
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "readline", "curses",
    "pytest", "_pytest", "pytestqt", "pluggy", "py",
    "mypy", "mypyc", "ruff", "importlinter", "grimp",
    "setuptools", "pkg_resources", "pip", "distutils", "lib2to3", "ensurepip", "venv",
    "IPython", "matplotlib", "PIL", "scipy", "pandas", "torch", "transformers",
    "PyQt5", "PyQt6", "PySide2",
    "numpy.f2py", "numpy.testing", "numpy.tests", "numpy.distutils",
    "llama_cpp.server", "llama_cpp.llava_cpp", "llama_cpp.mtmd_cpp",
    "fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings",
    "openai",
    *(f"PySide6.{name}" for name in QT_MODULES_EXCLUDED),
)  # fmt: skip

#: Qt plugins to keep, by plugin directory. A directory missing here is dropped whole.
#: Patterns match the file name without its extension and without a leading "lib"
#: (so ``libqxcb.so``, ``qwindows.dll`` and ``libqcocoa.dylib`` read as ``qxcb``,
#: ``qwindows`` and ``qcocoa``).
QT_PLUGINS_KEPT: dict[str, tuple[str, ...]] = {
    # X11, Wayland, headless (tests, the self-test), Windows and macOS.
    "platforms": ("qxcb", "qwayland*", "qoffscreen", "qminimal", "qwindows", "qcocoa"),
    # Native file dialogs through the XDG desktop portal (GNOME, KDE, Flatpak). The GTK 3
    # theme is left out on purpose: it would load the system's GTK against the glib,
    # cairo and pango copies PyInstaller bundles from the build machine, a classic source
    # of symbol clashes on other distributions; without it Qt uses its own dialogs.
    "platformthemes": ("qxdgdesktopportal",),
    # Typing Chinese needs an input method: IBus (and fcitx through its IBus frontend),
    # and the X11 compose-key handler.
    "platforminputcontexts": (
        "ibusplatforminputcontextplugin",
        "composeplatforminputcontextplugin",
    ),
    # The icon is an SVG; chat images may be PNG (built into QtGui) or JPEG; ICO for Windows.
    "imageformats": ("qsvg", "qjpeg", "qico"),
    "iconengines": ("qsvgicon",),
    # Windows 11 look (Qt >= 6.7) and macOS look.
    "styles": ("qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"),
    # Wayland needs a shell integration to map a window at all, and client-side
    # decorations where the compositor draws none (GNOME).
    "wayland-shell-integration": ("xdg-shell",),
    "wayland-decoration-client": ("bradient", "adwaita"),
}  # fmt: skip

#: Qt's own translations: only the base strings (standard dialogs, context menus) in the
#: languages Hearth ships.
QT_TRANSLATIONS_KEPT = ("qtbase_zh_CN.qm", "qtbase_en.qm")

#: Shared libraries in ``llama_cpp/lib`` that Hearth does not load (multimodal support).
LLAMA_LIBRARIES_SKIPPED = ("mtmd", "llava")

#: Libraries llama-cpp-python opens with ``ctypes`` by their unversioned file name.
LLAMA_LIBRARIES_OPENED_BY_NAME = ("llama", "ggml")

_VERSIONED_SO = re.compile(r"\.so(\.\d+)+$")


def _plugin_stem(file_name: str) -> str:
    stem = file_name.split(".", 1)[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_qt_plugin(plugin_dir: str, file_name: str) -> bool:
    """True if the plugin ``file_name`` found in the Qt plugin directory ``plugin_dir``
    (e.g. ``"platforms"``, ``"libqxcb.so"``) belongs in the bundle."""
    patterns = QT_PLUGINS_KEPT.get(plugin_dir)
    if not patterns:
        return False
    stem = _plugin_stem(file_name)
    return any(fnmatch.fnmatchcase(stem, pattern) for pattern in patterns)


def keep_qt_translation(file_name: str) -> bool:
    return file_name in QT_TRANSLATIONS_KEPT


def _parts(dest: str) -> tuple[str, ...]:
    return PurePath(dest.replace("\\", "/")).parts


def keep_qt_entry(source: str, dest_dir: str) -> bool:
    """Decide one ``(source, dest_dir)`` entry produced by a PyInstaller Qt hook.

    Plugins live under ``.../plugins/<type>/`` and translations under
    ``.../translations/``; anything else (the Qt libraries, ``qt.conf``...) is kept.
    """
    parts = _parts(dest_dir)
    name = PurePath(source.replace("\\", "/")).name
    if "plugins" in parts:
        index = parts.index("plugins")
        if index + 1 < len(parts):
            return keep_qt_plugin(parts[index + 1], name)
        return True
    if parts and parts[-1] == "translations":
        return keep_qt_translation(name)
    return True


def filter_qt_entries(entries: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(source, dest) for source, dest in entries if keep_qt_entry(source, dest)]


def select_llama_libraries(file_names: Iterable[str], platform: str) -> list[str]:
    """Pick the files of ``llama_cpp/lib`` to bundle.

    The wheel holds each library three times as full copies, not symbolic links
    (``libggml.so``, ``libggml.so.0``, ``libggml.so.0.25.3``). On Linux the bundle takes:

    * the unversioned names llama-cpp-python opens with ``ctypes`` (``libllama.so``,
      ``libggml.so``); PyInstaller's dependency analysis then adds the ``.so.0`` files
      they link against, so each library is stored once more at most;
    * every unversioned library that has no versioned copy: those are modules that
      llama.cpp opens at run time by scanning the folder, such as the CPU variants of a
      ``GGML_BACKEND_DL`` build (``libggml-cpu-haswell.so``, ...).
    """
    names = sorted(set(file_names))
    chosen: list[str] = []
    for name in names:
        lowered = name.lower()
        base = lowered.removeprefix("lib").split(".", 1)[0]
        if base in LLAMA_LIBRARIES_SKIPPED:
            continue
        if platform.startswith("linux"):
            if not lowered.endswith(".so") or _VERSIONED_SO.search(lowered):
                continue
            has_versioned_copy = any(other.startswith(name + ".") for other in names)
            if base in LLAMA_LIBRARIES_OPENED_BY_NAME or not has_versioned_copy:
                chosen.append(name)
        elif (platform == "darwin" and lowered.endswith((".dylib", ".so"))) or (
            platform == "win32" and lowered.endswith(".dll")
        ):
            chosen.append(name)
    return chosen


GGUF_MAGIC = b"GGUF"


def is_gguf(path: str) -> bool:
    """True if the file starts with the GGUF magic (a quick check before bundling)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def tarball_name(version: str, model_file: str | None = None) -> str:
    """``Hearth-<version>-linux-x86_64[-<model>]`` (without extension)."""
    name = f"Hearth-{version}-linux-x86_64"
    if model_file:
        stem = PurePath(model_file).name
        stem = stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
        safe = re.sub(r"[^A-Za-z0-9._+-]+", "_", stem).strip("_") or "model"
        name += f"-with-{safe}"
    return name


#: Used when the Qt wheel's tag names no macOS version (PySide6 6.11 wheels say 13.0,
#: 6.12 wheels 14.0).
MACOS_MINIMUM_DEFAULT = "13.0"


def macos_minimum_version(wheel_metadata: str) -> str:
    """The oldest macOS the bundled Qt runs on, from the ``Tag:`` lines of PySide6's
    ``WHEEL`` file (``...-macosx_13_0_universal2`` gives ``13.0``): Hearth cannot run on
    an older macOS than its Qt, so ``LSMinimumSystemVersion`` follows the wheel."""
    found = re.search(r"macosx_(\d+)_(\d+)_", wheel_metadata)
    if not found:
        return MACOS_MINIMUM_DEFAULT
    return f"{int(found.group(1))}.{int(found.group(2))}"


def is_python_runtime_binary(source: str, base_prefix: str) -> bool:
    """True for the Python interpreter's own shared library and extension modules
    (``libpython3.x.so``, ``lib-dynload/*.so``), and not for anything from a wheel.

    Interpreters built from source (pyenv) keep their debug info, which doubles their
    size in the bundle; those files are safe to ``strip --strip-debug``. Wheel libraries
    must never be stripped: auditwheel-patched ones (numpy's OpenBLAS) stop loading.
    """
    path = PurePath(source.replace("\\", "/"))
    base = PurePath(base_prefix.replace("\\", "/"))
    if base not in path.parents:
        return False
    return not ({"site-packages", "dist-packages"} & set(path.parts))


def highest_glibc(objdump_text: str) -> str | None:
    """The newest ``GLIBC_x.y`` symbol version named in ``objdump -T`` output: the
    oldest glibc the bundle can run on (it carries libraries from the build machine)."""
    versions = {
        tuple(int(part) for part in found.split("."))
        for found in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", objdump_text)
    }
    if not versions:
        return None
    return ".".join(str(part) for part in max(versions))
