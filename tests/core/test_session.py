"""ChatSession without Qt: every end state, stop, answer now, budget, branches, summary, saves.

Most tests drive a scripted engine through the real :class:`EngineHost`, so the events come
from the host thread exactly as in the app; a few use the tiny model for what only a real
engine shows (stop in prefill, Answer now, the thinking budget).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ContextTrimmed,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.errors import GenerationError, HearthError
from app.core.host import EngineHost
from app.core.session import (
    BusyError,
    ChatSession,
    HistoryTrimmed,
    NoModelError,
    PromptProgressed,
    ReasoningEnded,
    SessionEvent,
    TextAppended,
    TurnEnded,
    TurnOptions,
    TurnStarted,
)
from app.core.store import ChatStore

WAIT_S = 60.0  # a generous ceiling: the machine may be busy
STATS = TurnStats(prompt_tokens=9, generated_tokens=5, tokens_per_s=40.0, seed=77, n_ctx=2048)

Script = Callable[[TurnRequest, TurnControl], Iterator[TurnEvent]]


class FakeClock:
    """A clock the engine script advances; the session reads it on the host thread."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class ScriptedEngine:
    """Implements the Engine protocol by replaying ``script(request, control)``."""

    script: Script
    requests: list[TurnRequest] = field(default_factory=list)
    closed: bool = False

    @property
    def engine_info(self) -> EngineInfo:
        return EngineInfo(
            name="Scripted R1",
            model_id="scripted.gguf",
            n_ctx=2048,
            details={"file_name": "scripted.gguf", "quant": "Q4_K_M", "size_bytes": 123},
        )

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        self.requests.append(request)
        yield from self.script(request, control)

    def count_tokens(self, request: TurnRequest) -> int:
        return sum(len(m.content.split()) for m in request.messages)

    def close(self) -> None:
        self.closed = True


class Recorder:
    """Collects session events (on the host thread) and wakes waiters."""

    def __init__(self) -> None:
        self.events: list[SessionEvent] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def __call__(self, event: SessionEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[SessionEvent]], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self.events), WAIT_S), self.events

    def wait_end(self, count: int = 1) -> TurnEnded:
        self.wait_for(lambda events: sum(isinstance(e, TurnEnded) for e in events) >= count)
        return [e for e in self.events if isinstance(e, TurnEnded)][count - 1]

    def of(self, kind: type[SessionEvent]) -> list[SessionEvent]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


def answer_script(*, reason: str = "finished", clock: FakeClock | None = None) -> Script:
    def script(_request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        for event in (
            PromptProgress(9, 9),
            ReasoningDelta("Let me "),
            ReasoningDelta("think."),
            ReasoningClosed("model"),
            AnswerDelta("Twenty-three "),
            AnswerDelta("chickens."),
        ):
            if clock is not None:
                clock.now += 2.0
            yield event
        yield TurnFinished(reason, STATS)  # type: ignore[arg-type]

    return script


def until_cancelled(*, prefill: bool = False) -> Script:
    """Streams (or, with ``prefill``, evaluates a prompt) until the turn is cancelled."""

    def script(_request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        count = 0
        while not control.cancelled:
            count += 1
            if prefill:
                yield PromptProgress(count, 1_000_000)
            else:
                yield ReasoningDelta("hmm ") if count < 3 else AnswerDelta(f"w{count} ")
            control.wait(0.01)
            if count > 100_000:  # never hang a test run
                break
        yield TurnFinished("stopped", TurnStats(generated_tokens=0 if prefill else count))

    return script


@dataclass
class Rig:
    store: ChatStore
    host: EngineHost
    engine: ScriptedEngine | None
    session: ChatSession
    events: Recorder
    clock: FakeClock


@pytest.fixture
def rig_factory(store: ChatStore) -> Iterator[Callable[..., Rig]]:
    hosts: list[EngineHost] = []

    def make(
        script: Script | None = None,
        *,
        params: SamplingParams | None = None,
        clock: FakeClock | None = None,
        engine: object = None,
    ) -> Rig:
        clock = clock or FakeClock()
        scripted = ScriptedEngine(script) if script is not None else None
        host = EngineHost(scripted or engine)  # type: ignore[arg-type]
        hosts.append(host)
        events = Recorder()
        options = TurnOptions(params=params or SamplingParams(seed=5), system_prompt="Be brief.")
        session = ChatSession(
            store, host, options=lambda _id: options, listener=events, clock=clock
        )
        return Rig(store, host, scripted, session, events, clock)

    yield make
    for host in hosts:
        assert host.close(timeout=10.0)


# --- end states ---------------------------------------------------------------------------


def test_a_finished_turn_is_stored_with_its_provenance_and_events_in_order(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(answer_script())
    started = rig.session.ask("How many chickens?")
    assert isinstance(started, TurnStarted) and started.kind == "ask"
    ended = rig.events.wait_end()
    assert ended.state == "finished"
    assert ended.job_id == started.job_id
    assert all(getattr(e, "job_id", started.job_id) == started.job_id for e in rig.events.events)
    kinds = [type(e).__name__ for e in rig.events.events]
    assert kinds[0] == "TurnStarted" and kinds[-1] == "TurnEnded"
    assert kinds.index("ReasoningEnded") < kinds.index("TurnEnded")
    [progress] = rig.events.of(PromptProgressed)
    assert (progress.done, progress.total) == (9, 9)  # type: ignore[union-attr]
    [closed] = rig.events.of(ReasoningEnded)
    assert closed.reason == "model"  # type: ignore[union-attr]
    question, answer = rig.store.active_path(started.conversation_id)
    assert (question.id, question.content) == (started.user_message_id, "How many chickens?")
    assert answer.id == started.message_id
    assert answer.state == "finished"
    assert (answer.reasoning, answer.content) == ("Let me think.", "Twenty-three chickens.")
    assert ended.message is not None and ended.message.content == answer.content
    provenance = answer.provenance
    assert provenance["finish_reason"] == "finished"
    assert provenance["model"]["file"] == "scripted.gguf"
    assert provenance["model"]["quant"] == "Q4_K_M"
    assert provenance["engine"]["name"] == "Scripted R1"
    assert provenance["stats"]["tokens_per_s"] == 40.0
    assert provenance["sampling"]["seed"] == 77  # the seed the engine reports
    assert "reasoning_seconds" in provenance
    [request] = rig.engine.requests  # type: ignore[union-attr]
    assert [(m.role, m.content) for m in request.messages] == [("user", "How many chickens?")]
    assert request.system_prompt == "Be brief."
    assert not rig.session.is_busy


def test_length_is_stored_as_length(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(answer_script(reason="length"))
    started = rig.session.ask("Go")
    assert rig.events.wait_end().state == "length"
    assert rig.store.get_message(started.message_id).state == "length"


def test_stop_in_decode_keeps_the_text_as_stopped(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(until_cancelled())
    started = rig.session.ask("Talk forever")
    rig.events.wait_for(lambda events: sum(isinstance(e, TextAppended) for e in events) >= 5)
    rig.session.stop()
    ended = rig.events.wait_end()
    assert ended.state == "stopped"
    assert not ended.error
    saved = rig.store.get_message(started.message_id)
    assert saved.state == "stopped"
    assert saved.reasoning.startswith("hmm hmm") and saved.content.startswith("w3 ")
    # The reasoning ended once, when the answer began, not again at the stop.
    assert [e.reason for e in rig.events.of(ReasoningEnded)] == ["model"]  # type: ignore[union-attr]


def test_stop_in_prefill_ends_at_once_with_nothing_written(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(until_cancelled(prefill=True))
    started = rig.session.ask("A long prompt")
    rig.events.wait_for(lambda events: any(isinstance(e, PromptProgressed) for e in events))
    rig.session.stop()
    ended = rig.events.wait_end()
    assert ended.state == "stopped"
    assert not rig.events.of(TextAppended) and not rig.events.of(ReasoningEnded)
    saved = rig.store.get_message(started.message_id)
    assert (saved.state, saved.content, saved.reasoning) == ("stopped", "", "")


def test_an_engine_error_is_stored_as_failed_with_the_partial_answer(
    rig_factory: Callable[..., Rig],
) -> None:
    def script(_request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        yield AnswerDelta("Half an ")
        raise GenerationError("llama.cpp failed while generating; try again.")

    rig = rig_factory(script)
    started = rig.session.ask("Q")
    ended = rig.events.wait_end()
    assert ended.state == "failed"
    assert "llama.cpp failed" in ended.error
    assert isinstance(ended.failure, GenerationError)  # a UI can show it translated
    saved = rig.store.get_message(started.message_id)
    assert (saved.state, saved.content) == ("failed", "Half an ")
    assert "llama.cpp failed" in saved.provenance["error"]
    assert not rig.session.is_busy


def test_closing_the_host_mid_turn_stores_interrupted(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(until_cancelled())
    started = rig.session.ask("Keep going")
    rig.events.wait_for(lambda events: any(isinstance(e, TextAppended) for e in events))
    assert rig.host.close(timeout=10.0)
    ended = rig.events.wait_end()
    assert ended.state == "interrupted"
    saved = rig.store.get_message(started.message_id)
    assert saved.state == "interrupted" and saved.reasoning


def test_closing_the_session_keeps_the_live_text_as_interrupted_and_ignores_late_events(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(until_cancelled())
    started = rig.session.ask("Keep going")
    rig.events.wait_for(lambda events: sum(isinstance(e, TextAppended) for e in events) >= 3)
    rig.session.close()
    ended = rig.events.wait_end()
    assert ended.state == "interrupted"
    assert rig.engine is not None
    # The host's own end of the job (stopped) comes later and changes nothing.
    assert rig.host.close(timeout=10.0)
    assert len(rig.events.of(TurnEnded)) == 1
    saved = rig.store.get_message(started.message_id)
    assert saved.state == "interrupted" and saved.reasoning.startswith("hmm")
    rig.session.close()  # twice is fine


# --- refusals -----------------------------------------------------------------------------


def test_without_a_model_nothing_is_saved_and_the_session_says_load_a_model_first(
    rig_factory: Callable[..., Rig], store: ChatStore
) -> None:
    rig = rig_factory(answer_script())
    first = rig.session.ask("Q")
    rig.events.wait_end()
    empty = rig_factory()  # a host with no engine, on the same store and chat
    empty.session.conversation_id = first.conversation_id
    before = store.count_messages()
    for attempt in (
        lambda: empty.session.ask("again"),
        lambda: empty.session.regenerate(first.message_id),
        lambda: empty.session.edit(first.user_message_id, "other words"),
        lambda: empty.session.continue_answer(first.message_id),
    ):
        with pytest.raises(NoModelError, match="Load a model first"):
            attempt()
    assert store.count_messages() == before
    assert not empty.events.events
    assert store.get_message(first.message_id).state == "finished"


def test_a_second_turn_while_one_runs_is_refused(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(until_cancelled())
    rig.session.ask("one")
    with pytest.raises(BusyError):
        rig.session.ask("two")
    rig.session.stop()
    rig.events.wait_end()


def test_a_full_queue_leaves_no_rows_behind(
    rig_factory: Callable[..., Rig], store: ChatStore
) -> None:
    from app.core.host import QueueFullError

    rig = rig_factory(answer_script())

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise QueueFullError(16)

    rig.host.submit_turn = refuse  # type: ignore[method-assign, assignment]
    with pytest.raises(QueueFullError):
        rig.session.ask("Nobody will answer")
    assert store.count_messages() == 0
    assert store.list_conversations() == []
    assert rig.session.conversation_id == ""
    assert not rig.session.is_busy


# --- branches -----------------------------------------------------------------------------


def test_regenerate_adds_a_sibling_answer_and_keeps_the_old_one(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(answer_script())
    first = rig.session.ask("Pick a number")
    rig.events.wait_end()
    again = rig.session.regenerate(first.message_id)
    assert again.kind == "regenerate"
    assert again.message_id != first.message_id
    assert again.user_message_id == first.user_message_id
    assert rig.events.wait_end(2).state == "finished"
    siblings = rig.store.siblings(again.message_id)
    assert siblings.count == 2 and first.message_id in siblings.ids
    assert rig.store.get_message(first.message_id).state == "finished"
    second_request = rig.engine.requests[1]  # type: ignore[union-attr]
    assert [(m.role, m.content) for m in second_request.messages] == [("user", "Pick a number")]


def test_edit_branches_the_question(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(answer_script())
    first = rig.session.ask("First wording")
    rig.events.wait_end()
    second = rig.session.ask("A follow-up")
    rig.events.wait_end(2)
    edited = rig.session.edit(second.user_message_id, "Second wording")
    assert edited.kind == "edit"
    rig.events.wait_end(3)
    assert rig.store.siblings(edited.user_message_id).count == 2
    request = rig.engine.requests[2]  # type: ignore[union-attr]
    assert [m.content for m in request.messages] == [
        "First wording",
        "Twenty-three chickens.",
        "Second wording",
    ]
    assert [m.content for m in rig.store.active_path(first.conversation_id)][2] == "Second wording"


def test_continue_resumes_a_stopped_answer_in_the_same_message(
    rig_factory: Callable[..., Rig],
) -> None:
    rig = rig_factory(until_cancelled())
    started = rig.session.ask("Start, then stop")
    rig.events.wait_for(lambda events: sum(isinstance(e, TextAppended) for e in events) >= 4)
    rig.session.stop()
    rig.events.wait_end()
    before = rig.store.get_message(started.message_id)
    assert rig.engine is not None
    rig.engine.script = answer_script()
    resumed = rig.session.continue_answer(started.message_id)
    assert resumed.kind == "continue" and resumed.message_id == started.message_id
    assert resumed.prefix_answer == before.content and not resumed.reasoning_open
    assert rig.events.wait_end(2).state == "finished"
    after = rig.store.get_message(started.message_id)
    assert after.content == before.content + "Twenty-three chickens."
    request = rig.engine.requests[-1]
    assert request.continue_last
    assert (request.messages[-1].role, request.messages[-1].content) == (
        "assistant",
        before.content,
    )
    last = rig.events.of(TextAppended)[-1]
    assert last.answer_length == len(after.content)  # type: ignore[union-attr]


def test_a_context_trim_is_marked_at_the_first_message_the_model_still_sees(
    rig_factory: Callable[..., Rig],
) -> None:
    def script(request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        if len(request.messages) > 1:
            yield ContextTrimmed(2)
        yield AnswerDelta("ok")
        yield TurnFinished("finished", STATS)

    rig = rig_factory(script)
    first = rig.session.ask("one")
    rig.events.wait_end()
    rig.session.ask("two")
    rig.events.wait_end(2)
    [trim] = rig.events.of(HistoryTrimmed)
    kept = rig.store.active_path(first.conversation_id)[2]
    assert trim.dropped == 2 and trim.first_kept_id == kept.id  # type: ignore[union-attr]


# --- summary ------------------------------------------------------------------------------


def test_a_summary_starts_a_new_chat_seeded_with_it(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory(answer_script())
    first = rig.session.ask("Remember 42")
    rig.events.wait_end()
    summary = rig.session.summarise("Summarise.", title="Old (continued)", intro="Summary:")
    assert summary.kind == "summary" and summary.message_id == ""
    ended = rig.events.wait_end(2)
    assert ended.kind == "summary" and ended.state == "finished"
    assert ended.new_conversation_id and ended.new_conversation_id != first.conversation_id
    [root] = rig.store.active_path(ended.new_conversation_id)
    assert (root.role, root.content) == ("system", "Summary:\n\nTwenty-three chickens.")
    assert rig.store.get_conversation(ended.new_conversation_id).title == "Old (continued)"
    request = rig.engine.requests[-1]  # type: ignore[union-attr]
    assert request.params.thinking_budget == 512
    assert request.messages[-1].content == "Summarise."
    assert len(rig.store.active_path(first.conversation_id)) == 2  # the old chat is untouched


def test_a_failed_summary_ends_the_turn_and_creates_nothing(
    rig_factory: Callable[..., Rig], store: ChatStore
) -> None:
    rig = rig_factory(answer_script())
    rig.session.ask("Remember 42")
    rig.events.wait_end()

    def broken(_request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        yield ReasoningDelta("Summ")
        raise GenerationError("The model stopped working.")

    assert rig.engine is not None
    rig.engine.script = broken
    rig.session.summarise("Summarise.", title="t", intro="i")
    ended = rig.events.wait_end(2)
    assert (ended.kind, ended.state) == ("summary", "failed")
    assert "stopped working" in ended.error
    assert ended.new_conversation_id == ""
    assert not rig.session.is_busy  # the window leaves its "generating" state
    assert len(store.list_conversations()) == 1


def test_an_empty_summary_fails_with_a_sentence(rig_factory: Callable[..., Rig]) -> None:
    def empty(_request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        yield TurnFinished("finished", STATS)

    rig = rig_factory(empty)
    rig.session.ask("Q")
    rig.events.wait_end()
    rig.session.summarise("Summarise.", title="t", intro="i")
    ended = rig.events.wait_end(2)
    assert ended.state == "failed" and "no summary" in ended.error


# --- saving -------------------------------------------------------------------------------


def test_the_growing_answer_is_saved_at_most_once_a_second_and_at_the_end(
    rig_factory: Callable[..., Rig], store: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    saves: list[tuple[float, str]] = []
    original = ChatStore.save_streaming

    def spy(self: ChatStore, message_id: str, content: str, reasoning: str) -> bool:
        saves.append((clock.now, content))
        return original(self, message_id, content, reasoning)

    monkeypatch.setattr(ChatStore, "save_streaming", spy)
    seen: list[tuple[str, str]] = []

    def script(_request: TurnRequest, _control: TurnControl) -> Iterator[TurnEvent]:
        for index in range(12):
            clock.now += 0.3  # a token every 0.3 s
            if index == 8:
                answer = store.active_path(started_box[0].conversation_id)[-1]
                seen.append((answer.state, answer.content))
            yield AnswerDelta(f"w{index} ")
        yield TurnFinished("finished", STATS)

    started_box: list[TurnStarted] = []
    rig = rig_factory(script, clock=clock)
    with rig.session._lock:  # the script reads started_box only once it is filled
        started_box.append(rig.session.ask("go"))
    rig.events.wait_end()
    times = [t for t, _ in saves]
    assert [round(t - 1000.0, 1) for t in times] == [0.3, 1.5, 2.7]
    assert saves[0][1] == "w0 "  # the first text is saved at once
    assert seen == [("streaming", "w0 w1 w2 w3 w4 ")]  # a reader sees the answer grow
    final = store.get_message(started_box[0].message_id)
    assert final.state == "finished" and final.content.endswith("w11 ")


def test_a_failing_streaming_save_does_not_end_the_turn(
    rig_factory: Callable[..., Rig], store: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> bool:
        raise HearthError("The disk is full.")

    monkeypatch.setattr(ChatStore, "save_streaming", broken)
    rig = rig_factory(answer_script())
    started = rig.session.ask("Q")
    assert rig.events.wait_end().state == "finished"
    assert store.get_message(started.message_id).content == "Twenty-three chickens."


# --- the tiny model: prefill, Answer now, thinking budget ---------------------------------


def _tiny_rig(rig_factory: Callable[..., Rig], tiny_model_f32: Path, params: SamplingParams) -> Rig:
    from app.core.engines.llama import load_engine

    engine = load_engine(tiny_model_f32, n_ctx=2048, n_threads=2)
    return rig_factory(engine=engine, params=params)


def test_tiny_model_stop_during_prompt_processing(
    rig_factory: Callable[..., Rig], tiny_model_f32: Path
) -> None:
    rig = _tiny_rig(rig_factory, tiny_model_f32, SamplingParams(max_tokens=64, seed=1))

    def stop_on_progress(event: SessionEvent) -> None:
        if isinstance(event, PromptProgressed) and event.done < event.total:
            rig.session.stop()  # on the host thread, between two prompt batches

    rig.session.add_listener(stop_on_progress)
    started = rig.session.ask("word " * 450)
    ended = rig.events.wait_end()
    assert ended.state == "stopped"
    assert ended.stats.generated_tokens == 0
    assert not rig.events.of(TextAppended)
    assert rig.store.get_message(started.message_id).state == "stopped"


def test_tiny_model_answer_now_ends_the_reasoning_once(
    rig_factory: Callable[..., Rig], tiny_model_f32: Path
) -> None:
    params = SamplingParams(max_tokens=60, temperature=0.8, seed=3, loop_guard=False)
    rig = _tiny_rig(rig_factory, tiny_model_f32, params)

    def answer_now_on_first_thought(event: SessionEvent) -> None:
        if isinstance(event, TextAppended) and event.reasoning_tokens == 3:
            rig.session.answer_now()

    rig.session.add_listener(answer_now_on_first_thought)
    started = rig.session.ask("Think hard")
    ended = rig.events.wait_end()
    assert ended.state in ("finished", "length")
    ends = rig.events.of(ReasoningEnded)
    assert [e.reason for e in ends] == ["answer_now"]  # type: ignore[union-attr]
    saved = rig.store.get_message(started.message_id)
    assert saved.reasoning and saved.content


def test_tiny_model_thinking_budget(rig_factory: Callable[..., Rig], tiny_model_f32: Path) -> None:
    params = SamplingParams(
        max_tokens=60, temperature=0.8, seed=3, thinking_budget=8, loop_guard=False
    )
    rig = _tiny_rig(rig_factory, tiny_model_f32, params)
    rig.session.ask("Think hard")
    rig.events.wait_end()
    [end] = rig.events.of(ReasoningEnded)
    assert end.reason == "budget"  # type: ignore[union-attr]
    reasoning_tokens = max(e.reasoning_tokens for e in rig.events.of(TextAppended))  # type: ignore[union-attr]
    assert reasoning_tokens <= 8 + 2  # the budget, plus the closing tokens
