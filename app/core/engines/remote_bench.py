"""``bench --engine URL``: what Hearth's remote engine adds on top of a bare client.

The same request goes to the same server, alternately through :class:`RemoteEngine` (its
reader thread, queue, reasoning split and stats) and through a bare loop over the gateway's
event stream (HTTP + SSE only). Both use the network gateway, so both are in the network
log and neither leaves a request unaccounted. Targets: at most 3 % more time per answer and
at most 20 ms more time to the first token.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Final

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ReasoningDelta,
    SamplingParams,
    TurnFinished,
    TurnRequest,
)
from app.core.engines.registry import probe
from app.core.engines.remote import (
    RemoteEndpoint,
    RemoteEngine,
    RemoteEngineError,
    http_error,
    normalize_base_url,
)
from app.core.network import NetworkGateway

PROMPT: Final = "Write a short story about a lighthouse keeper who finds a message in a bottle."
TARGET_OVERHEAD_PCT: Final = 3.0
TARGET_TTFT_MS: Final = 20.0
TARGET_STOP_MS: Final = 200.0


@dataclass(frozen=True, slots=True)
class RunFigures:
    ttft_ms: float
    total_ms: float
    chunks: int


@dataclass(slots=True)
class RemoteBenchResult:
    host: str
    model: str
    server: str
    max_tokens: int
    engine: list[RunFigures] = field(default_factory=list)
    bare: list[RunFigures] = field(default_factory=list)
    #: From pressing Stop mid-answer to the turn's end, in ms.
    stop_ms: float = 0.0

    @staticmethod
    def _median(runs: list[RunFigures], name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs) if runs else 0.0

    @property
    def ttft_added_ms(self) -> float:
        return self._median(self.engine, "ttft_ms") - self._median(self.bare, "ttft_ms")

    @property
    def time_added_pct(self) -> float:
        """Extra time per chunk (answers may differ in length run to run), in percent."""
        bare = self._per_chunk(self.bare)
        return 0.0 if bare <= 0 else (self._per_chunk(self.engine) / bare - 1) * 100

    def _per_chunk(self, runs: list[RunFigures]) -> float:
        return statistics.median(r.total_ms / max(1, r.chunks) for r in runs) if runs else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "model": self.model,
            "server": self.server,
            "max_tokens": self.max_tokens,
            "engine": [vars_of(r) for r in self.engine],
            "bare": [vars_of(r) for r in self.bare],
            "ttft_added_ms": round(self.ttft_added_ms, 2),
            "time_added_pct": round(self.time_added_pct, 2),
            "stop_ms": round(self.stop_ms, 2),
        }

    def table(self) -> str:
        rows = [
            f"Remote engine bench: {self.model} on {self.host} ({self.server or 'unknown server'}),"
            f" {self.max_tokens} tokens max, {len(self.engine)} runs each",
            "",
            "| client | TTFT ms (median) | total ms (median) | chunks (median) |",
            "| --- | ---: | ---: | ---: |",
        ]
        for label, runs in (
            ("bare gateway + SSE", self.bare),
            ("Hearth remote engine", self.engine),
        ):
            rows.append(
                f"| {label} | {self._median(runs, 'ttft_ms'):.1f} | "
                f"{self._median(runs, 'total_ms'):.1f} | {self._median(runs, 'chunks'):.0f} |"
            )
        ttft_ok = "ok" if self.ttft_added_ms <= TARGET_TTFT_MS else "OVER TARGET"
        time_ok = "ok" if self.time_added_pct <= TARGET_OVERHEAD_PCT else "OVER TARGET"
        rows += [
            "",
            f"Hearth adds {self.ttft_added_ms:+.1f} ms to TTFT (target ≤ {TARGET_TTFT_MS:g} ms: "
            f"{ttft_ok}) and {self.time_added_pct:+.1f} % "
            f"({self._per_chunk(self.engine) - self._per_chunk(self.bare):+.2f} ms) per chunk "
            f"(target ≤ {TARGET_OVERHEAD_PCT:g} %: {time_ok}).",
            f"Stop mid-answer returned in {self.stop_ms:.1f} ms (target ≤ {TARGET_STOP_MS:g} ms: "
            f"{'ok' if self.stop_ms <= TARGET_STOP_MS else 'OVER TARGET'}).",
        ]
        return "\n".join(rows)


def vars_of(run: RunFigures) -> dict[str, float]:
    return {
        "ttft_ms": round(run.ttft_ms, 2),
        "total_ms": round(run.total_ms, 2),
        "chunks": run.chunks,
    }


def run_remote_bench(
    gateway: NetworkGateway,
    base_url: str,
    *,
    model: str = "",
    api_key: str = "",
    runs: int = 3,
    max_tokens: int = 256,
) -> RemoteBenchResult:
    """Alternate engine and bare runs against one server; raises RemoteEngineError."""
    endpoint = RemoteEndpoint("bench", normalize_base_url(base_url), api_key=api_key)
    report = probe(gateway, endpoint)
    chosen = model or (report.models[0] if report.models else "")
    endpoint = RemoteEndpoint(
        "bench",
        endpoint.base_url,
        chosen,
        api_key=api_key,
        server_kind=report.server_kind,
    )
    engine = RemoteEngine(endpoint, gateway)
    request = TurnRequest(
        messages=(ChatMessage("user", PROMPT),),
        params=SamplingParams(temperature=0.0, max_tokens=max_tokens, seed=1234),
    )
    body = json.dumps(engine.request_body(request)).encode("utf-8")
    result = RemoteBenchResult(endpoint.host, chosen, report.server_label, max_tokens)
    _bare_run(gateway, endpoint, body)  # warm-up: the server's caches, our connection
    for _ in range(max(1, runs)):
        result.bare.append(_bare_run(gateway, endpoint, body))
        result.engine.append(_engine_run(engine, request))
    # A long answer, so that Stop lands while it streams.
    long_request = replace(request, params=replace(request.params, max_tokens=max_tokens * 8))
    result.stop_ms = _stop_run(engine, long_request)
    engine.close()
    return result


def _engine_run(engine: RemoteEngine, request: TurnRequest) -> RunFigures:
    started = time.perf_counter()
    first = 0.0
    chunks = 0
    for event in engine.stream_turn(request, TurnControl()):
        if isinstance(event, ReasoningDelta | AnswerDelta):
            chunks += 1
            if not first:
                first = time.perf_counter()
        elif isinstance(event, TurnFinished):
            break
    ended = time.perf_counter()
    return RunFigures((first - started) * 1000 if first else 0.0, (ended - started) * 1000, chunks)


def _stop_run(engine: RemoteEngine, request: TurnRequest) -> float:
    """Stop pressed from another thread (as the window does) once the answer streams; the
    time until the turn has ended."""
    control = TurnControl()
    streaming = threading.Event()
    pressed: list[float] = []

    def press_stop() -> None:
        if streaming.wait(60):
            pressed.append(time.perf_counter())
            control.cancel()

    presser = threading.Thread(target=press_stop, name="bench-stop", daemon=True)
    presser.start()
    ended = 0.0
    for event in engine.stream_turn(request, control):
        if isinstance(event, ReasoningDelta | AnswerDelta):
            streaming.set()
        elif isinstance(event, TurnFinished):
            ended = time.perf_counter()
    streaming.set()
    presser.join(5)
    if not pressed or ended < pressed[0]:
        return 0.0  # the answer ended before Stop was pressed
    return max(0.0, (ended - pressed[0]) * 1000)


def _bare_run(gateway: NetworkGateway, endpoint: RemoteEndpoint, body: bytes) -> RunFigures:
    started = time.perf_counter()
    first = 0.0
    chunks = 0
    with gateway.post_events(
        endpoint.url("chat/completions"),
        body=body,
        headers=endpoint.headers(),
        allow_loopback=endpoint.is_loopback,
    ) as response:
        if response.status >= 300:
            raise http_error(response.status, response.headers, response.read_small(), endpoint)
        for event in response.iter_events(max_line=1 << 20, max_total=64 << 20):
            if event.data.strip() == "[DONE]":
                break
            try:
                choices = json.loads(event.data).get("choices") or [{}]
            except (ValueError, AttributeError):
                continue
            delta = choices[0].get("delta") or {}
            if delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning"):
                chunks += 1
                if not first:
                    first = time.perf_counter()
    ended = time.perf_counter()
    return RunFigures((first - started) * 1000 if first else 0.0, (ended - started) * 1000, chunks)


__all__ = ["RemoteBenchResult", "RemoteEngineError", "run_remote_bench"]
