"""Importing chat JSON exports: read bounded, check every field, then write.

A chat file may come from anyone, so nothing in it is trusted. The file must be a regular
file no bigger than :data:`MAX_IMPORT_BYTES` (checked before it is read, then read with
that bound). Every field is checked against what the store holds: types, time ranges,
valid Unicode without NUL, lengths and counts, and plain ids. A bad file is refused as a
whole, with a sentence naming the field (``conversations[2].messages[5].created``), before
anything is written. Only harmless damage to the message tree (a missing earlier message,
a cycle) is repaired, and reported.

The JSON shape is described in :mod:`app.core.export`, which writes it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, cast

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.chat import Role
from app.core.errors import StoreError
from app.core.store.chatstore import ChatStore
from app.core.store.values import (
    MAX_ID_CHARS,
    MAX_JSON_CHARS,
    MAX_JSON_DEPTH,
    MAX_TEXT_CHARS,
    MAX_TIMESTAMP,
    MAX_TITLE_CHARS,
    MIN_TIMESTAMP,
    ROLES,
    ImportedConversation,
    StoredMessage,
    new_id,
)
from app.core.store.writes import normalize_state

log = logging.getLogger(__name__)

#: The export format version this code writes and the newest it reads.
EXPORT_VERSION = 1
#: What to do with a conversation whose id is already in the store.
ConflictPolicy = Literal["skip", "copy"]

#: A chat file bigger than this is refused before it is read. Parsing JSON takes several
#: times the file's size in memory; 64 MiB is far more than years of chatting.
MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_CONVERSATIONS = 100_000
MAX_MESSAGES_PER_CONVERSATION = 100_000
#: Plain ids: what Hearth writes (UUIDs) and what other tools reasonably use.
_ID_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:@+-]{{0,{MAX_ID_CHARS - 1}}}")


class ChatImportError(StoreError):
    """A file offered for import is not a Hearth chat export, or not a usable one."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported_conversations: int
    imported_messages: int
    #: Titles of conversations left out because they were already in the store.
    skipped: tuple[str, ...] = ()
    #: Conversations imported under new ids because theirs were taken.
    reidentified: int = 0
    #: Things that were repaired, as sentences.
    problems: tuple[str, ...] = ()
    #: The ids under which the conversations were added.
    conversation_ids: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """A summary for the user."""
        sentences = [
            f"Imported {self.imported_conversations} conversations "
            f"({self.imported_messages} messages)."
        ]
        if self.skipped:
            sentences.append(f"Skipped {len(self.skipped)} already in your history.")
        if self.reidentified:
            sentences.append(
                f"{self.reidentified} were added as copies with new ids, because their ids "
                "were already in use."
            )
        sentences.extend(self.problems)
        return " ".join(sentences)


# --- Time ------------------------------------------------------------------------------


def iso_time(timestamp: float) -> str:
    """Unix seconds → ISO 8601 UTC with microseconds (stable through a round trip)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="microseconds")


def parse_time(value: Any) -> float | None:
    """ISO 8601 (or unix seconds) → unix seconds; None if unusable. Naive times are UTC.

    Only times the store can hold and show count: 1970 up to the end of year 9999.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            number = moment.timestamp()
        except (OverflowError, ValueError, OSError):
            return None
    else:
        return None
    if not math.isfinite(number) or not MIN_TIMESTAMP <= number <= MAX_TIMESTAMP:
        return None
    return number


# --- Reading the file ------------------------------------------------------------------


def _refuse(field: str, problem: str) -> NoReturn:
    raise ChatImportError.of("import.bad_field", field=field, problem=problem, detail=field)


def _no_constants(name: str) -> NoReturn:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise ValueError(f"{name} is not allowed")


def read_export(path: Path, *, max_bytes: int | None = None) -> Any:
    """The parsed JSON of a chat file, read with bounded memory; ChatImportError if unusable.

    ``max_bytes`` defaults to :data:`MAX_IMPORT_BYTES`.
    """
    path = Path(path)
    max_bytes = MAX_IMPORT_BYTES if max_bytes is None else max_bytes
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ChatImportError.of("import.unreadable", path=str(path), detail=repr(exc)) from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ChatImportError.of("import.not_regular", name=path.name)
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise ChatImportError.of(
                "import.too_large_mb", name=path.name, limit_mb=max_bytes // (1024 * 1024)
            )
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:  # it grew while we looked
        raise ChatImportError.of("import.too_large", name=path.name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChatImportError.of("import.unreadable", path=str(path), detail=repr(exc)) from exc
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError as exc:
        raise ChatImportError.of("import.too_deep", name=path.name) from exc
    except ValueError as exc:  # JSONDecodeError, NaN, and integers too long to convert
        raise ChatImportError.of(
            "import.not_json",
            name=path.name,
            detail=str(exc)[:200],
        ) from exc


# --- Checking every field --------------------------------------------------------------


def _text(value: Any, field: str, *, limit: int, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        _refuse(field, "is not text")
    if len(value) > limit:
        _refuse(field, f"is longer than {limit:,} characters")
    _check_string(value, field)
    return value


def _check_string(value: str, field: str) -> None:
    if "\x00" in value:
        _refuse(field, "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _refuse(field, "is not valid Unicode (it has a lone surrogate)")


def _identifier(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        _refuse(field, f"is not a usable id (letters, digits and ._:@+- up to {MAX_ID_CHARS})")
    return value


def _time(value: Any, field: str) -> float | None:
    if value is None:
        return None
    moment = parse_time(value)
    if moment is None:
        _refuse(field, "is not a time between 1970 and 9999")
    return moment


def _json_object(value: Any, field: str) -> dict[str, Any]:
    """A small JSON object (settings, provenance) the store can keep and write back."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _refuse(field, "is not an object")
    budget = [MAX_JSON_CHARS]
    _check_json(value, field, 0, budget)
    return dict(value)


def _check_json(value: Any, field: str, depth: int, budget: list[int]) -> None:
    if depth > MAX_JSON_DEPTH:
        _refuse(field, f"is nested more than {MAX_JSON_DEPTH} levels deep")
    budget[0] -= 8
    if budget[0] < 0:
        _refuse(field, f"is larger than {MAX_JSON_CHARS:,} characters")
    if isinstance(value, str):
        budget[0] -= len(value)
        if budget[0] < 0:
            _refuse(field, f"is larger than {MAX_JSON_CHARS:,} characters")
        _check_string(value, field)
    elif isinstance(value, float):
        if not math.isfinite(value):
            _refuse(field, "holds a number that is not finite")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_json(key, field, depth + 1, budget)
            _check_json(item, field, depth + 1, budget)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, field, depth + 1, budget)
    elif not (value is None or isinstance(value, bool | int)):
        _refuse(field, "holds a value that is not JSON")


def _list(value: Any, field: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        _refuse(field, "is not a list")
    if len(value) > limit:
        _refuse(field, f"has more than {limit:,} entries")
    return value


def parse_export(data: Any) -> tuple[list[ImportedConversation], list[str]]:
    """Every conversation of a parsed export, checked; ChatImportError names a bad field.

    Returns the conversations and sentences about the tree repairs made.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("conversations"), list):
        raise ChatImportError.of("import.no_conversations")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ChatImportError.of("import.no_version")
    if version > EXPORT_VERSION:
        raise ChatImportError.of("import.newer", version=version)
    raw_conversations = _list(data["conversations"], "conversations", MAX_CONVERSATIONS)
    conversations: list[ImportedConversation] = []
    problems: list[str] = []
    for index, raw in enumerate(raw_conversations):
        conversation, notes = _parse_conversation(raw, f"conversations[{index}]")
        conversations.append(conversation)
        problems += notes
    return conversations, problems


def _parse_conversation(raw: Any, where: str) -> tuple[ImportedConversation, list[str]]:
    if not isinstance(raw, Mapping):
        _refuse(where, "is not an object")
    title = _text(raw.get("title"), f"{where}.title", limit=MAX_TITLE_CHARS, default="")
    raw_id = raw.get("id")
    conversation_id = new_id() if raw_id is None else _identifier(raw_id, f"{where}.id")
    created = _time(raw.get("created"), f"{where}.created")
    updated = _time(raw.get("updated"), f"{where}.updated")
    pinned = raw.get("pinned", False)
    if not isinstance(pinned, bool):
        _refuse(f"{where}.pinned", "is not true or false")
    settings = _json_object(raw.get("settings"), f"{where}.settings")
    leaf = raw.get("active_leaf")
    if leaf is not None:
        leaf = _identifier(leaf, f"{where}.active_leaf")
    items = _list(raw.get("messages"), f"{where}.messages", MAX_MESSAGES_PER_CONVERSATION)
    messages: list[StoredMessage] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        message = _parse_message(item, f"{where}.messages[{index}]", conversation_id, created)
        if message.id in seen:
            _refuse(f"{where}.messages[{index}].id", "is used by another message too")
        seen.add(message.id)
        messages.append(message)
    notes: list[str] = []
    messages, repaired = _repair_tree(messages)
    if repaired:
        label = f"“{title}”" if title else f"Conversation {where}"
        notes.append(
            f"{label}: {repaired} messages whose earlier message is missing start a new branch."
        )
    created = created if created is not None else min((m.created for m in messages), default=0.0)
    conversation = ImportedConversation(
        id=conversation_id,
        title=title,
        created=created,
        updated=updated if updated is not None else created,
        pinned=pinned,
        settings=settings,
        messages=messages,
        active_leaf_id=leaf if leaf in seen else None,
    )
    return conversation, notes


def _parse_message(
    item: Any, where: str, conversation_id: str, fallback_time: float | None
) -> StoredMessage:
    if not isinstance(item, Mapping):
        _refuse(where, "is not an object")
    raw_id = item.get("id")
    message_id = new_id() if raw_id is None else _identifier(raw_id, f"{where}.id")
    parent = item.get("parent")
    if parent is not None:
        parent = _identifier(parent, f"{where}.parent")
    role = item.get("role")
    if role not in ROLES:
        _refuse(f"{where}.role", "is not user, assistant or system")
    content = _text(item.get("content"), f"{where}.content", limit=MAX_TEXT_CHARS, default="")
    reasoning = _text(item.get("reasoning"), f"{where}.reasoning", limit=MAX_TEXT_CHARS, default="")
    provenance = _json_object(item.get("provenance"), f"{where}.provenance")
    raw_state = item.get("state", "finished")
    try:
        if not isinstance(raw_state, str):
            raise ValueError(raw_state)
        state = normalize_state(raw_state, provenance)
    except ValueError:
        _refuse(f"{where}.state", "is not a known message state")
    created = _time(item.get("created"), f"{where}.created")
    if created is None:
        created = fallback_time if fallback_time is not None else 0.0
    updated = _time(item.get("updated"), f"{where}.updated")
    return StoredMessage(
        id=message_id,
        conversation_id=conversation_id,
        parent_id=parent,
        role=cast(Role, role),
        content=content,
        reasoning=reasoning,
        # Nothing streams into an imported answer: it was cut off wherever it came from.
        state="interrupted" if state == "streaming" else state,
        created=created,
        updated=updated if updated is not None else created,
        provenance=provenance,
    )


def _repair_tree(messages: list[StoredMessage]) -> tuple[list[StoredMessage], int]:
    """Make every parent exist in the conversation and break cycles; returns (messages, fixes)."""
    parents = {m.id: m.parent_id for m in messages}
    fixed: set[str] = set()
    for message_id, parent in parents.items():
        if parent is not None and parent not in parents:
            fixed.add(message_id)
    for message_id in fixed:
        parents[message_id] = None
    settled: set[str] = set()
    for message_id in parents:
        trail: list[str] = []
        on_trail: set[str] = set()
        current: str | None = message_id
        while current is not None and current not in settled:
            if current in on_trail:
                # A cycle (only in a damaged or hand-made file): cut it here.
                parents[current] = None
                fixed.add(current)
                break
            trail.append(current)
            on_trail.add(current)
            current = parents[current]
        settled.update(trail)
    if not fixed:
        return messages, 0
    repaired = [dataclasses.replace(m, parent_id=None) if m.id in fixed else m for m in messages]
    return repaired, len(fixed)


# --- Writing ---------------------------------------------------------------------------


def import_file(
    store: ChatStore,
    path: Path,
    *,
    on_conflict: ConflictPolicy = "skip",
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> ImportResult:
    """Import a JSON export file (see :func:`import_data`)."""
    return import_data(
        store, read_export(path), on_conflict=on_conflict, cancel=cancel, progress=progress
    )


def import_data(
    store: ChatStore,
    data: Any,
    *,
    on_conflict: ConflictPolicy = "skip",
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> ImportResult:
    """Add the conversations of a JSON export to the store, keeping their ids.

    The whole document is checked first; a bad field refuses the file and nothing is
    written. A conversation whose id is already in the store is skipped
    (``on_conflict="skip"``, so importing the same file twice changes nothing) or added as
    a copy under new ids (``"copy"``). Messages whose ids are taken elsewhere give their
    conversation new ids. Cancelling stops between conversations (those added stay).
    """
    conversations, problems = parse_export(data)
    imported = messages_count = reidentified = 0
    skipped: list[str] = []
    added: list[str] = []
    total = len(conversations)
    progress(0, total)
    for done, conversation in enumerate(conversations, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if store.conversation_exists(conversation.id):
            if on_conflict == "skip":
                skipped.append(conversation.title)
                progress(done, total)
                continue
            conversation = _with_new_ids(conversation)
            reidentified += 1
        elif store.existing_message_ids(m.id for m in conversation.messages):
            conversation = _with_new_ids(conversation, keep_conversation_id=True)
            reidentified += 1
        store.insert_conversation(conversation)
        added.append(conversation.id)
        imported += 1
        messages_count += len(conversation.messages)
        progress(done, total)
    result = ImportResult(
        imported_conversations=imported,
        imported_messages=messages_count,
        skipped=tuple(skipped),
        reidentified=reidentified,
        problems=tuple(problems),
        conversation_ids=tuple(added),
    )
    log.info(
        "import: %d conversations, %d messages, %d skipped, %d re-identified, %d problems",
        imported,
        messages_count,
        len(skipped),
        reidentified,
        len(problems),
    )
    return result


def _with_new_ids(
    conversation: ImportedConversation, *, keep_conversation_id: bool = False
) -> ImportedConversation:
    conversation_id = conversation.id if keep_conversation_id else new_id()
    mapping = {m.id: new_id() for m in conversation.messages}
    messages = [
        dataclasses.replace(
            m,
            id=mapping[m.id],
            conversation_id=conversation_id,
            parent_id=mapping.get(m.parent_id) if m.parent_id else None,
        )
        for m in conversation.messages
    ]
    leaf = mapping.get(conversation.active_leaf_id) if conversation.active_leaf_id else None
    return dataclasses.replace(
        conversation, id=conversation_id, messages=messages, active_leaf_id=leaf
    )
