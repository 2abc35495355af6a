"""What the chat view shows of the session's turns: the messages and the live answer.

:class:`ChatPresenter` builds the message widgets of the open chat from the store and
applies the session's events to the one live answer widget. The controller feeds it events
in batches (see :func:`coalesced`), so one batch costs one widget update however many
tokens it holds. It follows the session: the reasoning block closes on ``ReasoningEnded``
with the session's seconds, the end state comes from ``TurnEnded``, nothing is decided here.
Its strings keep the ``ChatController`` translation context, where their translations live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.core.chat import TurnStats
from app.core.session import (
    LiveSnapshot,
    ReasoningEnded,
    SessionEvent,
    TextAppended,
    TurnEnded,
    TurnStarted,
)
from app.ui.chat_view import AssistantMessageWidget, ChatView
from app.ui.errors_i18n import error_text
from app.ui.message_meta import provenance_tooltip
from app.ui.vote_view import show_rating_and_vote


def answer_sources(store: Any, message: Any) -> tuple[list[Any], int]:
    """The Library sources an answer cites and what they took of the context: from its
    provenance, or from its question's for an answer that never ended (still streaming, or
    interrupted): the session copies them into the answer's provenance when a turn ends."""
    provenance = getattr(message, "provenance", None) or {}
    parent_id = getattr(message, "parent_id", None)
    unended = getattr(message, "state", "") in ("streaming", "interrupted")
    if unended and not provenance.get("sources") and parent_id:
        try:
            provenance = getattr(store.get_message(parent_id), "provenance", None) or {}
        except Exception:  # the question is gone: the answer simply has no sources
            provenance = {}
    sources = provenance.get("sources")
    tokens = provenance.get("source_tokens")
    return (
        sources if isinstance(sources, list) else [],
        tokens if isinstance(tokens, int) else 0,
    )


class ChatPresenter:
    """The open chat's widgets and the live answer (GUI thread only)."""

    def __init__(
        self, view: ChatView, describe_stats: Callable[[TurnStats, float | None], str]
    ) -> None:
        self.view = view
        #: The stats line under an answer (the controller's, where its translations live).
        self.describe_stats = describe_stats
        self.live: AssistantMessageWidget | None = None
        #: Characters of (reasoning, answer) the live widget already shows.
        self._shown = (0, 0)

    def clear(self) -> None:
        self.view.clear()
        self.live = None

    def rebuild(self, store: Any, conversation_id: str, live: LiveSnapshot | None) -> None:
        """Show the active branch of ``conversation_id``, the live answer included."""
        self.clear()
        if not conversation_id:
            return
        # Built lazily, newest first (ChatView.show_lazily): a long chat opens at once.
        path = store.active_path(conversation_id)
        self.view.show_lazily([(m.id, self._builder(store, m, live)) for m in path])
        self.view.scroll_to_bottom()

    def _builder(self, store: Any, message: Any, live: LiveSnapshot | None) -> Callable[[], None]:
        def build() -> None:
            if message.role == "system":
                self.view.add_notice(message.content)
                return
            siblings = store.siblings(message.id)
            if message.role == "user":
                widget: Any = self.view.add_user_message(message.id, message.content)
            else:
                widget = self.view.add_assistant_message(message.id)
                sources, tokens = answer_sources(store, message)
                widget.set_sources(sources, tokens=tokens)  # before the text: [n] links
                self._fill_answer(widget, message, live)
                show_rating_and_vote(store, widget, message)
            widget.set_branch(siblings.index, siblings.count)

        return build

    def _fill_answer(
        self, widget: AssistantMessageWidget, message: Any, live: LiveSnapshot | None
    ) -> None:
        if live is not None and message.id == live.message_id:
            # The live answer (a chat we came back to, or a turn just started here).
            widget.set_content(
                answer=live.answer,
                reasoning=live.reasoning,
                state="streaming",
                reasoning_seconds=None if live.reasoning_open else live.reasoning_seconds,
            )
            widget.resume_streaming()
            self.view.start_live_updates()
            self.live = widget
            self._shown = (len(live.reasoning), len(live.answer))
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
            widget.meta.setToolTip(provenance_tooltip(provenance))

    def start(self, started: TurnStarted, widget: AssistantMessageWidget) -> None:
        """A turn started in a widget just added for it."""
        self.live = widget
        self._shown = (len(started.prefix_reasoning), len(started.prefix_answer))
        widget.begin_streaming()
        self.view.start_live_updates()
        self.view.scroll_to_bottom()

    def show_text(self, event: TextAppended) -> bool:
        """Append what the live widget lacks; True if something was shown."""
        widget = self.live
        if widget is None or widget.message_id != event.message_id:
            return False
        # The event carries the totals after it, so text a rebuilt view already holds is
        # skipped and nothing is shown twice.
        shown_reasoning, shown_answer = self._shown
        reasoning = _unseen(event.reasoning, event.reasoning_length, shown_reasoning)
        answer = _unseen(event.answer, event.answer_length, shown_answer)
        self._shown = (
            max(shown_reasoning, event.reasoning_length),
            max(shown_answer, event.answer_length),
        )
        if event.reasoning:
            widget.reasoning.set_token_count(event.reasoning_tokens)
        if reasoning or answer:
            widget.append(reasoning, answer)
        return bool(reasoning or answer)

    def close_reasoning(self, event: ReasoningEnded) -> None:
        notes = {
            "budget": QCoreApplication.translate("ChatController", "thinking budget reached"),
            "answer_now": QCoreApplication.translate("ChatController", "answer requested"),
            "loop": QCoreApplication.translate(
                "ChatController",
                "the reasoning was repeating itself, so Hearth asked for the answer",
            ),
        }
        widget = self.live
        if widget is not None and widget.message_id == event.message_id:
            widget.close_reasoning(notes.get(event.reason, ""), seconds=event.seconds)

    def finish(self, event: TurnEnded) -> None:
        """The turn ended: final render, state, stats line and note."""
        self.view.stop_live_updates()
        widget, self.live = self.live, None
        if widget is None or self.view.message(event.message_id) is not widget:
            return
        widget.finish(event.state, self.describe_stats(event.stats, time.time()))
        if event.message is not None:
            widget.meta.setToolTip(provenance_tooltip(event.message.provenance or {}))
        note = end_note(event)
        if note:
            widget.set_note(note)


def end_note(event: TurnEnded) -> str:
    """The sentence under an answer that did not simply finish."""
    if event.state == "stopped":
        return QCoreApplication.translate(
            "ChatController", "Stopped. You can continue or regenerate this answer."
        )
    if event.state == "failed":
        return error_text(event.error)
    if event.state != "length":
        return ""
    stats = event.stats
    if stats.n_ctx and stats.context_used >= stats.n_ctx - 1:
        return QCoreApplication.translate(
            "ChatController",
            "The answer stopped because the context window is full. "
            "Start a new chat or raise the context length in Settings.",
        )
    return QCoreApplication.translate(
        "ChatController", "The answer reached the maximum length set in Settings."
    )


def coalesced(events: list[SessionEvent]) -> list[SessionEvent]:
    """Merge runs of text for the same message: one widget update per batch, not per token."""
    merged: list[SessionEvent] = []
    for event in events:
        last = merged[-1] if merged else None
        if (
            isinstance(event, TextAppended)
            and isinstance(last, TextAppended)
            and last.message_id == event.message_id
        ):
            merged[-1] = replace(
                event, reasoning=last.reasoning + event.reasoning, answer=last.answer + event.answer
            )
        else:
            merged.append(event)
    return merged


def _unseen(delta: str, total_after: int, shown: int) -> str:
    """The tail of ``delta`` past the ``shown`` characters (of ``total_after`` in all)."""
    return delta[max(0, shown - (total_after - len(delta))) :]
