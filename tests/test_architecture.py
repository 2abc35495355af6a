"""Architecture rules that must not erode (import-linter checks the same in `make test`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"


def imported_modules(path: Path) -> list[tuple[str, int, bool]]:
    """(module, line, at_module_level) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno, id(node) in top_level))
    return found


CORE_FILES = sorted((APP / "core").rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.name)
def test_core_never_imports_qt(path: Path) -> None:
    for module, line, _top in imported_modules(path):
        root = module.split(".")[0]
        assert root not in {"PySide6", "shiboken6"}, f"{path.name}:{line} imports {module}"
        assert not module.startswith(("app.ui", "app.workers")), f"{path.name}:{line}"


@pytest.mark.parametrize("path", sorted(APP.rglob("*.py")), ids=lambda p: str(p.relative_to(APP)))
def test_only_the_engine_imports_llama_cpp_and_lazily(path: Path) -> None:
    for module, line, top in imported_modules(path):
        if module.split(".")[0] != "llama_cpp":
            continue
        assert path == APP / "core" / "engines" / "native.py", f"{path}:{line} imports llama_cpp"
        assert not top, f"engines/native.py:{line} imports llama_cpp at module level"


HTTP_CLIENTS = {"httpx", "httpcore", "urllib3", "requests", "http", "aiohttp", "socket", "ssl"}
#: The single-instance hand-over talks over an AF_UNIX socket (a file, never the network):
#: these modules may import ``socket``, and may name no other address family.
LOCAL_SOCKET_ONLY = {APP / "core" / "instance.py", APP / "ui" / "single_instance.py"}


@pytest.mark.parametrize("path", sorted(APP.rglob("*.py")), ids=lambda p: str(p.relative_to(APP)))
def test_only_the_network_gateway_touches_the_network(path: Path) -> None:
    for module, line, _top in imported_modules(path):
        root = module.split(".")[0]
        if module in ("urllib.request", "http.client") or root in HTTP_CLIENTS:
            if module in ("http",) or module.startswith("http.server"):
                continue
            if module == "socket" and path in LOCAL_SOCKET_ONLY:
                text = path.read_text(encoding="utf-8")
                assert not re.search(r"AF_INET|AF_PACKET|create_connection", text), path
                continue
            assert path == APP / "core" / "network.py", f"{path}:{line} imports {module}"


def test_the_scanner_sees_lazy_and_top_level_imports(tmp_path: Path) -> None:
    # Guards the guards: a scanner that saw nothing would make every check above pass.
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom PySide6.QtCore import Qt\ndef f():\n    import llama_cpp\n")
    assert imported_modules(sample) == [
        ("os", 1, True),
        ("PySide6.QtCore", 2, True),
        ("llama_cpp", 4, False),
    ]
