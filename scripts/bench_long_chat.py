"""Long chats: decode speed at depth 4096 and turn-2 TTFT at 4096 history, per knob.

    python scripts/bench_long_chat.py [--model PATH] [--threads N] [--quick]

For each configuration Hearth controls (flash attention, KV-cache type, n_ubatch, threads
for the prompt, sequences in the KV cache) the
engine is loaded fresh, a ~4096-token history is evaluated once, then:

- ``deep tg``: tokens/s of a greedy answer decoded right after that history;
- ``turn-2 TTFT``: a short follow-up question (~24 new tokens) after the history: only
  the new tokens are evaluated, so this is attention over the cached history.

Run it once, on a quiet machine (it takes several minutes with the full-size stand-in:
each configuration evaluates the 4096-token history). Without ``--model`` it uses the
bench's cached stand-in (``python -m app bench`` writes it once). ``--quick`` uses the
tiny test model and a short history: it checks the script works, not how fast anything is.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (label, flash attention, KV type, n_ubatch, prompt threads (0: same), sequences)
CONFIGS = (
    ("FA off, f16", "off", "f16", 512, 0, 0),
    ("FA on, f16", "on", "f16", 512, 0, 0),
    ("FA on, q8_0", "on", "q8_0", 512, 0, 0),
    ("FA on, q4_0", "on", "q4_0", 512, 0, 0),
    ("FA off, f16, ubatch 256", "off", "f16", 256, 0, 0),
    # Threads for the prompt apart from decode (Settings › Prompt threads).
    ("FA off, f16, prompt threads 1", "off", "f16", 512, 1, 0),
    # One sequence, as llama-bench runs, against the app's unified cache for Ask ×N votes.
    ("FA off, f16, 1 sequence", "off", "f16", 512, 0, 1),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a GGUF (default: the bench's stand-in)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--first", type=int, default=len(CONFIGS), help="only the first N")
    args = parser.parse_args()

    from app.cli.bench import filler_text
    from app.core.bench import standin_path
    from app.core.cancel import TurnControl
    from app.core.chat import ChatMessage, SamplingParams, TurnFinished, TurnRequest
    from app.core.engines.llama import load_engine
    from app.core.paths import app_paths
    from app.core.settings import default_threads

    if args.model:
        model = Path(args.model)
    elif args.quick:
        from app.core.tinymodel import build_selftest_model

        model = build_selftest_model(app_paths().ensure().cache / "bench")
    else:
        model = standin_path(app_paths().cache / "bench")
        if not model.is_file():
            print(f"no stand-in at {model}: run `python -m app bench` once first", file=sys.stderr)
            return 1
    threads = args.threads or default_threads()
    depth = 512 if args.quick else 4096
    gen = 8 if args.quick else 48
    print(f"model {model.name}, threads {threads}, history ~{depth} tokens, load {os.getloadavg()}")

    def params(max_tokens: int) -> SamplingParams:
        return SamplingParams(
            temperature=0.0, max_tokens=max_tokens, seed=1, loop_guard=False,
            thinking_budget=None, repeat_penalty=1.0,
        )  # fmt: skip

    rows: list[tuple[str, float, float, float]] = []
    for label, flash, cache, ubatch, prompt_threads, sequences in CONFIGS[: args.first]:
        extra = {"max_samples": sequences} if sequences else {}
        engine = load_engine(
            model, n_ctx=depth + 512, n_threads=threads, flash_attn=flash,  # type: ignore[arg-type]
            cache_type=cache, n_ubatch=ubatch,  # type: ignore[arg-type]
            n_threads_batch=prompt_threads or None, **extra,  # type: ignore[arg-type]
        )  # fmt: skip
        try:

            def count(text: str) -> int:
                return len(engine.tokenize(text))  # noqa: B023 (used inside this iteration)

            history = (
                ChatMessage("user", filler_text(count, depth // 3, seed=1)),
                ChatMessage("assistant", filler_text(count, depth * 2 // 3, seed=2)),
            )
            first = TurnRequest(
                messages=(*history, ChatMessage("user", "Summarise that.")), params=params(gen)
            )
            finished = None
            started = time.perf_counter()
            for event in engine.stream_turn(first, TurnControl()):
                if isinstance(event, TurnFinished):
                    finished = event
            assert finished is not None
            pp = finished.stats.prompt_tokens_per_s
            tg = finished.stats.tokens_per_s
            # Turn 2: the same history (cached), a new short question.
            second = TurnRequest(
                messages=(
                    *history,
                    ChatMessage("user", "And what follows from it, in one sentence please?"),
                ),
                params=params(2),
            )
            for event in engine.stream_turn(second, TurnControl()):
                if isinstance(event, TurnFinished):
                    finished = event
            ttft = finished.stats.ttft_ms
            evaluated = finished.stats.evaluated_tokens
            took = time.perf_counter() - started
            print(
                f"{label:26s} pp {pp:6.1f} tok/s  deep tg {tg:6.2f} tok/s  "
                f"turn-2 TTFT {ttft:7.0f} ms ({evaluated} new tokens)  [{took:.0f} s]",
                flush=True,
            )
            rows.append((label, pp, tg, ttft))
        finally:
            engine.close()
    print("\n| configuration | pp tok/s | tg tok/s at depth | turn-2 TTFT ms |")
    print("| --- | --- | --- | --- |")
    for label, pp, tg, ttft in rows:
        print(f"| {label} | {pp:.1f} | {tg:.2f} | {ttft:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
