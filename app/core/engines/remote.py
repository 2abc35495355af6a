"""A remote engine: an OpenAI-compatible server answers the chat.

llama.cpp's ``llama-server``, vLLM, SGLang, Ollama, LM Studio and another Hearth all speak
``POST /v1/chat/completions`` with ``stream: true``. :class:`RemoteEngine` turns that stream
into the same :mod:`app.core.chat` events the local engine yields, so the session, the store,
the reasoning block, Stop, Answer now, stats and provenance work unchanged.

Every byte goes through the one network gateway (:mod:`app.core.network`), which logs host,
path and byte counts, never the prompt or the key. The HTTP stream is read by a helper
thread (a pump, :mod:`app.core.engines.remote_wire`) that hands parsed chunks to the host
thread through a queue: Stop never waits on a blocked socket, it abandons the pump and
aborts its connection.

Reasoning comes from ``reasoning_content`` (DeepSeek, vLLM ``--reasoning-parser``), from
``reasoning`` (Ollama, some gateways) or from inline ``<think>`` tags in raw text (sorted by
:class:`~app.core.reasoning.ReasoningSplitter`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    FinishReason,
    ReasoningClosed,
    ReasoningDelta,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.engines.remote_wire import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    SERVER_KINDS,
    Chunk,
    End,
    Failure,
    Pump,
    PumpItem,
    RemoteEndpoint,
    RemoteEngineError,
    http_error,
    normalize_base_url,
    not_openai_error,
    offline_error,
    parse_retry_after,
    transport_error,
)
from app.core.network import NetworkError, NetworkGateway
from app.core.network_events import BodyTooLargeError
from app.core.reasoning import ReasoningSplitter
from app.core.template import THINK_CLOSE, THINK_OPEN

log = logging.getLogger(__name__)

#: Text (reasoning + answer) one turn may deliver, in characters.
MAX_ANSWER_CHARS: Final = 4 << 20
#: A 429/503 asking to wait at most this long is retried once, automatically.
AUTO_RETRY_SECONDS: Final = 5.0
#: How long the end of a complete answer may take to close its connection.
_CLOSE_WAIT_SECONDS: Final = 2.0
#: How often the host thread looks at Stop / Answer now while waiting for the next chunk.
_POLL_SECONDS: Final = 0.02
#: Servers that accept the sampling fields OpenAI lacks (top_k, min_p). Others may refuse
#: unknown fields (Hearth's own API does), so they only get OpenAI's.
_EXTENDED_SAMPLING: Final = frozenset(
    {"llama.cpp", "llama-cpp-python", "vllm", "sglang", "lmstudio"}
)
#: Servers that put reasoning in its own field (vLLM and SGLang with a reasoning parser,
#: llama-server's default reasoning format, Ollama, LM Studio, Hearth).
_SEPARATING_SERVERS: Final = frozenset(
    {"vllm", "sglang", "llama.cpp", "ollama", "lmstudio", "hearth"}
)
#: How one streamed request ended, as the host thread sees it.
_Outcome = FinishReason | Literal["answer_now", "budget"] | RemoteEngineError


# --- The engine ------------------------------------------------------------------------------


@dataclass(slots=True)
class _TurnFigures:
    started: float
    first_at: float | None = None
    last_at: float | None = None
    #: Chunks that carried text, and those of them that carried reasoning.
    text_chunks: int = 0
    reasoning_chunks: int = 0
    chars: int = 0
    usage: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None


def _int(mapping: dict[str, Any], *path: str) -> int:
    value: Any = mapping
    for key in path:
        if not isinstance(value, dict):
            return 0
        value = value.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(mapping: dict[str, Any], key: str) -> float:
    value = mapping.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _looks_like_reasoning_model(model: str) -> bool:
    """R1-style models whose raw text starts inside an already opened ``<think>``."""
    lowered = model.lower()
    return any(marker in lowered for marker in ("r1", "qwq", "think", "reason"))


class RemoteEngine:
    """An :class:`~app.core.engines.base.Engine` backed by an OpenAI-compatible server."""

    def __init__(self, endpoint: RemoteEndpoint, gateway: NetworkGateway) -> None:
        self._endpoint = endpoint
        self._gateway = gateway
        self._closed = False
        self._pump: Pump | None = None
        self._pump_lock = threading.Lock()

    @property
    def endpoint(self) -> RemoteEndpoint:
        return self._endpoint

    @property
    def engine_info(self) -> EngineInfo:
        endpoint = self._endpoint
        return EngineInfo(
            # Provenance keeps the name: the model and the engine that served it.
            name=f"{endpoint.model} ({endpoint.name})" if endpoint.model else endpoint.name,
            kind="remote",
            model_id=endpoint.model,
            n_ctx=endpoint.n_ctx,
            location=endpoint.host,
            # Provenance: what answered, never the key.
            details={
                "engine": endpoint.name,
                "host": endpoint.host,
                "server": SERVER_KINDS.get(endpoint.server_kind, endpoint.server_kind),
                "loopback": endpoint.is_loopback,
            },
        )

    def count_tokens(self, request: TurnRequest) -> int:
        """An estimate: the server's tokenizer is not ours (about 3.5 characters a token)."""
        chars = len(request.system_prompt) + sum(len(m.content) + 8 for m in request.messages)
        return int(chars / 3.5) + 1

    def close(self) -> None:
        self._closed = True
        with self._pump_lock:
            pump = self._pump
        if pump is not None:
            pump.abandon()

    # --- a turn --------------------------------------------------------------------------

    def request_body(
        self, request: TurnRequest, *, answer_prefill: str | None = None
    ) -> dict[str, Any]:
        """The JSON for ``POST /chat/completions``. ``answer_prefill`` continues an assistant
        message (Answer now, Continue) on servers that prefill a trailing assistant turn."""
        endpoint = self._endpoint
        params = request.params
        messages: list[dict[str, str]] = []
        if request.system_prompt:
            messages.append({"role": "system", "content": request.system_prompt})
        history = list(request.messages)
        partial = None
        if request.continue_last and history and history[-1].role == "assistant":
            partial = history.pop()
        for message in history:
            # Earlier reasoning is not sent back, as R1 templates drop it too.
            messages.append({"role": message.role, "content": message.content})
        prefill = answer_prefill
        if prefill is None and partial is not None:
            if partial.reasoning and not partial.content:
                prefill = f"{THINK_OPEN}\n{partial.reasoning}"
            elif partial.reasoning:
                prefill = f"{THINK_OPEN}\n{partial.reasoning}\n{THINK_CLOSE}\n\n{partial.content}"
            else:
                prefill = partial.content
        body: dict[str, Any] = {
            "model": endpoint.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if endpoint.server_kind in _EXTENDED_SAMPLING:
            body["top_k"] = params.top_k
            body["min_p"] = params.min_p
            if params.repeat_penalty != 1.0:
                key = (
                    "repetition_penalty"
                    if endpoint.server_kind in ("vllm", "sglang")
                    else "repeat_penalty"
                )
                body[key] = params.repeat_penalty
        if prefill is not None:
            messages.append({"role": "assistant", "content": prefill})
            if endpoint.server_kind in ("vllm", "sglang"):
                body["continue_final_message"] = True
                body["add_generation_prompt"] = False
        return body

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        """Stream one turn from the server; ends with TurnFinished, or raises
        RemoteEngineError (``end_state`` "interrupted" when part of the answer arrived)."""
        if self._closed:
            raise RemoteEngineError("", kind="connect").with_code("remote.closed")
        figures = _TurnFigures(started=time.perf_counter())
        continuing = (
            request.continue_last
            and bool(request.messages)
            and request.messages[-1].role == "assistant"
        )
        partial = request.messages[-1] if continuing else None
        in_reasoning_partial = (
            partial is not None and bool(partial.reasoning) and not partial.content
        )
        # Servers that separate reasoning themselves send an answer-only model's text as
        # content; only a raw-text server's R1 output starts inside an opened <think>.
        raw_r1 = (
            partial is None
            and self._endpoint.server_kind not in _SEPARATING_SERVERS
            and _looks_like_reasoning_model(self._endpoint.model)
        )
        splitter = ReasoningSplitter(
            starts_in_reasoning=in_reasoning_partial or raw_r1, continuing=continuing
        )
        reasoning_text: list[str] = [partial.reasoning] if in_reasoning_partial and partial else []
        state = _SplitState(splitter)
        budget = request.params.thinking_budget
        body = self.request_body(request)
        retried = False
        answer_only = False
        while True:
            pump = self._start(body)
            outcome = yield from self._drain(
                pump, control, state, figures, reasoning_text, answer_only, budget
            )
            if outcome == "answer_now" or outcome == "budget":
                # Close the reasoning ourselves and ask again with it as a prefilled answer.
                yield from state.close(outcome if outcome == "budget" else "answer_now")
                prefill = f"{THINK_OPEN}\n{''.join(reasoning_text).strip()}\n{THINK_CLOSE}\n\n"
                body = self.request_body(request, answer_prefill=prefill)
                state.reset_for_answer()
                answer_only = True
                continue
            if isinstance(outcome, RemoteEngineError):
                if (
                    not retried
                    and outcome.kind in ("busy", "unavailable")
                    and outcome.retry_after is not None
                    and outcome.retry_after <= AUTO_RETRY_SECONDS
                    and figures.first_at is None
                ):
                    retried = True
                    log.info(
                        "remote engine: %s asked to wait %.1f s; retrying once",
                        self._endpoint.host,
                        outcome.retry_after,
                    )
                    if control.wait(outcome.retry_after):
                        yield from state.flush()
                        yield TurnFinished("stopped", self._stats(figures, request))
                        return
                    continue
                yield from state.flush()
                outcome.stats = self._stats(figures, request)
                raise outcome
            yield from state.flush()
            yield TurnFinished(outcome, self._stats(figures, request))
            return

    def _start(self, body: dict[str, Any]) -> Pump:
        pump = Pump(
            self._gateway, self._endpoint, json.dumps(body, ensure_ascii=False).encode("utf-8")
        )
        with self._pump_lock:
            self._pump = pump
        return pump.start()

    def _drain(
        self,
        pump: Pump,
        control: TurnControl,
        state: _SplitState,
        figures: _TurnFigures,
        reasoning_text: list[str],
        answer_only: bool,
        budget: int | None,
    ) -> Generator[TurnEvent, None, _Outcome]:
        """Yield events from one pump until it ends; returns how it ended (an error is
        returned, not raised, so the caller can retry or keep what arrived)."""
        endpoint = self._endpoint
        try:
            while True:
                stop = control.cancelled or self._closed
                end_reasoning = (
                    not answer_only
                    and state.in_reasoning
                    and (
                        control.answer_now_requested
                        or (budget is not None and figures.reasoning_chunks >= budget)
                    )
                )
                held: PumpItem | None = None
                if stop or end_reasoning:
                    # Keep what already arrived before ending this request.
                    held = yield from self._take_queued(
                        pump, state, figures, reasoning_text, answer_only
                    )
                    if stop:
                        return "stopped"
                    if state.in_reasoning:
                        return "answer_now" if control.answer_now_requested else "budget"
                if held is not None:
                    item = held
                else:
                    try:
                        item = pump.items.get(timeout=_POLL_SECONDS)
                    except queue.Empty:
                        continue
                if isinstance(item, End):
                    # The reader is only closing the response now; let it log the
                    # request as complete rather than cut it short.
                    pump.join(_CLOSE_WAIT_SECONDS)
                    if item.done or figures.finish_reason is not None:
                        return "length" if figures.finish_reason == "length" else "finished"
                    # The body ended without [DONE] or a finish reason: the server went away.
                    return RemoteEngineError(
                        "",
                        kind="interrupted",
                        detail="stream ended without [DONE]",
                        end_state="interrupted",
                    ).with_code("remote.ended_early", name=endpoint.name, host=endpoint.host)
                if isinstance(item, Failure):
                    error = item.error
                    started = figures.first_at is not None
                    if isinstance(error, BodyTooLargeError):
                        return RemoteEngineError(
                            "",
                            kind="too_large",
                            detail=error.detail,
                            end_state="interrupted" if started else "failed",
                        ).with_code("remote.body_too_large", name=endpoint.name, host=endpoint.host)
                    if isinstance(error, NetworkError):
                        if error.kind == "cancelled":
                            return "stopped"
                        return transport_error(error, endpoint, started=started)
                    if isinstance(error, RemoteEngineError):
                        if started and error.end_state == "failed" and error.kind == "server":
                            error.end_state = "interrupted"
                        return error
                    return RemoteEngineError(str(error), kind="protocol", detail=error.detail)
                yield from self._take(item, state, figures, reasoning_text, answer_only)
                if figures.chars > MAX_ANSWER_CHARS:
                    return RemoteEngineError(
                        "",
                        kind="too_large",
                        detail=f"more than {MAX_ANSWER_CHARS} characters",
                        end_state="interrupted",
                    ).with_code("remote.answer_too_long", name=endpoint.name, host=endpoint.host)
        finally:
            pump.abandon()
            with self._pump_lock:
                if self._pump is pump:
                    self._pump = None

    def _take_queued(
        self,
        pump: Pump,
        state: _SplitState,
        figures: _TurnFigures,
        reasoning_text: list[str],
        answer_only: bool,
    ) -> Generator[TurnEvent, None, PumpItem | None]:
        """The chunks already waiting in the queue, without waiting for more; returns the
        end of the stream if it is among them."""
        while True:
            try:
                item = pump.items.get_nowait()
            except queue.Empty:
                return None
            if not isinstance(item, Chunk):
                return item
            yield from self._take(item, state, figures, reasoning_text, answer_only)

    def _take(
        self,
        chunk: Chunk,
        state: _SplitState,
        figures: _TurnFigures,
        reasoning_text: list[str],
        answer_only: bool,
    ) -> Iterator[TurnEvent]:
        if chunk.usage:
            figures.usage = chunk.usage
        if chunk.timings:
            figures.timings = chunk.timings
        if chunk.finish_reason is not None:
            figures.finish_reason = chunk.finish_reason
        if not chunk.reasoning and not chunk.content:
            return
        if figures.first_at is None:
            figures.first_at = chunk.at
        figures.last_at = chunk.at
        figures.chars += len(chunk.reasoning) + len(chunk.content)
        # Servers send about one token per chunk: the count stands in where usage is missing.
        figures.text_chunks += 1
        thought = False
        if chunk.reasoning and not answer_only:
            thought = True
            reasoning_text.append(chunk.reasoning)
            yield from state.reasoning(chunk.reasoning)
        if chunk.content:
            for event in state.content(chunk.content, answer_only=answer_only):
                if isinstance(event, ReasoningDelta):
                    thought = True
                    reasoning_text.append(event.text)
                yield event
        if thought:
            figures.reasoning_chunks += 1

    def _stats(self, figures: _TurnFigures, request: TurnRequest) -> TurnStats:
        usage, timings = figures.usage, figures.timings
        prompt_tokens = _int(usage, "prompt_tokens") or _int(timings, "prompt_n")
        cached = _int(usage, "prompt_tokens_details", "cached_tokens") or _int(timings, "cache_n")
        generated = _int(usage, "completion_tokens") or _int(timings, "predicted_n")
        if not generated:
            generated = figures.text_chunks
        reasoning = (
            _int(usage, "completion_tokens_details", "reasoning_tokens") or figures.reasoning_chunks
        )
        ttft_ms = 0.0 if figures.first_at is None else (figures.first_at - figures.started) * 1000
        generation_ms = _float(timings, "predicted_ms")
        if not generation_ms and figures.first_at is not None and figures.last_at is not None:
            generation_ms = (figures.last_at - figures.first_at) * 1000
        tokens_per_s = _float(timings, "predicted_per_second")
        if not tokens_per_s and generation_ms > 0 and generated > 1:
            # The first token's time is in TTFT; the rest were generated over generation_ms.
            tokens_per_s = (generated - 1) / (generation_ms / 1000)
        prompt_ms = _float(timings, "prompt_ms") or ttft_ms
        prompt_per_s = _float(timings, "prompt_per_second")
        evaluated = max(0, prompt_tokens - cached)
        if not prompt_per_s and prompt_ms > 0 and evaluated:
            prompt_per_s = evaluated / (prompt_ms / 1000)
        return TurnStats(
            prompt_tokens=prompt_tokens,
            cached_tokens=cached,
            evaluated_tokens=evaluated,
            generated_tokens=generated,
            reasoning_tokens=reasoning,
            ttft_ms=ttft_ms,
            prompt_ms=prompt_ms,
            generation_ms=generation_ms,
            prompt_tokens_per_s=prompt_per_s,
            tokens_per_s=tokens_per_s,
            n_ctx=self._endpoint.n_ctx,
            context_used=prompt_tokens + generated,
            seed=request.params.seed or 0,
        )


class _SplitState:
    """Sorts a turn's text into reasoning and answer events, once, in order."""

    def __init__(self, splitter: ReasoningSplitter) -> None:
        self._splitter = splitter
        #: The server separates reasoning itself (reasoning_content / reasoning fields).
        self._separated = False
        self._closed_by_us = False
        self._answer_started = False
        self._answer_text_seen = False
        #: After Answer now / the budget: sorts the follow-up request's text.
        self._answer_splitter: ReasoningSplitter | None = None

    @property
    def in_reasoning(self) -> bool:
        if self._closed_by_us:
            return False
        if self._separated:
            return not self._answer_started
        return self._splitter.in_reasoning

    def reasoning(self, text: str) -> Iterator[TurnEvent]:
        self._separated = True
        if self._answer_started or self._closed_by_us:
            return
        yield ReasoningDelta(text)

    def content(self, text: str, *, answer_only: bool) -> Iterator[TurnEvent]:
        if self._answer_splitter is not None:
            # After Answer now: a server that did not prefill may think again; drop that.
            for event in self._answer_splitter.feed(text):
                if isinstance(event, AnswerDelta):
                    yield event
            return
        if self._separated:
            if not self._answer_started:
                self._answer_started = True
                yield ReasoningClosed("model")
            if not self._answer_text_seen:
                # The separated answer starts after the blank lines that followed </think>.
                text = text.lstrip("\n")
            if text:
                self._answer_text_seen = True
                yield AnswerDelta(text)
            return
        yield from self._splitter.feed(text)

    def close(self, reason: Literal["answer_now", "budget"]) -> Iterator[TurnEvent]:
        self._closed_by_us = True
        if self._separated:
            if not self._answer_started:
                self._answer_started = True
                yield ReasoningClosed(reason)
            return
        yield from self._splitter.close_reasoning(reason)

    def reset_for_answer(self) -> None:
        self._answer_splitter = ReasoningSplitter(starts_in_reasoning=False)

    def flush(self) -> Iterator[TurnEvent]:
        if self._answer_splitter is not None:
            for event in self._answer_splitter.flush():
                if isinstance(event, AnswerDelta):
                    yield event
            return
        if not self._separated:
            yield from self._splitter.flush()


__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "SERVER_KINDS",
    "RemoteEndpoint",
    "RemoteEngine",
    "RemoteEngineError",
    "http_error",
    "normalize_base_url",
    "not_openai_error",
    "offline_error",
    "parse_retry_after",
    "transport_error",
]
