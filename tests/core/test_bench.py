"""Statistics and report writing of the benchmark harness (no model, no Qt)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app.core.bench import (
    REQUIRED_KEYS,
    BenchReport,
    markdown_table,
    median,
    percentile,
    rate,
    read_rss,
    target_rows,
    windowed_rates,
    write_json,
)


def test_percentile_interpolates_and_is_nan_when_empty() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile(list(range(101)), 99) == 99.0
    assert math.isnan(percentile([], 50))
    assert math.isnan(median([]))


def test_rates_count_intervals_between_tokens() -> None:
    times = [0.0, 0.1, 0.2, 0.3, 0.4]
    assert rate(times) == pytest.approx(10.0)
    assert rate([1.0]) == 0.0
    [(position, speed), second] = windowed_rates(times, 100, 2)
    assert position == 101.0 and speed == pytest.approx(10.0)
    assert second[0] == 103.0


def test_report_json_is_flat_and_nan_becomes_null(tmp_path: Path) -> None:
    report = BenchReport()
    for key in REQUIRED_KEYS:
        report.set(key, 1.0)
    report.set("turn2_ttft_ms_by_history", {"512": 10.0, "2048": 12.0})
    report.set("stop_decode_ms", math.nan)
    assert report.missing_keys() == []
    write_json(report, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["turn2_ttft_ms_by_history"] == {"512": 10.0, "2048": 12.0}
    assert data["stop_decode_ms"] is None
    assert data["reference_tg_tok_s"] == 1.0


def test_targets_are_judged_and_the_table_names_the_command() -> None:
    report = BenchReport(figures={"heartbeat_p99_ms": 20.0, "load_warm_ms": 500.0})
    verdicts = {row[0]: row[3] for row in target_rows(report.figures)}
    assert verdicts["GUI heartbeat lateness p99"] == "MISSED"
    assert verdicts["Warm model load"] == "met"
    assert verdicts["Stop during decode"] == "not measured"
    assert "`python -m app bench`" in markdown_table(report, "python -m app bench")


def test_rss_reading_splits_file_and_anonymous_memory() -> None:
    sample = read_rss()
    assert sample.total_mb > 0
    assert sample.anon_mb > 0
