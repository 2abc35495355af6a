"""``python -m app bench --anchor``: Hearth's figures against llama.cpp's own llama-bench.

The bench measures Hearth (reference loop, engine, app); this module runs llama-bench
(:mod:`app.core.anchor`) on the same file and threads at the same depths, in the same
run, and turns both into the ratios issue 19 asks for:

- ``app_vs_llama_bench_tg`` at depth 0 and ``app_vs_llama_bench_tg_deep`` at depth 4096;
- ``engine_vs_llama_bench_pp`` (prompt evaluation);
- ``wheel_vs_native_tg`` / ``wheel_vs_native_pp`` (the shipped portable wheel against a
  ``-march=native`` build of the same sources);
- llama-bench's own depth-4096 / depth-0 decode ratio with its best settings, next to
  Hearth's, and what flash attention does at each depth.

llama-bench is always compared at its best flash-attention setting: the anchor is what
llama.cpp can do on this CPU, not what Hearth happens to have chosen. Pure Python; the
ratio logic is tested with fake rows, nothing here is timed by tests.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from app.core import anchor
from app.core.anchor import BenchRow, Build
from app.core.cancel import CancelToken

log = logging.getLogger(__name__)

#: Depth of the "deep" figures: the bench's deep decode is measured at this depth too.
DEEP_DEPTH: Final = 4096
PROMPT_TOKENS: Final = 512
GEN_TOKENS: Final = 64
#: New tokens of the bench's turn-2 follow-up, evaluated at DEEP_DEPTH (llama-bench pp24
#: -d 4096). Exactly the count Hearth evaluates: a batch's cost is not linear in its size
#: (24 tokens took 505 ms, 32 tokens 543 ms here), so pp32 scaled down would understate it.
TURN2_TOKENS: Final = 24
#: The turn-2 TTFT target's allowance over llama.cpp's own time (issue 19).
TURN2_SLACK_MS: Final = 30.0

#: Targets from issue 19: (key, comparison, bound, description).
ANCHOR_TARGETS: Final[tuple[tuple[str, str, float, str], ...]] = (
    ("app_vs_llama_bench_tg", ">=", 0.97, "App / llama-bench tg, depth 0"),
    ("app_vs_llama_bench_tg_deep", ">=", 0.97, f"App / llama-bench tg, depth {DEEP_DEPTH}"),
    ("engine_vs_llama_bench_pp", ">=", 0.97, "Engine / llama-bench pp512"),
    ("wheel_vs_native_tg", ">=", 0.95, "Shipped wheel / native build, tg"),
    ("wheel_vs_native_pp", ">=", 0.95, "Shipped wheel / native build, pp"),
    ("app_deep_ratio_vs_llama_bench", ">=", 1.0, "Hearth's deep/shallow over llama-bench's"),
    ("turn2_ttft_vs_llama_bench_bound", "<=", 1.0, "Turn-2 TTFT at 4096 / llama-bench bound"),
)


@dataclass(slots=True)
class AnchorRun:
    """llama-bench rows per build, and what was run."""

    rows: dict[Build, list[BenchRow]] = field(default_factory=dict)
    seconds: dict[Build, float] = field(default_factory=dict)
    errors: dict[Build, str] = field(default_factory=dict)


def _speed(row: BenchRow | None) -> float:
    return row.tokens_per_s if row is not None else math.nan


def _ratio(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return math.nan
    return a / b


def best_speed(
    rows: Sequence[BenchRow],
    test: Literal["pp", "tg"],
    depth: int,
    *,
    flash_attn: bool | None = None,
) -> float:
    """llama-bench's best tok/s for a test at a depth (NaN when it was not run)."""
    return _speed(anchor.best(rows, test, depth, flash_attn=flash_attn))


def anchor_figures(
    hearth: Mapping[str, object],
    wheel: Sequence[BenchRow],
    native: Sequence[BenchRow] = (),
    *,
    deep_depth: int = DEEP_DEPTH,
    hearth_flash_attn: bool | None = None,
) -> dict[str, float]:
    """The ratios from Hearth's figures (the bench report's) and llama-bench's rows.

    The headline ratios take llama-bench at its best flash-attention setting per test
    (what llama.cpp can do here). With ``hearth_flash_attn`` (the setting Hearth ran
    with), the ``*_same_fa`` ratios also compare like with like: they separate Hearth's
    own overhead from the cost of its flash-attention choice.
    """

    def figure(key: str) -> float:
        value = hearth.get(key)
        return float(value) if isinstance(value, int | float) else math.nan

    tg = best_speed(wheel, "tg", 0)
    tg_deep = best_speed(wheel, "tg", deep_depth)
    pp = best_speed(wheel, "pp", 0)
    out: dict[str, float] = {
        "llama_bench_tg_tok_s": tg,
        "llama_bench_tg_deep_tok_s": tg_deep,
        "llama_bench_pp_tok_s": pp,
        "app_vs_llama_bench_tg": _ratio(figure("app_tg_tok_s"), tg),
        "app_vs_llama_bench_tg_deep": _ratio(figure("app_tg_deep_tok_s"), tg_deep),
        "engine_vs_llama_bench_tg": _ratio(figure("engine_tg_tok_s"), tg),
        "engine_vs_llama_bench_tg_deep": _ratio(figure("engine_tg_deep_tok_s"), tg_deep),
        "engine_vs_llama_bench_pp": _ratio(figure("engine_pp_tok_s"), pp),
        "llama_bench_deep_vs_shallow_tg": _ratio(tg_deep, tg),
        "app_deep_vs_shallow_tg": _ratio(figure("app_tg_deep_tok_s"), figure("app_tg_tok_s")),
    }
    out["app_deep_ratio_vs_llama_bench"] = _ratio(
        out["app_deep_vs_shallow_tg"], out["llama_bench_deep_vs_shallow_tg"]
    )
    # Turn 2 at 4096 history: llama.cpp's time for the new tokens at that depth, plus one
    # decode, plus 30 ms is the most Hearth's TTFT may take.
    pp_deep = best_speed(wheel, "pp", deep_depth)
    out["llama_bench_pp_deep_tok_s"] = pp_deep
    history = hearth.get("turn2_ttft_ms_by_history")
    evaluated = hearth.get("turn2_evaluated_tokens_by_history")
    key = str(deep_depth)
    ttft = float(history[key]) if isinstance(history, Mapping) and key in history else math.nan
    new_tokens = (
        float(evaluated[key])
        if isinstance(evaluated, Mapping) and key in evaluated
        else float(TURN2_TOKENS)
    )
    bound = math.nan
    if pp_deep > 0 and tg_deep > 0:
        bound = new_tokens / pp_deep * 1000 + 1000 / tg_deep + TURN2_SLACK_MS
    out["turn2_ttft_bound_ms"] = bound
    out["turn2_ttft_vs_llama_bench_bound"] = _ratio(ttft, bound)
    # What flash attention does in llama-bench at each depth (>1: faster with it on).
    for depth, suffix in ((0, ""), (deep_depth, "_deep")):
        out[f"llama_bench_fa_on_vs_off_tg{suffix}"] = _ratio(
            best_speed(wheel, "tg", depth, flash_attn=True),
            best_speed(wheel, "tg", depth, flash_attn=False),
        )
    out["llama_bench_fa_on_vs_off_pp"] = _ratio(
        best_speed(wheel, "pp", 0, flash_attn=True), best_speed(wheel, "pp", 0, flash_attn=False)
    )
    if hearth_flash_attn is not None:
        fa = hearth_flash_attn
        same_pp = best_speed(wheel, "pp", 0, flash_attn=fa)
        same_tg = best_speed(wheel, "tg", 0, flash_attn=fa)
        same_tg_deep = best_speed(wheel, "tg", deep_depth, flash_attn=fa)
        same_pp_deep = best_speed(wheel, "pp", deep_depth, flash_attn=fa)
        out["engine_vs_llama_bench_pp_same_fa"] = _ratio(figure("engine_pp_tok_s"), same_pp)
        out["app_vs_llama_bench_tg_same_fa"] = _ratio(figure("app_tg_tok_s"), same_tg)
        out["app_vs_llama_bench_tg_deep_same_fa"] = _ratio(
            figure("app_tg_deep_tok_s"), same_tg_deep
        )
        same_bound = math.nan
        if same_pp_deep > 0 and same_tg_deep > 0:
            same_bound = new_tokens / same_pp_deep * 1000 + 1000 / same_tg_deep + TURN2_SLACK_MS
        out["turn2_ttft_bound_same_fa_ms"] = same_bound
        out["turn2_ttft_vs_llama_bench_bound_same_fa"] = _ratio(ttft, same_bound)
    if native:
        native_tg = best_speed(native, "tg", 0)
        native_pp = best_speed(native, "pp", 0)
        out["native_llama_bench_tg_tok_s"] = native_tg
        out["native_llama_bench_tg_deep_tok_s"] = best_speed(native, "tg", deep_depth)
        out["native_llama_bench_pp_tok_s"] = native_pp
        out["wheel_vs_native_tg"] = _ratio(tg, native_tg)
        out["wheel_vs_native_pp"] = _ratio(pp, native_pp)
    return out


def anchor_series(run: AnchorRun) -> dict[str, list[tuple[float, float]]]:
    """tok/s against depth per build and flash-attention setting, for the chart."""
    series: dict[str, list[tuple[float, float]]] = {}
    for build, rows in run.rows.items():
        for row in sorted(rows, key=lambda r: r.depth):
            if row.test != "tg":
                continue
            # Short names: the chart's legend has about 16 characters per entry.
            prefix = "llama-bench" if build == "wheel" else "native"
            name = f"{prefix} FA{int(row.flash_attn)}"
            # The middle of the tg window: decode runs from depth to depth + n_tokens.
            series.setdefault(name, []).append((row.depth + row.n_tokens / 2, row.tokens_per_s))
    return series


def anchor_markdown(figures: Mapping[str, object], run: AnchorRun) -> str:
    """The anchor's section for docs/BENCHMARKS.md: llama-bench rows and the targets."""
    lines = ["", "| llama-bench build | test | tok/s | ± |", "| --- | --- | --- | --- |"]
    for build, rows in run.rows.items():
        for row in rows:
            lines.append(f"| {build} | `{row.label}` | {row.tokens_per_s:.2f} | {row.stddev:.2f} |")
    for build, error in run.errors.items():
        lines.append(f"| {build} | failed: {error} | | |")
    lines += ["", "| anchor target | measured | goal | verdict |", "| --- | --- | --- | --- |"]
    for key, op, bound, description in ANCHOR_TARGETS:
        value = figures.get(key)
        if not isinstance(value, float) or math.isnan(value):
            lines.append(f"| {description} | n/a | {op} {bound:g} | not measured |")
            continue
        met = value >= bound if op == ">=" else value <= bound
        verdict = "met" if met else "MISSED"
        lines.append(f"| {description} | {value:.3f} | {op} {bound:g} | {verdict} |")
    return "\n".join(lines) + "\n"


def run_anchor(
    model: Path,
    *,
    threads: int,
    native: bool = True,
    repetitions: int = 2,
    deep_depth: int = DEEP_DEPTH,
    cancel: CancelToken | None = None,
    say: Callable[[str], None] = log.info,
    bench_dir: Path | None = None,
) -> AnchorRun:
    """Build llama-bench once per machine, then run it (wheel, and native if built).

    Per build: pp512 at depth 0, and tg64 at depth 0 and ``deep_depth``, each with flash
    attention off and on and an f16 cache (what Hearth uses by default); for the wheel
    build also pp24 at ``deep_depth`` (the turn-2 TTFT bound).
    """
    if bench_dir is None:
        say("building llama-bench (once per machine; may take several minutes)")
        bench_dir = anchor.build(native=native)
    run = AnchorRun()
    builds: list[Build] = ["wheel"]
    if native and (bench_dir / "native" / "bin" / "llama-bench").is_file():
        builds.append("native")
    for build in builds:
        started = time.perf_counter()
        say(f"llama-bench ({build}): pp{PROMPT_TOKENS}, tg{GEN_TOKENS} at 0 and {deep_depth}")
        try:
            rows = anchor.run(
                bench_dir, build, model, threads=threads, n_prompt=PROMPT_TOKENS, n_gen=0,
                depths=(0,), repetitions=repetitions, cancel=cancel,
            )  # fmt: skip
            rows += anchor.run(
                bench_dir, build, model, threads=threads, n_prompt=0, n_gen=GEN_TOKENS,
                depths=(0, deep_depth), repetitions=repetitions, cancel=cancel,
            )  # fmt: skip
            if build == "wheel":  # the turn-2 bound: a few new tokens at depth
                rows += anchor.run(
                    bench_dir, build, model, threads=threads, n_prompt=TURN2_TOKENS, n_gen=0,
                    depths=(deep_depth,), repetitions=repetitions, cancel=cancel,
                )  # fmt: skip
        except anchor.AnchorError as exc:
            if cancel is not None and cancel.cancelled:
                raise
            log.error("llama-bench %s failed: %s (%s)", build, exc, exc.detail)
            run.errors[build] = str(exc)
            continue
        run.rows[build] = rows
        run.seconds[build] = time.perf_counter() - started
    return run
