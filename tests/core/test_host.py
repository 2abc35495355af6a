"""The engine host: FIFO jobs on one thread, cancel, load/unload, close, broken sinks.

Most tests drive a scripted fake engine (no native code, fully deterministic); one test
loads the tiny generated model through ``load_local`` and streams a real turn.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.cancel import CancelToken, TurnControl
from app.core.chat import AnswerDelta, ChatMessage, TurnEvent, TurnFinished, TurnRequest, TurnStats
from app.core.engines.base import Engine, EngineInfo, SampleEvent
from app.core.errors import CancelledError, HearthError, ModelLoadError
from app.core.host import (
    EngineHost,
    HostClosedError,
    HostEvent,
    HostState,
    JobFailed,
    ModelLoaded,
    ModelUnloaded,
    NoModelLoadedError,
    QueueFullError,
    is_terminal,
)

WAIT = 60.0  # seconds; a ceiling against hangs (the machine may be busy), never a timing


def request(text: str = "hi") -> TurnRequest:
    return TurnRequest(messages=(ChatMessage("user", text),))


class FakeEngine:
    """Streams the words of the last user message; can be held mid-turn by a gate."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.closed = False
        self.turns: list[str] = []
        self.template_warning = ""

    @property
    def engine_info(self) -> EngineInfo:
        return EngineInfo(name=self.name, model_id=self.name, n_ctx=128)

    def stream_turn(self, req: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        text = req.messages[-1].content
        self.turns.append(text)
        self.started.set()
        for word in text.split():
            # Hold here until the test opens the gate (or the turn is cancelled).
            while not self.gate.wait(0.01):
                if control.cancelled:
                    break
            if control.cancelled:
                yield TurnFinished("stopped", TurnStats(generated_tokens=len(self.turns)))
                return
            yield AnswerDelta(word)
        yield TurnFinished("finished", TurnStats())

    def count_tokens(self, req: TurnRequest) -> int:
        return len(req.messages[-1].content.split())

    def close(self) -> None:
        self.closed = True


class Recorder:
    """A sink that records events per job and can wait for a job's terminal event."""

    def __init__(self) -> None:
        self.events: list[tuple[int, HostEvent]] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()
        self._ended: dict[int, threading.Event] = {}

    def __call__(self, job_id: int, event: HostEvent) -> None:
        with self._lock:
            self.events.append((job_id, event))
            self.threads.add(threading.current_thread().name)
            self._ended.setdefault(job_id, threading.Event())
        if is_terminal(event):
            self._ended[job_id].set()

    def of(self, job_id: int) -> list[HostEvent]:
        with self._lock:
            return [e for j, e in self.events if j == job_id]

    def terminal(self, job_id: int) -> HostEvent:
        terminals = [e for e in self.of(job_id) if is_terminal(e)]
        assert len(terminals) == 1, terminals
        return terminals[0]

    def text(self, job_id: int) -> str:
        return " ".join(e.text for e in self.of(job_id) if isinstance(e, AnswerDelta))

    def order_of_terminals(self) -> list[int]:
        with self._lock:
            return [j for j, e in self.events if is_terminal(e)]


@pytest.fixture
def fake() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def host(fake: FakeEngine) -> Iterator[EngineHost]:
    h = EngineHost(fake, max_queue=3)
    yield h
    fake.gate.set()
    assert h.close(WAIT)


def test_fake_engine_satisfies_the_protocol(fake: FakeEngine) -> None:
    assert isinstance(fake, Engine)


def test_two_clients_are_served_in_submission_order(host: EngineHost, fake: FakeEngine) -> None:
    gui, api = Recorder(), Recorder()
    fake.gate.clear()
    first = host.submit_turn(request("one two"), gui, origin="gui")
    assert fake.started.wait(WAIT)
    second = host.submit_turn(request("three four"), api, origin="api")
    third = host.submit_turn(request("five"), gui, origin="gui")
    state = host.state
    assert (state.status, state.queue_length, state.job_id, state.origin) == (
        "busy",
        2,
        first.id,
        "gui",
    )
    fake.gate.set()
    assert third.wait(WAIT) and first.done and second.done
    assert fake.turns == ["one two", "three four", "five"]
    assert gui.text(first.id) == "one two"
    assert api.text(second.id) == "three four"
    assert gui.text(third.id) == "five"
    assert gui.order_of_terminals() == [first.id, third.id]
    assert api.of(first.id) == []  # each client sees only its own jobs
    assert isinstance(gui.terminal(first.id), TurnFinished)
    assert gui.threads == {"engine-host"} == api.threads
    assert wait_idle(host) == HostState(status="idle", engine=fake.engine_info)


def test_cancelling_a_running_job_leaves_the_next_intact(
    host: EngineHost, fake: FakeEngine
) -> None:
    a, b = Recorder(), Recorder()
    fake.gate.clear()
    first = host.submit_turn(request("x y z"), a)
    assert fake.started.wait(WAIT)
    second = host.submit_turn(request("kept words"), b)
    first.cancel()
    assert first.wait(WAIT)
    end = a.terminal(first.id)
    assert isinstance(end, TurnFinished) and end.reason == "stopped"
    fake.gate.set()
    assert second.wait(WAIT)
    assert b.text(second.id) == "kept words"
    end2 = b.terminal(second.id)
    assert isinstance(end2, TurnFinished) and end2.reason == "finished"


def test_cancelling_a_queued_job_skips_it_without_touching_the_running_one(
    host: EngineHost, fake: FakeEngine
) -> None:
    sink = Recorder()
    fake.gate.clear()
    first = host.submit_turn(request("a b"), sink)
    assert fake.started.wait(WAIT)
    queued = host.submit_turn(request("never run"), sink)
    queued.cancel()
    fake.gate.set()
    assert first.wait(WAIT) and queued.wait(WAIT)
    assert sink.text(first.id) == "a b"
    end = sink.terminal(queued.id)
    assert isinstance(end, JobFailed) and end.state == "stopped"
    assert isinstance(end.error, CancelledError)
    assert fake.turns == ["a b"]


def test_a_load_waits_for_the_running_turn(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()
    fake.gate.clear()
    turn = host.submit_turn(request("old model words"), sink)
    assert fake.started.wait(WAIT)
    other = FakeEngine("other")
    factory_ran = threading.Event()

    def factory(cancel: CancelToken) -> Engine:
        factory_ran.set()
        return other

    load = host.load(factory, sink)
    assert not factory_ran.is_set() and not fake.closed
    fake.gate.set()
    assert load.wait(WAIT)
    assert sink.order_of_terminals() == [turn.id, load.id]
    assert sink.text(turn.id) == "old model words"
    loaded = sink.terminal(load.id)
    assert isinstance(loaded, ModelLoaded) and loaded.info.name == "other"
    assert fake.closed and not other.closed
    assert host.state.engine == other.engine_info
    after = host.submit_turn(request("new"), sink)
    assert after.wait(WAIT)
    assert other.turns == ["new"]


def test_a_failed_load_reports_and_leaves_no_engine(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()

    def factory(cancel: CancelToken) -> Engine:
        raise ModelLoadError("Hearth could not load broken.gguf: bad file.")

    job = host.load(factory, sink)
    assert job.wait(WAIT)
    end = sink.terminal(job.id)
    assert isinstance(end, JobFailed) and end.state == "failed"
    assert str(end.error) == "Hearth could not load broken.gguf: bad file."
    assert fake.closed and host.state.engine is None
    turn = host.submit_turn(request("hello"), sink)
    assert turn.wait(WAIT)
    failed = sink.terminal(turn.id)
    assert isinstance(failed, JobFailed) and isinstance(failed.error, NoModelLoadedError)
    assert failed.state == "failed"


def test_a_cancelled_load_ends_stopped(host: EngineHost) -> None:
    sink = Recorder()

    def factory(cancel: CancelToken) -> Engine:
        cancel.cancel()  # as if the user pressed Cancel mid-load
        cancel.raise_if_cancelled()
        raise AssertionError("unreachable")

    job = host.load(factory, sink)
    assert job.wait(WAIT)
    end = sink.terminal(job.id)
    assert isinstance(end, JobFailed) and end.state == "stopped"


def test_unload_closes_the_engine(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()
    job = host.unload(sink)
    assert job.wait(WAIT)
    assert isinstance(sink.terminal(job.id), ModelUnloaded)
    assert fake.closed and host.state.engine is None


def test_closing_mid_job_interrupts_it_and_joins_the_thread(fake: FakeEngine) -> None:
    host = EngineHost(fake)
    sink = Recorder()
    fake.gate.clear()
    running = host.submit_turn(request("cut short"), sink)
    assert fake.started.wait(WAIT)
    queued = host.submit_turn(request("never"), sink)
    assert host.close(WAIT)
    assert running.done and queued.done
    for job in (running, queued):
        end = sink.terminal(job.id)
        assert isinstance(end, JobFailed) and end.state == "interrupted"
        assert isinstance(end.error, HostClosedError)
    first_end = sink.terminal(running.id)
    assert isinstance(first_end, JobFailed) and first_end.stats is not None
    assert fake.closed and fake.turns == ["cut short"]
    # A closed host turns new work away at once, still with one terminal event.
    late = host.submit_turn(request("late"), sink)
    assert late.done
    late_end = sink.terminal(late.id)
    assert isinstance(late_end, JobFailed) and late_end.state == "interrupted"


def test_the_queue_refuses_turns_beyond_its_limit(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()
    fake.gate.clear()
    host.submit_turn(request("running"), sink)
    assert fake.started.wait(WAIT)
    waiting = [host.submit_turn(request(f"w{i}"), sink) for i in range(3)]
    with pytest.raises(QueueFullError) as info:
        host.submit_turn(request("one too many"), sink, origin="api")
    assert isinstance(info.value, HearthError) and "busy" in str(info.value)
    # Loads are never refused: swapping the model must always be possible.
    unload = host.unload(sink)
    fake.gate.set()
    assert unload.wait(WAIT) and all(job.done for job in waiting)


def test_a_sink_that_raises_does_not_kill_the_host(host: EngineHost) -> None:
    def broken(_job_id: int, _event: HostEvent) -> None:
        raise RuntimeError("front end bug")

    bad = host.submit_turn(request("a b c"), broken)
    assert bad.wait(WAIT)
    assert isinstance(bad.result, TurnFinished)
    good = Recorder()
    job = host.submit_turn(request("still alive"), good)
    assert job.wait(WAIT)
    assert good.text(job.id) == "still alive"


def test_an_engine_error_fails_only_that_job(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()
    original = fake.stream_turn

    def exploding(req: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        yield AnswerDelta("partial")
        raise RuntimeError("native crash")

    fake.stream_turn = exploding  # type: ignore[method-assign]
    job = host.submit_turn(request("x"), sink)
    assert job.wait(WAIT)
    end = sink.terminal(job.id)
    assert isinstance(end, JobFailed) and end.state == "failed"
    assert "native crash" in str(end.error)
    fake.stream_turn = original  # type: ignore[method-assign]
    ok = host.submit_turn(request("fine"), sink)
    assert ok.wait(WAIT) and sink.text(ok.id) == "fine"


def test_state_listeners_see_busy_then_idle(host: EngineHost, fake: FakeEngine) -> None:
    states: list[HostState] = []
    back_to_idle = threading.Event()

    def listener(state: HostState) -> None:
        states.append(state)
        if state.status == "idle" and any(s.status == "busy" for s in states):
            back_to_idle.set()

    unsubscribe = host.add_state_listener(listener)
    job = host.submit_turn(request("a"), None, origin="api")
    assert job.wait(WAIT)
    assert back_to_idle.wait(WAIT)
    busy = [s for s in states if s.status == "busy"]
    assert busy[0].job_id == job.id and busy[0].origin == "api" and busy[0].kind == "turn"
    unsubscribe()
    wait_idle(host)
    count = len(states)
    assert host.submit_turn(request("b"), None).wait(WAIT)
    assert host.call(lambda _engine: None).result(WAIT) is None
    assert len(states) == count


class StateLog:
    """A state listener that records every snapshot it is given, from any thread."""

    def __init__(self) -> None:
        self.states: list[HostState] = []
        self._lock = threading.Lock()

    def __call__(self, state: HostState) -> None:
        with self._lock:
            self.states.append(state)

    def last(self) -> HostState:
        with self._lock:
            return self.states[-1]

    def versions(self) -> list[int]:
        with self._lock:
            return [s.version for s in self.states]


def hold_the_host(host: EngineHost) -> tuple[threading.Event, threading.Event]:
    """Queue a call that blocks the host thread; returns (started, release).

    Once ``started`` is set the host thread has finished notifying that the call runs, and
    no state changes until ``release``: the moment to compare what listeners saw last.
    """
    started, release = threading.Event(), threading.Event()

    def block(_engine: Engine | None) -> None:
        started.set()
        release.wait(WAIT)

    host.call(block)
    return started, release


def test_the_last_state_a_listener_sees_is_the_current_one_under_concurrent_submits(
    fake: FakeEngine,
) -> None:
    # Many threads submit while the host thread starts and ends jobs: every change is
    # notified from a different thread, and a stale snapshot delivered last would leave a
    # listener (the window's status bar) showing "busy" or "idle" wrongly for good.
    host = EngineHost(fake, max_queue=10_000)
    log = StateLog()
    # A first listener that computes a little widens the gap between taking a snapshot
    # and recording it, where another thread's newer snapshot could overtake it.
    host.add_state_listener(lambda _state: sum(range(3000)))
    host.add_state_listener(log)
    barrier = threading.Barrier(8)
    jobs: list[object] = []

    def submitter(index: int) -> None:
        barrier.wait(WAIT)
        for n in range(80):
            if n % 2:
                jobs.append(host.submit_turn(request(f"w{index} {n}"), None))
            else:
                jobs.append(host.call(lambda _engine: None))

    # Switch threads as often as the interpreter can, so a snapshot taken on one thread
    # is often delivered after another thread's newer one, if nothing orders them.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=submitter, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
            assert not thread.is_alive()
        started, release = hold_the_host(host)
        assert started.wait(WAIT)
        # Every submit has returned and the host thread is parked in the call: nothing
        # changes now, and every notification has been delivered.
        current = host.state
        assert current.status == "busy" and current.kind == "call"
        assert log.last() == current
        assert log.last().version == current.version
        versions = log.versions()
        assert versions == sorted(set(versions)), "a listener saw an older state after a newer"
        release.set()
        assert wait_idle(host).status == "idle"
    finally:
        sys.setswitchinterval(switch_interval)
        assert host.close(WAIT)


def test_a_listener_that_submits_does_not_get_an_older_state_after_a_newer(
    host: EngineHost,
) -> None:
    # The first listener queues a job when the host turns busy: that change is notified
    # while the first round is still being delivered. The second listener must still end
    # on the true state (busy, one queued), not on the snapshot taken before the submit.
    submitted = threading.Event()

    def submitter(state: HostState) -> None:
        if state.status == "busy" and not submitted.is_set():
            submitted.set()
            host.call(lambda _engine: None)

    log = StateLog()
    host.add_state_listener(submitter)
    host.add_state_listener(log)
    started, release = hold_the_host(host)
    try:
        assert started.wait(WAIT) and submitted.is_set()
        current = host.state
        assert (current.status, current.queue_length) == ("busy", 1)
        assert log.last() == current
        versions = log.versions()
        assert versions == sorted(set(versions))
    finally:
        release.set()


def test_call_runs_on_the_host_thread_in_order(host: EngineHost, fake: FakeEngine) -> None:
    future = host.call(lambda engine: (threading.current_thread().name, engine))
    assert future.result(WAIT) == ("engine-host", fake)
    failing = host.call(lambda engine: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(WAIT)


def test_load_local_streams_a_real_turn(tiny_model_f32: Path) -> None:
    host = EngineHost()
    sink = Recorder()
    try:
        load = host.load_local(tiny_model_f32, n_ctx=512, n_threads=2, sink=sink)
        assert load.wait(60)
        loaded = sink.terminal(load.id)
        assert isinstance(loaded, ModelLoaded), loaded
        assert loaded.info.kind == "local" and loaded.info.n_ctx == 512
        assert host.state.engine == loaded.info
        params = request().params
        turn_request = TurnRequest(
            messages=(ChatMessage("user", "hello"),),
            params=type(params)(max_tokens=8, seed=1, temperature=0.0),
        )
        turn = host.submit_turn(turn_request, sink, origin="cli")
        assert turn.wait(60)
        end = sink.terminal(turn.id)
        assert isinstance(end, TurnFinished) and end.reason in ("finished", "length")
        assert end.stats.prompt_tokens > 0
    finally:
        assert host.close(WAIT)


def wait_idle(host: EngineHost) -> HostState:
    """The host's state once it is idle with nothing queued (waits on its listener)."""
    idle = threading.Event()

    def listener(state: HostState) -> None:
        if state.status == "idle" and state.queue_length == 0:
            idle.set()

    unsubscribe = host.add_state_listener(listener)
    try:
        listener(host.state)
        assert idle.wait(WAIT)
    finally:
        unsubscribe()
    return host.state


def test_samples_fall_back_to_one_turn_after_another(host: EngineHost, fake: FakeEngine) -> None:
    sink = Recorder()
    job = host.submit_samples(request("yes no"), 3, sink, seeds=(4, 5, 6), origin="api")
    assert job.wait(WAIT)
    assert fake.turns == ["yes no"] * 3
    per_sample: dict[int, list[str]] = {}
    for event in sink.of(job.id):
        if isinstance(event, SampleEvent) and isinstance(event.event, AnswerDelta):
            per_sample.setdefault(event.index, []).append(event.event.text)
    assert per_sample == {0: ["yes", "no"], 1: ["yes", "no"], 2: ["yes", "no"]}
    end = sink.terminal(job.id)
    assert isinstance(end, TurnFinished) and end.reason == "finished"
    with pytest.raises(ValueError):
        host.submit_samples(request(), 0, sink)
