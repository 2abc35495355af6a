"""The store's values, limits and small text helpers (no SQL here)."""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from app.core.chat import END_STATES, EndState, Role
from app.core.errors import StoreError

#: A message is ``streaming`` while its answer is written, then one of the end states of
#: ``app.core.chat`` (finished, stopped, length, failed, interrupted), unchanged.
MessageState = Literal["streaming", "finished", "stopped", "length", "failed", "interrupted"]
MESSAGE_STATES: tuple[str, ...] = get_args(MessageState)
#: The states a finished (no longer streaming) message can have: exactly the EndStates.
FINAL_STATES: tuple[EndState, ...] = END_STATES
ROLES: tuple[str, ...] = get_args(Role)

#: Auto-titles keep the first line of the first question, cut to this many characters.
TITLE_LENGTH = 40
#: Soft-deleted conversations (kept for Undo) older than this are purged on open.
PURGE_AFTER_S = 600.0
#: Guards recursive queries against a cycle in damaged or hostile data.
MAX_TREE_DEPTH = 100_000

# Limits on what the store holds. Everything written is checked against them, so a crafted
# import (or a bug) cannot leave a row that the sidebar, search or an export cannot handle.
#: Timestamps are unix seconds from 1970 up to the end of year 9999 (what ``datetime`` shows).
MIN_TIMESTAMP = 0.0
MAX_TIMESTAMP = 253_402_300_799.0
#: A title longer than this is cut (titles are one line in the sidebar).
MAX_TITLE_CHARS = 500
#: A message's answer or reasoning (each); a 1 MB one-line answer is a known real case.
MAX_TEXT_CHARS = 8_000_000
#: Settings and provenance are small JSON objects.
MAX_JSON_CHARS = 256 * 1024
MAX_JSON_DEPTH = 16
#: Ids are UUIDs when Hearth makes them; other tools' ids must be short and plain.
MAX_ID_CHARS = 128


class StoreCorruptError(StoreError):
    """The database file is damaged; reopening the store repairs it."""


class NewerStoreError(StoreError):
    """The database was written by a newer Hearth; it can only be opened read-only."""


class NotFoundError(StoreError):
    """A conversation or message id does not exist (any more)."""


# --- Values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the sidebar."""

    id: str
    title: str
    created: float
    updated: float
    pinned: bool
    message_count: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: str
    conversation_id: str
    #: ``None`` for the first message of a conversation (a root).
    parent_id: str | None
    role: Role
    #: The answer text (for users: the question).
    content: str
    reasoning: str
    state: MessageState
    created: float
    updated: float
    #: Model, sampling settings, seed and stats; see :func:`build_provenance`.
    provenance: Mapping[str, Any] = field(default_factory=dict, hash=False)


RatingValue = Literal["good", "bad"]
#: A rating note is a remark, not a document.
MAX_NOTE_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Rating:
    """The user's verdict on an answer: thumbs up ("good") or down ("bad"), and a note."""

    message_id: str
    value: RatingValue
    note: str
    updated: float


@dataclass(frozen=True, slots=True)
class Siblings:
    """Where a message sits among the alternatives with the same parent (for ‹ 1/2 ›)."""

    #: 0-based position of the message; show ``index + 1``.
    index: int
    count: int
    #: All alternatives, oldest first.
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: str
    conversation_title: str
    #: ``None`` when the conversation's title matched.
    message_id: str | None
    role: Role | None
    #: Plain text around the first match; "…" marks a cut.
    snippet: str
    #: ``(start, end)`` of every match inside ``snippet``.
    spans: tuple[tuple[int, int], ...]
    #: True when the match is in the reasoning rather than the answer.
    in_reasoning: bool
    created: float

    def marked(self, open_mark: str = "«", close_mark: str = "»") -> str:
        """The snippet with each match wrapped in ``open_mark`` … ``close_mark``."""
        parts: list[str] = []
        position = 0
        for start, end in self.spans:
            parts += [self.snippet[position:start], open_mark, self.snippet[start:end], close_mark]
            position = end
        parts.append(self.snippet[position:])
        return "".join(parts)


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What opening the store found and repaired."""

    #: Where a damaged database was moved (kept, never deleted); ``None`` if it was fine.
    recovered_from: Path | None = None
    recovered_conversations: int = 0
    recovered_messages: int = 0
    #: Answers left streaming by a process that is gone, now marked ``interrupted``.
    interrupted_marked: int = 0
    #: A sentence for the user, empty when there is nothing to say.
    message: str = ""


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    """A whole conversation with its ids and timestamps, for import and recovery."""

    id: str
    title: str
    created: float
    updated: float
    pinned: bool
    settings: Mapping[str, Any]
    messages: Sequence[StoredMessage]
    active_leaf_id: str | None = None


# --- Small helpers ---------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text the store can hold, search and export.

    Lone surrogates (e.g. from a clipboard) become U+FFFD; a surrogate *pair* split into two
    code units is joined into the real character. NUL becomes U+FFFD too: SQLite's text
    functions and the FTS5 query parser stop at a NUL, so text after it could never be found.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text


def clean_title(title: str) -> str:
    """A title as stored: clean text on one line, at most :data:`MAX_TITLE_CHARS`."""
    words = " ".join(clean_text(title).split())
    return words[:MAX_TITLE_CHARS]


def clamp_time(value: float) -> float:
    """A timestamp inside what the store keeps (finite, 1970 to year 9999)."""
    if not math.isfinite(value):
        return MIN_TIMESTAMP
    return min(max(value, MIN_TIMESTAMP), MAX_TIMESTAMP)


def auto_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """A conversation title from the first question: its first non-empty line, trimmed."""
    for line in clean_text(text).splitlines():
        words = " ".join(line.split())
        if words:
            return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
    return ""


def _json_safe(value: Any, depth: int = 0) -> Any:
    """JSON that other tools can read: no NaN/Infinity, no lone surrogates, str keys.

    Nesting deeper than :data:`MAX_JSON_DEPTH` is cut (becomes ``None``), so what the
    store writes can always be read back and exported.
    """
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return clean_text(str(value))


def _dump_json(value: Mapping[str, Any] | None) -> str:
    text = json.dumps(_json_safe(dict(value or {})), ensure_ascii=False, allow_nan=False)
    if len(text) > MAX_JSON_CHARS:
        raise StoreError.of(
            "store.json_too_large",
            detail=f"{len(text)} characters of JSON > {MAX_JSON_CHARS}",
        )
    return text


def _load_json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def new_id() -> str:
    """A fresh conversation or message id (a UUID4 string)."""
    return str(uuid.uuid4())


def _with_parent(message: StoredMessage, parent_id: str | None) -> StoredMessage:
    return dataclasses.replace(message, parent_id=parent_id)


def _conversation_missing(conversation_id: str) -> NotFoundError:
    return NotFoundError.of(
        "store.conversation_missing",
        detail=f"conversation {conversation_id}",
    )


def _message_missing(message_id: str) -> NotFoundError:
    return NotFoundError.of(
        "store.message_missing",
        detail=f"message {message_id}",
    )
