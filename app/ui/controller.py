"""The chat controller: one chat turn as data, on the GUI thread.

Keypress → the user message and an empty streaming answer are written to the store at
once → a TurnRequest goes to the inference worker → batched deltas are appended to the
view and saved at most once a second → on finish the message is completed with its
provenance and stats. A stop keeps what was generated.

The controller never blocks: the store calls are single small SQLite statements, and
everything slow happens on the inference thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.chat import ChatMessage, SamplingParams, TurnRequest, TurnStats
from app.core.settings import Settings
from app.core.store import NotFoundError, build_provenance
from app.ui.chat_view import AssistantMessageWidget, ChatView
from app.ui.settings_dialog import apply_overrides
from app.workers.inference import InferenceClient

log = logging.getLogger(__name__)

#: At most one streaming save per second (a kill -9 loses at most the last second).
SAVE_INTERVAL_MS = 1000


class ChatController(QObject):
    """Connects the view, the store and the inference client for the open conversation."""

    conversation_changed = Signal(str)  # conversation id ("" for none)
    conversations_changed = Signal()  # titles, order or membership changed
    generation_started = Signal()
    generation_finished = Signal(str, object)  # reason, TurnStats
    error = Signal(str)  # a human message to show
    context_used = Signal(int, int)  # tokens used, n_ctx
    reasoning_state = Signal(bool)  # True while the model is thinking
    summary_started = Signal()
    summary_finished = Signal(str)  # the new conversation's id ("" if it failed or stopped)

    def __init__(
        self,
        *,
        store: Any,
        client: InferenceClient,
        view: ChatView,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.client = client
        self.view = view
        self.settings = settings
        self.conversation_id = ""
        # The live turn: which message is streaming, into which conversation.
        self._stream_message_id = ""
        self._stream_conversation_id = ""
        self._stream_widget: AssistantMessageWidget | None = None
        self._stream_reasoning: list[str] = []
        self._stream_answer: list[str] = []
        self._stream_prefix_answer = ""
        self._stream_prefix_reasoning = ""
        self._reasoning_open = False
        self._turn_params = settings.sampling
        self._history_ids: tuple[str, ...] = ()
        self._started = time.monotonic()
        self._reasoning_seconds: float | None = None
        self._dirty = False
        # "Summarise and continue": the conversation being summarised, and the summary.
        self._summarising_from = ""
        self._summary_parts: list[str] = []
        self._save_timer = QTimer(self)
        self._save_timer.setInterval(SAVE_INTERVAL_MS)
        self._save_timer.timeout.connect(self._save_stream)
        client.tokens_ready.connect(self._on_tokens)
        client.reasoning_counted.connect(self._on_reasoning_counted)
        client.reasoning_closed.connect(self._on_reasoning_closed)
        client.turn_finished.connect(self._on_finished)
        client.turn_failed.connect(self._on_failed)
        client.context_trimmed.connect(self._on_trimmed)
        view.regenerate_requested.connect(self.regenerate)
        view.continue_requested.connect(self.continue_answer)
        view.delete_requested.connect(self.delete_message)
        view.branch_requested.connect(self.switch_branch)

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

    # --- conversations ---
    @property
    def is_generating(self) -> bool:
        return bool(self._stream_message_id or self._summarising_from)

    @property
    def streaming_conversation_id(self) -> str:
        return self._stream_conversation_id

    def new_conversation(self) -> None:
        """Show an empty chat; the conversation row is created on the first message."""
        self.conversation_id = ""
        self.view.clear()
        self.conversation_changed.emit("")

    def open_conversation(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self._rebuild_view()
        self.conversation_changed.emit(conversation_id)

    def _rebuild_view(self) -> None:
        """Show the active branch of the open conversation."""
        self.view.clear()
        self._stream_widget = None
        if not self.conversation_id:
            return
        for message in self.store.active_path(self.conversation_id):
            self._add_message_widget(message)
        self.view.scroll_to_bottom()

    def _add_message_widget(self, message: Any) -> None:
        if message.role == "system":
            self.view.add_notice(message.content)
            return
        index, count = self._branch_position(message.id)
        if message.role == "user":
            user_widget = self.view.add_user_message(message.id, message.content)
            user_widget.set_branch(index, count)
            return
        if message.role != "assistant":
            return
        widget = self.view.add_assistant_message(message.id)
        widget.set_branch(index, count)
        if message.id == self._stream_message_id:
            # The live answer of a conversation we switched back to: keep streaming into it.
            widget.set_content(
                answer=self._stream_text()[1], reasoning=self._stream_text()[0], state="complete"
            )
            widget.resume_streaming()
            self._stream_widget = widget
            return
        provenance = message.provenance or {}
        widget.set_content(
            answer=message.content,
            reasoning=message.reasoning,
            state=message.state,
            reasoning_seconds=provenance.get("reasoning_seconds"),
        )
        stats = provenance.get("stats")
        if isinstance(stats, dict):
            known = {k: v for k, v in stats.items() if k in TurnStats.__dataclass_fields__}
            widget.meta.setText(self.describe_stats(TurnStats(**known), message.created))
            widget.meta.setToolTip(self._provenance_tooltip(provenance))

    def _branch_position(self, message_id: str) -> tuple[int, int]:
        siblings = self.store.siblings(message_id)
        return siblings.index, siblings.count

    def _message(self, message_id: str) -> Any:
        try:
            return self.store.get_message(message_id)
        except NotFoundError:
            return None

    # --- actions ---
    def send(self, text: str) -> bool:
        """Send a user message. False if it could not be sent (e.g. no model)."""
        if not text.strip():
            return False
        if self.is_generating:
            self.error.emit(
                self.tr("Hearth is still answering. Wait for it or press Stop, then send again.")
            )
            return False
        if self.client.model_info is None:
            self.error.emit(self.tr("No model is loaded. Open a model file first."))
            return False
        if not self.conversation_id:
            conversation = self.store.create_conversation(title="")
            self.conversation_id = conversation.id
            self.conversation_changed.emit(self.conversation_id)
        path = self.store.active_path(self.conversation_id)
        parent_id = path[-1].id if path else None
        # The question and an empty streaming answer are written at once, before any
        # token exists, so a crash from here on never loses the question.
        user, answer = self.store.start_turn(self.conversation_id, parent_id, text)
        self.view.add_user_message(user.id, text)
        self._start_answer(answer=answer)
        self.conversations_changed.emit()
        return True

    def regenerate(self, message_id: str) -> None:
        """Answer the same question again; the old answer stays as an alternative."""
        if self.is_generating:
            return
        message = self._message(message_id)
        if message is None:
            return
        parent_id = message.parent_id if message.role == "assistant" else message.id
        answer = self.store.add_message(
            self.conversation_id, parent_id, "assistant", "", state="streaming"
        )
        self._start_answer(answer=answer, rebuild=True)

    def edit(self, message_id: str, new_text: str) -> None:
        """Edit and resend a user message: a new branch beside the old one."""
        if self.is_generating or not new_text.strip():
            return
        message = self._message(message_id)
        if message is None or message.role != "user":
            return
        _user, answer = self.store.start_turn(self.conversation_id, message.parent_id, new_text)
        self._start_answer(answer=answer, rebuild=True)

    def continue_answer(self, message_id: str) -> None:
        """Continue a stopped or interrupted answer where it ended."""
        if self.is_generating:
            return
        message = self._message(message_id)
        if message is None or message.role != "assistant":
            return
        if self.client.model_info is None:
            self.error.emit(self.tr("No model is loaded. Open a model file first."))
            return
        self.store.switch_branch(message_id)
        self.store.resume_streaming(message_id)
        self._rebuild_view()
        widget = self.view.message(message_id)
        if not isinstance(widget, AssistantMessageWidget):
            return
        history = self._history_until(message_id)
        request = TurnRequest(
            messages=(*history, ChatMessage("assistant", message.content, message.reasoning)),
            params=self._params(),
            continue_last=True,
            system_prompt=self.settings.system_prompt,
        )
        self._stream_prefix_answer = message.content
        self._stream_prefix_reasoning = message.reasoning
        self._begin_stream(message_id, widget, request, reasoning_open=not message.content)
        widget.resume_streaming()

    def delete_message(self, message_id: str) -> None:
        if self.is_generating:
            return
        self.store.delete_message(message_id)
        self._rebuild_view()
        self.conversations_changed.emit()

    def switch_branch(self, message_id: str, step: int) -> None:
        if self.is_generating:
            return
        ids = self.store.siblings(message_id).ids
        position = ids.index(message_id) + step
        if 0 <= position < len(ids):
            self.store.switch_branch(ids[position])
            self._rebuild_view()

    def summarise_and_continue(self) -> bool:
        """Ask the model to summarise this chat, then open a new chat seeded with it."""
        if self.is_generating or not self.conversation_id:
            return False
        if self.client.model_info is None:
            self.error.emit(self.tr("No model is loaded. Open a model file first."))
            return False
        history = self._history_until("")
        params = self._params()
        # A summary needs little deliberation: cap the thinking so it arrives quickly.
        budget = min(params.thinking_budget or 512, 512)
        request = TurnRequest(
            messages=(*history, ChatMessage("user", self._summary_prompt())),
            params=replace(params, thinking_budget=budget, max_tokens=max(1024, budget + 512)),
            system_prompt=self.settings.system_prompt,
        )
        self._summarising_from = self.conversation_id
        self._summary_parts = []
        self.client.start_turn(request)
        self.summary_started.emit()
        self.generation_started.emit()
        return True

    def _summary_prompt(self) -> str:
        return self.tr(
            "Summarise our conversation so far as a short list of the key facts, decisions and "
            "open questions, so that we can continue it in a new chat. Reply with the summary only."
        )

    def _finish_summary(self, reason: str) -> None:
        source = self._summarising_from
        self._summarising_from = ""
        summary = "".join(self._summary_parts).strip()
        self.generation_finished.emit(reason, TurnStats())
        if reason == "cancelled" or not summary:
            self.summary_finished.emit("")
            return
        title = self.store.get_conversation(source).title or self.tr("Chat")
        conversation = self.store.create_conversation(
            title=self.tr("%1 (continued)").replace("%1", title)
        )
        intro = self.tr("Summary of the earlier chat “%1”:").replace("%1", title)
        self.store.add_message(conversation.id, None, "system", f"{intro}\n\n{summary}")
        self.open_conversation(conversation.id)
        self.conversations_changed.emit()
        self.summary_finished.emit(conversation.id)

    def stop(self) -> None:
        self.client.stop()

    def answer_now(self) -> None:
        self.client.answer_now()

    # --- a turn ---
    def _params(self) -> SamplingParams:
        """Global sampling settings with the open chat's own overrides on top."""
        overrides: dict[str, Any] | None = None
        if self.conversation_id:
            stored = self.store.conversation_settings(self.conversation_id)
            overrides = stored.get("sampling") if isinstance(stored, dict) else None
        return apply_overrides(self.settings.sampling, overrides)

    def chat_overrides(self) -> dict[str, Any] | None:
        if not self.conversation_id:
            return None
        stored = self.store.conversation_settings(self.conversation_id)
        value = stored.get("sampling") if isinstance(stored, dict) else None
        return value if isinstance(value, dict) else None

    def set_chat_overrides(self, overrides: dict[str, Any] | None) -> None:
        if not self.conversation_id:
            return
        stored = dict(self.store.conversation_settings(self.conversation_id))
        if overrides:
            stored["sampling"] = overrides
        else:
            stored.pop("sampling", None)
        self.store.set_conversation_settings(self.conversation_id, stored)

    def _history_until(self, leaf_id: str) -> tuple[ChatMessage, ...]:
        """The active path up to (not including) ``leaf_id``, as engine messages.

        The ids of those messages are kept in step, so a context trim can be marked at the
        first message the model still sees.
        """
        history: list[ChatMessage] = []
        ids: list[str] = []
        for message in self.store.active_path(self.conversation_id):
            if message.id == leaf_id:
                break
            if message.role in ("user", "assistant", "system"):
                history.append(ChatMessage(message.role, message.content, message.reasoning))
                ids.append(message.id)
        self._history_ids = tuple(ids)
        return tuple(history)

    def _start_answer(self, *, answer: Any, rebuild: bool = False) -> None:
        if rebuild:
            self._rebuild_view()
            widget = self.view.message(answer.id)
        else:
            widget = self.view.add_assistant_message(answer.id)
        assert isinstance(widget, AssistantMessageWidget)
        history = self._history_until(answer.id)
        request = TurnRequest(
            messages=history, params=self._params(), system_prompt=self.settings.system_prompt
        )
        self._stream_prefix_answer = ""
        self._stream_prefix_reasoning = ""
        self._begin_stream(answer.id, widget, request, reasoning_open=True)
        widget.begin_streaming()
        self.view.scroll_to_bottom()

    def _begin_stream(
        self,
        message_id: str,
        widget: AssistantMessageWidget,
        request: TurnRequest,
        *,
        reasoning_open: bool,
    ) -> None:
        self._stream_message_id = message_id
        self._stream_conversation_id = self.conversation_id
        self._turn_params = request.params
        self._stream_widget = widget
        self._stream_reasoning = []
        self._stream_answer = []
        self._reasoning_open = reasoning_open
        self._started = time.monotonic()
        self._reasoning_seconds = None
        self._dirty = False
        self.client.start_turn(request)
        self._save_timer.start()
        self.view.start_live_updates()
        self.generation_started.emit()
        self.reasoning_state.emit(reasoning_open)

    def _stream_text(self) -> tuple[str, str]:
        reasoning = self._stream_prefix_reasoning + "".join(self._stream_reasoning)
        answer = self._stream_prefix_answer + "".join(self._stream_answer)
        return reasoning, answer

    def _on_tokens(self, reasoning_delta: str, answer_delta: str) -> None:
        if self._summarising_from:
            self._summary_parts.append(answer_delta)
            return
        if not self._stream_message_id:
            return
        if reasoning_delta:
            self._stream_reasoning.append(reasoning_delta)
        if answer_delta:
            self._stream_answer.append(answer_delta)
            if self._reasoning_open:
                self._mark_reasoning_closed()
        self._dirty = True
        if self._stream_widget is not None and self._viewing_stream():
            self._stream_widget.append(reasoning_delta, answer_delta)

    def _on_reasoning_counted(self, count: int) -> None:
        if self._stream_widget is not None and self._viewing_stream():
            self._stream_widget.reasoning.set_token_count(count)

    def _mark_reasoning_closed(self) -> None:
        self._reasoning_open = False
        self._reasoning_seconds = time.monotonic() - self._started
        self.reasoning_state.emit(False)

    def _on_reasoning_closed(self, reason: str) -> None:
        if not self._stream_message_id:
            return
        if self._reasoning_open:
            self._mark_reasoning_closed()
        notes = {
            "budget": self.tr("thinking budget reached"),
            "answer_now": self.tr("answer requested"),
            "loop": self.tr("the reasoning was repeating itself, so Hearth asked for the answer"),
        }
        if self._stream_widget is not None and self._viewing_stream():
            self._stream_widget.close_reasoning(notes.get(reason, ""))

    def _on_trimmed(self, dropped: int) -> None:
        if not self._viewing_stream():
            return
        # The marker goes where the model's view of the chat now begins.
        ids = self._history_ids
        first_kept = ids[dropped] if 0 <= dropped < len(ids) else ""
        self.view.add_notice(
            self.tr(
                "%n earlier message(s) no longer fit the context and were left out.", "", dropped
            ),
            before=first_kept,
        )

    def _viewing_stream(self) -> bool:
        return self.conversation_id == self._stream_conversation_id

    def _save_stream(self) -> None:
        if not self._stream_message_id or not self._dirty:
            return
        reasoning, answer = self._stream_text()
        try:
            self.store.save_streaming(self._stream_message_id, answer, reasoning)
            self._dirty = False
        except Exception as exc:
            log.exception("streaming save failed")
            self.error.emit(str(exc))

    def _provenance(
        self, stats: TurnStats, *, finish_reason: str = "", error: str = ""
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self._reasoning_seconds is not None:
            extra["reasoning_seconds"] = round(self._reasoning_seconds, 1)
        return build_provenance(
            self.client.model_info,
            self._turn_params,
            stats,
            finish_reason=finish_reason,
            error=error,
            extra=extra,
        )

    def _provenance_tooltip(self, provenance: dict[str, Any]) -> str:
        model = provenance.get("model") or {}
        sampling = provenance.get("sampling") or {}
        lines = []
        if model:
            lines.append(f"{model.get('file', '')} ({model.get('quant', '')})")
        if sampling:
            lines.append(
                "temperature {t} · top-p {p} · top-k {k} · seed {s}".format(
                    t=sampling.get("temperature"),
                    p=sampling.get("top_p"),
                    k=sampling.get("top_k"),
                    s=sampling.get("seed"),
                )
            )
        return "\n".join(lines)

    def _end_stream(
        self, state: str, stats: TurnStats, note: str = "", finish_reason: str = ""
    ) -> None:
        message_id = self._stream_message_id
        reasoning, answer = self._stream_text()
        if self._reasoning_open and reasoning and answer:
            self._mark_reasoning_closed()
        self._save_timer.stop()
        self.view.stop_live_updates()
        provenance = self._provenance(
            stats, finish_reason=finish_reason, error=note if state == "error" else ""
        )
        if note and state != "error":
            provenance["note"] = note
        try:
            self.store.finish_message(
                message_id, content=answer, reasoning=reasoning, state=state, provenance=provenance
            )
        except Exception as exc:
            log.exception("saving the finished answer failed")
            self.error.emit(str(exc))
        widget = self._stream_widget
        self._stream_message_id = ""
        self._stream_conversation_id = ""
        self._stream_widget = None
        if widget is not None and self.view.message(message_id) is widget:
            widget.finish(state, self.describe_stats(stats, time.time()))
            widget.meta.setToolTip(self._provenance_tooltip(provenance))
            if note:
                widget.set_note(note)
        self.reasoning_state.emit(False)
        self.conversations_changed.emit()

    def _on_finished(self, reason: str, stats: TurnStats) -> None:
        if self._summarising_from:
            self._finish_summary(reason)
            return
        if not self._stream_message_id:
            return
        state = "cancelled" if reason == "cancelled" else "complete"
        note = ""
        if reason == "context_full":
            note = self.tr(
                "The answer stopped because the context window is full. "
                "Start a new chat or raise the context length in Settings."
            )
        elif reason == "length":
            note = self.tr("The answer reached the maximum length set in Settings.")
        if state == "cancelled":
            note = self.tr("Stopped. You can continue or regenerate this answer.")
        # A stopped answer is kept and can be continued; the store calls it interrupted.
        self._end_stream("interrupted" if state == "cancelled" else "complete", stats, note, reason)
        self.context_used.emit(stats.context_used, stats.n_ctx)
        self.generation_finished.emit(reason, stats)

    def _on_failed(self, message: str) -> None:
        if self._summarising_from:
            self._summarising_from = ""
            self.summary_finished.emit("")
            self.error.emit(message)
            return
        if not self._stream_message_id:
            self.error.emit(message)
            return
        self._end_stream("error", TurnStats(), message, "error")
        self.error.emit(message)
        self.generation_finished.emit("error", TurnStats())

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def shutdown(self) -> None:
        """Save the live answer as interrupted; called before the app exits."""
        if self._stream_message_id:
            reasoning, answer = self._stream_text()
            try:
                self.store.finish_message(
                    self._stream_message_id,
                    content=answer,
                    reasoning=reasoning,
                    state="interrupted",
                    provenance=self._provenance(TurnStats()),
                )
            except Exception:
                log.exception("saving the interrupted answer failed")
            self._stream_message_id = ""
        self._save_timer.stop()
