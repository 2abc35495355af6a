"""``python -m app docs``: add, index (with bad files listed), search, list, remove."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.__main__ import apply_global_options, build_parser
from app.cli import docs as docs_cli
from app.core.knowledge.bertgguf import write_tiny_bert_gguf

CORPUS = Path(__file__).resolve().parents[1] / "support" / "corpus" / "notes"


def run_cli(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    apply_global_options(args)
    return int(docs_cli.run(args))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path / "hearth"))
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_hearth", False)]:
        root.removeHandler(handler)
        handler.close()


def test_add_index_search_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes"
    shutil.copytree(CORPUS, notes)
    (notes / "blob.txt").write_bytes(bytes(range(256)) * 4)
    assert run_cli(["docs", "add", "notes", str(notes)]) == 0
    assert run_cli(["docs", "index", "notes"]) == 1  # one file could not be indexed
    out = capsys.readouterr().out
    assert "8 indexed" in out and "blob.txt" in out and "binary" in out
    assert run_cli(["docs", "search", "祭灶是哪一天", "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] ") and "灶台-gbk.txt (line" in out and "腊月二十三" in out
    assert run_cli(["docs", "list", "--bad"]) == 0
    out = capsys.readouterr().out
    assert "notes: 8 files" in out and "! " in out
    assert run_cli(["docs", "index"]) == 1
    assert "0 indexed, 8 unchanged" in capsys.readouterr().out
    assert run_cli(["docs", "remove", "notes"]) == 0
    capsys.readouterr()
    assert run_cli(["docs", "search", "anything"]) == 1


def test_index_with_an_embedding_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = write_tiny_bert_gguf(tmp_path / "tiny-bert.gguf")
    one = tmp_path / "one.md"
    one.write_text("# Chimney\n\nSweep the chimney once a year.", encoding="utf-8")
    assert run_cli(["docs", "add", "c", str(one)]) == 0
    assert run_cli(["docs", "index", "c", "--embed", str(model)]) == 0
    assert "1 embedded" in capsys.readouterr().out
    assert run_cli(["docs", "search", "chimney", "--embed", str(model)]) == 0


def test_errors_are_sentences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["docs", "add", "x", str(tmp_path / "missing")]) == 1
    assert run_cli(["docs", "index", "nope"]) == 1
    assert "no collection named" in capsys.readouterr().err
