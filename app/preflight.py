"""Before Qt starts: are the system libraries that Qt's X11 (xcb) platform plugin needs here?

On a fresh Debian or Ubuntu desktop, libxcb-cursor0 and a few others are missing; Qt then
aborts with "could not load the Qt platform plugin xcb" and a core dump. This module finds
the missing libraries first and returns one sentence with the exact ``apt-get install``
and ``dnf install`` lines, so ``python -m app`` can print it and exit instead.

How, without importing Qt (fast, and an import could itself abort): read the ``DT_NEEDED``
entries of the xcb plugin's ELF file, follow the libraries Qt ships beside it (found
through its ``RUNPATH`` or the bundle), and ask the system's dynamic loader (``dlopen``)
for every other one, by the same name Qt's loading would use. ``dlopen`` also loads that
library's own dependencies, and its error names the one that is really missing.

It only runs when Qt will pick xcb: Linux, ``QT_QPA_PLATFORM`` unset or ``xcb``, a
``DISPLAY``, and not a Wayland session (there Qt tries Wayland first). Offscreen (tests,
CI), Wayland, Windows and macOS are left alone. This module must never import PySide6.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import re
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: ``python -m app`` exits with this when libraries are missing (2 is "could not start").
EXIT_MISSING_LIBRARIES = 3

#: Shared library (soname) -> (Debian/Ubuntu package, Fedora package). The xcb plugin's
#: needs as ``ldd`` lists them for PySide6 6.11 (plugin, libQt6XcbQpa, QtGui), and what
#: those pull in. A name not listed here is still reported, by its file name.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-dri2.so.0": ("libxcb-dri2-0", "libxcb"),
    "libxcb-dri3.so.0": ("libxcb-dri3-0", "libxcb"),
    "libxcb-present.so.0": ("libxcb-present0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
    "libstdc++.so.6": ("libstdc++6", "libstdc++"),
    "libgcc_s.so.1": ("libgcc-s1", "libgcc"),
}


@dataclass(frozen=True, slots=True)
class ElfDynamic:
    """What the loader reads from a shared library: its needs and its own search path."""

    needed: tuple[str, ...]
    runpath: tuple[str, ...] = field(default=())


class ElfError(ValueError):
    """Not an ELF file we can read."""


#: Bounds for reading an ELF file: no outside file makes us read more than this.
_MAX_PHNUM = 256
_MAX_DYNAMIC_BYTES = 64 * 1024
_MAX_NAME_BYTES = 4096
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29


def read_dynamic(path: Path) -> ElfDynamic:
    """The ``DT_NEEDED`` names and ``RUNPATH`` (or ``RPATH``) of an ELF shared library."""
    with open(path, "rb") as elf:
        ident = elf.read(16)
        if len(ident) < 16 or ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
            raise ElfError(f"{path} is not an ELF file")
        is64 = ident[4] == 2
        order = "<" if ident[5] == 1 else ">"
        header = elf.read(48 if is64 else 36)
        if is64:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "Q", header, 16)[0],
                *struct.unpack_from(order + "HH", header, 38),
            )
            ph_format, ph_size = order + "IIQQQQQQ", 56
        else:
            phoff, phentsize, phnum = (
                struct.unpack_from(order + "I", header, 12)[0],
                *struct.unpack_from(order + "HH", header, 26),
            )
            ph_format, ph_size = order + "IIIIIIII", 32
        if phentsize < ph_size or phnum > _MAX_PHNUM:
            raise ElfError(f"{path}: unexpected program headers")
        loads: list[tuple[int, int, int]] = []  # (vaddr, filesz, offset)
        dynamic: tuple[int, int] | None = None
        for index in range(phnum):
            elf.seek(phoff + index * phentsize)
            raw = elf.read(ph_size)
            if len(raw) < ph_size:
                raise ElfError(f"{path}: truncated program header")
            fields = struct.unpack(ph_format, raw)
            if is64:
                p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = fields[:6]
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz = fields[:5]
            if p_type == _PT_LOAD:
                loads.append((p_vaddr, p_filesz, p_offset))
            elif p_type == _PT_DYNAMIC:
                dynamic = (p_offset, min(p_filesz, _MAX_DYNAMIC_BYTES))
        if dynamic is None:
            return ElfDynamic(needed=())
        elf.seek(dynamic[0])
        table = elf.read(dynamic[1])
        entry_format = order + ("qQ" if is64 else "iI")
        entry_size = struct.calcsize(entry_format)
        needed_offsets: list[int] = []
        path_offsets: dict[int, int] = {}
        strtab: int | None = None
        for start in range(0, len(table) - entry_size + 1, entry_size):
            tag, value = struct.unpack_from(entry_format, table, start)
            if tag == _DT_NULL:
                break
            if tag == _DT_NEEDED:
                needed_offsets.append(value)
            elif tag == _DT_STRTAB:
                strtab = value
            elif tag in (_DT_RPATH, _DT_RUNPATH):
                path_offsets[tag] = value
        if strtab is None:
            raise ElfError(f"{path}: no string table")
        base = _file_offset(strtab, loads)

        def string(offset: int) -> str:
            elf.seek(base + offset)
            return elf.read(_MAX_NAME_BYTES).split(b"\0", 1)[0].decode("utf-8", "replace")

        needed = tuple(string(offset) for offset in needed_offsets)
        # RUNPATH wins over RPATH when both are present, as in the loader.
        search = path_offsets.get(_DT_RUNPATH, path_offsets.get(_DT_RPATH))
        runpath = tuple(p for p in string(search).split(":") if p) if search is not None else ()
        return ElfDynamic(needed=needed, runpath=runpath)


def _file_offset(vaddr: int, loads: Iterable[tuple[int, int, int]]) -> int:
    for start, size, offset in loads:
        if start <= vaddr < start + size:
            return vaddr - start + offset
    return vaddr  # a library without a matching segment: addresses are offsets


#: What the loader says when a library (or one it needs) cannot be found.
_DLOPEN_MISSING = re.compile(r"^\s*([^:\s]+): cannot open shared object file")

#: ``check(name)`` returns None when ``name`` loads, else the file name really missing.
LoaderCheck = Callable[[str], str | None]


def dlopen_check(name: str) -> str | None:
    """Ask the system's dynamic loader for ``name`` (loads it, as Qt would moments later)."""
    try:
        ctypes.CDLL(name)
    except OSError as exc:
        # The frozen app's ctypes (PyInstaller) re-raises with its own words; the
        # loader's message is then the cause.
        for error in (exc, exc.__cause__):
            found = _DLOPEN_MISSING.match(str(error)) if error is not None else None
            if found:
                return found.group(1)
        # Present but refusing to load (a symbol, a wrong build): not something an install
        # line fixes, and Qt's lazier loading may cope. Never block the start for it.
        log.info("preflight: %s does not load (%s); leaving it to Qt", name, exc)
    return None


def missing_libraries(
    roots: Iterable[Path],
    *,
    bundle_dirs: Iterable[Path] = (),
    check: LoaderCheck | None = None,
) -> list[str]:
    """The shared libraries ``roots`` need that this system cannot provide, in order.

    Libraries found in a root's ``RUNPATH`` (``$ORIGIN``) or in ``bundle_dirs`` ship with
    the app and are followed; every other name is asked of the system loader.
    """
    ask = check or dlopen_check
    queue = [Path(root) for root in roots]
    extra = [Path(directory) for directory in bundle_dirs]
    seen: set[str] = set()
    missing: list[str] = []
    for library in queue:
        try:
            dynamic = read_dynamic(library)
        except (OSError, ElfError) as exc:
            log.info("preflight: cannot read %s: %s", library, exc)
            continue
        origin = str(library.resolve().parent)
        search = [Path(entry.replace("$ORIGIN", origin)) for entry in dynamic.runpath] + extra
        for name in dynamic.needed:
            if name in seen:
                continue
            seen.add(name)
            shipped = next((d / name for d in search if (d / name).is_file()), None)
            if shipped is not None:
                queue.append(shipped)
                continue
            problem = ask(name)
            if problem is not None and problem not in missing:
                missing.append(problem)
    return missing


def will_use_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when Qt is going to load its xcb (X11) platform plugin."""
    if not platform.startswith("linux"):
        return False
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        # "xcb", "xcb:option", or a list tried in order ("wayland;xcb"): only xcb first.
        return requested.split(";", 1)[0].split(":", 1)[0].strip() == "xcb"
    if not env.get("DISPLAY", "").strip():
        return False
    wayland = env.get("WAYLAND_DISPLAY", "").strip() or env.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland


def qt_install_dir() -> Path | None:
    """PySide6's ``Qt`` folder, found without importing PySide6 (its import loads Qt)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    candidates: list[Path] = []
    if frozen_root:
        candidates.append(Path(frozen_root) / "PySide6" / "Qt")
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(location) / "Qt" for location in spec.submodule_search_locations]
    return next((c for c in candidates if (c / "plugins" / "platforms").is_dir()), None)


def xcb_plugin() -> tuple[Path, list[Path]] | None:
    """The xcb plugin file and the folders bundled libraries live in, or None."""
    qt = qt_install_dir()
    if qt is None:
        return None
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        return None
    bundle = [qt / "lib"]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        # PyInstaller puts the libraries it collected (xcb-cursor and friends) at the top.
        bundle.append(Path(frozen_root))
    return plugin, bundle


def install_sentence(missing: Iterable[str]) -> str:
    """One sentence naming what is missing and the exact command lines that install it."""
    names = list(dict.fromkeys(missing))
    debian = list(dict.fromkeys(PACKAGES[n][0] for n in names if n in PACKAGES))
    fedora = list(dict.fromkeys(PACKAGES[n][1] for n in names if n in PACKAGES))
    unknown = [n for n in names if n not in PACKAGES]
    sentence = f"Hearth cannot open its window: this system lacks {', '.join(names)}"
    if debian:
        sentence += (
            f"; install {'them' if len(names) > 1 else 'it'} with "
            f"`sudo apt-get install {' '.join(debian)}` (Debian, Ubuntu) or "
            f"`sudo dnf install {' '.join(fedora)}` (Fedora)"
        )
        if unknown:
            sentence += f", plus the package that provides {', '.join(unknown)}"
    else:
        sentence += ", install the package that provides it with your package manager"
    return sentence + ", then start Hearth again."


def gui_preflight(
    env: Mapping[str, str] | None = None,
    *,
    check: LoaderCheck | None = None,
) -> str | None:
    """None if the GUI can start; else the sentence to print before exiting."""
    environment = os.environ if env is None else env
    if not will_use_xcb(environment):
        return None
    found = xcb_plugin()
    if found is None:
        log.info("preflight: no xcb plugin found; leaving it to Qt")
        return None
    plugin, bundle = found
    missing = missing_libraries([plugin], bundle_dirs=bundle, check=check)
    if not missing:
        return None
    log.info("preflight: missing system libraries: %s", ", ".join(missing))
    return install_sentence(missing)
