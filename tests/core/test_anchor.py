"""The llama-bench anchor: parsing its JSON and building the command (no compile here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core import anchor

SAMPLE = [
    {"n_prompt": 512, "n_gen": 0, "n_depth": 0, "flash_attn": False, "type_k": "f16",
     "n_threads": 2, "avg_ts": 60.7, "stddev_ts": 0.4},
    {"n_prompt": 0, "n_gen": 64, "n_depth": 0, "flash_attn": False, "type_k": "f16",
     "n_threads": 2, "avg_ts": 18.8, "stddev_ts": 0.1},
    {"n_prompt": 0, "n_gen": 64, "n_depth": 4096, "flash_attn": True, "type_k": "q8_0",
     "n_threads": 2, "avg_ts": 11.6, "stddev_ts": 0.2},
    {"n_prompt": 0, "n_gen": 64, "n_depth": 4096, "flash_attn": False, "type_k": "f16",
     "n_threads": 2, "avg_ts": 12.2, "stddev_ts": 0.2},
]  # fmt: skip


def test_parse_reads_rows_after_log_noise() -> None:
    rows = anchor.parse("load_backend: loaded CPU\n" + json.dumps(SAMPLE))
    assert [r.label for r in rows] == [
        "pp512@d0/fa0/f16",
        "tg64@d0/fa0/f16",
        "tg64@d4096/fa1/q8_0",
        "tg64@d4096/fa0/f16",
    ]
    assert rows[0].tokens_per_s == pytest.approx(60.7)


def test_best_picks_the_fastest_setting() -> None:
    rows = anchor.parse(json.dumps(SAMPLE))
    deep = anchor.best(rows, "tg", 4096, flash_attn=None)
    assert deep is not None and deep.tokens_per_s == pytest.approx(12.2)
    only_fa = anchor.best(rows, "tg", 4096, flash_attn=True)
    assert only_fa is not None and only_fa.type_k == "q8_0"
    assert anchor.best(rows, "pp", 4096, flash_attn=None) is None


@pytest.mark.parametrize("output", ["", "no json here", "[not json"])
def test_parse_refuses_garbage_with_a_sentence(output: str) -> None:
    with pytest.raises(anchor.AnchorError):
        anchor.parse(output)


def test_wheel_command_runs_on_the_shipped_libraries(tmp_path: Path) -> None:
    binary = tmp_path / "wheel" / "bin" / "llama-bench"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    argv, env, cwd = anchor.command(tmp_path, "wheel", Path("m.gguf"), threads=2, args=["-r", "1"])
    lib = anchor.wheel_lib_dir()
    assert cwd == lib
    assert env["LD_LIBRARY_PATH"].split(":")[0] == str(lib)
    assert argv[:7] == [str(binary), "-m", "m.gguf", "-t", "2", "-o", "json"]


def test_missing_build_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(anchor.AnchorError, match="missing"):
        anchor.command(tmp_path, "native", Path("m.gguf"), threads=2, args=[])
