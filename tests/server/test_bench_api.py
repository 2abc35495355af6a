"""``bench --api`` produces every figure (values are printed, never asserted as timings)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app.server import bench


@pytest.mark.slow
def test_the_cli_runs_the_api_section(
    tiny_model_f32: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.__main__ import main

    out = tmp_path / "api.json"
    code = main(["bench", "--api", "--quick", "--model", str(tiny_model_f32), "--json", str(out)])
    assert code == 0
    table = capsys.readouterr().out
    assert "### API (`bench --api`)" in table and "TTFT added by the API" in table
    figures = json.loads(out.read_text())
    assert set(figures) == set(bench._LABELS)
    for key in ("direct_tg_tok_s", "api_tg_tok_s", "direct_ttft_ms", "api_ttft_ms"):
        assert figures[key] > 0, key
    assert figures["concurrent4_total_tok_s"] > 0
    assert not math.isnan(figures["heartbeat_max_late_ms"])
