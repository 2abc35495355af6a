"""``python -m app bench --api``: the API's cost, measured (figures, never asserts).

Same model, same threads, same host, same prompt and seed:

* **direct**: a turn submitted to the :class:`EngineHost` in-process;
* **api**: the same turn streamed through the local API (SSE over loopback);
* **4 clients**: four streaming requests at once (they queue on the one engine);
* **heartbeat**: the lateness of a 5 ms timer on another Python thread while the API streams,
  i.e. how much the server's thread takes from a GUI thread (the GIL is what they share).

Both sides run after a warm-up on the same prompt, so each turn reuses the cached prompt and
TTFT compares like with like. Targets (issue 13): at most 5% fewer tokens/s, at most 30 ms
added to TTFT, no heartbeat over 50 ms.

The client is a minimal HTTP/1.0 reader on asyncio streams: the network gateway refuses
everything in offline mode and logs each request, neither of which suits a loopback
measurement, and no other module may import an HTTP client library.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ReasoningDelta,
    SamplingParams,
    TurnFinished,
    TurnRequest,
)
from app.core.errors import HearthError
from app.core.host import EngineHost, JobFailed, ModelLoaded

PROMPT = "Explain, step by step, why the sky is blue."
TOKEN = "hearth-bench-token-0123456789abcdef"
HEARTBEAT_MS = 5.0
TIMEOUT_S = 600.0


@dataclass(slots=True)
class Run:
    """One streamed turn: when the request went out, when each piece arrived."""

    started: float = 0.0
    pieces: list[float] = field(default_factory=list)
    tokens: int = 0

    @property
    def ttft_ms(self) -> float:
        return (self.pieces[0] - self.started) * 1000 if self.pieces else math.nan

    @property
    def tokens_per_s(self) -> float:
        """Steady rate between the first and last piece (as the engine's own figure)."""
        if len(self.pieces) < 2 or self.pieces[-1] <= self.pieces[0]:
            return math.nan
        return (len(self.pieces) - 1) / (self.pieces[-1] - self.pieces[0])


def _request(max_tokens: int, seed: int) -> TurnRequest:
    params = SamplingParams(max_tokens=max_tokens, seed=seed, loop_guard=False)
    return TurnRequest(messages=(ChatMessage("user", PROMPT),), params=params)


def direct_turn(host: EngineHost, max_tokens: int, seed: int) -> Run:
    """One turn submitted straight to the host; each delta timed on the host thread."""
    run = Run()
    done = threading.Event()
    failure: list[JobFailed] = []

    def sink(_job: int, event: object) -> None:
        if isinstance(event, ReasoningDelta | AnswerDelta):
            run.pieces.append(time.perf_counter())
        elif isinstance(event, TurnFinished):
            run.tokens = event.stats.generated_tokens
            done.set()
        elif isinstance(event, JobFailed):
            failure.append(event)
            done.set()

    run.started = time.perf_counter()
    host.submit_turn(_request(max_tokens, seed), sink, origin="cli")
    if not done.wait(TIMEOUT_S):
        raise HearthError("The benchmark turn did not finish in time.")
    if failure:
        raise failure[0].error
    return run


async def stream_completion(
    port: int, token: str, payload: dict[str, Any]
) -> AsyncIterator[dict[str, Any]]:
    """POST a streamed chat completion to the API on loopback; yields each SSE chunk.

    A minimal HTTP/1.0 reader: no module but the network gateway may import an HTTP
    client library, and the gateway is not for loopback measurements.
    """
    body = json.dumps({**payload, "stream": True}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            f"POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise HearthError(f"The API answered {status.decode(errors='replace').strip()}.")
        while (await reader.readline()).strip():
            pass  # headers
        async for raw in reader:
            line = raw.strip()
            if not line.startswith(b"data: ") or line == b"data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if "error" in chunk:
                raise HearthError(str(chunk["error"].get("message")))
            yield chunk
    finally:
        writer.close()
        await writer.wait_closed()


def has_text(chunk: dict[str, Any]) -> bool:
    """Whether an SSE chunk carries answer or reasoning text."""
    return any(
        choice.get("delta", {}).get("content") or choice.get("delta", {}).get("reasoning_content")
        for choice in chunk.get("choices", [])
    )


async def api_turn(port: int, model: str, max_tokens: int, seed: int) -> Run:
    """One streamed chat completion through the API; each SSE piece timed on arrival."""
    payload = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream_options": {"include_usage": True},
        "max_tokens": max_tokens,
        "seed": seed,
        "temperature": 0.6,
        "top_p": 0.95,
    }
    run = Run(started=time.perf_counter())
    async for chunk in stream_completion(port, TOKEN, payload):
        if chunk.get("usage"):
            run.tokens = int(chunk["usage"]["completion_tokens"])
        if has_text(chunk):
            run.pieces.append(time.perf_counter())
    return run


async def hang_up(host: EngineHost, port: int, model: str, seed: int) -> float:
    """Start a long stream, hang up after the first pieces; ms until the engine is idle."""
    idle = threading.Event()
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "max_tokens": 100_000,
            "seed": seed,
        }
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        f"POST /v1/chat/completions HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    pieces = 0
    async for raw in reader:
        if raw.startswith(b"data: {"):
            pieces += 1
            if pieces >= 4:
                break

    def listener(state: Any) -> None:
        if state.status == "idle":
            idle.set()

    unsubscribe = host.add_state_listener(listener)
    try:
        hung_up = time.perf_counter()
        writer.close()
        await writer.wait_closed()
        listener(host.state)
        await asyncio.get_running_loop().run_in_executor(None, idle.wait, TIMEOUT_S)
        return (time.perf_counter() - hung_up) * 1000
    finally:
        unsubscribe()


class Heartbeat:
    """A thread that wakes every 5 ms and records how late it woke."""

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="bench-heartbeat", daemon=True)

    def _beat(self) -> None:
        interval = HEARTBEAT_MS / 1000
        expected = time.perf_counter() + interval
        while not self._stop.wait(max(0.0, expected - time.perf_counter())):
            now = time.perf_counter()
            self.late_ms.append(max(0.0, (now - expected) * 1000))
            expected = now + interval

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def _median(values: list[float]) -> float:
    data = [v for v in values if not math.isnan(v)]
    return float(statistics.median(data)) if data else math.nan


def measure(
    model: Path,
    *,
    threads: int,
    n_ctx: int = 4096,
    max_tokens: int = 64,
    repetitions: int = 3,
    say: Callable[[str], None] = lambda _text: None,
) -> dict[str, float]:
    """Every figure of the api section, by name."""
    from app.server.routes import ServerOptions
    from app.server.runner import ApiServer

    host = EngineHost()
    try:
        job = host.load_local(model, n_ctx=n_ctx, n_threads=threads, origin="cli")
        job.wait(TIMEOUT_S)
        if isinstance(job.result, JobFailed):
            raise job.result.error
        if not isinstance(job.result, ModelLoaded):
            raise HearthError("The model did not load in time.")
        model_id = job.result.info.model_id
        server = ApiServer(host, ServerOptions(port=0, token=TOKEN, max_api_jobs=16))
        server.start()
        try:
            return _measure(host, server.port, model_id, max_tokens, repetitions, say)
        finally:
            server.stop()
    finally:
        host.close()


def _measure(
    host: EngineHost,
    port: int,
    model_id: str,
    max_tokens: int,
    repetitions: int,
    say: Callable[[str], None],
) -> dict[str, float]:
    seed = 42
    say("api: warm-up (the prompt is cached for both sides from here on)")
    direct_turn(host, max_tokens, seed)
    asyncio.run(api_turn(port, model_id, max_tokens, seed))
    direct_runs: list[Run] = []
    api_runs: list[Run] = []
    beats: list[float] = []
    for index in range(repetitions):
        say(f"api: direct vs API, round {index + 1}/{repetitions}")
        direct_runs.append(direct_turn(host, max_tokens, seed))
        with Heartbeat() as heartbeat:
            api_runs.append(asyncio.run(api_turn(port, model_id, max_tokens, seed)))
        beats += heartbeat.late_ms

    say("api: 4 concurrent clients")

    async def four() -> tuple[float, list[Run]]:
        started = time.perf_counter()
        runs = await asyncio.gather(
            *(api_turn(port, model_id, max_tokens, seed + i) for i in range(4))
        )
        return time.perf_counter() - started, list(runs)

    with Heartbeat() as heartbeat:
        wall_s, concurrent = asyncio.run(four())
    beats += heartbeat.late_ms
    say("api: a client that hangs up mid-stream")
    hangups = [asyncio.run(hang_up(host, port, model_id, seed)) for _ in range(repetitions)]
    direct_tok_s = _median([r.tokens_per_s for r in direct_runs])
    api_tok_s = _median([r.tokens_per_s for r in api_runs])
    direct_ttft = _median([r.ttft_ms for r in direct_runs])
    api_ttft = _median([r.ttft_ms for r in api_runs])
    total_tokens = sum(r.tokens for r in concurrent)
    return {
        "direct_tg_tok_s": direct_tok_s,
        "api_tg_tok_s": api_tok_s,
        "api_vs_direct_tok_s": api_tok_s / direct_tok_s if direct_tok_s else math.nan,
        "direct_ttft_ms": direct_ttft,
        "api_ttft_ms": api_ttft,
        "api_added_ttft_ms": api_ttft - direct_ttft,
        "concurrent4_total_tok_s": total_tokens / wall_s if wall_s > 0 else math.nan,
        "concurrent4_per_client_tok_s": _median([r.tokens_per_s for r in concurrent]),
        "concurrent4_ttft_median_ms": _median([r.ttft_ms for r in concurrent]),
        "concurrent4_ttft_max_ms": max((r.ttft_ms for r in concurrent), default=math.nan),
        "hangup_engine_free_ms": _median(hangups),
        "heartbeat_max_late_ms": max(beats, default=math.nan),
        "heartbeat_p99_late_ms": (
            statistics.quantiles(beats, n=100)[98] if len(beats) >= 100 else math.nan
        ),
    }


_LABELS = {
    "direct_tg_tok_s": ("Engine direct (host), tokens/s", "{:.1f}", ""),
    "api_tg_tok_s": ("Through the API (SSE), tokens/s", "{:.1f}", ""),
    "api_vs_direct_tok_s": ("API / direct tokens/s", "{:.3f}", ">= 0.95"),
    "direct_ttft_ms": ("Engine direct TTFT, ms", "{:.1f}", ""),
    "api_ttft_ms": ("Through the API TTFT, ms", "{:.1f}", ""),
    "api_added_ttft_ms": ("TTFT added by the API, ms", "{:.1f}", "<= 30"),
    "concurrent4_total_tok_s": ("4 concurrent clients, total tokens/s", "{:.1f}", ""),
    "concurrent4_per_client_tok_s": (
        "4 concurrent clients, each while running, tok/s",
        "{:.1f}",
        "",
    ),
    "concurrent4_ttft_median_ms": ("4 concurrent clients, median TTFT (queued), ms", "{:.0f}", ""),
    "concurrent4_ttft_max_ms": ("4 concurrent clients, last TTFT (queued), ms", "{:.0f}", ""),
    "hangup_engine_free_ms": ("Client hangs up mid-stream → engine free, ms", "{:.0f}", "<= 200"),
    "heartbeat_max_late_ms": (
        "5 ms heartbeat thread, worst lateness while serving, ms",
        "{:.1f}",
        "<= 50",
    ),
    "heartbeat_p99_late_ms": ("5 ms heartbeat thread, p99 lateness, ms", "{:.1f}", ""),
}


def markdown(figures: dict[str, float], command: str, note: str) -> str:
    lines = [
        "### API (`bench --api`)",
        "",
        f"`{command}` · {note}",
        "",
        "| Figure | Value | Target |",
        "| --- | ---: | --- |",
    ]
    for key, (label, fmt, target) in _LABELS.items():
        value = figures.get(key, math.nan)
        shown = "n/a" if math.isnan(value) else fmt.format(value)
        lines.append(f"| {label} | {shown} | {target} |")
    return "\n".join(lines) + "\n"


def run_api_bench(model: Path, note: str, *, threads: int, quick: bool, json_path: Any) -> int:
    """The ``--api`` section on its own: prints the table, optionally writes JSON."""
    import sys

    def say(text: str) -> None:
        sys.stderr.write(f"[bench] {text}\n")
        sys.stderr.flush()

    figures = measure(
        model,
        threads=threads,
        max_tokens=24 if quick else 128,
        repetitions=1 if quick else 5,
        say=say,
    )
    command = "python -m app bench --api" + (" --quick" if quick else "")
    sys.stdout.write(markdown(figures, command, f"{note}, {threads} threads"))
    if json_path:
        Path(json_path).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0
