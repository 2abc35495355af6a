"""The anchor's ratios from fake llama-bench rows (no llama-bench, no timing)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.core import anchor, bench_anchor
from app.core.anchor import BenchRow
from app.core.bench_anchor import AnchorRun, anchor_figures, anchor_markdown, anchor_series


def row(test: str, depth: int, fa: bool, speed: float, n: int = 64) -> BenchRow:
    return BenchRow(test, n, depth, fa, "f16", 2, speed, 0.1)  # type: ignore[arg-type]


# The Zen 3 figures, shaped like llama-bench's (tg at depth 4096 instead of 3000).
WHEEL = [
    row("pp", 0, False, 58.0, 512),
    row("pp", 0, True, 60.0, 512),
    row("tg", 0, False, 18.8),
    row("tg", 0, True, 16.4),
    row("tg", 4096, False, 11.0),
    row("tg", 4096, True, 11.5),
]
NATIVE = [row("pp", 0, False, 61.0, 512), row("tg", 0, False, 19.6), row("tg", 4096, False, 12.0)]
HEARTH = {
    "app_tg_tok_s": 18.2,
    "app_tg_deep_tok_s": 9.2,
    "engine_tg_tok_s": 18.5,
    "engine_tg_deep_tok_s": 11.0,
    "engine_pp_tok_s": 57.0,
}


def test_ratios_use_llama_benchs_best_setting_at_each_depth() -> None:
    figures = anchor_figures(HEARTH, WHEEL, NATIVE)
    # Depth 0: FA off is best (18.8); depth 4096: FA on is best (11.5); pp: FA on (60).
    assert figures["llama_bench_tg_tok_s"] == pytest.approx(18.8)
    assert figures["llama_bench_tg_deep_tok_s"] == pytest.approx(11.5)
    assert figures["app_vs_llama_bench_tg"] == pytest.approx(18.2 / 18.8)
    assert figures["app_vs_llama_bench_tg_deep"] == pytest.approx(9.2 / 11.5)
    assert figures["engine_vs_llama_bench_tg_deep"] == pytest.approx(11.0 / 11.5)
    assert figures["engine_vs_llama_bench_pp"] == pytest.approx(57.0 / 60.0)
    assert figures["wheel_vs_native_tg"] == pytest.approx(18.8 / 19.6)
    assert figures["wheel_vs_native_pp"] == pytest.approx(60.0 / 61.0)
    assert figures["llama_bench_deep_vs_shallow_tg"] == pytest.approx(11.5 / 18.8)
    assert figures["app_deep_vs_shallow_tg"] == pytest.approx(9.2 / 18.2)
    assert figures["app_deep_ratio_vs_llama_bench"] == pytest.approx((9.2 / 18.2) / (11.5 / 18.8))


def test_flash_attention_effect_per_depth() -> None:
    figures = anchor_figures(HEARTH, WHEEL)
    assert figures["llama_bench_fa_on_vs_off_tg"] == pytest.approx(16.4 / 18.8)
    assert figures["llama_bench_fa_on_vs_off_tg_deep"] == pytest.approx(11.5 / 11.0)
    assert figures["llama_bench_fa_on_vs_off_pp"] == pytest.approx(60.0 / 58.0)


def test_missing_figures_are_nan_never_zero() -> None:
    figures = anchor_figures({"app_tg_tok_s": 18.0}, [row("tg", 0, False, 18.0)])
    assert figures["app_vs_llama_bench_tg"] == pytest.approx(1.0)
    for key in ("app_vs_llama_bench_tg_deep", "engine_vs_llama_bench_pp"):
        assert math.isnan(figures[key])
    assert "wheel_vs_native_tg" not in figures  # no native build: no such ratio


def test_the_markdown_shows_rows_targets_and_failures() -> None:
    run = AnchorRun(rows={"wheel": WHEEL}, errors={"native": "llama-bench (native) failed."})
    text = anchor_markdown(anchor_figures(HEARTH, WHEEL), run)
    assert "`tg64@d4096/fa1/f16` | 11.50" in text
    assert "| native | failed: llama-bench (native) failed. |" in text
    assert "| App / llama-bench tg, depth 0 | 0.968 | >= 0.97 | MISSED |" in text
    assert "| Engine / llama-bench pp512 | 0.950 | >= 0.97 | MISSED |" in text
    assert "| Shipped wheel / native build, tg | n/a | >= 0.95 | not measured |" in text


def test_series_put_each_decode_window_at_its_depth() -> None:
    series = anchor_series(AnchorRun(rows={"wheel": WHEEL, "native": NATIVE}))
    assert series["llama-bench FA0"] == [(32.0, 18.8), (4128.0, 11.0)]
    assert series["llama-bench FA1"] == [(32.0, 16.4), (4128.0, 11.5)]
    assert series["native FA0"] == [(32.0, 19.6), (4128.0, 12.0)]


def test_run_anchor_runs_pp_and_tg_per_build_and_keeps_a_failed_build_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for build in ("wheel", "native"):
        binary = tmp_path / build / "bin" / "llama-bench"
        binary.parent.mkdir(parents=True)
        binary.write_text("", encoding="utf-8")
    calls: list[tuple[str, int, int, tuple[int, ...]]] = []

    def fake_run(bench_dir: Path, which: str, model: Path, **kw: object) -> list[BenchRow]:
        calls.append((which, kw["n_prompt"], kw["n_gen"], tuple(kw["depths"])))  # type: ignore[arg-type]
        if which == "native":
            raise anchor.AnchorError("llama-bench (native) failed with exit code 1.")
        return [row("tg", 0, False, 18.0)]

    monkeypatch.setattr(anchor, "run", fake_run)
    run = bench_anchor.run_anchor(tmp_path / "m.gguf", threads=2, bench_dir=tmp_path)
    assert calls == [
        ("wheel", 512, 0, (0,)),
        ("wheel", 0, 64, (0, 4096)),
        ("wheel", 24, 0, (4096,)),
        ("native", 512, 0, (0,)),
    ]
    assert len(run.rows["wheel"]) == 3
    assert "native" not in run.rows and "exit code 1" in run.errors["native"]


def test_the_turn2_bound_is_new_tokens_at_depth_plus_one_decode_plus_30_ms() -> None:
    rows = [*WHEEL, row("pp", 4096, False, 40.0, 32), row("pp", 4096, True, 32.0, 32)]
    hearth = {
        **HEARTH,
        "turn2_ttft_ms_by_history": {"512": 500.0, "4096": 1200.0},
        "turn2_evaluated_tokens_by_history": {"4096": 24.0},
    }
    figures = anchor_figures(hearth, rows)
    bound = 24 / 40.0 * 1000 + 1000 / 11.5 + 30  # 600 + 87 + 30 ms
    assert figures["turn2_ttft_bound_ms"] == pytest.approx(bound)
    assert figures["turn2_ttft_vs_llama_bench_bound"] == pytest.approx(1200.0 / bound)
    assert math.isnan(anchor_figures(HEARTH, rows)["turn2_ttft_vs_llama_bench_bound"])


def test_same_setting_ratios_compare_hearth_with_llama_bench_at_hearths_flash_attention() -> None:
    rows = [*WHEEL, row("pp", 4096, False, 40.0, 32), row("pp", 4096, True, 32.0, 32)]
    hearth = {
        **HEARTH,
        "turn2_ttft_ms_by_history": {"4096": 1200.0},
        "turn2_evaluated_tokens_by_history": {"4096": 24.0},
    }
    off = anchor_figures(hearth, rows, hearth_flash_attn=False)
    # pp512 is best with FA on (60) but Hearth ran with it off: like with like is 58.
    assert off["engine_vs_llama_bench_pp"] == pytest.approx(57.0 / 60.0)
    assert off["engine_vs_llama_bench_pp_same_fa"] == pytest.approx(57.0 / 58.0)
    assert off["app_vs_llama_bench_tg_same_fa"] == pytest.approx(18.2 / 18.8)
    assert off["app_vs_llama_bench_tg_deep_same_fa"] == pytest.approx(9.2 / 11.0)
    same_bound = 24 / 40.0 * 1000 + 1000 / 11.0 + 30
    assert off["turn2_ttft_bound_same_fa_ms"] == pytest.approx(same_bound)
    on = anchor_figures(hearth, rows, hearth_flash_attn=True)
    assert on["app_vs_llama_bench_tg_same_fa"] == pytest.approx(18.2 / 16.4)
    assert on["turn2_ttft_bound_same_fa_ms"] == pytest.approx(24 / 32.0 * 1000 + 1000 / 11.5 + 30)
    assert "engine_vs_llama_bench_pp_same_fa" not in anchor_figures(hearth, rows)
