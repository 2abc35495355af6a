"""``python -m app bench``: how much speed Hearth loses against raw llama.cpp, and where.

    bench [--quick] [--model PATH] [--threads N] [--json FILE] [--out-dir DIR]

Three layers run the same model, threads and context in one process:

* **L1 reference**: a bare llama_decode loop (``engines.reference.reference_benchmark``);
* **L3 engine**: ``LlamaEngine.stream_turn`` (template, tokenizer, sampler, detokenizer,
  reasoning), loaded through the public ``engines.llama.load_engine``;
* **L4 app** (``bench_app.py``): the real ``InferenceClient`` over the engine host +
  ``MainWindow`` offscreen, the chat view updating, with a 5 ms QTimer heartbeat on the GUI
  thread recording how late it fires.

Without ``--model`` a random-weight stand-in with DeepSeek-R1-Distill-Qwen-1.5B's exact
shapes is written once to the cache (a few minutes). ``--quick`` uses the tiny test model
and few tokens: it checks that every figure is produced (CI), not how fast anything is.
Figures are printed as a table; ``--json`` and ``--out-dir`` write them to files.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1

#: Histories (prompt tokens) after which the turn-2 TTFT is measured.
HISTORY_LENGTHS = (512, 2048, 4096)
#: Prompt tokens of the engine's prompt-speed turn: llama-bench's pp512.
PP_TOKENS = 512
#: Depth of the deep decode figures: llama-bench's tg64 at -d 4096 is measured there too.
DEEP_DEPTH = 4096
HEARTBEAT_MS = 5


@dataclass(frozen=True, slots=True)
class BenchConfig:
    quick: bool
    n_ctx: int
    n_batch: int
    gen_tokens: int
    deep_gen_tokens: int
    depth: int
    repetitions: int
    stop_repetitions: int
    startup_repetitions: int
    sweep_gen_tokens: int
    stop_after_s: float
    #: Tokens per answer when timing a 4-sample vote against one answer (issue 16: 256).
    vote_tokens: int = 256

    @classmethod
    def for_mode(cls, quick: bool) -> BenchConfig:
        if quick:
            return cls(True, 4608, 512, 24, 16, DEEP_DEPTH, 1, 1, 1, 16, 0.0, 16)
        return cls(False, 4608, 512, 64, 64, DEEP_DEPTH, 3, 2, 3, 32, 0.5, 256)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure speed: bare llama.cpp vs the engine vs the app",
        description=(
            "Measure generation speed, latency, load time, memory and GUI responsiveness, "
            "and compare the app with a bare llama.cpp loop on the same model."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="tiny model, few tokens (CI)")
    parser.add_argument(
        "--model", dest="bench_model", metavar="PATH", help="a real GGUF instead of the stand-in"
    )
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: default)")
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="write the figures")
    parser.add_argument(
        "--out-dir", metavar="DIR", help="write bench.json, bench.md and the PNG chart here"
    )
    parser.add_argument(
        "--skip-subprocess",
        action="store_true",
        help="skip the thread sweep and the OMP_WAIT_POLICY children (faster)",
    )
    parser.add_argument(
        "--api",
        action="store_true",
        help="only the api section: the local API vs the engine direct, and 4 clients",
    )
    parser.add_argument(
        "--engine",
        dest="engine_url",
        metavar="URL",
        help="only the remote section: Hearth's remote engine vs a bare client on this server "
        "(key from HEARTH_ENGINE_KEY)",
    )
    parser.add_argument("--engine-model", metavar="ID", help="the server's model (default: first)")
    parser.add_argument(
        "--anchor",
        action="store_true",
        help="also run llama.cpp's own llama-bench (shipped wheel and native builds, built "
        "once per machine) on the same file, threads and depths, and report the ratios",
    )
    parser.add_argument("--heartbeat-child", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument(
        "--section",
        choices=("knowledge", "heartbeat"),
        help="only this section: knowledge (indexing, queries, recall) or heartbeat (the GUI "
        "heartbeat while indexing, loading a model and serving the API)",
    )
    parser.add_argument(
        "--knowledge",
        action="store_true",
        help="include the knowledge section in a whole run (2.5-7 minutes at full size; "
        "always included, small, with --quick)",
    )
    parser.add_argument(
        "--heartbeat-phase", choices=("indexing", "loading", "api"), help=argparse.SUPPRESS
    )
    parser.add_argument("--heartbeat-out", metavar="FILE", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from app.core.errors import HearthError
    from app.core.logsetup import configure_logging
    from app.core.paths import app_paths

    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)))
    config = BenchConfig.for_mode(bool(args.quick))
    model_arg = args.bench_model or getattr(args, "model", None)
    if getattr(args, "engine_url", None):
        return _remote_bench(args, paths.network_log)
    if getattr(args, "section", None) == "knowledge":
        from app.cli.bench_knowledge import knowledge_only

        return knowledge_only(args, config, _threads(args.threads), paths.cache / "bench")
    try:
        model, model_note = _resolve_model(model_arg, config, paths.cache / "bench")
        threads = _threads(args.threads)
        if getattr(args, "api", False):
            from app.server.bench import run_api_bench

            return run_api_bench(
                model, model_note, threads=threads, quick=bool(args.quick), json_path=args.json_path
            )
        if args.heartbeat_child:
            from app.cli.bench_app import heartbeat_child

            figures = heartbeat_child(model, config, threads)
            Path(args.heartbeat_child).write_text(json.dumps(figures), encoding="utf-8")
            return EXIT_OK
        if getattr(args, "heartbeat_phase", None):
            from app.cli.bench_heartbeat import heartbeat_phase_child

            heartbeat_phase_child(
                args.heartbeat_phase, model, config, threads, Path(args.heartbeat_out)
            )
            return EXIT_OK
        if getattr(args, "section", None) == "heartbeat":
            from app.cli.bench_heartbeat import heartbeat_only

            return heartbeat_only(model, model_note, config, threads, args.json_path)
        report = _run_all(model, model_note, config, threads, args)
    except HearthError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    from app.core.bench import markdown_table, write_json

    command = "python -m app bench" + (" --quick" if args.quick else "")
    if model_arg:
        command += f" --model {model_arg}"
    if args.threads:
        command += f" --threads {args.threads}"
    if getattr(args, "anchor", False):
        command += " --anchor"
    if getattr(args, "knowledge", False):
        command += " --knowledge"
    table = markdown_table(report, command) + str(report.info.pop("anchor_markdown", ""))
    table += str(report.info.pop("knowledge_markdown", ""))
    print(table)
    missing = report.missing_keys()
    if missing:
        print(f"bench: figures missing: {', '.join(missing)}", file=sys.stderr)
    if args.json_path:
        write_json(report, Path(args.json_path))
    if args.out_dir:
        out = Path(args.out_dir)
        write_json(report, out / "bench.json")
        (out / "bench.md").write_text(table, encoding="utf-8")
        from app.cli.bench_app import write_chart

        write_chart(report.series, out / "tok_s_by_position.png")
    return EXIT_FAILED if missing else EXIT_OK


def _remote_bench(args: argparse.Namespace, network_log: Path) -> int:
    """``--engine URL``: the code lives in app.core.engines.remote_bench."""
    import os

    from app.core.engines.remote_bench import run_remote_bench
    from app.core.errors import HearthError
    from app.core.network import NetworkGateway

    gateway = NetworkGateway(log_path=network_log)
    try:
        result = run_remote_bench(
            gateway,
            args.engine_url,
            model=args.engine_model or "",
            api_key=os.environ.get("HEARTH_ENGINE_KEY", ""),
            runs=2 if args.quick else 3,
            max_tokens=32 if args.quick else 256,
        )
    except HearthError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        gateway.close()
    print(result.table())
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    return EXIT_OK


def _say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def _threads(requested: int) -> int:
    if requested > 0:
        return requested
    from app.core.settings import default_threads

    return int(default_threads())


def _resolve_model(model_arg: str | None, config: BenchConfig, cache: Path) -> tuple[Path, str]:
    if model_arg:
        return Path(model_arg).expanduser().resolve(), f"{Path(model_arg).name} (given)"
    if config.quick:
        from app.core.tinymodel import build_selftest_model

        path = build_selftest_model(cache)
        return path, f"{path.name} (tiny random-weight Qwen2, quick mode)"
    from app.core.bench import ensure_standin, progress_printer

    path, spent = ensure_standin(cache, progress=progress_printer("writing the stand-in", _say))
    note = "random-weight stand-in with DeepSeek-R1-Distill-Qwen-1.5B shapes, Q4_K_M"
    if spent:
        note += f" (written in {spent:.0f} s)"
    return path, f"{path.name}: {note}"


# --- synthetic conversations -------------------------------------------------------------

_WORDS_TEXT = (
    "the model reads each token and the answer grows as the reasoning unfolds so we "
    "check every step of the proof then write code that sorts numbers quickly while "
    "memory bandwidth limits how fast a small network can decode on two cores"
)


def filler_text(count_tokens: Callable[[str], int], n_tokens: int, seed: int = 0) -> str:
    """English-like text of about ``n_tokens`` tokens (by the model's own tokenizer)."""
    import random

    pool = _WORDS_TEXT.split()
    rng = random.Random(seed)
    words: list[str] = []
    text = ""
    chars = max(16, n_tokens * 3)
    for _ in range(4):
        while len(" ".join(words)) < chars:
            words.append(rng.choice(pool))
        text = " ".join(words)
        have = count_tokens(text)
        if abs(have - n_tokens) <= max(8, n_tokens // 50):
            break
        chars = max(16, int(len(text) * n_tokens / max(1, have)))
        words = []
        rng = random.Random(seed)
    return text


def _params(config: BenchConfig, max_tokens: int) -> Any:
    from app.core.chat import SamplingParams

    # Greedy, no loop guard, no thinking budget: the stand-in never stops by itself, so
    # every run generates exactly max_tokens tokens at known positions.
    return SamplingParams(
        temperature=0.0,
        max_tokens=max_tokens,
        seed=1,
        loop_guard=False,
        thinking_budget=None,
        repeat_penalty=1.0,
    )


# --- L3 engine helpers ---------------------------------------------------------------------


@dataclass(slots=True)
class TurnResult:
    stats: Any
    reason: str
    event_times: list[float]
    text: str
    reasoning: str


def _engine_turn(engine: Any, request: Any) -> TurnResult:
    from app.core.cancel import TurnControl
    from app.core.chat import AnswerDelta, ReasoningDelta, TurnFinished

    times: list[float] = []
    answer: list[str] = []
    reasoning: list[str] = []
    clock = time.perf_counter
    for event in engine.stream_turn(request, TurnControl()):
        if isinstance(event, ReasoningDelta):
            times.append(clock())
            reasoning.append(event.text)
        elif isinstance(event, AnswerDelta):
            times.append(clock())
            answer.append(event.text)
        elif isinstance(event, TurnFinished):
            return TurnResult(event.stats, event.reason, times, "".join(answer), "".join(reasoning))
    raise RuntimeError("the engine ended a turn without TurnFinished")


def _run_on_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a fresh thread and wait; its exception is raised here."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised on the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=target, name="bench-engine")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _run_all(
    model: Path, model_note: str, config: BenchConfig, threads: int, args: argparse.Namespace
) -> Any:
    from app.core import bench
    from app.core.calibrate import resolve_for_model
    from app.core.engines.llama import load_engine
    from app.core.engines.native import cpu_variant, llama_system_info
    from app.core.paths import app_paths

    started = time.perf_counter()
    report = bench.BenchReport()
    report.info.update(
        date=time.strftime("%Y-%m-%d %H:%M"),
        mode="quick" if config.quick else "full",
        machine=bench.machine_info(),
        model=model_note,
        n_ctx=config.n_ctx,
        n_batch=config.n_batch,
        n_threads=threads,
        gen_tokens=config.gen_tokens,
        deep_gen_tokens=config.deep_gen_tokens,
        depth=config.depth,
        repetitions=config.repetitions,
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", "(default)"),
    )
    sampler = bench.RssSampler()
    with sampler:
        _say(f"model {model}")

        def engine_layers() -> None:
            # Flash attention as the app would choose it ("auto": calibrated once per CPU
            # and model, cached), so L1/L3 and the app layer run the same configuration;
            # calibrating first keeps it out of the load timings.
            from app.core.engines.local_load import CALIBRATION_FILE_NAME

            calibration = app_paths().cache / CALIBRATION_FILE_NAME
            resolve_for_model(model, "auto", "f16", n_threads=threads, calibration_file=calibration)
            # Load: cold (evicted from the page cache), then warm.
            evicted = bench.evict_from_page_cache(model)
            t0 = time.perf_counter()
            engine = load_engine(
                model, n_ctx=config.n_ctx, n_threads=threads, n_batch=config.n_batch,
                calibration_file=calibration,
            )  # fmt: skip
            load_cold = (time.perf_counter() - t0) * 1000
            engine.close()
            t0 = time.perf_counter()
            engine = load_engine(
                model, n_ctx=config.n_ctx, n_threads=threads, n_batch=config.n_batch,
                calibration_file=calibration,
            )  # fmt: skip
            report.set("load_warm_ms", (time.perf_counter() - t0) * 1000)
            report.set("load_cold_ms", load_cold if evicted else math.nan)
            report.info["cpu_variant"] = cpu_variant()
            details = engine.engine_info.details
            report.info["attention"] = {
                k: details.get(k) for k in ("flash_attn", "kv_cache_type", "flash_attn_choice")
            }
            report.info["llama_system_info"] = llama_system_info()
            _say(f"loaded: cold {load_cold:.0f} ms, warm {report.figures['load_warm_ms']:.0f} ms")
            try:
                _engine_phases(engine, config, report)
            finally:
                engine.close()

        # L1 and L3 run on a worker thread, as in the app. Decoding on the main thread
        # would make it an OpenMP team master; its idle team then slowed the later app
        # layer (whose GUI runs on that same main thread) by ~25% in our measurements,
        # which is an artefact of this harness, not something the app ever does.
        _run_on_thread(engine_layers)
        report.set("engine_peak_rss_mb", sampler.peak.total_mb)

        sampler.reset()
        from app.cli.bench_app import app_phase

        app_phase(model, config, threads, report)
        report.set("peak_rss_mb", sampler.peak.total_mb)
        report.set("peak_rss_file_mb", sampler.peak.file_mb)
        report.set("peak_rss_anon_mb", sampler.peak.anon_mb)

    report.set("app_vs_reference_first512", _ratio(report, "app_tg_tok_s", "reference_tg_tok_s"))
    report.set(
        "app_vs_reference_deep", _ratio(report, "app_tg_deep_tok_s", "reference_tg_deep_tok_s")
    )
    report.set(
        "engine_vs_reference_first512", _ratio(report, "engine_tg_tok_s", "reference_tg_tok_s")
    )
    report.set(
        "engine_vs_reference_deep",
        _ratio(report, "engine_tg_deep_tok_s", "reference_tg_deep_tok_s"),
    )

    _say("start-up to a shown window")
    report.set(
        "startup_window_ms",
        bench.median(_startup_ms() for _ in range(config.startup_repetitions)),
    )
    # Knowledge (issue 15) and the GUI heartbeat while indexing, loading, serving (issue 19).
    from app.cli.bench_heartbeat import run_heartbeat_phases
    from app.cli.bench_knowledge import knowledge_phase

    if config.quick or getattr(args, "knowledge", False):
        knowledge_phase(config, threads, app_paths().cache / "bench", report)
    run_heartbeat_phases(model, config, threads, report)
    if not args.skip_subprocess:
        _say("thread sweep")
        _thread_sweep(model, config, report)
        _say("OMP_WAIT_POLICY default vs passive (GUI heartbeat)")
        _omp_comparison(model, config, threads, args, report)
    if getattr(args, "anchor", False):
        _anchor_phase(model, threads, report)
    report.info["duration_s"] = round(time.perf_counter() - started, 1)
    report.info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def _anchor_phase(model: Path, threads: int, report: Any) -> None:
    """llama-bench on the same file, threads and depths, and the ratios (issue 19)."""
    from app.core.bench_anchor import anchor_figures, anchor_markdown, anchor_series, run_anchor

    _say("anchor: llama.cpp's own llama-bench")
    run = run_anchor(model, threads=threads, say=_say)
    attention = report.info.get("attention")
    hearth_fa = attention.get("flash_attn") if isinstance(attention, dict) else None
    figures = anchor_figures(
        report.figures,
        run.rows.get("wheel", []),
        run.rows.get("native", []),
        hearth_flash_attn=hearth_fa if isinstance(hearth_fa, bool) else None,
    )
    for key, value in figures.items():
        report.set(key, value)
    report.series.update(anchor_series(run))
    report.info["anchor_seconds"] = {k: round(v, 1) for k, v in run.seconds.items()}
    report.info["anchor_markdown"] = anchor_markdown(report.figures, run)


def _ratio(report: Any, a: str, b: str) -> float:
    from app.core.bench import ratio

    return ratio(report.figures.get(a, math.nan), report.figures.get(b, math.nan))


def _engine_phases(engine: Any, config: BenchConfig, report: Any) -> None:
    from app.core import bench
    from app.core.chat import ChatMessage, TurnRequest
    from app.core.engines.reference import reference_benchmark

    def count(text: str) -> int:
        return len(engine.tokenize(text))

    # -- shallow: a short question, first tokens of the answer --
    shallow = TurnRequest(
        messages=(ChatMessage("user", "Explain how a hash map works, step by step."),),
        params=_params(config, config.gen_tokens),
    )
    prompt_tokens = engine.fit_prompt(shallow)
    _say(f"L1 reference, shallow ({len(prompt_tokens)} prompt tokens)")
    ref_shallow = []
    for _ in range(config.repetitions):
        engine.reset_cache()  # each pass evaluates the whole prompt, like a fresh chat
        ref_shallow += reference_benchmark(
            "", engine=engine, prompt=prompt_tokens, gen_tokens=config.gen_tokens
        )
    report.set("reference_tg_tok_s", bench.median(r.tokens_per_s for r in ref_shallow))
    ref_prompt_ms = bench.median(r.prompt_ms for r in ref_shallow)
    report.series["reference"] = bench.windowed_rates(
        ref_shallow[-1].token_times, ref_shallow[-1].start_position, 16
    )

    _say("L3 engine, shallow")
    shallow_turns = []
    for _ in range(config.repetitions):
        engine.reset_cache()
        shallow_turns.append(_engine_turn(engine, shallow))
    report.set("engine_tg_tok_s", bench.median(t.stats.tokens_per_s for t in shallow_turns))
    ttft = bench.median(t.stats.ttft_ms for t in shallow_turns)
    report.set("ttft_ms", ttft)
    one_decode_ms = 1000 / report.figures["reference_tg_tok_s"]
    report.set("ttft_reference_prompt_ms", ref_prompt_ms)
    report.set("ttft_overhead_ms", ttft - ref_prompt_ms - one_decode_ms)
    last = shallow_turns[-1]
    report.series["engine"] = bench.windowed_rates(last.event_times, last.stats.prompt_tokens, 16)

    # -- deep: a long earlier exchange fills the context to ~depth tokens --
    history_user = filler_text(count, config.depth // 3, seed=1)
    history_answer = filler_text(count, config.depth * 2 // 3, seed=2)
    deep = TurnRequest(
        messages=(
            ChatMessage("user", history_user),
            ChatMessage("assistant", history_answer),
            ChatMessage("user", "Now summarise all of that in detail."),
        ),
        params=_params(config, config.deep_gen_tokens),
    )
    deep_tokens = engine.fit_prompt(deep)
    report.info["deep_prompt_tokens"] = len(deep_tokens)
    _say(f"L1 reference, deep ({len(deep_tokens)} prompt tokens)")
    engine.reset_cache()
    ref_deep = reference_benchmark(
        "",
        engine=engine,
        prompt=deep_tokens,
        gen_tokens=config.deep_gen_tokens,
        repetitions=config.repetitions,
    )
    report.set("reference_tg_deep_tok_s", bench.median(r.tokens_per_s for r in ref_deep))
    report.set("reference_pp_tok_s", ref_deep[0].prompt_tokens_per_s)
    report.series["reference"] += bench.windowed_rates(
        ref_deep[-1].token_times, ref_deep[-1].start_position, 16
    )
    _say("L3 engine, deep")
    # The KV cache already holds the prompt: each turn evaluates only its last token.
    deep_turns = [_engine_turn(engine, deep) for _ in range(config.repetitions)]
    report.set("engine_tg_deep_tok_s", bench.median(t.stats.tokens_per_s for t in deep_turns))
    last = deep_turns[-1]
    report.series["engine"] += bench.windowed_rates(last.event_times, last.stats.prompt_tokens, 16)

    # -- turn 2 after a growing history: only the new tokens should be evaluated --
    _say("turn-2 TTFT by history length")
    engine.reset_cache()
    by_history: dict[str, float] = {}
    evaluated: dict[str, float] = {}
    messages: list[Any] = []
    prompt_speeds: list[float] = []
    for target in HISTORY_LENGTHS:
        have = len(engine.fit_prompt(TurnRequest(messages=(*messages, _USER_Q))))
        grow = max(16, target - have)
        messages += [
            ChatMessage("user", filler_text(count, grow // 2, seed=target)),
            ChatMessage("assistant", filler_text(count, grow - grow // 2, seed=target + 1)),
        ]
        first = TurnRequest(messages=(*messages, _USER_Q), params=_params(config, 4))
        turn1 = _engine_turn(engine, first)
        if turn1.stats.evaluated_tokens > 256:
            prompt_speeds.append(turn1.stats.prompt_tokens_per_s)
        messages += [_USER_Q, ChatMessage("assistant", turn1.text, turn1.reasoning)]
        second = TurnRequest(messages=(*messages, _USER_FOLLOW_UP), params=_params(config, 4))
        turn2 = _engine_turn(engine, second)
        by_history[str(target)] = turn2.stats.ttft_ms
        evaluated[str(target)] = float(turn2.stats.evaluated_tokens)
        messages += [_USER_FOLLOW_UP, ChatMessage("assistant", turn2.text, turn2.reasoning)]
        _say(
            f"  history {turn2.stats.cached_tokens} tokens: turn-2 TTFT "
            f"{turn2.stats.ttft_ms:.0f} ms, evaluated {turn2.stats.evaluated_tokens}"
        )
    report.set("turn2_ttft_ms_by_history", by_history)
    report.set("turn2_evaluated_tokens_by_history", evaluated)
    # Prompt speed while the history grows (new tokens at depths up to 4k) is slower than at
    # depth 0: attention over the cached part grows. Kept, but not compared with pp512.
    report.set("engine_pp_history_tok_s", bench.median(prompt_speeds))
    report.set("engine_pp_tok_s", _engine_pp_fresh(engine, config))
    _vote_phase(engine, config, report)


def _engine_pp_fresh(engine: Any, config: BenchConfig) -> float:
    """Prompt tok/s of a whole turn on an empty cache: llama-bench's ``pp512``, same depth.

    The prompt is the chat template around filler text sized to PP_TOKENS tokens; the turn
    generates one token, so ``prompt_tokens_per_s`` is the engine's evaluation of exactly
    the prompt (512-token batches), with its Stop checks and progress events included.
    """
    from app.core.chat import ChatMessage, TurnRequest

    def count(text: str) -> int:
        return len(engine.fit_prompt(TurnRequest(messages=(ChatMessage("user", text),))))

    size = 64 if config.quick else PP_TOKENS
    request = TurnRequest(
        messages=(ChatMessage("user", filler_text(count, size, seed=5)),),
        params=_params(config, 1),
    )
    speeds: list[float] = []
    for _ in range(max(2, config.repetitions)):
        engine.reset_cache()
        turn = _engine_turn(engine, request)
        speeds.append(float(turn.stats.prompt_tokens_per_s))
    _say(f"engine pp{size} on an empty cache: {', '.join(f'{v:.1f}' for v in speeds)} tok/s")
    engine.reset_cache()
    # The best repetition, as llama-bench's average of its repetitions is taken at its best
    # flash-attention setting: noise on a shared machine only ever slows a run down.
    return max(speeds)


def _vote_phase(engine: Any, config: BenchConfig, report: Any) -> None:
    """Wall time of 4 samples decoded together against one answer of the same length."""
    from app.core import bench
    from app.core.cancel import TurnControl
    from app.core.chat import ChatMessage, TurnRequest
    from app.core.gguf import read_gguf_metadata

    _say(f"vote: 4 samples vs 1 answer, {config.vote_tokens} tokens each")
    request = TurnRequest(
        messages=(ChatMessage("user", "What is 17 times 23? Think step by step."),),
        params=_params(config, config.vote_tokens),
    )
    engine.reset_cache()
    _engine_turn(engine, request)  # the prompt is cached for both timings below
    singles, votes = [], []
    for _ in range(config.repetitions):
        t0 = time.perf_counter()
        _engine_turn(engine, request)
        singles.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _event in engine.stream_samples(request, 4, TurnControl(), (1, 2, 3, 4)):
            pass
        votes.append(time.perf_counter() - t0)
    report.set("vote_4_vs_1_time_ratio", bench.ratio(bench.median(votes), bench.median(singles)))
    # The samples share the prompt's cells: each extra one adds only its own tokens' KV.
    per_token = read_gguf_metadata(engine.info.path).kv_bytes_per_token
    extra = per_token * config.vote_tokens / (1 << 20) if per_token else math.nan
    report.set("vote_kv_mb_per_extra_sample", extra)


def _make_chat_messages() -> tuple[Any, Any]:
    from app.core.chat import ChatMessage

    return (
        ChatMessage("user", "What is the next step?"),
        ChatMessage("user", "And after that, what changes?"),
    )


_USER_Q, _USER_FOLLOW_UP = _make_chat_messages()


# --- start-up, threads, OpenMP -------------------------------------------------------------

_STARTUP_CHILD = r"""
import os, sys, time, tempfile
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from app.core.paths import app_paths
from app.core.settings import Settings
from app.main import Application
from PySide6.QtCore import QEvent, QObject, QTimer

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(f"PAINTED {time.time():.6f}", flush=True)
            os._exit(0)
        return False

app = Application(app_paths().ensure(), Settings())
watcher = FirstPaint()
app.window.installEventFilter(watcher)
app.start()
QTimer.singleShot(0, lambda: app.window.repaint())
QTimer.singleShot(10000, lambda: os._exit(3))
app.qt_app.exec()
"""


def _startup_ms() -> float:
    """Process start to the main window's first paint (no model), in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="hearth-start-") as tmp:
        env = dict(os.environ, HEARTH_DATA_DIR=tmp, QT_QPA_PLATFORM="offscreen")
        started = time.time()
        result = subprocess.run(
            [sys.executable, "-c", _STARTUP_CHILD],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
    for line in result.stdout.splitlines():
        if line.startswith("PAINTED "):
            return (float(line.split()[1]) - started) * 1000
    _say(f"start-up child failed: {result.stderr[-500:]}")
    return math.nan


def _thread_sweep(model: Path, config: BenchConfig, report: Any) -> None:
    from app.core import bench
    from app.core.engines.reference import reference_benchmark

    top = max(2, os.cpu_count() or 1)
    for n in range(1, top + 1):
        runs = reference_benchmark(
            model,
            prompt="Explain how a hash map works, step by step. " * 4,
            gen_tokens=config.sweep_gen_tokens,
            repetitions=max(1, config.repetitions - 1),
            n_ctx=1024,
            n_threads=n,
            n_batch=config.n_batch,
        )
        report.set(f"threads_{n}_tg_tok_s", bench.median(r.tokens_per_s for r in runs))
        report.set(f"threads_{n}_pp_tok_s", runs[0].prompt_tokens_per_s)
        _say(f"  {n} threads: {report.figures[f'threads_{n}_tg_tok_s']:.1f} tok/s")


def _omp_comparison(
    model: Path, config: BenchConfig, threads: int, args: argparse.Namespace, report: Any
) -> None:
    for label, policy in (("omp_default", None), ("omp_passive", "PASSIVE")):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy:
            env["OMP_WAIT_POLICY"] = policy
        with tempfile.TemporaryDirectory(prefix="hearth-omp-") as tmp:
            out = Path(tmp) / "figures.json"
            command = [sys.executable, "-m", "app", "--data-dir", tmp]
            command += ["bench", "--heartbeat-child", str(out), "--threads", str(threads)]
            command += ["--model", str(model)] + (["--quick"] if config.quick else [])
            result = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=900,
                cwd=str(Path(__file__).resolve().parents[2]),
            )  # fmt: skip
            if result.returncode != 0 or not out.exists():
                _say(f"{label} child failed: {result.stderr[-500:]}")
                continue
            for key, value in json.loads(out.read_text(encoding="utf-8")).items():
                report.set(f"{label}_{key}", float(value) if value is not None else math.nan)
