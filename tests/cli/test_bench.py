"""``python -m app bench --quick`` produces every figure the report promises.

Runs the harness in a child process (it builds its own QApplication and loads models), on
the tiny model, and checks the JSON's keys and types. It asserts no speed: figures are
for the script's reader, not for a timed test.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from app.core.bench import REQUIRED_KEYS

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_writes_every_required_figure_as_a_number(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = dict(os.environ, HEARTH_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "app", "bench", "--quick", "--skip-subprocess", "--json", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert key in report, key
        value = report[key]
        if key == "turn2_ttft_ms_by_history":
            assert set(value) == {"512", "2048", "4096"}
            assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in value.values())
        else:
            assert isinstance(value, (int, float)) and math.isfinite(value), (key, value)
    assert report["info"]["cpu_variant"]
    assert report["info"]["machine"]["logical_cores"] >= 1
    # The table on stdout names the command to reproduce it.
    assert "python -m app bench --quick" in result.stdout
