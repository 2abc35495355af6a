"""The write layer: every change to the chat store goes through this module.

Nothing else in Hearth runs INSERT, UPDATE or DELETE on the store (a test checks that).
Each method is one transaction. Everything written is cleaned and checked against the
limits in :mod:`app.core.store.values` first, so the store never holds a value that the
sidebar, search or an export cannot handle, whoever the caller is.

Front ends do not call these methods directly: they use :class:`app.core.store.ops.ChatOps`
(which also tells listeners what changed), and a chat turn writes through the session.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from app.core.chat import Role
from app.core.errors import StoreError
from app.core.logsetup import debug_content
from app.core.store.base import StoreBase
from app.core.store.provenance import _process_start_time, writer_alive
from app.core.store.recovery import _recovered_conversations, _recovered_rows
from app.core.store.values import (
    FINAL_STATES,
    MAX_ID_CHARS,
    MAX_NOTE_CHARS,
    MAX_TEXT_CHARS,
    MAX_TIMESTAMP,
    MAX_TREE_DEPTH,
    MESSAGE_STATES,
    MIN_TIMESTAMP,
    ROLES,
    ConversationSummary,
    ImportedConversation,
    MessageState,
    StoredMessage,
    _conversation_missing,
    _dump_json,
    _load_json,
    _message_missing,
    auto_title,
    clean_text,
    clean_title,
    new_id,
)

log = logging.getLogger(__name__)

#: Ids written with a conversation from outside (import, recovery): plain and bounded.
_ID_RE = re.compile(rf"[^\x00-\x1f\x7f]{{1,{MAX_ID_CHARS}}}")
#: How the states of schema version 2 map to end states (the same as the v3 migration):
#: a 'complete' or 'interrupted' answer's recorded finish reason decides.
_LEGACY_FINISH = {"length": "length", "context_full": "length", "cancelled": "stopped"}


def normalize_state(state: str, provenance: Mapping[str, Any] | None = None) -> MessageState:
    """``state`` in the one vocabulary: ``streaming`` or an EndState.

    Names from before the end states (``complete``, ``error``; ``interrupted`` for a Stop)
    are translated, so old callers and old export files keep working. Raises ValueError for
    anything else.
    """
    if state in MESSAGE_STATES and state != "interrupted":
        return cast(MessageState, state)
    reason = (provenance or {}).get("finish_reason")
    if state == "complete":
        legacy = _LEGACY_FINISH.get(reason, "finished") if isinstance(reason, str) else "finished"
        return cast(MessageState, legacy)
    if state == "interrupted":
        # v2 saved a user's Stop as interrupted with finish reason "cancelled".
        return "stopped" if reason == "cancelled" else "interrupted"
    if state == "error":
        return "failed"
    raise ValueError(f"unknown message state {state!r}")


def _check_text(text: str, what: str) -> str:
    cleaned = clean_text(text)
    if len(cleaned) > MAX_TEXT_CHARS:
        raise StoreError.of(
            f"store.{what}_too_long", limit=MAX_TEXT_CHARS, detail=f"{len(cleaned)} characters"
        )
    return cleaned


def _check_time(value: float, field: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP
    ):
        raise StoreError.of(
            "store.bad_time",
            field=field,
            detail=f"{field}={value!r}",
        )
    return float(value)


def _check_id(value: str | None, field: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not _ID_RE.fullmatch(value) or clean_text(value) != value:
        raise StoreError.of(
            "store.bad_id",
            field=field,
            detail=f"{field}={value!r:.200}",
        )


class StoreWrites(StoreBase):
    """The write side of :class:`ChatStore`."""

    # --- Conversations ---

    def create_conversation(
        self, title: str = "", *, settings: Mapping[str, Any] | None = None
    ) -> ConversationSummary:
        """A new, empty conversation. An empty title is filled from the first question."""
        now = time.time()
        conversation_id = new_id()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, created, updated, settings_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (conversation_id, clean_title(title), now, now, _dump_json(settings)),
            )
        log.info("conversation %s created", conversation_id)
        return ConversationSummary(conversation_id, clean_title(title), now, now, False, 0)

    def set_conversation_settings(self, conversation_id: str, settings: Mapping[str, Any]) -> None:
        self._update_conversation(
            conversation_id, "settings_json = ?", _dump_json(settings), touch=False
        )

    def rename(self, conversation_id: str, title: str) -> None:
        self._update_conversation(conversation_id, "title = ?", clean_title(title), touch=False)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._update_conversation(conversation_id, "pinned = ?", int(pinned), touch=False)

    def delete_conversation(self, conversation_id: str) -> None:
        """Hide a conversation; :meth:`restore_conversation` undoes it until it is purged."""
        self._update_conversation(conversation_id, "deleted_at = ?", time.time(), touch=False)
        log.info("conversation %s deleted", conversation_id)

    def restore_conversation(self, conversation_id: str) -> None:
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET deleted_at = NULL WHERE id = ?", (conversation_id,)
            )
            if cursor.rowcount == 0:
                raise _conversation_missing(conversation_id)

    def purge_deleted(self, *, older_than_s: float = 0.0) -> int:
        """Erase deleted conversations for good (all of them by default); returns how many."""
        if self.read_only:
            return 0
        cutoff = time.time() - older_than_s
        with self._transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                (cutoff,),
            )
            purged = cursor.rowcount
        if purged:
            log.info("purged %d deleted conversations", purged)
        return purged

    # --- Messages ---

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
        """Append a message under ``parent_id`` (``None``: a new root) and show its branch.

        A ``streaming`` message records this process as its writer; the first user
        message of an untitled conversation gives the conversation its title.
        """
        with self._transaction() as conn:
            message = self._insert_message(
                conn, conversation_id, parent_id, role, content, reasoning, state, provenance
            )
        return message

    def start_turn(
        self,
        conversation_id: str,
        parent_id: str | None,
        prompt: str,
        *,
        provenance: Mapping[str, Any] | None = None,
    ) -> tuple[StoredMessage, StoredMessage]:
        """The user's message and an empty streaming answer under it, in one transaction.

        ``provenance`` of the question records what came with it (attached files, the
        knowledge sources used); see :mod:`app.core.knowledge.context`.
        """
        with self._transaction() as conn:
            question = self._insert_message(
                conn, conversation_id, parent_id, "user", prompt, "", "finished", provenance
            )
            answer = self._insert_message(
                conn, conversation_id, question.id, "assistant", "", "", "streaming", None
            )
        return question, answer

    def save_streaming(self, message_id: str, content: str, reasoning: str) -> bool:
        """Save the text streamed so far; cheap (no re-indexing). False if not streaming.

        Call it at most about once a second while an answer streams.
        """
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET content = ?, reasoning = ?, updated = ? "
                "WHERE id = ? AND state = 'streaming'",
                (
                    _check_text(content, "answer"),
                    _check_text(reasoning, "reasoning"),
                    time.time(),
                    message_id,
                ),
            )
        return cursor.rowcount > 0

    def resume_streaming(self, message_id: str) -> StoredMessage:
        """Make an interrupted (or finished) answer stream again, e.g. for *Continue*."""
        started = _process_start_time()
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET state = 'streaming', writer_pid = ?, writer_started = ?, "
                "updated = ? WHERE id = ? AND role = 'assistant'",
                (os.getpid(), started, time.time(), message_id),
            )
            if cursor.rowcount == 0:
                raise _message_missing(message_id)
            return self._get_message(conn, message_id)

    def finish_message(
        self,
        message_id: str,
        *,
        content: str,
        reasoning: str,
        state: MessageState = "finished",
        provenance: Mapping[str, Any] | None = None,
    ) -> StoredMessage:
        """Store the final text, end state and provenance of an answer.

        ``state`` is an EndState of ``app.core.chat`` (finished, stopped, length, failed,
        interrupted); the names of old callers (complete, error) are translated.
        """
        state = normalize_state(state, provenance)
        if state not in FINAL_STATES:
            raise ValueError(f"finish_message needs an end state, not {state!r}")
        now = time.time()
        with self._transaction() as conn:
            params: list[Any] = [
                _check_text(content, "answer"),
                _check_text(reasoning, "reasoning"),
                state,
                now,
            ]
            sql = (
                "UPDATE messages SET content = ?, reasoning = ?, state = ?, updated = ?, "
                "writer_pid = NULL, writer_started = NULL"
            )
            if provenance is not None:
                sql += ", provenance_json = ?"
                params.append(_dump_json(provenance))
            cursor = conn.execute(sql + " WHERE id = ?", (*params, message_id))
            if cursor.rowcount == 0:
                raise _message_missing(message_id)
            message = self._get_message(conn, message_id)
            conn.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?",
                (now, message.conversation_id),
            )
        log.info(
            "message %s finished (%s, %d+%d chars)",
            message_id,
            state,
            len(message.content),
            len(message.reasoning),
        )
        return message

    def delete_message(self, message_id: str) -> int:
        """Delete a message and every reply under it; returns how many were deleted."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            cursor = conn.execute(
                "DELETE FROM messages WHERE id IN (WITH RECURSIVE sub(id, depth) AS ("
                "SELECT ?, 0 UNION ALL SELECT m.id, sub.depth + 1 FROM messages m "
                "JOIN sub ON m.parent_id = sub.id WHERE sub.depth < ?) SELECT id FROM sub)",
                (message_id, MAX_TREE_DEPTH),
            )
            deleted = cursor.rowcount
            leaf = self._stored_leaf(conn, message.conversation_id)
            if leaf is None or not self._message_exists(conn, leaf):
                # The shown branch went away: show the alternative beside it instead.
                anchor = message.parent_id
                new_leaf = (
                    self._newest_under(conn, anchor)
                    if anchor is not None
                    else self._newest_in(conn, message.conversation_id)
                )
                conn.execute(
                    "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                    (new_leaf, message.conversation_id),
                )
        log.info("deleted %d messages from %s", deleted, message.conversation_id)
        return deleted

    def set_rating(self, message_id: str, value: str | None, note: str = "") -> None:
        """Rate an answer "good" or "bad" with an optional note; ``None`` clears the rating."""
        if value is None:
            with self._transaction() as conn:
                conn.execute("DELETE FROM ratings WHERE message_id = ?", (message_id,))
            return
        if value not in ("good", "bad"):
            raise ValueError(f"a rating is good or bad, not {value!r}")
        cleaned = clean_text(note).strip()
        if len(cleaned) > MAX_NOTE_CHARS:
            raise StoreError.of(
                "store.note_too_long",
                limit=MAX_NOTE_CHARS,
                detail=f"{len(cleaned)} characters",
            )
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)  # raises NotFoundError
            if message.role != "assistant":
                raise ValueError("only answers are rated")
            conn.execute(
                "INSERT INTO ratings (message_id, rating, note, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(message_id) DO UPDATE SET rating = excluded.rating, "
                "note = excluded.note, updated = excluded.updated",
                (message_id, 1 if value == "good" else -1, cleaned, time.time()),
            )

    # --- Branches ---

    def set_active_leaf(self, conversation_id: str, message_id: str) -> None:
        """Show the branch ending at ``message_id``."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            if message.conversation_id != conversation_id:
                raise _message_missing(message_id)
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                (message_id, conversation_id),
            )

    def switch_branch(self, message_id: str) -> list[StoredMessage]:
        """Show the branch through ``message_id`` (its newest leaf); returns the new path."""
        with self._transaction() as conn:
            message = self._get_message(conn, message_id)
            leaf = self._newest_under(conn, message_id) or message_id
            conn.execute(
                "UPDATE conversations SET active_leaf_id = ? WHERE id = ?",
                (leaf, message.conversation_id),
            )
            return self._path_to(conn, leaf)

    # --- Whole conversations (import, recovery) ---

    def insert_conversation(self, conversation: ImportedConversation) -> None:
        """Insert a whole conversation keeping its ids and timestamps (import, recovery).

        Raises :class:`StoreError` if an id is already taken; nothing is written then.
        """
        with self._transaction() as conn:
            self._insert_conversation(conn, conversation)

    # --- Internals ---

    def _update_conversation(
        self, conversation_id: str, assignment: str, value: Any, *, touch: bool = True
    ) -> None:
        with self._transaction() as conn:
            if touch:
                sql = f"UPDATE conversations SET {assignment}, updated = ? WHERE id = ?"
                params: tuple[Any, ...] = (value, time.time(), conversation_id)
            else:
                sql = f"UPDATE conversations SET {assignment} WHERE id = ?"
                params = (value, conversation_id)
            if conn.execute(sql, params).rowcount == 0:
                raise _conversation_missing(conversation_id)

    def _insert_message(
        self,
        conn: sqlite3.Connection,
        conversation_id: str,
        parent_id: str | None,
        role: Role,
        content: str,
        reasoning: str,
        state: MessageState,
        provenance: Mapping[str, Any] | None,
    ) -> StoredMessage:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        state = normalize_state(state, provenance)
        row = conn.execute(
            "SELECT title FROM conversations WHERE id = ? AND deleted_at IS NULL",
            (conversation_id,),
        ).fetchone()
        if row is None:
            raise _conversation_missing(conversation_id)
        if parent_id is not None:
            parent = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
            ).fetchone()
            if parent is None or parent[0] != conversation_id:
                raise _message_missing(parent_id)
        content = _check_text(content, "message")
        reasoning = _check_text(reasoning, "reasoning")
        now = time.time()
        message_id = new_id()
        writer = (os.getpid(), _process_start_time()) if state == "streaming" else (None, None)
        provenance_json = _dump_json(provenance)
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
            "state, created, updated, provenance_json, writer_pid, writer_started) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                conversation_id,
                parent_id,
                role,
                content,
                reasoning,
                state,
                now,
                now,
                provenance_json,
                *writer,
            ),
        )
        title = row[0]
        if not title and role == "user":
            title = auto_title(content)
        conn.execute(
            "UPDATE conversations SET updated = ?, active_leaf_id = ?, title = ? WHERE id = ?",
            (now, message_id, title, conversation_id),
        )
        debug_content("message %s text: %r", message_id, content[:200])
        return StoredMessage(
            id=message_id,
            conversation_id=conversation_id,
            parent_id=parent_id,
            role=role,
            content=content,
            reasoning=reasoning,
            state=state,
            created=now,
            updated=now,
            provenance=_load_json(provenance_json),
        )

    def _insert_conversation(
        self, conn: sqlite3.Connection, conversation: ImportedConversation
    ) -> None:
        header, rows = _checked_rows(conversation)
        try:
            conn.execute(
                "INSERT INTO conversations (id, title, created, updated, pinned, settings_json, "
                "active_leaf_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                header,
            )
            conn.executemany(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
                "state, created, updated, provenance_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        except sqlite3.IntegrityError as exc:
            raise StoreError.of(
                "store.id_in_use",
                title=clean_title(conversation.title),
                detail=repr(exc),
            ) from exc

    def _mark_dead_streams(self) -> int:
        """Mark answers whose writer died as interrupted; returns how many."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, writer_pid, writer_started FROM messages WHERE state = 'streaming'"
            ).fetchall()
        dead = [str(r[0]) for r in rows if not writer_alive(r[1], r[2])]
        if not dead:
            return 0
        now = time.time()
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE messages SET state = 'interrupted', writer_pid = NULL, "
                "writer_started = NULL, updated = ? WHERE id = ? AND state = 'streaming'",
                [(now, message_id) for message_id in dead],
            )
        log.info("marked %d answers from ended processes as interrupted", len(dead))
        return len(dead)

    def _restore_from(self, damaged: Path) -> tuple[int, int]:
        """Copy what can be read from ``damaged`` into this (fresh) store."""
        try:
            conversations, messages = _recovered_rows(damaged)
        except OSError as exc:
            log.error("chat store: recovery from %s failed: %r", damaged, exc)
            return 0, 0
        restored_conversations = restored_messages = 0
        for conversation in _recovered_conversations(conversations, messages):
            try:
                self.insert_conversation(conversation)
            except StoreError as exc:
                log.warning("chat store: skipped a recovered conversation: %s", exc.detail)
                continue
            restored_conversations += 1
            restored_messages += len(conversation.messages)
        log.info(
            "recovered %d conversations, %d messages from %s",
            restored_conversations,
            restored_messages,
            damaged,
        )
        return restored_conversations, restored_messages


def _checked_rows(
    conversation: ImportedConversation,
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The rows of a whole conversation, cleaned and checked; StoreError names a bad field."""
    _check_id(conversation.id, "id")
    _check_id(conversation.active_leaf_id, "active_leaf", optional=True)
    ids = {m.id for m in conversation.messages}
    if len(ids) != len(conversation.messages):
        raise StoreError.of("store.duplicate_message_id")
    _check_acyclic({m.id: m.parent_id for m in conversation.messages})
    leaf = conversation.active_leaf_id if conversation.active_leaf_id in ids else None
    header = (
        conversation.id,
        clean_title(conversation.title),
        _check_time(conversation.created, "created"),
        _check_time(conversation.updated, "updated"),
        int(bool(conversation.pinned)),
        _dump_json(conversation.settings),
        leaf,
    )
    rows: list[tuple[Any, ...]] = []
    for index, m in enumerate(conversation.messages):
        field = f"messages[{index}]"
        _check_id(m.id, f"{field}.id")
        _check_id(m.parent_id, f"{field}.parent", optional=True)
        if m.parent_id is not None and m.parent_id not in ids:
            raise StoreError.of(
                "store.orphan_message",
                field=field,
                detail=f"parent {m.parent_id!r:.200}",
            )
        if m.role not in ROLES:
            raise StoreError.of("store.bad_role", field=field)
        try:
            state = normalize_state(m.state, m.provenance)
        except ValueError as exc:
            raise StoreError.of("store.bad_state", field=field) from exc
        rows.append(
            (
                m.id,
                conversation.id,
                m.parent_id,
                m.role,
                _check_text(m.content, "message"),
                _check_text(m.reasoning, "reasoning"),
                # Nothing streams into an imported or recovered answer any more.
                "interrupted" if state == "streaming" else state,
                _check_time(m.created, f"{field}.created"),
                _check_time(m.updated, f"{field}.updated"),
                _dump_json(m.provenance),
            )
        )
    return header, rows


def _check_acyclic(parents: Mapping[str, str | None]) -> None:
    """Refuse a message tree with a cycle: the tree queries would walk it to their limit."""
    settled: set[str] = set()
    for start in parents:
        trail: list[str] = []
        on_trail: set[str] = set()
        current: str | None = start
        while current is not None and current not in settled:
            if current in on_trail:
                raise StoreError.of("store.message_cycle")
            trail.append(current)
            on_trail.add(current)
            current = parents.get(current)
        settled.update(trail)
