"""Batched sampling for majority vote: N answers to one prompt, decoded together.

On a CPU, decoding is bound by memory bandwidth: one batch of 4 tokens reads the weights
once, so 4 samples cost far less than 4 answers. The prompt is already in sequence 0 of
the KV cache (evaluated once by :class:`~app.core.engines.llama.LlamaEngine`); with the
unified cache, sequences 1…N-1 share its cells. Every step, each live sample either
samples its next token from its own logits row or, when its reasoning must close (Answer
now, thinking budget, loop guard), feeds the tokens of ``"\\n</think>\\n\\n"``; all of that
goes into one ``llama_decode``.

Afterwards the extra sequences are dropped and sequence 0 is cut back to the prompt, so
the next turn still reuses the prompt's cells.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.cancel import TurnControl
from app.core.chat import (
    FinishReason,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnStats,
)
from app.core.engines.base import SampleEvent
from app.core.engines.native import (
    DECODE_NO_KV_SLOT,
    DECODE_OK,
    NativeModel,
    feed_rows,
)
from app.core.engines.streaming import TurnCounters, Utf8Stream, forced_close, turn_stats
from app.core.errors import GenerationError
from app.core.reasoning import LoopGuard, ReasoningSplitter


@dataclass(slots=True)
class _Sample:
    index: int
    chain: Any
    splitter: ReasoningSplitter
    guard: LoopGuard | None
    counters: TurnCounters
    text: Utf8Stream = field(default_factory=Utf8Stream)
    #: Context position of the next token fed to this sample's sequence.
    position: int = 0
    #: Batch row whose logits this sample samples next (-1: the prompt's last token).
    row: int = -1
    looping: bool = False
    feed: list[int] = field(default_factory=list)
    reason: FinishReason | None = None


def run_samples(
    native: NativeModel,
    control: TurnControl,
    params: SamplingParams,
    *,
    chains: Sequence[Any],
    seeds: Sequence[int],
    prompt: TurnCounters,
    close_tokens: Sequence[int],
    starts_in_reasoning: bool,
    continuing: bool,
) -> Generator[TurnEvent | SampleEvent, None, TurnFinished]:
    """Decode one sample per chain after the prompt in sequence 0; returns the overall end.

    ``prompt`` holds the prompt's figures (every sample's stats start from them).
    """
    prompt_length = len(native.cache)
    samples = [
        _Sample(
            index=i,
            chain=chain,
            splitter=ReasoningSplitter(
                starts_in_reasoning=starts_in_reasoning, continuing=continuing
            ),
            guard=LoopGuard() if params.loop_guard else None,
            counters=replace(prompt, seed=seeds[i]),
            position=prompt_length,
        )
        for i, chain in enumerate(chains)
    ]
    for sample in samples[1:]:
        native.drop_sequence(sample.index)  # leftovers of an earlier, aborted vote
        native.copy_sequence(0, sample.index, prompt_length)
    try:
        used = yield from _decode_together(native, control, params, samples, close_tokens)
    finally:
        for sample in samples[1:]:
            native.drop_sequence(sample.index)
        native.drop_sequence(0, prompt_length)
        del native.cache[prompt_length:]
    return _overall(control, samples, prompt, n_ctx=native.n_ctx, used=used)


def _decode_together(
    native: NativeModel,
    control: TurnControl,
    params: SamplingParams,
    samples: list[_Sample],
    close_tokens: Sequence[int],
) -> Generator[TurnEvent | SampleEvent, None, int]:
    """The step loop; returns the KV cells in use at the end."""
    n_ctx = native.n_ctx
    used = len(native.cache)
    budget = params.thinking_budget
    max_tokens = max(0, params.max_tokens)
    clock = time.perf_counter
    live = list(samples)
    while live:
        if control.cancelled:
            for sample in live:
                yield from _finish(sample, "stopped", n_ctx)
            break
        feeds: list[_Sample] = []
        for sample in list(live):
            sample.feed = []
            counters, splitter = sample.counters, sample.splitter
            if splitter.in_reasoning:
                close = forced_close(control, budget, counters.reasoning, sample.looping)
                if close is not None:
                    tail = sample.text.flush()
                    if tail:
                        yield from _wrap(sample, splitter.feed(tail))
                    yield from _wrap(sample, splitter.close_reasoning(close))
                    if used + len(close_tokens) > n_ctx:
                        live.remove(sample)
                        yield from _finish(sample, "length", n_ctx)
                        continue
                    for token in close_tokens:
                        native.accept(sample.chain, token)  # repetition penalties see them
                    sample.feed = list(close_tokens)
                    used += len(close_tokens)
                    feeds.append(sample)
                    continue
            if counters.generated >= max_tokens or used >= n_ctx:
                live.remove(sample)
                yield from _finish(sample, "length", n_ctx)
                continue
            token = native.sample(sample.chain, sample.row)
            now = clock()
            if counters.sampled == 0:
                counters.first_token_at = now
            counters.last_token_at = now
            counters.sampled += 1
            if native.is_end(token):
                live.remove(sample)
                yield from _finish(sample, "finished", n_ctx)
                continue
            counters.generated += 1
            if splitter.in_reasoning:
                counters.reasoning += 1
                if sample.guard is not None and sample.guard.observe(token):
                    sample.looping = True
            data = native.token_bytes(token)
            if data:
                text = sample.text.feed(data)
                if text:
                    yield from _wrap(sample, splitter.feed(text))
            sample.feed = [token]
            used += 1
            feeds.append(sample)
        if not feeds:
            break
        batch = [(sample.index, sample.position, sample.feed) for sample in feeds]
        result = native.decode_sequences(batch)
        if result == DECODE_NO_KV_SLOT:
            for sample in live:
                yield from _finish(sample, "length", n_ctx)
            break
        if result != DECODE_OK:
            raise GenerationError.of(
                "engine.decode_failed_samples",
                detail=f"llama_decode returned {result} while sampling {len(samples)} answers",
            )
        for sample, row in zip(feeds, feed_rows(batch), strict=True):
            sample.position += len(sample.feed)
            sample.row = row
    return used


def _wrap(sample: _Sample, events: Sequence[TurnEvent]) -> Generator[SampleEvent, None, None]:
    for event in events:
        yield SampleEvent(sample.index, event)


def _finish(
    sample: _Sample, reason: FinishReason, n_ctx: int
) -> Generator[SampleEvent, None, None]:
    if sample.reason is not None:
        return
    sample.reason = reason
    tail = sample.text.flush()
    if tail:
        yield from _wrap(sample, sample.splitter.feed(tail))
    yield from _wrap(sample, sample.splitter.flush())
    sample.counters.ended = time.perf_counter()
    stats = turn_stats(sample.counters, n_ctx=n_ctx, context_used=sample.position)
    yield SampleEvent(sample.index, TurnFinished(reason, stats))


def _overall(
    control: TurnControl, samples: list[_Sample], prompt: TurnCounters, *, n_ctx: int, used: int
) -> TurnFinished:
    """The job's own end: every sample's tokens, the throughput of the whole batch."""
    reasons = [sample.reason for sample in samples]
    if control.cancelled:
        reason: FinishReason = "stopped"
    elif "finished" in reasons:
        reason = "finished"
    else:
        reason = "length"
    sampled = [s.counters for s in samples if s.counters.sampled]
    total = replace(
        prompt,
        generated=sum(s.counters.generated for s in samples),
        reasoning=sum(s.counters.reasoning for s in samples),
        sampled=sum(c.sampled for c in sampled),
        first_token_at=min((c.first_token_at for c in sampled), default=0.0),
        last_token_at=max((c.last_token_at for c in sampled), default=0.0),
        ended=time.perf_counter(),
    )
    stats: TurnStats = turn_stats(total, n_ctx=n_ctx, context_used=used)
    return TurnFinished(reason, stats)
