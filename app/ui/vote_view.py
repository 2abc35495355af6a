"""Ask ×N in the window: the tally widget shown above the answers, and the Qt adapter
that runs a :class:`~app.core.vote_turn.VoteTurn` and brings its events to the GUI thread.

While the samples run, the tally widget shows each sample's progress; when they end, the
chat is rebuilt and the winning branch shows the tally ("3 of 4 say 42") above its answer,
read back from the winner's provenance. ‹1/4› switches between the samples.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.core.chat import TurnStats
from app.core.errors import HearthError
from app.core.session import TurnOptions
from app.core.vote_turn import (
    DEFAULT_VOTES,
    SampleEnded,
    SampleText,
    VoteEnded,
    VoteEvent,
    VoteStarted,
    VoteTurn,
    tally_from_provenance,
)

log = logging.getLogger(__name__)


class VoteView(QFrame):
    """The tally of one vote: live per-sample progress, then "3 of 4 say 42"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voteView")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        self.headline = QLabel(self)
        self.headline.setObjectName("voteHeadline")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        self.details = QLabel(self)
        self.details.setObjectName("voteDetails")
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.details.setWordWrap(True)
        layout.addWidget(self.headline)
        layout.addWidget(self.details)
        self.setAccessibleName(self.tr("Majority vote"))
        self._chars: list[int] = []
        self._states: list[str] = []

    # --- live ---

    def start(self, samples: int) -> None:
        self._chars = [0] * samples
        self._states = [""] * samples
        self.headline.setText(self.tr("Asking %n sample(s)…", "", samples))
        self._show_progress()

    def sample_text(self, index: int, characters: int) -> None:
        if 0 <= index < len(self._chars):
            self._chars[index] += characters
            self._show_progress()

    def sample_ended(self, index: int, state: str) -> None:
        if 0 <= index < len(self._states):
            self._states[index] = state
            self._show_progress()

    def _show_progress(self) -> None:
        parts = []
        for index, (chars, state) in enumerate(zip(self._chars, self._states, strict=True)):
            status = (
                self._state_name(state)
                if state
                else self.tr("%1 characters").replace("%1", str(chars))
            )
            parts.append(
                self.tr("Sample %1: %2").replace("%1", str(index + 1)).replace("%2", status)
            )
        self.details.setText("\n".join(parts))

    def _state_name(self, state: str) -> str:
        names = {
            "finished": self.tr("done"),
            "length": self.tr("out of budget (no answer)"),
            "stopped": self.tr("stopped"),
            "failed": self.tr("failed"),
            "interrupted": self.tr("interrupted"),
        }
        return names.get(state, state)

    # --- result ---

    def show_result(self, record: Mapping[str, Any]) -> None:
        """Show a stored vote (``tally_record`` in the winner's provenance)."""
        samples = int(record.get("samples", 0) or 0)
        votes = int(record.get("winner_votes", 0) or 0)
        winner = str(record.get("winner") or "")
        no_answer = int(record.get("no_answer", 0) or 0)
        if winner:
            self.headline.setText(
                self.tr("%1 of %2 say %3")
                .replace("%1", str(votes))
                .replace("%2", str(samples))
                .replace("%3", winner)
            )
        else:
            self.headline.setText(
                self.tr("None of %1 samples gave an answer").replace("%1", str(samples))
            )
        lines = []
        groups = record.get("groups")
        if isinstance(groups, list):
            for group in groups[1:6]:
                if isinstance(group, dict):
                    lines.append(
                        self.tr("%1 say %2")
                        .replace("%1", str(group.get("votes", 0)))
                        .replace("%2", str(group.get("answer", "")))
                    )
        if no_answer:
            lines.append(self.tr("No answer: %1").replace("%1", str(no_answer)))
        lines.append(self.tr("‹ › shows each sample with its reasoning."))
        self.details.setText("\n".join(lines))


def vote_record_for(store: Any, message: Any) -> Mapping[str, Any] | None:
    """The vote an answer took part in: its own record (the winner's), or the winner's
    among its siblings; None for an answer that was not part of a vote."""
    provenance = getattr(message, "provenance", None) or {}
    own = tally_from_provenance(provenance)
    if own is not None:
        return own
    if "vote_sample" not in provenance:
        return None
    try:
        for sibling_id in store.siblings(message.id).ids:
            if sibling_id != message.id:
                record = tally_from_provenance(store.get_message(sibling_id).provenance or {})
                if record is not None and message.id in record.get("message_ids", []):
                    return record
    except Exception:  # a deleted sibling: no tally to show, not an error to show
        log.debug("vote record lookup failed", exc_info=True)
    return None


def attach_tally(widget: Any, record: Mapping[str, Any]) -> VoteView:
    """Put the tally above an answer widget's text."""
    view = VoteView(widget)
    view.show_result(record)
    widget.layout_.insertWidget(0, view)
    return view


def show_rating_and_vote(store: Any, widget: Any, message: Any) -> None:
    """Show a stored answer's rating, and the tally above it when it was part of a vote."""
    ratings = getattr(store, "ratings", None)
    if callable(ratings):
        rating = ratings([message.id]).get(message.id)
        if rating is not None:
            widget.set_rating(rating.value, rating.note)
    record = vote_record_for(store, message)
    if record is not None:
        attach_tally(widget, record)


class VoteRunner(QObject):
    """Runs one vote; its events, emitted on the host thread, arrive here on the GUI thread."""

    started = Signal(object)  # VoteStarted
    sample_text = Signal(int, int)  # sample index, characters added
    sample_ended = Signal(int, str)  # sample index, end state
    finished = Signal(object)  # VoteEnded
    _arrived = Signal(object)  # from the host thread (a queued connection)

    def __init__(
        self,
        store: Any,
        host: Any,
        *,
        conversation_id: str,
        options: TurnOptions,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._arrived.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self.turn = VoteTurn(
            store,
            host,
            conversation_id=conversation_id,
            options=options,
            listener=self._arrived.emit,
        )

    @property
    def running(self) -> bool:
        return self.turn.running

    def start(self, text: str, n: int = DEFAULT_VOTES) -> VoteStarted:
        return self.turn.start(text, n)

    def stop(self) -> None:
        self.turn.stop()

    def answer_now(self) -> None:
        self.turn.answer_now()

    def _on_event(self, event: VoteEvent) -> None:
        if isinstance(event, VoteStarted):
            self.started.emit(event)
        elif isinstance(event, SampleText):
            self.sample_text.emit(event.index, len(event.reasoning) + len(event.answer))
        elif isinstance(event, SampleEnded):
            self.sample_ended.emit(event.index, event.state)
        elif isinstance(event, VoteEnded):
            self.finished.emit(event)


class ChatVotes(QObject):
    """Ask ×N and ratings for the chat controller (kept here so the controller stays an
    adapter of the session). Uses the controller's store, host, view and signals."""

    def __init__(self, controller: Any) -> None:
        super().__init__(controller)
        self.controller = controller
        self.runner: VoteRunner | None = None
        self.live: VoteView | None = None
        self._had_chat = False
        #: Asks the user for a rating note (None: cancelled); tests replace it.
        self.ask_note = self._ask_note_dialog
        view = controller.view
        view.rate_requested.connect(self.rate)
        view.note_requested.connect(self.edit_note)

    @property
    def running(self) -> bool:
        return self.runner is not None

    # --- Ask ×N ---

    def ask(self, text: str, n: int = DEFAULT_VOTES) -> bool:
        """Ask ``text`` ``n`` times and vote; False if it could not start."""
        controller = self.controller
        if not text.strip():
            return False
        if controller.is_generating:
            controller.error.emit(
                self.tr("Hearth is still answering. Wait for it or press Stop, then ask again.")
            )
            return False
        conversation_id = controller.conversation_id
        runner = VoteRunner(
            controller.ops,
            controller.client.host,
            conversation_id=conversation_id,
            options=controller._options(conversation_id),
            parent=self,
        )
        runner.started.connect(self._started)
        runner.sample_text.connect(self._sample_text)
        runner.sample_ended.connect(self._sample_ended)
        runner.finished.connect(self._finished)
        self._had_chat = bool(conversation_id)
        self.runner = runner
        try:
            runner.start(text, n)
        except HearthError as exc:
            self.runner = None
            runner.deleteLater()
            controller.error.emit(str(exc))
            return False
        controller.generation_started.emit()
        return True

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def answer_now(self) -> None:
        if self.runner is not None:
            self.runner.answer_now()

    def _started(self, event: VoteStarted) -> None:
        controller = self.controller
        controller.conversation_id = event.conversation_id
        if not self._had_chat:
            controller.conversation_changed.emit(event.conversation_id)
        controller._rebuild_view()  # the newest messages are built at once
        widget = controller.view.message(event.message_ids[-1])
        if widget is not None:
            self.live = VoteView(widget)
            self.live.start(len(event.message_ids))
            widget.layout_.insertWidget(0, self.live)
        controller.conversations_changed.emit()

    def _sample_text(self, index: int, characters: int) -> None:
        if self.live is not None:
            self.live.sample_text(index, characters)

    def _sample_ended(self, index: int, state: str) -> None:
        if self.live is not None:
            self.live.sample_ended(index, state)

    def _finished(self, event: VoteEnded) -> None:
        controller = self.controller
        runner, self.runner, self.live = self.runner, None, None
        if runner is not None:
            runner.deleteLater()
        if controller.conversation_id == event.conversation_id:
            controller._rebuild_view()
        state = "finished" if "finished" in event.states else event.states[0]
        controller.generation_finished.emit(state, TurnStats())
        if event.error:
            controller.error.emit(event.error)
        controller.conversations_changed.emit()

    # --- ratings ---

    def rate(self, message_id: str, value: str) -> None:
        """Thumbs up/down (or "" to clear), stored through the write layer."""
        widget = self.controller.view.message(message_id)
        note = getattr(widget, "rating_note", "") if value else ""
        try:
            self.controller.ops.set_rating(message_id, value or None, note)
        except HearthError as exc:
            self.controller.error.emit(str(exc))
            value, note = getattr(widget, "rating", ""), getattr(widget, "rating_note", "")
        if widget is not None and hasattr(widget, "set_rating"):
            widget.set_rating(value, note)

    def edit_note(self, message_id: str) -> None:
        widget = self.controller.view.message(message_id)
        if widget is None or not getattr(widget, "rating", ""):
            return
        note = self.ask_note(widget.rating_note)
        if note is None:
            return
        try:
            self.controller.ops.set_rating(message_id, widget.rating, note)
        except HearthError as exc:
            self.controller.error.emit(str(exc))
            return
        widget.set_rating(widget.rating, note.strip())

    def _ask_note_dialog(self, current: str) -> str | None:
        from PySide6.QtWidgets import QInputDialog

        text, accepted = QInputDialog.getMultiLineText(
            self.controller.view,
            self.tr("Rating note"),
            self.tr("A note on this answer (searchable, and exported with the dataset):"),
            current,
        )
        return text if accepted else None
