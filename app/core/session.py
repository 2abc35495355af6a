"""ChatSession: one chat's turns, from the keypress to the stored end state.

Every front end (the window, the CLI, the API server) drives a turn the same way:

1. ``ask`` / ``regenerate`` / ``edit`` / ``continue_answer`` / ``summarise`` write the
   question and an empty ``streaming`` answer through the store at once (a crash from here
   on never loses the question), build the history from the store by message ids and submit
   one job to the :class:`~app.core.host.EngineHost`.
2. The host calls the session's sink on its thread with the engine's events. The session
   holds the growing reasoning and answer, decides *once* when the reasoning has ended,
   saves the growing answer at most once a second (``save_interval``, on an injectable
   clock) and emits small immutable :data:`SessionEvent` values, each with the job id.
3. The terminal event ends the turn with one :data:`~app.core.chat.EndState`, which goes
   unchanged into the store with the provenance and stats, and out in :class:`TurnEnded`.

Session events are emitted on the host thread (or on the caller's thread for events raised
by a call such as ``ask``); listeners must be quick and marshal to their own thread. All
turn state is guarded by one lock, so the front end's thread and the host thread can both
call in. The store is written only here and only through its public methods.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ContextTrimmed,
    EndState,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.errors import HearthError
from app.core.host import HostEvent, Job, JobFailed, Origin
from app.core.knowledge.context import (
    Attachment,
    PreparedInput,
    prepare_fitted,
    stored_attachments,
)
from app.core.knowledge.index import StoredChunk
from app.core.session_events import (
    BusyError,
    HistoryTrimmed,
    Listener,
    LiveSnapshot,
    NoModelError,
    PromptProgressed,
    ReasoningEnded,
    ReasoningEndReason,
    SessionEvent,
    SessionHost,
    SessionStore,
    TextAppended,
    TurnEnded,
    TurnKind,
    TurnOptions,
    TurnStarted,
)
from app.core.store import ChatOps, ChatStore, StoredMessage, build_provenance
from app.core.turn_record import engine_history, engine_record, model_record

__all__ = [
    "SAVE_INTERVAL_S",
    "SUMMARY_THINKING_BUDGET",
    "BusyError",
    "ChatSession",
    "HistoryTrimmed",
    "Listener",
    "LiveSnapshot",
    "NoModelError",
    "PromptProgressed",
    "ReasoningEndReason",
    "ReasoningEnded",
    "SessionEvent",
    "SessionHost",
    "SessionStore",
    "TextAppended",
    "TurnEnded",
    "TurnKind",
    "TurnOptions",
    "TurnStarted",
]

log = logging.getLogger(__name__)

#: The growing answer is saved at most this often (a kill -9 loses at most this much).
SAVE_INTERVAL_S = 1.0

#: How long a question with files waits for the engine to count its tokens (else a bound).
MEASURE_TIMEOUT_S = 5.0

#: A summary needs little deliberation: its thinking is capped so it arrives quickly.
SUMMARY_THINKING_BUDGET = 512

# --- The live turn ----------------------------------------------------------------------


@dataclass(slots=True)
class _Turn:
    kind: TurnKind
    conversation_id: str
    message_id: str
    user_message_id: str
    request: TurnRequest
    history_ids: tuple[str, ...]
    engine: EngineInfo | None
    started: float
    prefix_answer: str = ""
    prefix_reasoning: str = ""
    reasoning_open: bool = True
    reasoning_seconds: float | None = None
    reasoning: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    reasoning_tokens: int = 0
    #: Characters of reasoning and answer so far, the prefix included.
    reasoning_length: int = 0
    answer_length: int = 0
    last_save: float = float("-inf")
    dirty: bool = False
    job: Job | None = None
    job_id: int = 0
    # Summary only: the new chat's title and the line above the summary.
    summary_title: str = ""
    summary_intro: str = ""

    def text(self) -> tuple[str, str]:
        return (
            self.prefix_reasoning + "".join(self.reasoning),
            self.prefix_answer + "".join(self.answer),
        )


def _keep_shortened(
    provenance: dict[str, Any], original: Mapping[str, Any] | None
) -> dict[str, Any]:
    """An edited question's provenance: a file the original message already carried cut
    to its passages stays marked as shortened (its full text was never stored)."""
    was = {
        (r.get("name"), r.get("sha256"))
        for r in (original or {}).get("attachments") or []
        if isinstance(r, Mapping) and r.get("shortened")
    }
    for record in provenance.get("attachments") or []:
        if (record.get("name"), record.get("sha256")) in was:
            record["shortened"] = True
    return provenance


def _default_options(_conversation_id: str) -> TurnOptions:
    return TurnOptions()


class ChatSession:
    """The turns of one chat (``conversation_id``); at most one turn runs at a time.

    ``options(conversation_id)`` gives the sampling and system prompt for a turn (the
    front end merges settings and the chat's own overrides). ``clock`` paces the streaming
    saves (tests pass a fake one). A :class:`ChatStore` is written through its
    :class:`ChatOps`; note that streaming saves and the end of a turn happen on the host
    thread, so ChatOps listeners hear those changes there.
    """

    def __init__(
        self,
        store: SessionStore,
        host: SessionHost,
        *,
        conversation_id: str = "",
        options: Callable[[str], TurnOptions] = _default_options,
        listener: Listener | None = None,
        origin: Origin = "gui",
        clock: Callable[[], float] = time.monotonic,
        save_interval: float = SAVE_INTERVAL_S,
    ) -> None:
        # Every write goes through the store's one write layer, whose listeners hear it.
        self.store: SessionStore = (
            ChatOps.for_store(store) if isinstance(store, ChatStore) else store
        )
        self.host = host
        self.conversation_id = conversation_id
        self.options = options
        self.origin: Origin = origin
        self.clock = clock
        self.save_interval = save_interval
        self._listeners: list[Listener] = [listener] if listener is not None else []
        self._lock = threading.RLock()
        self._turn: _Turn | None = None

    # --- observers ---

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    @property
    def is_busy(self) -> bool:
        with self._lock:
            return self._turn is not None

    @property
    def streaming_message_id(self) -> str:
        with self._lock:
            return self._turn.message_id if self._turn is not None else ""

    @property
    def streaming_conversation_id(self) -> str:
        with self._lock:
            return self._turn.conversation_id if self._turn is not None else ""

    @property
    def streaming_kind(self) -> TurnKind | None:
        with self._lock:
            return self._turn.kind if self._turn is not None else None

    def live_snapshot(self) -> LiveSnapshot | None:
        """The running turn's text so far, or None when idle."""
        with self._lock:
            turn = self._turn
            if turn is None:
                return None
            reasoning, answer = turn.text()
            return LiveSnapshot(
                job_id=turn.job_id,
                kind=turn.kind,
                conversation_id=turn.conversation_id,
                message_id=turn.message_id,
                reasoning=reasoning,
                answer=answer,
                reasoning_open=turn.reasoning_open,
                reasoning_seconds=turn.reasoning_seconds,
                reasoning_tokens=turn.reasoning_tokens,
            )

    # --- turns ---

    def ask(
        self,
        text: str,
        *,
        attachments: Sequence[Attachment] = (),
        sources: Sequence[StoredChunk] = (),
    ) -> TurnStarted:
        """Ask a question in this chat (a new chat is created when there is none).

        ``attachments`` (files, already extracted) and ``sources`` (chunks retrieved from
        the chat's collections) go into the user message in R1's file format, within the
        context budget; the stored message is exactly what the model sees, and its
        provenance says what was attached and which chunks were used.
        """
        if not text.strip():
            raise HearthError.of("chat.empty_message")
        with self._lock:
            self._check_can_start()
            created = not self.conversation_id
            if created:
                self.conversation_id = self.store.create_conversation(title="").id
            path = self.store.active_path(self.conversation_id)
            parent_id = path[-1].id if path else None
            if attachments or sources:
                prepared = self._prepare_input(text, path, attachments, sources)
                question, answer = self.store.start_turn(
                    self.conversation_id,
                    parent_id,
                    prepared.content,
                    provenance=prepared.provenance,
                )
            else:
                question, answer = self.store.start_turn(self.conversation_id, parent_id, text)
            try:
                return self._start_new_answer("ask", answer, question.id, undo_id=question.id)
            except HearthError:
                if created:  # refused by the host: leave no empty chat behind either
                    self._forget_conversation(self.conversation_id)
                    self.conversation_id = ""
                raise

    def _prepare_input(
        self,
        text: str,
        path: Sequence[StoredMessage],
        attachments: Sequence[Attachment],
        sources: Sequence[StoredChunk],
    ) -> PreparedInput:
        engine = self.host.state.engine
        options = self.options(self.conversation_id)
        n_ctx = engine.n_ctx if engine is not None and engine.n_ctx else 4096
        params = options.params

        def measure(content: str) -> int | None:
            """The real prompt tokens of the user message, by the engine's tokenizer."""
            call = getattr(self.host, "call", None)
            if call is None:
                return None
            request = TurnRequest(messages=(ChatMessage("user", content),), params=params)
            try:
                future = call(lambda eng: eng.count_tokens(request) if eng is not None else None)
                counted = future.result(timeout=MEASURE_TIMEOUT_S)
            except Exception:  # busy host, closed, no tokenizer: fall back to a bound
                log.info("could not count the prompt's tokens; using a safe bound")
                return None
            return int(counted) if counted is not None else None

        return prepare_fitted(
            text,
            attachments=attachments,
            sources=sources,
            # R1 templates drop earlier reasoning, so only the contents count.
            history=[message.content for message in path],
            n_ctx=n_ctx,
            # The engine keeps this much free for the answer (see LlamaEngine.answer_reserve).
            reserve_answer=min(max(256, min(params.max_tokens, n_ctx // 4)), n_ctx // 2),
            measure=measure,
        )

    def regenerate(self, message_id: str) -> TurnStarted:
        """Answer the same question again; the old answer stays as an alternative."""
        with self._lock:
            self._check_can_start()
            message = self.store.get_message(message_id)
            parent_id = message.parent_id if message.role == "assistant" else message.id
            if parent_id is None:
                raise HearthError.of("chat.nothing_to_regenerate")
            answer = self.store.add_message(
                message.conversation_id, parent_id, "assistant", "", state="streaming"
            )
            self.conversation_id = message.conversation_id
            return self._start_new_answer("regenerate", answer, parent_id, undo_id=answer.id)

    def edit(
        self,
        message_id: str,
        new_text: str,
        *,
        attachments: Sequence[Attachment] | None = None,
        sources: Sequence[StoredChunk] = (),
    ) -> TurnStarted:
        """Edit and resend a question: a new branch beside the old one.

        ``new_text`` is the question alone. The files the message carried go with it
        again (same name, size, hash and text) unless ``attachments`` says which to keep.
        """
        if not new_text.strip():
            raise HearthError.of("chat.empty_message")
        with self._lock:
            self._check_can_start()
            message = self.store.get_message(message_id)
            if message.role != "user":
                raise HearthError.of("chat.edit_own_only")
            if attachments is None:
                attachments = stored_attachments(message.content, message.provenance)
            self.conversation_id = message.conversation_id
            if attachments or sources:
                path = self.store.active_path(message.conversation_id)
                before = list(itertools.takewhile(lambda m: m.id != message.id, path))
                prepared = self._prepare_input(new_text, before, attachments, sources)
                question, answer = self.store.start_turn(
                    message.conversation_id,
                    message.parent_id,
                    prepared.content,
                    provenance=_keep_shortened(prepared.provenance, message.provenance),
                )
            else:
                question, answer = self.store.start_turn(
                    message.conversation_id, message.parent_id, new_text
                )
            return self._start_new_answer("edit", answer, question.id, undo_id=question.id)

    def continue_answer(self, message_id: str) -> TurnStarted:
        """Continue a stopped, cut-off or interrupted answer where it ended."""
        with self._lock:
            self._check_can_start()
            message = self.store.get_message(message_id)
            if message.role != "assistant":
                raise HearthError.of("chat.continue_answer_only")
            previous_state = message.state
            self.store.switch_branch(message_id)
            self.store.resume_streaming(message_id)
            self.conversation_id = message.conversation_id
            history, ids = self._history(message.conversation_id, until=message_id)
            options = self.options(message.conversation_id)
            request = TurnRequest(
                messages=(*history, ChatMessage("assistant", message.content, message.reasoning)),
                params=options.params,
                continue_last=True,
                system_prompt=options.system_prompt,
            )
            turn = self._new_turn(
                "continue", message.conversation_id, message_id, message.parent_id or "", request
            )
            turn.history_ids = ids
            turn.prefix_answer = message.content
            turn.prefix_reasoning = message.reasoning
            turn.answer_length = len(message.content)
            turn.reasoning_length = len(message.reasoning)
            turn.reasoning_open = not message.content
            seconds = (message.provenance or {}).get("reasoning_seconds")
            if isinstance(seconds, int | float):
                turn.reasoning_seconds = float(seconds)

            def undo() -> None:
                self.store.finish_message(
                    message_id,
                    content=message.content,
                    reasoning=message.reasoning,
                    state=previous_state if previous_state != "streaming" else "interrupted",
                )

            return self._submit(turn, undo)

    def summarise(self, prompt: str, *, title: str, intro: str) -> TurnStarted:
        """Ask the model to summarise this chat; when it has, a new chat titled ``title``
        starts with ``intro`` and the summary as its first (system) message."""
        with self._lock:
            self._check_can_start()
            if not self.conversation_id:
                raise HearthError.of("chat.summary_needs_chat")
            history, ids = self._history(self.conversation_id, until="")
            options = self.options(self.conversation_id)
            params = options.params
            budget = min(params.thinking_budget or SUMMARY_THINKING_BUDGET, SUMMARY_THINKING_BUDGET)
            request = TurnRequest(
                messages=(*history, ChatMessage("user", prompt)),
                params=replace(params, thinking_budget=budget, max_tokens=max(1024, budget + 512)),
                system_prompt=options.system_prompt,
            )
            turn = self._new_turn("summary", self.conversation_id, "", "", request)
            turn.history_ids = ids
            turn.summary_title = title
            turn.summary_intro = intro
            return self._submit(turn, lambda: None)

    def stop(self) -> None:
        """Stop the running turn (prompt processing included); what was generated stays."""
        with self._lock:
            job = self._turn.job if self._turn is not None else None
        if job is not None:
            job.cancel()

    def answer_now(self) -> None:
        """Ask the model to stop thinking and answer."""
        with self._lock:
            job = self._turn.job if self._turn is not None else None
        if job is not None:
            job.control.request_answer_now()

    def close(self) -> None:
        """The front end is going away: keep the live answer as ``interrupted`` now.

        The job is cancelled; its late events are ignored. Safe to call twice.
        """
        with self._lock:
            turn = self._turn
            if turn is None:
                return
            if turn.job is not None:
                turn.job.cancel()
            self._end(turn, "interrupted", TurnStats(), error="")

    # --- internals: starting ---

    def _forget_conversation(self, conversation_id: str) -> None:
        delete = getattr(self.store, "delete_conversation", None)
        if callable(delete):
            try:
                delete(conversation_id)
            except HearthError:
                log.exception("could not remove the empty chat of a refused turn")

    def _check_can_start(self) -> None:
        if self._turn is not None:
            raise BusyError()
        if self.host.state.engine is None:
            raise NoModelError()

    def _start_new_answer(
        self, kind: TurnKind, answer: StoredMessage, user_id: str, *, undo_id: str
    ) -> TurnStarted:
        history, ids = self._history(answer.conversation_id, until=answer.id)
        options = self.options(answer.conversation_id)
        request = TurnRequest(
            messages=history, params=options.params, system_prompt=options.system_prompt
        )
        turn = self._new_turn(kind, answer.conversation_id, answer.id, user_id, request)
        turn.history_ids = ids

        def undo() -> None:
            self.store.delete_message(undo_id)

        return self._submit(turn, undo)

    def _new_turn(
        self,
        kind: TurnKind,
        conversation_id: str,
        message_id: str,
        user_id: str,
        request: TurnRequest,
    ) -> _Turn:
        return _Turn(
            kind=kind,
            conversation_id=conversation_id,
            message_id=message_id,
            user_message_id=user_id,
            request=request,
            history_ids=(),
            engine=self.host.state.engine,
            started=self.clock(),
        )

    def _history(
        self, conversation_id: str, *, until: str
    ) -> tuple[tuple[ChatMessage, ...], tuple[str, ...]]:
        """The active path up to (not including) ``until``, as engine messages, with ids in
        step so a context trim can be marked at the first message the model still sees."""
        path = self.store.active_path(conversation_id)
        return engine_history(itertools.takewhile(lambda m: m.id != until, path))

    def _submit(self, turn: _Turn, undo: Callable[[], None]) -> TurnStarted:
        """Hand the turn to the host; undo the rows written for it if the host refuses.

        Called with the lock held, so the host thread's first events wait until the turn
        is registered and TurnStarted is out (events stay in order).
        """

        def sink(job_id: int, event: HostEvent) -> None:
            self._on_event(turn, job_id, event)

        try:
            job = self.host.submit_turn(turn.request, sink, origin=self.origin)
        except HearthError:
            try:
                undo()
            except HearthError:
                log.exception("could not undo the rows of a turn the host refused")
            raise
        turn.job = job
        turn.job_id = job.id
        if job.done:
            # Ended inside submit (e.g. the host was closing): nothing runs, nothing waits.
            return self._started_event(turn)
        self._turn = turn
        started = self._started_event(turn)
        self._emit(started)
        return started

    @staticmethod
    def _started_event(turn: _Turn) -> TurnStarted:
        return TurnStarted(
            job_id=turn.job_id,
            kind=turn.kind,
            conversation_id=turn.conversation_id,
            message_id=turn.message_id,
            user_message_id=turn.user_message_id,
            reasoning_open=turn.reasoning_open,
            prefix_answer=turn.prefix_answer,
            prefix_reasoning=turn.prefix_reasoning,
        )

    # --- internals: events from the host thread ---

    def _on_event(self, turn: _Turn, job_id: int, event: HostEvent) -> None:
        with self._lock:
            if turn.job_id == 0:
                turn.job_id = job_id
            if self._turn is not turn:
                return  # a turn that already ended (closed, or refused at submit)
            if isinstance(event, ReasoningDelta):
                turn.reasoning.append(event.text)
                turn.reasoning_length += len(event.text)
                turn.reasoning_tokens += 1
                self._text_appended(turn, event.text, "")
            elif isinstance(event, AnswerDelta):
                if turn.reasoning_open:
                    # The answer began without an explicit close (e.g. the model skipped
                    # thinking): that is the end of the reasoning.
                    self._end_reasoning(turn, "model")
                turn.answer.append(event.text)
                turn.answer_length += len(event.text)
                self._text_appended(turn, "", event.text)
            elif isinstance(event, ReasoningClosed):
                if turn.reasoning_open:
                    self._end_reasoning(turn, event.reason)
            elif isinstance(event, PromptProgress):
                self._emit(PromptProgressed(job_id, event.done, event.total))
            elif isinstance(event, ContextTrimmed):
                ids = turn.history_ids
                first = ids[event.dropped] if 0 <= event.dropped < len(ids) else ""
                self._emit(HistoryTrimmed(job_id, turn.conversation_id, event.dropped, first))
            elif isinstance(event, TurnFinished):
                self._end(turn, event.reason, event.stats)
            elif isinstance(event, JobFailed):
                failed = event.state not in ("stopped", "interrupted")
                self._end(
                    turn,
                    event.state,
                    event.stats or TurnStats(),
                    error=str(event.error) if failed else "",
                    failure=event.error if failed else None,
                )

    def _text_appended(self, turn: _Turn, reasoning: str, answer: str) -> None:
        turn.dirty = True
        self._emit(
            TextAppended(
                job_id=turn.job_id,
                message_id=turn.message_id,
                reasoning=reasoning,
                answer=answer,
                reasoning_tokens=turn.reasoning_tokens,
                reasoning_length=turn.reasoning_length,
                answer_length=turn.answer_length,
            )
        )
        self._save_if_due(turn)

    def _end_reasoning(self, turn: _Turn, reason: ReasoningEndReason) -> None:
        turn.reasoning_open = False
        if turn.reasoning_seconds is None:
            turn.reasoning_seconds = max(0.0, self.clock() - turn.started)
        self._emit(ReasoningEnded(turn.job_id, turn.message_id, reason, turn.reasoning_seconds))

    def _save_if_due(self, turn: _Turn) -> None:
        if turn.kind == "summary" or not turn.dirty:
            return
        now = self.clock()
        if now - turn.last_save < self.save_interval:
            return
        turn.last_save = now
        turn.dirty = False
        reasoning, answer = turn.text()
        try:
            self.store.save_streaming(turn.message_id, answer, reasoning)
        except HearthError as exc:
            # Keep answering: the final save may still work, and says so if not.
            log.warning("streaming save failed: %s (%s)", exc, exc.detail)
        except Exception:
            log.exception("streaming save failed")

    def _end(
        self,
        turn: _Turn,
        state: EndState,
        stats: TurnStats,
        *,
        error: str = "",
        failure: HearthError | None = None,
    ) -> None:
        """Store the end state once and tell the listeners (lock held)."""
        self._turn = None
        reasoning, answer = turn.text()
        if turn.reasoning_open and reasoning:
            self._end_reasoning(turn, "turn_end")
        if turn.kind == "summary":
            self._end_summary(turn, state, stats, answer, error, failure)
            return
        extra: dict[str, Any] = {}
        self._add_sources(turn, extra)
        if turn.reasoning_seconds is not None and reasoning:
            extra["reasoning_seconds"] = round(turn.reasoning_seconds, 1)
        if turn.engine is not None:
            extra["engine"] = engine_record(
                turn.engine,
                # Flash attention / KV type and how they were chosen (app/core/calibrate.py).
                detail_keys=("flash_attn", "kv_cache_type", "flash_attn_choice"),
            )
        stored: StoredMessage | None = None
        try:
            provenance = build_provenance(
                model_record(turn.engine),
                turn.request.params,
                stats,
                finish_reason=state,
                error=error,
                extra=extra,
            )
            stored = self.store.finish_message(
                turn.message_id,
                content=answer,
                reasoning=reasoning,
                state=state,
                provenance=provenance,
            )
        except HearthError as exc:
            log.error("saving the finished answer failed: %s (%s)", exc, exc.detail)
            error, failure = (error, failure) if error else (str(exc), exc)
        except Exception as exc:
            log.exception("saving the finished answer failed")
            error = error or f"The answer could not be saved: {exc}"
        self._emit(
            TurnEnded(
                job_id=turn.job_id,
                kind=turn.kind,
                conversation_id=turn.conversation_id,
                message_id=turn.message_id,
                state=state,
                stats=stats,
                message=stored,
                error=error,
                failure=failure,
            )
        )

    def _add_sources(self, turn: _Turn, extra: dict[str, Any]) -> None:
        """Provenance of the answer: the knowledge chunks its question carried."""
        if not turn.user_message_id:
            return
        try:
            question = self.store.get_message(turn.user_message_id)
        except HearthError:
            return
        carried = question.provenance or {}
        if carried.get("sources"):
            extra["sources"] = carried["sources"]
        if carried.get("sources") or carried.get("attachments"):
            # What the files and sources took of the context (the meter shows it).
            extra["source_tokens"] = carried.get("source_tokens", 0)

    def _end_summary(
        self,
        turn: _Turn,
        state: EndState,
        stats: TurnStats,
        summary: str,
        error: str,
        failure: HearthError | None,
    ) -> None:
        summary = summary.strip()
        new_id = ""
        if state in ("finished", "length") and summary:
            try:
                conversation = self.store.create_conversation(title=turn.summary_title)
                text = f"{turn.summary_intro}\n\n{summary}" if turn.summary_intro else summary
                self.store.add_message(conversation.id, None, "system", text)
                new_id = conversation.id
            except HearthError as exc:
                log.error("saving the summary failed: %s (%s)", exc, exc.detail)
                state, error, failure = "failed", str(exc), exc
        elif state in ("finished", "length"):
            state, error = "failed", "The model gave no summary. Try again."
        self._emit(
            TurnEnded(
                job_id=turn.job_id,
                kind="summary",
                conversation_id=turn.conversation_id,
                message_id="",
                state=state,
                stats=stats,
                error=error,
                new_conversation_id=new_id,
                failure=failure,
            )
        )

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a session listener failed on %s", type(event).__name__)
