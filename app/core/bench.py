"""The pure-Python half of ``python -m app bench``: statistics, memory sampling, machine
facts, the stand-in model cache, and the JSON / Markdown report.

The measuring itself (llama.cpp loops, the engine, the Qt window) lives in
``app/cli/bench.py``; everything here is testable without a model or Qt.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from app.core.atomic import write_text_atomic
from app.core.cancel import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

#: Version of the JSON report layout; bump when keys change meaning.
REPORT_VERSION: Final = 1
#: Bump when the stand-in generator changes, so a stale cached file is not reused.
STANDIN_VERSION: Final = 1

#: Keys every report carries (the CI check and other tools rely on them).
REQUIRED_KEYS: Final[tuple[str, ...]] = (
    "reference_tg_tok_s",
    "engine_tg_tok_s",
    "app_tg_tok_s",
    "reference_tg_deep_tok_s",
    "engine_tg_deep_tok_s",
    "app_tg_deep_tok_s",
    "engine_vs_reference_first512",
    "engine_vs_reference_deep",
    "app_vs_reference_first512",
    "app_vs_reference_deep",
    "reference_pp_tok_s",
    "engine_pp_tok_s",
    "ttft_ms",
    "ttft_overhead_ms",
    "app_ttft_ms",
    "turn2_ttft_ms_by_history",
    "stop_prefill_ms",
    "stop_decode_ms",
    "heartbeat_p50_ms",
    "heartbeat_p99_ms",
    "heartbeat_max_ms",
    "startup_window_ms",
    "load_cold_ms",
    "load_warm_ms",
    "peak_rss_mb",
    "peak_rss_file_mb",
    "peak_rss_anon_mb",
    "vote_4_vs_1_time_ratio",
)

#: Targets from the benchmark issue: (key, comparison, bound, description).
TARGETS: Final[tuple[tuple[str, str, float, str], ...]] = (
    ("app_vs_reference_first512", ">=", 0.97, "App/reference tok/s, first tokens"),
    ("app_vs_reference_deep", ">=", 0.97, "App/reference tok/s, depth 4096"),
    ("ttft_overhead_ms", "<=", 30.0, "TTFT minus (prompt eval + one decode)"),
    ("stop_prefill_ms", "<=", 200.0, "Stop during prefill"),
    ("stop_decode_ms", "<=", 200.0, "Stop during decode"),
    ("heartbeat_p99_ms", "<=", 16.0, "GUI heartbeat lateness p99"),
    ("heartbeat_max_ms", "<=", 50.0, "GUI heartbeat lateness max"),
    # app/cli/bench_heartbeat.py and the knowledge section (issues 15 and 19)
    ("heartbeat_max_ms_indexing", "<=", 50.0, "GUI heartbeat max while the Library indexes"),
    ("heartbeat_max_ms_loading", "<=", 50.0, "GUI heartbeat max while a model loads"),
    ("heartbeat_max_ms_api", "<=", 50.0, "GUI heartbeat max while the API streams"),
    ("knowledge_query_hybrid_ms_p95", "<=", 100.0, "Hybrid query p95 (100k chunks)"),
    ("startup_window_ms", "<=", 1500.0, "Start to a shown window (no model)"),
    ("load_warm_ms", "<=", 1000.0, "Warm model load"),
    ("vote_4_vs_1_time_ratio", "<=", 1.6, "4 samples together / one answer, wall time"),
)


# --- statistics ----------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    """Median, or NaN for no values (a missing figure must not look like zero)."""
    data = [v for v in values if not math.isnan(v)]
    return float(statistics.median(data)) if data else math.nan


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation; NaN when empty."""
    if not values:
        return math.nan
    data = sorted(values)
    if len(data) == 1:
        return float(data[0])
    rank = (len(data) - 1) * min(100.0, max(0.0, q)) / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return float(data[low] + (data[high] - data[low]) * (rank - low))


def rate(times: Sequence[float]) -> float:
    """Tokens per second from the instants tokens were produced: (n - 1) / span."""
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


def windowed_rates(
    times: Sequence[float], start_position: int, window: int
) -> list[tuple[float, float]]:
    """(mid position, tok/s) for consecutive windows of ``window`` tokens, for the chart."""
    points: list[tuple[float, float]] = []
    for begin in range(0, len(times) - window, window):
        span = times[begin + window] - times[begin]
        if span > 0:
            points.append((start_position + begin + window / 2, window / span))
    return points


def ratio(numerator: float, denominator: float) -> float:
    if denominator <= 0 or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def lateness_summary(lateness_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50": percentile(lateness_ms, 50),
        "p99": percentile(lateness_ms, 99),
        "max": max(lateness_ms) if lateness_ms else math.nan,
        "count": float(len(lateness_ms)),
    }


# --- memory --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RssSample:
    """Resident memory in MiB, split like ``/proc/<pid>/status`` does."""

    total_mb: float
    file_mb: float
    anon_mb: float


def read_rss(pid: int | None = None) -> RssSample:
    """Current resident memory; file-mapped (the mmap'd model) vs anonymous (KV, buffers)."""
    status = Path(f"/proc/{pid or 'self'}/status")
    try:
        fields: dict[str, float] = {}
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                fields[key] = float(value.split()[0]) / 1024.0
        return RssSample(
            total_mb=fields.get("VmRSS", math.nan),
            file_mb=fields.get("RssFile", 0.0) + fields.get("RssShmem", 0.0),
            anon_mb=fields.get("RssAnon", math.nan),
        )
    except OSError:
        # Not Linux: psutil knows the total only.
        import psutil

        rss = psutil.Process(pid).memory_info().rss / (1 << 20)
        return RssSample(total_mb=rss, file_mb=math.nan, anon_mb=math.nan)


class RssSampler:
    """Samples this process's RSS on a daemon thread; keeps the peaks since :meth:`reset`."""

    # 250 ms: RSS grows in large, slow steps (model mapping, KV allocation); sampling
    # faster measurably steals decode time from the threads being measured (~5% at 50 ms).
    def __init__(self, interval_s: float = 0.25) -> None:
        self._interval = interval_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.peak = RssSample(0.0, 0.0, 0.0)

    def reset(self) -> None:
        with self._lock:
            self.peak = RssSample(0.0, 0.0, 0.0)

    def sample(self) -> None:
        now = read_rss()
        with self._lock:
            old = self.peak
            self.peak = RssSample(
                max(old.total_mb, now.total_mb),
                max(old.file_mb, now.file_mb),
                max(old.anon_mb, now.anon_mb),
            )

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.sample()


# --- the machine ---------------------------------------------------------------------------

_INTERESTING_FLAGS: Final = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)


def machine_info() -> dict[str, Any]:
    """CPU model, the SIMD flags that matter for llama.cpp, cores and RAM."""
    import psutil

    model = platform.processor() or platform.machine()
    flags: set[str] = set()
    try:
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
        ):
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name":
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cpu_flags": [flag for flag in _INTERESTING_FLAGS if flag in flags],
        "logical_cores": os.cpu_count() or 0,
        "physical_cores": psutil.cpu_count(logical=False) or 0,
        "ram_gb": round(psutil.virtual_memory().total / (1 << 30), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else [],
    }


# --- the stand-in model --------------------------------------------------------------------


def standin_path(cache_dir: Path, quant: str = "Q4_K_M", layers: int | None = None) -> Path:
    shape = f"{layers}l" if layers is not None else "full"
    return cache_dir / f"standin-r1-1p5b-{shape}-{quant.lower()}-v{STANDIN_VERSION}.gguf"


def ensure_standin(
    cache_dir: Path,
    *,
    quant: str = "Q4_K_M",
    layers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[Path, float]:
    """The cached stand-in model, written first if missing; returns (path, seconds spent)."""
    from app.core.tinymodel import write_standin_1p5b_gguf

    target = standin_path(cache_dir, quant, layers)
    if target.is_file() and target.stat().st_size > 0:
        return target, 0.0
    started = time.perf_counter()
    log.info("writing the stand-in model %s (takes a few minutes, once)", target)
    write_standin_1p5b_gguf(target, quant=quant, layers=layers, progress=progress, cancel=cancel)
    return target, time.perf_counter() - started


def evict_from_page_cache(path: Path) -> bool:
    """Ask the kernel to drop ``path`` from the page cache (for a cold load). No root needed."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    finally:
        os.close(fd)


# --- the report ----------------------------------------------------------------------------


@dataclass(slots=True)
class BenchReport:
    """Flat numeric figures plus the context needed to read them."""

    figures: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    #: series name -> [(context position, tok/s)], for the chart.
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def set(self, key: str, value: float | Mapping[str, float]) -> None:
        self.figures[key] = dict(value) if isinstance(value, Mapping) else float(value)

    def missing_keys(self) -> list[str]:
        return [key for key in REQUIRED_KEYS if key not in self.figures]

    def to_json(self) -> str:
        payload: dict[str, Any] = {"version": REPORT_VERSION}
        payload.update({key: _json_number(value) for key, value in self.figures.items()})
        payload["info"] = self.info
        payload["series"] = {
            name: [[round(x, 1), round(y, 3)] for x, y in points]
            for name, points in self.series.items()
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _json_number(value: Any) -> Any:
    # JSON has no NaN: a figure that could not be measured is null.
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 3)
    if isinstance(value, Mapping):
        return {str(k): _json_number(v) for k, v in value.items()}
    return value


def write_json(report: BenchReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, report.to_json(), mode=0o644)


def target_rows(figures: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(description, measured, target, verdict) for each target."""
    rows: list[tuple[str, str, str, str]] = []
    for key, op, bound, description in TARGETS:
        value = figures.get(key)
        if not isinstance(value, float) or math.isnan(value):
            rows.append((description, "n/a", f"{op} {bound:g}", "not measured"))
            continue
        met = value >= bound if op == ">=" else value <= bound
        rows.append((description, _fmt(value), f"{op} {bound:g}", "met" if met else "MISSED"))
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if not isinstance(value, (int, float)) or math.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def markdown_table(report: BenchReport, command: str) -> str:
    """The Markdown section for docs/BENCHMARKS.md: command, machine, figures, targets."""
    info = report.info
    machine = info.get("machine", {})
    lines = [
        f"Command: `{command}`",
        "",
        f"- Date: {info.get('date', '?')}; run took {_fmt(info.get('duration_s', math.nan))} s"
        f" (mode: {info.get('mode', '?')})",
        f"- Machine: {machine.get('cpu_model', '?')}, {machine.get('logical_cores', '?')} "
        f"logical / {machine.get('physical_cores', '?')} physical cores, "
        f"{machine.get('ram_gb', '?')} GB RAM; flags: {', '.join(machine.get('cpu_flags', []))}",
        f"- Load average at start / end: {machine.get('load_average', '?')} / "
        f"{info.get('load_average_end', '?')}",
        f"- llama.cpp CPU backend: {info.get('cpu_variant', '?')}",
        f"- Model: {info.get('model', '?')}; n_ctx {info.get('n_ctx', '?')}, "
        f"threads {info.get('n_threads', '?')}, n_batch {info.get('n_batch', '?')}, "
        f"attention {info.get('attention', '?')}",
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    for key, value in report.figures.items():
        lines.append(f"| `{key}` | {_fmt(value)} |")
    lines += ["", "| target | measured | goal | verdict |", "| --- | --- | --- | --- |"]
    for description, measured, goal, verdict in target_rows(report.figures):
        lines.append(f"| {description} | {measured} | {goal} | {verdict} |")
    return "\n".join(lines) + "\n"


def progress_printer(label: str, emit: Callable[[str], None]) -> ProgressCallback:
    """A progress callback that reports at most every 10%."""
    last = [-1]

    def report(done: int, total: int) -> None:
        if total <= 0:
            return
        step = int(done * 10 / total)
        if step != last[0]:
            last[0] = step
            emit(f"{label}: {step * 10}%")

    return report
