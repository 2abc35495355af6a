"""GUI responsiveness while an answer streams: a fake engine at 200 tok/s, the real window.

Usage: .venv/bin/python scripts/bench_gui.py [--tokens 4000] [--rate 200] [--profile FILE]

A fake engine, owned by the real engine host on its thread (so the real ~40 ms
batching path and queued signals are used), writes a short reasoning and then 4,000
tokens of Markdown with headings, lists, code blocks and LaTeX at 200 tokens/s. The real
``MainWindow`` (offscreen) shows it through the controller and chat view, with the store
saving as it streams. A 5 ms PreciseTimer on the GUI thread records how late each tick
fires. Prints lateness p50/p99/max; goal p99 <= 16 ms, max <= 50 ms.

``--profile FILE`` runs cProfile on the GUI thread during the stream and prints the top.

The heartbeat while the app indexes, loads a model or serves the local API is measured by
``python -m app bench --section heartbeat`` (``app/cli/bench_heartbeat.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECTION = """## Step {i}: solving the recurrence

We want $T(n) = 2T(n/2) + n$ for $n = 2^{{{i}}}$. Unrolling gives

$$T(n) = n \\log_2 n + n \\cdot T(1) = \\sum_{{k=0}}^{{\\log_2 n}} \\frac{{n}}{{2^k}} 2^k$$

so the cost is $\\Theta(n \\log n)$. A few observations:

1. Each level does $n$ work, and there are $\\log_2 n$ levels.
2. The base case contributes $n$ leaves, each $O(1)$.
   - nested: with `memo[{i}]` the repeated work disappears
3. **Bold claim**: the bound is *tight* for merge sort.

```python
def merge_sort(values: list[int]) -> list[int]:
    if len(values) <= 1:
        return values
    middle = len(values) // 2
    left, right = merge_sort(values[:middle]), merge_sort(values[middle:])
    merged = []
    while left and right:
        merged.append((left if left[0] <= right[0] else right).pop(0))
    return merged + left + right  # step {i}
```

| n | levels | work |
| --- | --- | --- |
| {n} | {i} | {work} |

> Check: for $n = {n}$ the formula gives ${work}$ operations.

"""

REASONING = (
    "Okay, the user wants the running time of merge sort. Let me think about the "
    "recurrence T(n) = 2T(n/2) + n and unroll it level by level before answering. "
)


def markdown_answer(n_tokens: int) -> list[str]:
    """Pieces of about one token (up to 4 characters) of a long Markdown answer."""
    pieces: list[str] = []
    i = 1
    while len(pieces) < n_tokens:
        text = SECTION.format(i=i, n=2**i, work=(2**i) * i)
        pieces += re.findall(r" ?[^\s]{1,4}|\s", text)
        i += 1
    return pieces[:n_tokens]


class FakeEngine:
    """Stands in for the llama.cpp engine inside the host: paced, scripted events."""

    template_warning = ""

    def __init__(self, answer: list[str], reasoning_tokens: int, rate: float, info: Any) -> None:
        self.info = info
        self.answer = answer
        self.reasoning = re.findall(r" ?[^\s]{1,4}|\s", REASONING * 20)[:reasoning_tokens]
        self.interval = 1.0 / rate
        self.stream_started = 0.0

    def stream_turn(self, request: Any, control: Any) -> Iterator[Any]:
        from app.core.chat import (
            AnswerDelta,
            ReasoningClosed,
            ReasoningDelta,
            TurnFinished,
            TurnStats,
        )

        start = time.perf_counter()
        self.stream_started = start
        produced = 0

        def pace() -> None:
            due = start + produced * self.interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # releases the GIL, like llama_decode does

        for piece in self.reasoning:
            if control.cancelled:
                break
            pace()
            produced += 1
            yield ReasoningDelta(piece)
        yield ReasoningClosed("model")
        for piece in self.answer:
            if control.cancelled:
                break
            pace()
            produced += 1
            yield AnswerDelta(piece)
        elapsed = time.perf_counter() - start
        stats = TurnStats(
            generated_tokens=produced,
            reasoning_tokens=len(self.reasoning),
            tokens_per_s=produced / elapsed if elapsed > 0 else 0.0,
            generation_ms=elapsed * 1000,
        )
        yield TurnFinished("stopped" if control.cancelled else "length", stats)

    @property
    def engine_info(self) -> Any:
        from app.core.engines.llama import engine_info_for

        return engine_info_for(self.info)

    def count_tokens(self, request: Any) -> int:
        return 0

    def close(self) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--reasoning-tokens", type=int, default=200)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the start-up objects to the cyclic GC (run_gui freezes them: app/main.py)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hearth-gui-bench-") as tmp:
        os.environ["HEARTH_DATA_DIR"] = tmp
        return run(args, Path(tmp))


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from app.cli.bench_app import Heartbeat, wait_until
    from app.core.bench import lateness_summary
    from app.core.chat import SamplingParams
    from app.core.engines.llama import ModelInfo
    from app.core.settings import Settings
    from app.core.store import ChatStore
    from app.ui.main_window import MainWindow
    from app.workers.inference import InferenceClient

    app = QApplication.instance() or QApplication(["hearth-gui-bench"])
    store = ChatStore.open(data_dir / "chats.sqlite3")
    client = InferenceClient()
    window = MainWindow(
        settings=Settings(sampling=SamplingParams(max_tokens=100000)), store=store, client=client
    )
    window.resize(1100, 800)
    window.show()
    if not args.no_freeze:
        from app.main import freeze_startup_objects

        freeze_startup_objects()  # as run_gui does
    info = ModelInfo(
        path=Path("fake.gguf"),
        file_name="fake.gguf",
        size_bytes=0,
        name="fake engine",
        architecture="qwen2",
        quant="Q4_K_M",
        n_params=0,
        context_train=32768,
        n_ctx=32768,
        n_threads=1,
        template_from_gguf=True,
        is_r1=True,
    )
    engine = FakeEngine(markdown_answer(args.tokens), args.reasoning_tokens, args.rate, info)
    # The host owns the engine and touches it only from its own thread.
    loaded: list[Any] = []
    client.model_loaded.connect(lambda model_info, _warning: loaded.append(model_info))
    client.load_engine(lambda _cancel: engine, label="fake.gguf")
    if not wait_until(lambda: bool(loaded), 30):
        raise RuntimeError("the fake engine did not load")
    finished: list[tuple[str, Any]] = []
    batches = [0]
    window.controller.generation_finished.connect(lambda r, s: finished.append((r, s)))
    window.controller.text_arrived.connect(lambda: batches.__setitem__(0, batches[0] + 1))
    heartbeat = Heartbeat()
    # Settle as a person would before sending (start-up work, e.g. the renderer warm-up).
    wait_until(lambda: False, 1.5)

    profiler = cProfile.Profile() if args.profile else None
    heartbeat.start()
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    window.controller.send("How fast is merge sort? Show the recurrence and code.")
    done = wait_until(lambda: bool(finished), args.tokens / args.rate * 3 + 30)
    wall = time.perf_counter() - t0
    if profiler:
        profiler.disable()
    heartbeat.stop()
    summary = lateness_summary(heartbeat.lateness_ms)
    answer_chars = len(window.chat_view.messages[-1].answer_text)  # type: ignore[attr-defined]
    print(
        f"streamed {args.reasoning_tokens}+{args.tokens} tokens at {args.rate:.0f} tok/s in "
        f"{wall:.1f} s ({batches[0]} GUI updates, answer {answer_chars} chars, "
        f"finished={done and finished[0][0]})"
    )
    print(
        f"heartbeat lateness over {int(summary['count'])} ticks: p50 {summary['p50']:.2f} ms, "
        f"p99 {summary['p99']:.2f} ms, max {summary['max']:.2f} ms "
        "(goal p99 <= 16 ms, max <= 50 ms)"
    )
    worst = sorted(zip(heartbeat.lateness_ms, heartbeat.tick_times, strict=True))[-3:]
    print(
        "worst ticks (lateness ms @ seconds after send): "
        + ", ".join(f"{late:.0f} @ {at - t0:.2f}" for late, at in reversed(worst))
    )
    if profiler and args.profile:
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
    client.shutdown(timeout_ms=2000)
    window.close()
    store.close()
    del app
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
