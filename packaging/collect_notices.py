"""Gather the licence texts of every Python distribution the frozen app carries.

    python packaging/collect_notices.py OUT_FILE

Starts from the runtime dependencies in ``pyproject.toml``, follows their requirements
(markers evaluated for this machine, extras ignored), and writes each distribution's
licence files from its ``.dist-info`` into one text file, with Python's own licence.
The hand-written notices that need more than a licence file (the model weights, Qt's
LGPL with how to relink, llama.cpp) live in ``resources/licenses/``.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LICENSE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
# The dev extra and build tools are not in the bundle.
NOT_BUNDLED = {"pyinstaller", "pyinstaller-hooks-contrib", "setuptools", "pip"}


def _name(requirement: str) -> str:
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return found.group(1) if found else requirement.strip()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(requirement: str) -> bool:
    if ";" not in requirement:
        return True
    marker_text = requirement.split(";", 1)[1]
    if "extra" in marker_text:
        return False
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging, bundle the notice anyway: harmless
        return True
    return bool(Marker(marker_text).evaluate())


def runtime_distributions(root: Path = ROOT) -> list[metadata.Distribution]:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pending = [_name(req) for req in project.get("dependencies", []) if _applies(req)]
    seen: dict[str, metadata.Distribution] = {}
    while pending:
        name = _normal(pending.pop())
        if name in seen or name in NOT_BUNDLED:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        pending.extend(_name(req) for req in (dist.requires or []) if _applies(req))
    return [seen[key] for key in sorted(seen)]


def licence_texts(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if LICENSE_FILE.search(Path(str(file)).name):
            try:
                path = Path(str(dist.locate_file(file)))
                texts.append((str(file), path.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    return texts


def build_notices(root: Path = ROOT) -> str:
    out = [
        "Third-party notices for the Python packages bundled with Hearth",
        "=" * 64,
        "",
        "Generated at build time from the packages' own licence files. See also the other",
        "files in this folder: the model weights, Qt/PySide6 (LGPL-3.0, with how to relink)",
        "and llama.cpp / llama-cpp-python.",
        "",
    ]
    for dist in runtime_distributions(root):
        meta = dist.metadata
        licence = (meta.get_all("License-Expression") or meta.get_all("License") or [""])[0]
        if len(licence) > 80:  # some packages paste the whole text into this field
            licence = licence.splitlines()[0][:80]
        out += ["", "-" * 64, f"{meta['Name']} {dist.version}  {licence}".rstrip(), "-" * 64]
        texts = licence_texts(dist)
        if not texts:
            out.append(
                "(no licence file in its package metadata: see the other notices in this folder)"
            )
        for name, text in texts:
            out += [f"[{name}]", text.rstrip(), ""]
    python_licence = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    if python_licence.is_file():
        out += ["", "-" * 64, f"Python {sys.version.split()[0]}", "-" * 64]
        out.append(python_licence.read_text(encoding="utf-8", errors="replace").rstrip())
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(build_notices(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
