"""Reading conversations and messages: the sidebar list, one chat's tree and branches."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.store.base import (
    _MESSAGE_COLUMNS,
    _SUMMARY_COLUMNS,
    StoreBase,
    _message_from_row,
    _summary_from_row,
)
from app.core.store.values import (
    ConversationSummary,
    Rating,
    Siblings,
    StoredMessage,
    _conversation_missing,
    _load_json,
)


class ChatReads(StoreBase):
    """The read side of :class:`ChatStore`; nothing here changes the database."""

    # --- Conversations ---

    def list_conversations(self) -> list[ConversationSummary]:
        """The sidebar: pinned first, then most recently updated."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE deleted_at IS NULL "
                "ORDER BY pinned DESC, updated DESC"
            ).fetchall()
        return [_summary_from_row(r) for r in rows]

    def conversation_ids(self) -> list[str]:
        """The ids of every conversation in sidebar order (cheaper than the summaries)."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE deleted_at IS NULL "
                "ORDER BY pinned DESC, updated DESC"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def get_conversation(self, conversation_id: str) -> ConversationSummary:
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ? AND deleted_at IS NULL",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        return _summary_from_row(row)

    def conversation_settings(self, conversation_id: str) -> dict[str, Any]:
        """Per-conversation setting overrides (e.g. a system prompt)."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT settings_json FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        return _load_json(row[0])

    def count_conversations(self) -> int:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT count(*) FROM conversations WHERE deleted_at IS NULL"
            ).fetchone()
        return int(row[0])

    def conversation_exists(self, conversation_id: str) -> bool:
        with self._reading() as conn:
            row = conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        return row is not None

    # --- Messages ---

    def get_message(self, message_id: str) -> StoredMessage:
        with self._reading() as conn:
            return self._get_message(conn, message_id)

    def messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of the conversation, every branch, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = ? "
                "ORDER BY m.created, m.seq",
                (conversation_id,),
            ).fetchall()
        return [_message_from_row(r) for r in rows]

    def count_messages(self, conversation_id: str | None = None) -> int:
        """Messages in one conversation (every branch), or in the whole store."""
        with self._reading() as conn:
            if conversation_id is None:
                row = conn.execute("SELECT count(*) FROM messages").fetchone()
            else:
                row = conn.execute(
                    "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()
        return int(row[0])

    def existing_message_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are already used by a message."""
        found: set[str] = set()
        batch: list[str] = []
        with self._reading() as conn:
            for message_id in [*ids, None]:
                if message_id is not None:
                    batch.append(message_id)
                if batch and (message_id is None or len(batch) >= 500):
                    marks = ",".join("?" * len(batch))
                    found.update(
                        str(r[0])
                        for r in conn.execute(
                            f"SELECT id FROM messages WHERE id IN ({marks})", batch
                        )
                    )
                    batch = []
        return found

    # --- Branches ---

    def active_leaf_id(self, conversation_id: str) -> str | None:
        """The last message of the branch shown (the newest message if none was chosen)."""
        with self._reading() as conn:
            return self._active_leaf(conn, conversation_id)

    def active_path(self, conversation_id: str) -> list[StoredMessage]:
        """The messages shown: from the root down to the active leaf."""
        with self._reading() as conn:
            leaf = self._active_leaf(conn, conversation_id)
            if leaf is None:
                return []
            return self._path_to(conn, leaf)

    def path_to(self, message_id: str) -> list[StoredMessage]:
        """The messages from the root down to ``message_id`` (the history for a reply)."""
        with self._reading() as conn:
            return self._path_to(conn, message_id)

    def siblings(self, message_id: str) -> Siblings:
        """The alternatives of a message (same parent), for the ‹ 1/2 › arrows."""
        with self._reading() as conn:
            message = self._get_message(conn, message_id)
            ids = tuple(
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? "
                    "ORDER BY created, seq",
                    (message.conversation_id, message.parent_id),
                )
            )
        return Siblings(index=ids.index(message_id), count=len(ids), ids=ids)

    # --- Ratings ---

    def rating(self, message_id: str) -> Rating | None:
        """The user's rating of an answer, or None."""
        return self.ratings([message_id]).get(message_id)

    def ratings(self, message_ids: Iterable[str]) -> dict[str, Rating]:
        """The ratings of those of ``message_ids`` that are rated."""
        found: dict[str, Rating] = {}
        ids = list(dict.fromkeys(message_ids))
        with self._reading() as conn:
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                marks = ",".join("?" * len(batch))
                for message_id, value, note, updated in conn.execute(
                    f"SELECT message_id, rating, note, updated FROM ratings "
                    f"WHERE message_id IN ({marks})",
                    batch,
                ):
                    found[str(message_id)] = Rating(
                        str(message_id), "good" if value > 0 else "bad", str(note), float(updated)
                    )
        return found
