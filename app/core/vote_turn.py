"""Ask ×N: one question, N sampled answers stored as sibling branches, and a majority vote.

R1's own evaluation samples several answers and takes the most common final answer
(cons@64 next to pass@1). For a 1.5B model a vote over a few samples is the cheapest way to
a markedly better math answer. A :class:`VoteTurn` writes the question and N empty
``streaming`` answers under it (siblings, so ‹1/4› switches between them, each with its
reasoning), submits one samples job to the :class:`~app.core.host.EngineHost` (the local
engine decodes the N sequences together in one batch per step; another engine answers them
one after another), saves the growing answers at most once a second, and at the end stores
each sample's end state and provenance. The tally (:mod:`app.core.vote`) goes into the
winning answer's provenance under ``"vote"``, and the winner's branch is shown.

Stop stops every sample; Answer now applies to all. A sample that runs out of budget (or
is stopped, or fails) counts as no answer. Events are emitted on the host thread, like the
session's; listeners must be quick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.chat import (
    AnswerDelta,
    EndState,
    ReasoningDelta,
    SamplingParams,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo, SampleEvent
from app.core.errors import HearthError
from app.core.host import EngineHost, HostEvent, Job, JobFailed, Origin
from app.core.session import SAVE_INTERVAL_S, TurnOptions
from app.core.store import ChatOps, ChatStore, build_provenance
from app.core.turn_record import engine_history, engine_record, model_record
from app.core.vote import Tally, ballot, tally

log = logging.getLogger(__name__)

#: Samples of "Ask ×N" unless the user chooses otherwise.
DEFAULT_VOTES = 4
#: The most samples one vote runs (the local engine's sequences per context).
MAX_VOTES = 8


# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoteStarted:
    job_id: int
    conversation_id: str
    question_id: str
    #: The N answers, in sample order (sibling branches of the question).
    message_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SampleText:
    """New text of sample ``index``."""

    job_id: int
    index: int
    message_id: str
    reasoning: str
    answer: str


@dataclass(frozen=True, slots=True)
class SampleEnded:
    job_id: int
    index: int
    message_id: str
    state: EndState


@dataclass(frozen=True, slots=True)
class VoteEnded:
    """Every sample is stored; ``winner_id`` is the answer shown ("" if none answered)."""

    job_id: int
    conversation_id: str
    message_ids: tuple[str, ...]
    states: tuple[EndState, ...]
    tally: Tally
    winner_id: str
    error: str = ""

    @property
    def text(self) -> str:
        return tally_text(self.tally)


VoteEvent = VoteStarted | SampleText | SampleEnded | VoteEnded
VoteListener = Callable[[VoteEvent], None]


def tally_text(result: Tally) -> str:
    """The vote in words: "3 of 4 say 42", plus how many gave no answer."""
    if not result.groups:
        return f"None of {result.total} samples gave an answer"
    text = f"{result.winner_votes} of {result.total} say {result.winner}"
    if result.no_answer:
        text += f" ({len(result.no_answer)} without an answer)"
    return text


def tally_record(result: Tally, message_ids: tuple[str, ...]) -> dict[str, Any]:
    """The vote as stored in the winning answer's provenance."""
    return {
        "samples": result.total,
        "winner": result.winner,
        "winner_votes": result.winner_votes,
        "no_answer": len(result.no_answer),
        "groups": [
            {"answer": raw, "key": key, "votes": len(members), "samples": list(members)}
            for key, raw, members in result.groups[:16]
        ],
        "message_ids": list(message_ids),
        "text": tally_text(result),
    }


def tally_from_provenance(provenance: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored vote of a winning answer, or None."""
    vote = provenance.get("vote")
    return vote if isinstance(vote, dict) and "samples" in vote else None


# --- The run ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sample:
    message_id: str
    reasoning: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    state: EndState | None = None
    stats: TurnStats | None = None
    dirty: bool = False

    def text(self) -> tuple[str, str]:
        return "".join(self.reasoning), "".join(self.answer)


class VoteTurn:
    """One Ask ×N in one chat. Call :meth:`start`; :meth:`stop` / :meth:`answer_now` act on
    every sample; :meth:`wait` waits for the end (VoteEnded is emitted first)."""

    def __init__(
        self,
        store: ChatStore | ChatOps,
        host: EngineHost,
        *,
        conversation_id: str = "",
        options: TurnOptions | None = None,
        listener: VoteListener | None = None,
        origin: Origin = "gui",
        clock: Callable[[], float] = time.monotonic,
        save_interval: float = SAVE_INTERVAL_S,
    ) -> None:
        # Every write goes through the write layer's ChatOps (whose listeners hear it).
        self.ops = ChatOps.for_store(store) if isinstance(store, ChatStore) else store
        self.host = host
        self.conversation_id = conversation_id
        self.options = options or TurnOptions()
        self.listener = listener
        self.origin: Origin = origin
        self.clock = clock
        self.save_interval = save_interval
        self._lock = threading.RLock()
        self._done = threading.Event()
        self._samples: list[_Sample] = []
        self._job: Job | None = None
        self._engine: EngineInfo | None = None
        self._last_save = float("-inf")
        self._request: TurnRequest | None = None
        self.question_id = ""
        self.ended: VoteEnded | None = None

    @property
    def message_ids(self) -> tuple[str, ...]:
        return tuple(s.message_id for s in self._samples)

    @property
    def running(self) -> bool:
        return self._job is not None and not self._done.is_set()

    def start(self, text: str, n: int = DEFAULT_VOTES) -> VoteStarted:
        """Write the question and N streaming answers, and submit the samples job."""
        if not text.strip():
            raise HearthError.of("chat.empty_message")
        if not 2 <= n <= MAX_VOTES:
            raise HearthError.of("vote.bad_count", limit=MAX_VOTES)
        if self._job is not None:
            raise HearthError.of("vote.started")
        engine = self.host.state.engine
        if engine is None:
            raise HearthError.of("vote.no_model")
        with self._lock:
            created = not self.conversation_id
            if created:
                self.conversation_id = self.ops.create_conversation(title="").id
            path = self.ops.active_path(self.conversation_id)
            parent_id = path[-1].id if path else None
            question, first = self.ops.start_turn(self.conversation_id, parent_id, text)
            self.question_id = question.id
            answers = [first] + [
                self.ops.add_message(
                    self.conversation_id, question.id, "assistant", "", state="streaming"
                )
                for _ in range(n - 1)
            ]
            self._samples = [_Sample(a.id) for a in answers]
            self._engine = engine
            request = TurnRequest(
                messages=engine_history(self.ops.path_to(question.id))[0],
                params=self.options.params,
                system_prompt=self.options.system_prompt,
            )
            self._request = request
            try:
                job = self.host.submit_samples(request, n, self._on_event, origin=self.origin)
            except HearthError:
                try:
                    self.ops.delete_message(question.id)
                    if created:
                        self.ops.delete_conversation(self.conversation_id)
                except HearthError:
                    log.exception("could not undo the rows of a vote the host refused")
                raise
            self._job = job
            started = VoteStarted(job.id, self.conversation_id, question.id, self.message_ids)
            self._emit(started)
            return started

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def answer_now(self) -> None:
        if self._job is not None:
            self._job.control.request_answer_now()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    # --- events from the host thread ---

    def _on_event(self, job_id: int, event: HostEvent) -> None:
        with self._lock:
            if self._done.is_set():
                return
            if isinstance(event, SampleEvent):
                self._on_sample(job_id, event)
            elif isinstance(event, TurnFinished):
                self._end(job_id, "")
            elif isinstance(event, JobFailed):
                failed = event.state not in ("stopped", "interrupted")
                self._end(job_id, str(event.error) if failed else "", fallback=event.state)

    def _on_sample(self, job_id: int, event: SampleEvent) -> None:
        if not 0 <= event.index < len(self._samples):
            return
        sample = self._samples[event.index]
        inner = event.event
        if isinstance(inner, ReasoningDelta | AnswerDelta):
            is_reasoning = isinstance(inner, ReasoningDelta)
            (sample.reasoning if is_reasoning else sample.answer).append(inner.text)
            sample.dirty = True
            self._emit(
                SampleText(
                    job_id,
                    event.index,
                    sample.message_id,
                    inner.text if is_reasoning else "",
                    "" if is_reasoning else inner.text,
                )
            )
            self._save_if_due()
        elif isinstance(inner, TurnFinished):
            sample.state = inner.reason
            sample.stats = inner.stats
            self._emit(SampleEnded(job_id, event.index, sample.message_id, inner.reason))

    def _save_if_due(self) -> None:
        now = self.clock()
        if now - self._last_save < self.save_interval:
            return
        self._last_save = now
        for sample in self._samples:
            if sample.dirty and sample.state is None:
                sample.dirty = False
                reasoning, answer = sample.text()
                try:
                    self.ops.save_streaming(sample.message_id, answer, reasoning)
                except HearthError as exc:
                    log.warning("vote: streaming save failed: %s (%s)", exc, exc.detail)

    def _end(self, job_id: int, error: str, *, fallback: EndState = "stopped") -> None:
        states: list[EndState] = []
        for sample in self._samples:
            # A sample the job never finished (stopped early, or the job failed) ends as the
            # job did; one that failed with nothing written is simply failed.
            states.append(sample.state or ("failed" if error else fallback))
        result = tally(
            [
                ballot(i, s.text()[1], ended=state)
                for i, (s, state) in enumerate(zip(self._samples, states, strict=True))
            ]
        )
        winner_index = result.groups[0][2][0] if result.groups else -1
        ids = self.message_ids
        for index, (sample, state) in enumerate(zip(self._samples, states, strict=True)):
            extra: dict[str, Any] = {"vote_sample": {"index": index, "of": len(ids)}}
            # The shown answer carries the tally: the winner, or the first sample when
            # no sample gave an answer (the tally then says so).
            if index == max(winner_index, 0):
                extra["vote"] = tally_record(result, ids)
            if self._engine is not None:
                extra["engine"] = engine_record(self._engine)
            reasoning, answer = sample.text()
            params = self._request.params if self._request is not None else SamplingParams()
            try:
                self.ops.finish_message(
                    sample.message_id,
                    content=answer,
                    reasoning=reasoning,
                    state=state,
                    provenance=build_provenance(
                        model_record(self._engine),
                        params,
                        sample.stats,
                        finish_reason=state,
                        error=error if state == "failed" else "",
                        extra=extra,
                    ),
                )
            except HearthError as exc:
                log.error("vote: saving sample %d failed: %s (%s)", index, exc, exc.detail)
                error = error or str(exc)
        shown = ids[winner_index] if winner_index >= 0 else (ids[0] if ids else "")
        if shown:
            try:
                self.ops.set_active_leaf(self.conversation_id, shown)
            except HearthError as exc:
                log.warning("vote: could not show the winner: %s", exc)
        self.ended = VoteEnded(
            job_id,
            self.conversation_id,
            ids,
            tuple(states),
            result,
            ids[winner_index] if winner_index >= 0 else "",
            error,
        )
        log.info("vote in %s: %s", self.conversation_id, tally_text(result))
        self._emit(self.ended)
        self._done.set()

    def _emit(self, event: VoteEvent) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:
            log.exception("a vote listener failed on %s", type(event).__name__)
