"""The chat controller: a thin adapter between the window and :class:`ChatSession`.

Signals in (send, regenerate, edit, continue, stop …) become session calls; the session's
events, emitted on the engine host's thread, are queued here and handed to the widgets in
batches every ~40 ms on the GUI thread (streaming render stays proportional to the new
text). The turn itself (history, reasoning end, streaming saves, end state, provenance)
lives in the session; this module only shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.chat import TurnStats
from app.core.errors import HearthError
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
from app.core.settings import Settings
from app.core.store import NotFoundError
from app.ui.chat_view import ChatView
from app.ui.errors_i18n import error_text
from app.ui.live_turn import ChatPresenter, coalesced
from app.ui.settings_dialog import apply_overrides
from app.ui.vote_view import ChatVotes

log = logging.getLogger(__name__)

#: How often queued session events reach the widgets (30–50 ms keeps typing smooth).
BATCH_MS = 40


class ChatController(QObject):
    """Connects the view and the store to the session for the open conversation."""

    conversation_changed = Signal(str)  # conversation id ("" for none)
    conversations_changed = Signal()  # titles, order or membership changed
    generation_started = Signal()
    generation_finished = Signal(str, object)  # EndState, TurnStats
    #: The stored answer at the end of a turn (None if it could not be saved); the window
    #: shows its knowledge sources from the provenance.
    answer_stored = Signal(object)
    error = Signal(str)  # a human message to show
    context_used = Signal(int, int)  # tokens used, n_ctx
    reasoning_state = Signal(bool)  # True while the model is thinking
    reasoning_closed = Signal(str)  # why the thinking ended (the session's reason)
    prompt_progressed = Signal(int, int)  # tokens done, total
    text_arrived = Signal()  # new text was shown (tests and accessibility wait on it)
    summary_started = Signal()
    summary_finished = Signal(str)  # the new conversation's id ("" if it failed or stopped)
    _wake = Signal()  # from the host thread: events are waiting

    def __init__(
        self,
        *,
        store: Any,
        client: Any,
        view: ChatView,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.client = client
        self.view = view
        self.settings = settings
        self.session = ChatSession(
            store, client.host, options=self._options, listener=self._queue_event
        )
        # Writes go through the store's one write layer (the session's ChatOps).
        self.ops: Any = self.session.store
        self._inbox: list[SessionEvent] = []
        self._inbox_lock = threading.Lock()
        self._batch = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._batch.timeout.connect(self._drain)
        self._wake.connect(lambda: self._batch.isActive() or self._batch.start())
        self.presenter = ChatPresenter(view, self.describe_stats)
        self._generating = False
        self._closed = False
        view.regenerate_requested.connect(self.regenerate)
        view.continue_requested.connect(self.continue_answer)
        view.delete_requested.connect(self.delete_message)
        view.branch_requested.connect(self.switch_branch)
        # Ask ×N and ratings (app/ui/vote_view.py).
        self.votes = ChatVotes(self)

    def describe_stats(self, stats: TurnStats, created: float | None = None) -> str:
        """The small line under an answer: speed, first-token latency, size, time."""
        parts = []
        if stats.tokens_per_s:
            parts.append(self.tr("%1 tok/s").replace("%1", f"{stats.tokens_per_s:.1f}"))
        if stats.ttft_ms:
            ttft = self.tr("first token %1 s")
            parts.append(ttft.replace("%1", f"{stats.ttft_ms / 1000:.2f}"))
        if stats.generated_tokens:
            parts.append(self.tr("%n token(s)", "", stats.generated_tokens))
        if created:
            parts.append(time.strftime("%H:%M", time.localtime(created)))
        return " · ".join(parts)

    # --- state ---
    @property
    def conversation_id(self) -> str:
        return self.session.conversation_id

    @conversation_id.setter
    def conversation_id(self, value: str) -> None:
        self.session.conversation_id = value

    @property
    def is_generating(self) -> bool:
        """True from a turn's start until the window has shown its end (not the session's
        end, which comes up to one batch earlier on the host thread)."""
        return self._generating or self.session.is_busy or self.votes.running

    @property
    def streaming_conversation_id(self) -> str:
        return self.session.streaming_conversation_id

    def new_conversation(self) -> None:
        """Show an empty chat; the conversation row is created on the first message."""
        self.conversation_id = ""
        self.presenter.clear()
        self.conversation_changed.emit("")

    def open_conversation(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self._rebuild_view()
        self.conversation_changed.emit(conversation_id)

    # --- actions: each is one session call ---
    def send(
        self, text: str, *, attachments: Sequence[Any] = (), sources: Sequence[Any] = ()
    ) -> bool:
        """Send a user message, with attached files and knowledge sources if any.

        False if it could not be sent (e.g. no model).
        """
        if not text.strip():
            return False
        had_chat = bool(self.conversation_id)
        if attachments or sources:
            started = self._call(self.session.ask, text, attachments=attachments, sources=sources)
        else:
            started = self._call(self.session.ask, text)
        if started is None:
            return False
        if not had_chat:
            self.conversation_changed.emit(self.conversation_id)
        shown = text
        cited: Sequence[Any] = ()
        if attachments or sources:
            # The stored question carries its files (R1's format): the view shows them.
            question = self.store.get_message(started.user_message_id)
            shown = question.content
            cited = (getattr(question, "provenance", None) or {}).get("sources") or ()
        self.view.add_user_message(started.user_message_id, shown)
        self._show_started(started)
        answer = self.view.add_assistant_message(started.message_id)
        answer.set_sources(cited)  # before streaming: the answer's [n] become links
        self.presenter.start(started, answer)
        self.conversations_changed.emit()
        return True

    def regenerate(self, message_id: str) -> None:
        """Answer the same question again; the old answer stays as an alternative."""
        self._start_in_rebuilt_view(self._call(self.session.regenerate, message_id))

    def edit(
        self,
        message_id: str,
        new_text: str,
        *,
        attachments: Sequence[Any] | None = None,
        sources: Sequence[Any] = (),
    ) -> None:
        """Edit and resend a user message: a new branch beside the old one. Its files go
        again unless ``attachments`` names the ones kept (see ChatSession.edit)."""
        if new_text.strip():
            started = self._call(
                self.session.edit, message_id, new_text, attachments=attachments, sources=sources
            )
            self._start_in_rebuilt_view(started)

    def continue_answer(self, message_id: str) -> None:
        """Continue a stopped or interrupted answer where it ended."""
        self._start_in_rebuilt_view(self._call(self.session.continue_answer, message_id))

    def summarise_and_continue(self) -> bool:
        """Ask the model to summarise this chat, then open a new chat seeded with it."""
        if not self.conversation_id or self.is_generating:
            return False
        title = self.store.get_conversation(self.conversation_id).title or self.tr("Chat")
        prompt = self.tr(
            "Summarise our conversation so far as a short list of the key facts, decisions and "
            "open questions, so that we can continue it in a new chat. Reply with the summary only."
        )
        started = self._call(
            self.session.summarise,
            prompt,
            title=self.tr("%1 (continued)").replace("%1", title),
            intro=self.tr("Summary of the earlier chat “%1”:").replace("%1", title),
        )
        if started is None:
            return False
        self.summary_started.emit()
        self._show_started(started)
        return True

    def delete_message(self, message_id: str) -> None:
        if not self.is_generating:
            self.ops.delete_message(message_id)
            self._rebuild_view()
            self.conversations_changed.emit()

    def switch_branch(self, message_id: str, step: int) -> None:
        if self.is_generating:
            return
        ids = self.store.siblings(message_id).ids
        position = ids.index(message_id) + step
        if 0 <= position < len(ids):
            self.ops.switch_branch(ids[position])
            self._rebuild_view()

    def stop(self) -> None:
        self.session.stop()
        self.votes.stop()

    def answer_now(self) -> None:
        self.session.answer_now()
        self.votes.answer_now()

    def ask_votes(self, text: str, n: int = 4) -> bool:
        """Ask ×N: N samples as sibling branches, and the majority vote above them."""
        return self.votes.ask(text, n)

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def shutdown(self) -> None:
        """Keep the live answer as interrupted; called before the app exits."""
        self._batch.stop()
        self.session.close()
        # Events still queued (the interrupted end included) must not reach widgets or a
        # store that the caller is about to close.
        self._closed = True
        with self._inbox_lock:
            self._inbox = []

    # --- per-chat sampling ---
    def chat_overrides(self) -> dict[str, Any] | None:
        if not self.conversation_id:
            return None
        value = self.store.conversation_settings(self.conversation_id).get("sampling")
        return value if isinstance(value, dict) else None

    def set_chat_overrides(self, overrides: dict[str, Any] | None) -> None:
        if not self.conversation_id:
            return
        stored = dict(self.store.conversation_settings(self.conversation_id))
        if overrides:
            stored["sampling"] = overrides
        else:
            stored.pop("sampling", None)
        self.ops.set_conversation_settings(self.conversation_id, stored)

    def _options(self, conversation_id: str) -> TurnOptions:
        """Global settings with the chat's own sampling overrides on top (session callback)."""
        stored = self.store.conversation_settings(conversation_id) if conversation_id else {}
        overrides = stored.get("sampling") if isinstance(stored, dict) else None
        params = apply_overrides(self.settings.sampling, overrides)
        return TurnOptions(params=params, system_prompt=self.settings.system_prompt)

    # --- starting ---
    def _call(self, method: Any, *args: Any, **kwargs: Any) -> TurnStarted | None:
        """Run a session call; a refusal (no model, busy, queue full) becomes a message."""
        try:
            if self._generating:  # the last turn's end is not shown yet
                raise BusyError()
            started: TurnStarted = method(*args, **kwargs)
        except NotFoundError:
            return None
        except BusyError:
            self.error.emit(
                self.tr("Hearth is still answering. Wait for it or press Stop, then send again.")
            )
            return None
        except NoModelError:  # nothing was saved
            self.error.emit(self.tr("No model is loaded. Load a model first."))
            return None
        except HearthError as exc:
            self.error.emit(error_text(exc))
            return None
        return started

    def _start_in_rebuilt_view(self, started: TurnStarted | None) -> None:
        if started is not None:
            self._show_started(started)
            self._rebuild_view()  # shows the new live answer (the session's snapshot)

    def _show_started(self, started: TurnStarted) -> None:
        # Before any of the turn's events can be drained, so its end always comes after.
        self._generating = True
        self.generation_started.emit()
        self.reasoning_state.emit(started.reasoning_open)

    def _rebuild_view(self) -> None:
        """Show the active branch of the open conversation (the live answer included)."""
        self._drain()
        self.presenter.rebuild(self.store, self.conversation_id, self.session.live_snapshot())

    # --- session events: queued on the host thread, shown in batches here ---
    def _queue_event(self, event: SessionEvent) -> None:
        with self._inbox_lock:
            self._inbox.append(event)
            wake = len(self._inbox) == 1
        if wake:
            self._wake.emit()

    def _drain(self) -> None:
        with self._inbox_lock:
            events, self._inbox = self._inbox, []
        if self._closed:
            return
        shown_text = False
        for event in coalesced(events):
            if isinstance(event, TextAppended):
                shown_text = self.presenter.show_text(event) or shown_text
            elif isinstance(event, ReasoningEnded):
                self.presenter.close_reasoning(event)
                self.reasoning_closed.emit(event.reason)
                self.reasoning_state.emit(False)
            elif isinstance(event, PromptProgressed):
                self.prompt_progressed.emit(event.done, event.total)
            elif isinstance(event, HistoryTrimmed):
                if event.conversation_id == self.conversation_id:
                    # The marker goes where the model's view of the chat now begins.
                    notice = self.tr(
                        "%n earlier message(s) no longer fit the context and were left out.",
                        "",
                        event.dropped,
                    )
                    self.view.add_notice(notice, before=event.first_kept_id)
            elif isinstance(event, TurnEnded):
                self._show_end(event)
        if shown_text:
            self.text_arrived.emit()

    def _show_end(self, event: TurnEnded) -> None:
        self._generating = False
        if event.kind == "summary":
            self.view.stop_live_updates()
        else:
            self.presenter.finish(event)
        self.reasoning_state.emit(False)
        self.generation_finished.emit(event.state, event.stats)
        if event.kind != "summary":
            self.answer_stored.emit(event.message)
        if event.error:
            self.error.emit(event.error)
        if event.kind == "summary":
            if event.new_conversation_id:
                self.open_conversation(event.new_conversation_id)
                self.conversations_changed.emit()
            self.summary_finished.emit(event.new_conversation_id)
            return
        if event.stats.n_ctx:
            self.context_used.emit(event.stats.context_used, event.stats.n_ctx)
        self.conversations_changed.emit()
