"""Icon files for each platform (packaging/make_icons.py) and the licence notices."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from types import ModuleType

import pytest

from tests.packaging.conftest import ROOT, load_packaging_module

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # IHDR follows the signature
    return width, height


@pytest.fixture(scope="module")
def icons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    # make_icons creates a QGuiApplication if there is none; create the QApplication the
    # widget tests need first, so the process never holds the wrong kind.
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])
    make_icons: ModuleType = load_packaging_module("make_icons")
    return make_icons.make_icons(tmp_path_factory.mktemp("icons"))  # type: ignore[no-any-return]


def test_ico_holds_one_png_per_size(icons: dict[str, Path]) -> None:
    data = icons["ico"].read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, _h, _c, _r, _planes, _bpp, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 6 + 16 * (index + 1)]
        )
        image = data[offset : offset + length]
        real = png_size(image)
        assert real[0] == (width or 256)
        sizes.append(real[0])
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_elements_are_pngs_of_the_declared_size(icons: dict[str, Path]) -> None:
    data = icons["icns"].read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    expected = dict(load_packaging_module("make_icons").ICNS_TYPES)
    position, seen = 8, {}
    while position < len(data):
        kind = data[position : position + 4]
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        seen[kind] = png_size(data[position + 8 : position + length])[0]
        position += length
    assert seen == expected


def test_linux_icon_is_256_pixels(icons: dict[str, Path]) -> None:
    assert png_size(icons["png"].read_bytes()) == (256, 256)


LICENCES = ROOT / "resources" / "licenses"


def test_licence_index_names_files_that_exist() -> None:
    index = json.loads((LICENCES / "licenses.json").read_text(encoding="utf-8"))
    assert index["version"] == 1
    for notice in index["notices"]:
        if not notice.get("optional"):
            assert (LICENCES / notice["file"]).is_file(), notice["file"]


@pytest.mark.parametrize(
    ("file_name", "must_contain"),
    [
        ("DeepSeek-R1-Distill-Qwen-MIT.txt", "Copyright (c) 2023 DeepSeek"),
        ("DeepSeek-R1-Distill-Qwen-MIT.txt", "Apache License"),
        ("Qt-PySide6-LGPL-3.0.txt", "PySide6/Qt/lib/libQt6"),
        ("llama.cpp-MIT.txt", "The ggml authors"),
        ("llama-cpp-python-MIT.txt", "Andrei Betlen"),
        ("LGPL-3.0.txt", "GNU LESSER GENERAL PUBLIC LICENSE"),
        ("GPL-3.0.txt", "GNU GENERAL PUBLIC LICENSE"),
    ],
)
def test_licence_notices_say_what_they_must(file_name: str, must_contain: str) -> None:
    assert must_contain in (LICENCES / file_name).read_text(encoding="utf-8")


def test_third_party_notices_cover_the_runtime_packages() -> None:
    notices = load_packaging_module("collect_notices")
    names = {dist.metadata["Name"].lower() for dist in notices.runtime_distributions()}
    assert {"numpy", "jinja2", "gguf", "platformdirs"} <= names
    assert not {"pytest", "mypy", "ruff", "pyinstaller"} & names
