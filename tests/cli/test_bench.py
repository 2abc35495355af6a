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

from app.cli.bench_heartbeat import INDEX_DOCS
from app.core.bench import REQUIRED_KEYS

ROOT = Path(__file__).resolve().parents[2]

HEARTBEAT_KEYS = [
    f"heartbeat_{stat}_ms_{phase}"
    for phase in ("indexing", "loading", "api")
    for stat in ("max", "p99", "p50")
]
KNOWLEDGE_KEYS = [
    "knowledge_index_fts_seconds",
    "knowledge_index_fts_peak_mb",
    "knowledge_index_embed_seconds",
    "knowledge_index_embed_peak_mb",
    "knowledge_query_fts_ms_p50",
    "knowledge_query_fts_ms_p95",
    "knowledge_query_vector_ms_p95",
    "knowledge_query_hybrid_ms_p95",
    "knowledge_recall_at_3_fts_all",
]


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
    # Knowledge (issue 15) and the GUI heartbeat while indexing, loading, serving (issue 19).
    for key in HEARTBEAT_KEYS + KNOWLEDGE_KEYS:
        assert key in report, key
        assert isinstance(report[key], (int, float)) and math.isfinite(report[key]), key
    assert report["heartbeat_indexing_files"] == INDEX_DOCS[1]  # the Library indexed them all
    assert report["heartbeat_samples_loading"] > 0 and report["heartbeat_api_pieces"] > 0
    assert report["knowledge_index_embed_chunks_embedded"] > 0
    assert "## knowledge" in result.stdout
    assert report["info"]["cpu_variant"]
    assert report["info"]["machine"]["logical_cores"] >= 1
    # The table on stdout names the command to reproduce it.
    assert "python -m app bench --quick" in result.stdout
