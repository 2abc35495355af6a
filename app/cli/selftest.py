"""``python -m app --self-test``: a headless end-to-end check, also run on the frozen app.

It builds a tiny quantized model (or takes ``--model``), loads it through the real
inference worker on its own thread, streams at least 16 tokens, prints the speed and
llama.cpp's build info, and exits 0 only if all of that worked.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

MIN_TOKENS = 16


def run_self_test(model: str | None = None, *, timeout_s: float = 120.0) -> int:
    from PySide6.QtCore import QCoreApplication, QTimer

    from app import __version__
    from app.core.chat import ChatMessage, SamplingParams, TurnRequest, TurnStats
    from app.core.host import cpu_variant, llama_system_info
    from app.core.paths import app_paths
    from app.workers.inference import InferenceClient

    paths = app_paths().ensure()
    print(f"Hearth {__version__} self-test")
    print(f"llama.cpp system info: {llama_system_info()}")
    print(f"CPU variant: {cpu_variant()}")
    if model:
        model_path = Path(model)
    else:
        from app.core.tinymodel import build_selftest_model

        started = time.perf_counter()
        model_path = build_selftest_model(paths.cache / "selftest")
        print(f"built test model {model_path.name} in {time.perf_counter() - started:.1f} s")

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])
    client = InferenceClient()
    outcome: dict[str, object] = {"ok": False, "tokens": 0, "text": ""}

    def fail(message: str) -> None:
        print(f"FAILED: {message}", file=sys.stderr)
        app.exit(1)

    def on_loaded(info: object, warning: str) -> None:
        print(
            f"loaded {getattr(info, 'file_name', model_path.name)} "
            f"({getattr(info, 'quant', '?')}, {getattr(info, 'n_threads', '?')} threads)"
        )
        if warning:
            print(f"note: {warning}")
        request = TurnRequest(
            messages=(ChatMessage("user", "Say hello and count to twenty."),),
            params=SamplingParams(max_tokens=48, temperature=0.0, seed=1),
        )
        client.start_turn(request)

    def on_tokens(reasoning: str, answer: str) -> None:
        outcome["text"] = str(outcome["text"]) + reasoning + answer

    def on_finished(reason: str, stats: TurnStats) -> None:
        print(
            f"generated {stats.generated_tokens} tokens ({reason}) at "
            f"{stats.tokens_per_s:.1f} tok/s; prompt {stats.prompt_tokens} tokens at "
            f"{stats.prompt_tokens_per_s:.1f} tok/s; TTFT {stats.ttft_ms:.0f} ms"
        )
        if stats.generated_tokens < MIN_TOKENS:
            fail(f"only {stats.generated_tokens} tokens were generated (need {MIN_TOKENS})")
            return
        outcome["ok"] = True
        app.exit(0)

    client.model_loaded.connect(on_loaded)
    client.model_load_failed.connect(lambda message: fail(message or "load cancelled"))
    client.tokens_ready.connect(on_tokens)
    client.turn_finished.connect(on_finished)
    client.turn_failed.connect(fail)
    QTimer.singleShot(int(timeout_s * 1000), lambda: fail(f"timed out after {timeout_s:.0f} s"))
    client.load_model(model_path, n_ctx=2048, n_threads=_threads())
    code = app.exec()
    client.shutdown(timeout_ms=5000)
    if outcome["ok"] and code == 0:
        print("self-test passed")
        return 0
    return 1


def _threads() -> int:
    from app.core.settings import default_threads

    return default_threads()
