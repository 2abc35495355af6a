"""Batched sampling (majority vote) with the tiny model: N sequences decoded together.

The model's text is gibberish; the tests check which sample says what, when each ends,
and that the KV cache is left as a plain turn expects it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnEvent,
    TurnFinished,
    TurnRequest,
)
from app.core.engines.base import SampleEvent
from app.core.engines.llama import LlamaEngine
from app.core.errors import GenerationError
from app.core.host import EngineHost, HostEvent
from tests.support.models import TINY_N_CTX, TINY_THREADS, run_turn, user_turn


@dataclass
class Vote:
    events: list[TurnEvent | SampleEvent] = field(default_factory=list)

    def of(self, index: int) -> list[TurnEvent]:
        return [e.event for e in self.events if isinstance(e, SampleEvent) and e.index == index]

    def text(self, index: int) -> str:
        return "".join(
            e.text for e in self.of(index) if isinstance(e, ReasoningDelta | AnswerDelta)
        )

    def end(self, index: int) -> TurnFinished:
        ends = [e for e in self.of(index) if isinstance(e, TurnFinished)]
        assert len(ends) == 1, ends
        return ends[0]

    @property
    def finished(self) -> TurnFinished:
        last = self.events[-1]
        assert isinstance(last, TurnFinished), last
        plain = [e for e in self.events if isinstance(e, TurnFinished)]
        assert plain == [last], "exactly one unwrapped TurnFinished, at the end"
        return last


def vote(
    engine: LlamaEngine,
    request: TurnRequest,
    n: int,
    seeds: list[int] | None = None,
    control: TurnControl | None = None,
    on_event: object = None,
) -> Vote:
    control = control or TurnControl()
    result = Vote()
    for event in engine.stream_samples(request, n, control, seeds):
        result.events.append(event)
        if on_event is not None:
            on_event(event, control)  # type: ignore[operator]
    return result


@pytest.fixture(scope="module")
def engine(tiny_model_f32: Path) -> Iterator[LlamaEngine]:
    with LlamaEngine.load(tiny_model_f32, n_ctx=TINY_N_CTX, n_threads=TINY_THREADS) as loaded:
        yield loaded


def test_different_seeds_give_different_sequences(engine: LlamaEngine) -> None:
    result = vote(engine, user_turn(max_tokens=24, temperature=0.9), 4, [11, 12, 13, 14])
    texts = [result.text(i) for i in range(4)]
    assert all(texts) and len(set(texts)) == 4
    for i in range(4):
        end = result.end(i)
        assert end.reason == "length" and end.stats.generated_tokens == 24
        assert end.stats.seed == 11 + i
    total = result.finished
    assert total.reason == "length"
    assert total.stats.generated_tokens == 4 * 24
    # The prompt was evaluated once for all four.
    progress = [e for e in result.events if isinstance(e, PromptProgress)]
    assert progress[-1].done == total.stats.evaluated_tokens == total.stats.prompt_tokens


@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_a_sample_with_a_seed_says_what_a_single_answer_with_it_says(
    engine: LlamaEngine, temperature: float
) -> None:
    request = user_turn(max_tokens=24, temperature=temperature, seed=5)
    engine.reset_cache()
    single = run_turn(engine, request)
    engine.reset_cache()
    result = vote(engine, request, 3, [5, 99, 123])
    assert result.text(0) == single.reasoning + single.answer
    assert result.end(0).stats.generated_tokens == single.finished.stats.generated_tokens


def test_stop_ends_every_sample_and_the_engine_goes_on(engine: LlamaEngine) -> None:
    deltas = 0

    def stop_after_a_few(event: TurnEvent | SampleEvent, control: TurnControl) -> None:
        nonlocal deltas
        if isinstance(event, SampleEvent) and isinstance(event.event, ReasoningDelta):
            deltas += 1
            if deltas == 6:
                stopper = threading.Thread(target=control.cancel)
                stopper.start()
                stopper.join(10)

    request = user_turn(max_tokens=100000, temperature=0.9)
    result = vote(engine, request, 3, on_event=stop_after_a_few)
    assert result.finished.reason == "stopped"
    for i in range(3):
        end = result.end(i)
        assert end.reason == "stopped"
        assert end.stats.generated_tokens < 20
    # Only the prompt stays in the cache: the next turn evaluates just its last token.
    prompt = engine.tokenize(engine.template.render(request.messages).text)
    assert list(engine.cached_tokens) == prompt
    again = run_turn(
        engine, request.__class__(messages=request.messages, params=user_turn().params)
    )
    assert again.finished.reason == "length"
    assert engine.last_eval_count == 1


def test_answer_now_closes_the_reasoning_of_every_sample(engine: LlamaEngine) -> None:
    control = TurnControl()
    control.request_answer_now()
    result = vote(engine, user_turn(max_tokens=12, temperature=0.9), 3, control=control)
    for i in range(3):
        closes = [e for e in result.of(i) if isinstance(e, ReasoningClosed)]
        assert [c.reason for c in closes] == ["answer_now"]
        assert result.end(i).stats.reasoning_tokens == 0
        assert result.text(i)  # each sample then answered


def test_thinking_budget_and_max_tokens_per_sample(engine: LlamaEngine) -> None:
    result = vote(engine, user_turn(max_tokens=10, thinking_budget=4, temperature=0.9), 2)
    for i in range(2):
        assert [e.reason for e in result.of(i) if isinstance(e, ReasoningClosed)] == ["budget"]
        end = result.end(i)
        assert end.reason == "length"  # ran out of its token budget: no answer to count
        assert end.stats.reasoning_tokens == 4 and end.stats.generated_tokens == 10


def test_more_samples_than_sequences_is_refused(engine: LlamaEngine) -> None:
    with pytest.raises(GenerationError, match="at most"):
        vote(engine, user_turn(), 99)
    assert run_turn(engine, user_turn(max_tokens=4)).finished.reason == "length"


def test_the_host_runs_a_vote_as_one_job(tiny_model_f32: Path) -> None:
    host = EngineHost()
    events: list[HostEvent] = []
    try:
        assert host.load_local(tiny_model_f32, n_ctx=1024, n_threads=2).wait(60)
        request = TurnRequest(
            messages=(ChatMessage("user", "2 + 2?"),), params=user_turn(max_tokens=8).params
        )
        job = host.submit_samples(request, 3, lambda _id, e: events.append(e), seeds=(1, 2, 3))
        assert job.wait(60)
        assert isinstance(job.result, TurnFinished) and job.result.reason == "length"
        ends = [
            e.index
            for e in events
            if isinstance(e, SampleEvent) and isinstance(e.event, TurnFinished)
        ]
        assert sorted(ends) == [0, 1, 2]
    finally:
        assert host.close(10)
