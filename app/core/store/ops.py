"""ChatOps: the one way front ends (window, CLI, API) and the session change the store.

Like Anki's collection operations: each method is one change through the write layer
(:mod:`app.core.store.writes`), and afterwards every listener hears a small
:class:`StoreChange` saying what changed. So the sidebar, an open chat and the API all see
a rename, a deletion or an import, whoever made it, without each caller refreshing the
others by hand.

Reading stays on the :class:`ChatStore` (``ops.store``); a few reads a session needs are
forwarded so that ChatOps can stand wherever a session expects its store. Listeners are
called on the thread that made the change (the thread that owns the store) and must be
quick; a Qt front end posts to its own thread if it needs to.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.chat import Role
from app.core.store.chatstore import ChatStore
from app.core.store.exchange import ConflictPolicy, ImportResult, import_data, read_export
from app.core.store.values import ConversationSummary, MessageState, StoredMessage

log = logging.getLogger(__name__)

ChangeKind = Literal[
    "created",
    "renamed",
    "pinned",
    "deleted",
    "restored",
    "settings",
    "messages",
    "streaming",
    "branch",
    "imported",
]


@dataclass(frozen=True, slots=True)
class StoreChange:
    """What one operation changed: its kind and the conversations it touched."""

    kind: ChangeKind
    conversation_ids: tuple[str, ...]


Listener = Callable[[StoreChange], None]

_shared: weakref.WeakKeyDictionary[ChatStore, ChatOps] = weakref.WeakKeyDictionary()


class ChatOps:
    """Every change to the chat store, with change notifications."""

    def __init__(self, store: ChatStore) -> None:
        self.store = store
        self._listeners: list[Listener] = []

    @classmethod
    def for_store(cls, store: ChatStore) -> ChatOps:
        """The one ChatOps of ``store``, so that every front end shares its listeners."""
        ops = _shared.get(store)
        if ops is None:
            ops = _shared[store] = cls(store)
        return ops

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Hear every change from now on; returns a function that stops it."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def _changed(self, kind: ChangeKind, *conversation_ids: str) -> None:
        change = StoreChange(kind, tuple(conversation_ids))
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                # A broken listener must not undo or hide a change that is already saved.
                log.exception("a store change listener failed on %s", change)

    # --- Conversations ---

    def create_conversation(
        self, title: str = "", *, settings: Mapping[str, Any] | None = None
    ) -> ConversationSummary:
        summary = self.store.create_conversation(title, settings=settings)
        self._changed("created", summary.id)
        return summary

    def rename(self, conversation_id: str, title: str) -> None:
        self.store.rename(conversation_id, title)
        self._changed("renamed", conversation_id)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self.store.set_pinned(conversation_id, pinned)
        self._changed("pinned", conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Hide a conversation; :meth:`restore_conversation` undoes it for a while."""
        self.store.delete_conversation(conversation_id)
        self._changed("deleted", conversation_id)

    def restore_conversation(self, conversation_id: str) -> None:
        self.store.restore_conversation(conversation_id)
        self._changed("restored", conversation_id)

    def set_conversation_settings(self, conversation_id: str, settings: Mapping[str, Any]) -> None:
        self.store.set_conversation_settings(conversation_id, settings)
        self._changed("settings", conversation_id)

    # --- Messages (a chat turn; the session calls these) ---

    def add_message(
        self,
        conversation_id: str,
        parent_id: str | None,
        role: Role,
        content: str,
        reasoning: str = "",
        state: MessageState = "finished",
        provenance: Mapping[str, Any] | None = None,
    ) -> StoredMessage:
        message = self.store.add_message(
            conversation_id, parent_id, role, content, reasoning, state, provenance
        )
        self._changed("messages", conversation_id)
        return message

    def start_turn(
        self,
        conversation_id: str,
        parent_id: str | None,
        prompt: str,
        *,
        provenance: Mapping[str, Any] | None = None,
    ) -> tuple[StoredMessage, StoredMessage]:
        question, answer = self.store.start_turn(
            conversation_id, parent_id, prompt, provenance=provenance
        )
        self._changed("messages", conversation_id)
        return question, answer

    def save_streaming(self, message_id: str, content: str, reasoning: str) -> bool:
        saved = self.store.save_streaming(message_id, content, reasoning)
        if saved and self._listeners:
            self._changed("streaming", self.store.get_message(message_id).conversation_id)
        return saved

    def resume_streaming(self, message_id: str) -> StoredMessage:
        message = self.store.resume_streaming(message_id)
        self._changed("messages", message.conversation_id)
        return message

    def finish_message(
        self,
        message_id: str,
        *,
        content: str,
        reasoning: str,
        state: MessageState = "finished",
        provenance: Mapping[str, Any] | None = None,
    ) -> StoredMessage:
        message = self.store.finish_message(
            message_id, content=content, reasoning=reasoning, state=state, provenance=provenance
        )
        self._changed("messages", message.conversation_id)
        return message

    def delete_message(self, message_id: str) -> int:
        conversation_id = self.store.get_message(message_id).conversation_id
        deleted = self.store.delete_message(message_id)
        self._changed("messages", conversation_id)
        return deleted

    def set_rating(self, message_id: str, value: str | None, note: str = "") -> None:
        """Rate an answer "good" or "bad" with an optional note; ``None`` clears it."""
        self.store.set_rating(message_id, value, note)
        self._changed("messages", self.store.get_message(message_id).conversation_id)

    # --- Branches ---

    def set_active_leaf(self, conversation_id: str, message_id: str) -> None:
        self.store.set_active_leaf(conversation_id, message_id)
        self._changed("branch", conversation_id)

    def switch_branch(self, message_id: str) -> list[StoredMessage]:
        path = self.store.switch_branch(message_id)
        if path:
            self._changed("branch", path[-1].conversation_id)
        return path

    # --- Import ---

    def import_file(
        self,
        path: Path,
        *,
        on_conflict: ConflictPolicy = "skip",
        cancel: CancelToken | None = None,
        progress: ProgressCallback = no_progress,
    ) -> ImportResult:
        """Import a JSON export (see :func:`app.core.store.exchange.import_file`)."""
        return self.import_data(
            read_export(path), on_conflict=on_conflict, cancel=cancel, progress=progress
        )

    def import_data(
        self,
        data: Any,
        *,
        on_conflict: ConflictPolicy = "skip",
        cancel: CancelToken | None = None,
        progress: ProgressCallback = no_progress,
    ) -> ImportResult:
        result = import_data(
            self.store, data, on_conflict=on_conflict, cancel=cancel, progress=progress
        )
        if result.conversation_ids:
            self._changed("imported", *result.conversation_ids)
        return result

    # --- Reads a session needs (so ChatOps can stand in for its store) ---

    def get_conversation(self, conversation_id: str) -> ConversationSummary:
        return self.store.get_conversation(conversation_id)

    def get_message(self, message_id: str) -> StoredMessage:
        return self.store.get_message(message_id)

    def active_path(self, conversation_id: str) -> list[StoredMessage]:
        return self.store.active_path(conversation_id)

    def path_to(self, message_id: str) -> list[StoredMessage]:
        return self.store.path_to(message_id)
