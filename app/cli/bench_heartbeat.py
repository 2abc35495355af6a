"""The GUI heartbeat while the app does other work (issues 15 and 19): indexing, loading a
model, and serving the local API.

Each phase runs in its own process, the whole app as ``python -m app`` composes it
(``app.main.Application``: window, model manager, Library, local API switch; offscreen) in a
fresh data folder, with a 5 ms PreciseTimer on the GUI thread recording how late each tick
fires (``bench_app.Heartbeat``). Only the phase's own work is timed:

* ``indexing``: the Library indexes a generated mixed corpus (``bench_knowledge``) through
  its real worker (``LibraryPanel.add_paths`` → the task runner → ``index_collection``),
  full-text as on a first run with no embedding model installed;
* ``loading``: ``MainWindow.load_model``, the path the model manager's "Use" takes, from the
  click until the window has shown the loaded model;
* ``api``: the Local API switched on through the window's settings, then one streaming chat
  completion read by a client on another thread while the window is up.

The figures are ``heartbeat_max_ms_<phase>`` and ``heartbeat_p99_ms_<phase>`` (target:
max <= 50 ms), with the phase's seconds beside them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.cli.bench import EXIT_FAILED, EXIT_OK, BenchConfig, _params, _say

PHASES = ("indexing", "loading", "api")
#: Files and bytes the Library indexes in the indexing phase (full, quick).
INDEX_DOCS = (300, 40)
INDEX_BYTES = (3 * 1024 * 1024, 200 * 1024)
CHILD_TIMEOUT_S = 900
#: ``HEARTH_BENCH_NO_FREEZE=1``: leave the start-up objects to the cyclic GC (before/after).
NO_FREEZE_ENV = "HEARTH_BENCH_NO_FREEZE"


# --- the parent: one child process per phase ------------------------------------------------


def run_heartbeat_phases(
    model: Path, config: BenchConfig, threads: int, report: Any, phases: tuple[str, ...] = PHASES
) -> None:
    """Run each phase in a child process and put its figures into ``report``."""
    from app.core.engines.local_load import CALIBRATION_FILE_NAME
    from app.core.paths import app_paths

    calibration = app_paths().cache / CALIBRATION_FILE_NAME
    for phase in phases:
        _say(f"GUI heartbeat while {phase}")
        with tempfile.TemporaryDirectory(prefix=f"hearth-hb-{phase}-") as tmp:
            if calibration.is_file():
                # The flash-attention choice was calibrated by the engine layers already:
                # the load is timed, not a second calibration (a first start pays it once).
                (Path(tmp) / "cache").mkdir(mode=0o700)
                shutil.copy2(calibration, Path(tmp) / "cache" / calibration.name)
            out = Path(tmp) / "figures.json"
            command = [sys.executable, "-m", "app", "--data-dir", tmp, "bench"]
            command += ["--heartbeat-phase", phase, "--heartbeat-out", str(out)]
            command += ["--model", str(model), "--threads", str(threads)]
            command += ["--quick"] if config.quick else []
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
            try:
                result = subprocess.run(
                    command, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                    cwd=str(Path(__file__).resolve().parents[2]),
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                _say(f"heartbeat {phase}: the child did not finish in {CHILD_TIMEOUT_S} s")
                continue
            if result.returncode != 0 or not out.exists():
                _say(f"heartbeat {phase} child failed: {result.stderr[-1500:]}")
                continue
            figures = json.loads(out.read_text(encoding="utf-8"))
        for line in result.stderr.splitlines():
            if "worst ticks" in line:
                _say("  " + line.removeprefix("[bench] "))
        for key, value in figures.items():
            report.set(key, float(value) if value is not None else math.nan)
        _say(
            f"  max {figures.get(f'heartbeat_max_ms_{phase}')} ms, "
            f"p99 {figures.get(f'heartbeat_p99_ms_{phase}')} ms"
        )


def heartbeat_only(
    model: Path, model_note: str, config: BenchConfig, threads: int, json_path: str | None
) -> int:
    """``bench --section heartbeat``: the three phases alone, as a table (and ``--json``)."""
    from app.core import bench

    report = bench.BenchReport()
    load = [round(x, 2) for x in os.getloadavg()]
    run_heartbeat_phases(model, config, threads, report)
    print(f"model: {model_note}; {threads} threads; load average {load} at start\n")
    print("| figure | value |\n|---|---|")
    for key, value in report.figures.items():
        print(f"| `{key}` | {value:.4g} |")
    if json_path:
        Path(json_path).write_text(json.dumps(report.figures, indent=2), encoding="utf-8")
    wanted = [f"heartbeat_max_ms_{phase}" for phase in PHASES]
    return EXIT_OK if all(key in report.figures for key in wanted) else EXIT_FAILED


# --- the child: the app, one phase ----------------------------------------------------------


def heartbeat_phase_child(
    phase: str, model: Path, config: BenchConfig, threads: int, out: Path
) -> None:
    """Open the app, run ``phase`` with the heartbeat on, write the figures to ``out``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.cli.bench_app import Heartbeat, wait_until
    from app.core import bench
    from app.core.paths import app_paths
    from app.core.settings import Settings
    from app.main import Application, freeze_startup_objects

    run = {"indexing": _indexing, "loading": _loading, "api": _api}[phase]
    paths = app_paths().ensure()
    settings = Settings(
        sampling=_params(config, config.gen_tokens), context_length=config.n_ctx, threads=threads
    )
    application = Application(paths, settings)
    application.start()
    if not os.environ.get(NO_FREEZE_ENV):
        freeze_startup_objects()  # as run_gui does
    heartbeat = Heartbeat()
    try:
        # Settle as a person would: the first paint, the deferred local-API check and the
        # renderer's warm-up are start-up work, not the phase's.
        wait_until(lambda: False, 1.0)
        figures = run(application, model, config, heartbeat, paths.data)
        _dump_profile(phase)
        _report_late_ticks(heartbeat)
        summary = bench.lateness_summary(heartbeat.lateness_ms)
        figures[f"heartbeat_max_ms_{phase}"] = summary["max"]
        figures[f"heartbeat_p99_ms_{phase}"] = summary["p99"]
        figures[f"heartbeat_p50_ms_{phase}"] = summary["p50"]
        figures[f"heartbeat_samples_{phase}"] = summary["count"]
        worst = sorted(zip(heartbeat.lateness_ms, heartbeat.tick_times, strict=True))[-3:]
        _say(
            f"{phase}: worst ticks (ms late @ s into the phase): "
            + ", ".join(f"{late:.0f} @ {at - heartbeat_t0[0]:.2f}" for late, at in worst[::-1])
        )
        clean = {k: (None if math.isnan(v) else v) for k, v in figures.items()}
        out.write_text(json.dumps(clean), encoding="utf-8")
    finally:
        heartbeat.stop()
        application.window.close()
        application.shutdown()


#: perf_counter time the phase's heartbeat started (for the worst-tick note).
heartbeat_t0 = [0.0]


#: ``HEARTH_BENCH_PROFILE=DIR``: cProfile the GUI thread during each phase into
#: DIR/<phase>.prof (what Python runs there while the heartbeat is late).
PROFILE_ENV = "HEARTH_BENCH_PROFILE"
_profiler: list[Any] = []


def _watch_gc() -> None:
    """Log every garbage collection over 5 ms, with its generation and thread: a collection
    holds the GIL throughout, whichever thread triggered it."""
    import gc

    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        if took > 5:
            _say(
                f"gc gen {info['generation']}: {took:.0f} ms on {threading.current_thread().name}"
                f" @ {time.perf_counter() - heartbeat_t0[0]:.2f}"
            )

    gc.callbacks.append(callback)


_samples: list[tuple[float, str]] = []


def _sample_threads(stop: threading.Event) -> None:
    """Every 2 ms, where the other threads are (profile mode): after a late tick, the
    sample taken when this thread got the GIL back shows who held it."""
    me = threading.get_ident()
    names: dict[int | None, str] = {}
    while not stop.wait(0.002):
        names.update({t.ident: t.name for t in threading.enumerate()})
        now = time.perf_counter()
        parts = []
        for ident, top in sys._current_frames().items():
            if ident in (me, threading.main_thread().ident):
                continue
            frame: Any = top
            where: list[str] = []
            while frame is not None and len(where) < 4:
                code = frame.f_code
                where.append(f"{Path(code.co_filename).name}:{frame.f_lineno}:{code.co_name}")
                frame = frame.f_back
            parts.append(f"{names.get(ident, ident)}: {' < '.join(where)}")
        _samples.append((now, " | ".join(parts)))


def _report_late_ticks(heartbeat: Any) -> None:
    if not _samples:
        return
    worst = sorted(zip(heartbeat.lateness_ms, heartbeat.tick_times, strict=True))[-3:]
    for late, at in worst[::-1]:
        if late < 20:
            continue
        near = [(t, text) for t, text in _samples if at - (late + 5) / 1000 <= t <= at + 0.003]
        times = [t for t, _text in near]
        gap = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        _say(
            f"late tick {late:.0f} ms @ {at - heartbeat_t0[0]:.2f}: {len(near)} samples of "
            f"the other threads meanwhile, longest gap {gap * 1000:.0f} ms (a long gap: this "
            "process did not run; none: the GUI thread alone was held up)"
        )
        shown = {text for _t, text in near}
        for text in list(shown)[:4]:
            _say(f"   {text[:600]}")


def _start(heartbeat: Any) -> float:
    if os.environ.get(PROFILE_ENV):
        import cProfile

        _watch_gc()
        stop = threading.Event()
        threading.Thread(target=_sample_threads, args=(stop,), daemon=True).start()

        _profiler.append(cProfile.Profile())
        _profiler[0].enable()
    heartbeat.start()
    heartbeat_t0[0] = time.perf_counter()
    return heartbeat_t0[0]


def _dump_profile(phase: str) -> None:
    if not _profiler:
        return
    import pstats

    _profiler[0].disable()
    target = Path(os.environ[PROFILE_ENV]) / f"{phase}.prof"
    target.parent.mkdir(parents=True, exist_ok=True)
    _profiler[0].dump_stats(str(target))
    stats = pstats.Stats(str(target), stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(20)


def _indexing(
    application: Any, model: Path, config: BenchConfig, heartbeat: Any, data: Path
) -> dict[str, float]:
    from app.cli.bench_app import wait_until
    from app.core.bench_knowledge import write_corpus

    quick = int(config.quick)
    corpus = data / "bench-corpus"
    written = write_corpus(corpus, docs=INDEX_DOCS[quick], total_bytes=INDEX_BYTES[quick])
    panel = application.window.knowledge.show_library()
    wait_until(lambda: False, 0.3)  # the dock's first layout
    reports: list[Any] = []
    panel.indexed.connect(lambda _name, report: reports.append(report))
    started = _start(heartbeat)
    panel.add_paths([corpus], name="bench")  # as "Add folder…" does: add, then index
    if not wait_until(lambda: bool(reports), CHILD_TIMEOUT_S - 60):
        raise RuntimeError("the Library did not finish indexing")
    seconds = time.perf_counter() - started
    wait_until(lambda: False, 0.3)  # what the panel does once the run ended
    heartbeat.pause()
    report = reports[0]
    if report.indexed != INDEX_DOCS[quick]:
        raise RuntimeError(f"the Library indexed {report.indexed} files: {report.bad[:3]}")
    return {
        "heartbeat_indexing_seconds": seconds,
        "heartbeat_indexing_files": float(report.indexed),
        "heartbeat_indexing_mb": written / 1048576,
    }


def _load(application: Any, model: Path, timeout_s: float) -> None:
    from app.cli.bench_app import wait_until

    client = application.client
    outcome: list[object] = []
    client.model_loaded.connect(lambda info, _warning: outcome.append(info))
    client.model_load_failed.connect(lambda message: outcome.append(message))
    application.window.load_model(str(model))  # as the model manager's "Use" does
    if not wait_until(lambda: bool(outcome), timeout_s) or isinstance(outcome[0], str):
        raise RuntimeError(f"the app could not load the model: {outcome}")


def _loading(
    application: Any, model: Path, config: BenchConfig, heartbeat: Any, data: Path
) -> dict[str, float]:
    from app.cli.bench_app import wait_until

    started = _start(heartbeat)
    _load(application, model, CHILD_TIMEOUT_S - 60)
    seconds = time.perf_counter() - started
    wait_until(lambda: False, 0.5)  # the window shows the model, saves the settings
    heartbeat.pause()
    return {"heartbeat_loading_seconds": seconds}


def _api(
    application: Any, model: Path, config: BenchConfig, heartbeat: Any, data: Path
) -> dict[str, float]:
    from app.cli.bench_app import wait_until
    from app.server.auth import load_or_create_token

    _load(application, model, CHILD_TIMEOUT_S - 60)
    window = application.window
    # A port from the user range, another if it is taken (the settings refuse port 0, and no
    # module but the network gateway may open a socket to probe one).
    for attempt in range(20):
        port = 20000 + (os.getpid() * 7 + attempt * 1031) % 40000
        t0 = time.perf_counter()
        # As Settings › Local API does: the window takes the settings, the app starts it.
        window.apply_settings(replace(window.settings, api_enabled=True, api_port=port))
        switch_ms = (time.perf_counter() - t0) * 1000
        if application.local_api.address:
            break
    else:
        raise RuntimeError("the local API did not start")
    wait_until(lambda: False, 0.5)
    info = application.client.host.engine_info
    model_id = (info.model_id or info.name) if info is not None else model.stem
    token = load_or_create_token(application.paths.config)
    result: list[object] = []

    def client() -> None:
        try:
            result.append(asyncio.run(_stream(port, token, model_id, config.gen_tokens)))
        except Exception as exc:  # reported on the GUI thread below
            result.append(exc)

    started = _start(heartbeat)
    thread = threading.Thread(target=client, name="bench-api-client", daemon=True)
    thread.start()
    if not wait_until(lambda: bool(result), CHILD_TIMEOUT_S - 120):
        raise RuntimeError("the API request did not finish")
    seconds = time.perf_counter() - started
    wait_until(lambda: False, 0.3)  # the window's "API request running" label goes away
    heartbeat.pause()
    if isinstance(result[0], Exception):
        raise RuntimeError(f"the API request failed: {result[0]!r}")
    pieces = result[0]
    assert isinstance(pieces, int)
    return {
        "heartbeat_api_seconds": seconds,
        "heartbeat_api_pieces": float(pieces),
        "api_switch_on_ms": switch_ms,
    }


async def _stream(port: int, token: str, model: str, max_tokens: int) -> int:
    """One streamed chat completion over loopback; returns the text pieces received."""
    from app.server.bench import has_text, stream_completion

    payload = {
        "model": model,
        "messages": [{"role": "user", "content": "Explain how a hash map works."}],
        "max_tokens": max_tokens,
        "seed": 1,
    }
    pieces = 0
    async for chunk in stream_completion(port, token, payload):
        pieces += has_text(chunk)
    return pieces
