"""Ask ×N: N samples stored as sibling branches, the tally in the winner's provenance,
Stop stops all, a sample out of budget counts as no answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ReasoningClosed,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.host import EngineHost
from app.core.session import TurnOptions
from app.core.store import ChatStore
from app.core.vote_turn import (
    SampleEnded,
    VoteEnded,
    VoteEvent,
    VoteStarted,
    VoteTurn,
    tally_from_provenance,
)
from tests.support.models import TINY_N_CTX, TINY_THREADS

WAIT = 30.0

#: What the sample with each seed answers, and how it ends.
ANSWERS = {
    0: ("\\boxed{42}", "finished"),
    1: ("so it is \\boxed{42.0}", "finished"),
    2: ("\\boxed{7}", "finished"),
    3: ("\\boxed{42}", "length"),  # out of budget: no answer, whatever it wrote
}


class SeedEngine:
    """Answers by seed (see ANSWERS); each answer can be held by ``gate``."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.seeds: list[int | None] = []

    @property
    def engine_info(self) -> EngineInfo:
        return EngineInfo(name="seed-engine", model_id="seed", n_ctx=256)

    def stream_turn(self, req: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        seed = req.params.seed
        self.seeds.append(seed)
        self.started.set()
        yield ReasoningDelta(f"thinking with seed {seed}")
        yield ReasoningClosed("model")
        while not self.gate.wait(0.01):
            if control.cancelled:
                yield TurnFinished("stopped", TurnStats(seed=seed or 0))
                return
        text, reason = ANSWERS[(seed or 0) % 4]
        yield AnswerDelta(text)
        yield TurnFinished(reason, TurnStats(seed=seed or 0, generated_tokens=3))  # type: ignore[arg-type]

    def count_tokens(self, req: TurnRequest) -> int:
        return 1

    def close(self) -> None:
        pass


class Events:
    def __init__(self) -> None:
        self.items: list[VoteEvent] = []
        self.ended = threading.Event()

    def __call__(self, event: VoteEvent) -> None:
        self.items.append(event)
        if isinstance(event, VoteEnded):
            self.ended.set()

    @property
    def end(self) -> VoteEnded:
        assert self.ended.wait(WAIT)
        [end] = [e for e in self.items if isinstance(e, VoteEnded)]
        return end


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore.open(tmp_path / "chats.sqlite3") as chat_store:
        yield chat_store


@pytest.fixture
def engine() -> SeedEngine:
    return SeedEngine()


@pytest.fixture
def host(engine: SeedEngine) -> Iterator[EngineHost]:
    h = EngineHost(engine)
    yield h
    engine.gate.set()
    assert h.close(WAIT)


def options(seed: int = 0) -> TurnOptions:
    return TurnOptions(params=SamplingParams(seed=seed))


def test_four_samples_become_four_branches_with_the_tally(
    store: ChatStore, host: EngineHost, engine: SeedEngine
) -> None:
    events = Events()
    vote = VoteTurn(store, host, options=options(), listener=events)
    started = vote.start("What is 6 times 7?", 4)
    end = events.end
    assert isinstance(events.items[0], VoteStarted) and events.items[0] == started
    assert sorted(engine.seeds) == [0, 1, 2, 3]
    assert end.states == ("finished", "finished", "finished", "length")
    assert end.text == "2 of 4 say 42 (1 without an answer)"
    assert end.tally.no_answer == (3,)
    # Siblings of one question, in sample order, each with its reasoning.
    siblings = store.siblings(started.message_ids[0])
    assert siblings.ids == started.message_ids
    stored = [store.get_message(i) for i in started.message_ids]
    assert [m.reasoning for m in stored] == [f"thinking with seed {s}" for s in range(4)]
    assert [m.state for m in stored] == ["finished", "finished", "finished", "length"]
    # The winner (the first sample saying 42) is shown and carries the vote.
    assert end.winner_id == started.message_ids[0]
    assert store.active_leaf_id(started.conversation_id) == end.winner_id
    record = tally_from_provenance(stored[0].provenance)
    assert record is not None
    assert (record["samples"], record["winner"], record["winner_votes"]) == (4, "42", 2)
    assert record["no_answer"] == 1
    assert all(tally_from_provenance(m.provenance) is None for m in stored[1:])
    assert stored[2].provenance["sampling"]["seed"] == 2
    assert stored[2].provenance["vote_sample"] == {"index": 2, "of": 4}
    ends = [e for e in events.items if isinstance(e, SampleEnded)]
    assert sorted(e.index for e in ends) == [0, 1, 2, 3]


def test_stop_stops_every_sample(store: ChatStore, host: EngineHost, engine: SeedEngine) -> None:
    engine.gate.clear()
    events = Events()
    vote = VoteTurn(store, host, options=options(), listener=events)
    started = vote.start("hold on", 4)
    assert engine.started.wait(WAIT)
    vote.stop()
    end = events.end
    assert engine.seeds == [0]  # the samples after the stopped one never started
    assert set(end.states) == {"stopped"}
    assert end.winner_id == "" and end.tally.no_answer == (0, 1, 2, 3)
    assert {store.get_message(i).state for i in started.message_ids} == {"stopped"}
    assert vote.wait(WAIT) and not vote.running


def test_a_vote_continues_the_chat_it_was_asked_in(store: ChatStore, host: EngineHost) -> None:
    first = Events()
    vote = VoteTurn(store, host, options=options(), listener=first)
    started = vote.start("first", 2)
    first.end  # noqa: B018 (waits)
    second = Events()
    again = VoteTurn(
        store, host, conversation_id=started.conversation_id, options=options(), listener=second
    )
    follow = again.start("second", 2)
    second.end  # noqa: B018
    path = store.active_path(started.conversation_id)
    assert [m.content for m in path if m.role == "user"] == ["first", "second"]
    assert follow.conversation_id == started.conversation_id


def test_a_vote_needs_a_model_and_a_sane_n(store: ChatStore) -> None:
    empty = EngineHost()
    try:
        with pytest.raises(Exception, match="Load a model"):
            VoteTurn(store, empty).start("q", 4)
        assert store.list_conversations() == []
    finally:
        empty.close(WAIT)


def test_tiny_model_four_samples_decoded_together(store: ChatStore, tiny_model_f32: Path) -> None:
    from app.core.engines.llama import LlamaEngine

    engine = LlamaEngine.load(tiny_model_f32, n_ctx=TINY_N_CTX, n_threads=TINY_THREADS)
    host = EngineHost(engine)
    try:
        events = Events()
        vote = VoteTurn(
            store,
            host,
            options=TurnOptions(params=SamplingParams(max_tokens=12, seed=5)),
            listener=events,
        )
        started = vote.start("What is 2+2?", 4)
        end = events.end
        assert len(set(started.message_ids)) == 4
        assert store.siblings(started.message_ids[0]).count == 4
        texts = [store.get_message(i) for i in started.message_ids]
        assert all(m.state in ("finished", "length") for m in texts)
        # Different seeds, different samples (gibberish from random weights, but distinct).
        assert len({m.reasoning + m.content for m in texts}) > 1
        assert [m.provenance["sampling"]["seed"] for m in texts] == [5, 6, 7, 8]
        assert end.tally.total == 4
    finally:
        assert host.close(WAIT)


def test_the_ram_estimate_counts_each_extra_sample() -> None:
    from types import SimpleNamespace

    from app.core.catalog import estimate_ram

    model = SimpleNamespace(size=1_000_000, kv_bytes_per_token=1000)
    single = estimate_ram(model, 4096)
    vote = estimate_ram(model, 4096, samples=4, sample_tokens=1024)
    assert single.kv_cache == 4096 * 1000
    assert vote.kv_cache - single.kv_cache == 3 * 1024 * 1000
