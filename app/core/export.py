"""Export conversations (Markdown, standalone HTML, lossless JSON) and import JSON exports.

The JSON shape is versioned so other tools can read it::

    {"version": 1, "app": "Hearth", "exported": "2025-01-31T12:00:00.000000+00:00",
     "conversations": [{"id", "title", "created", "updated", "pinned", "settings",
                        "active_leaf", "messages": [{"id", "parent", "role", "content",
                        "reasoning", "state", "created", "updated", "provenance"}]}]}

Times are ISO 8601 in UTC with microseconds. JSON keeps every branch; Markdown and HTML
show the branch on screen (the active path). Export → import into an empty store →
export gives identical JSON.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args

from markdown_it import MarkdownIt

from app import APP_NAME
from app.core.atomic import write_text_atomic
from app.core.chat import Role
from app.core.errors import StoreError
from app.core.store import (
    MESSAGE_STATES,
    ROLES,
    ChatStore,
    ConversationSummary,
    ImportedConversation,
    MessageState,
    StoredMessage,
    clean_text,
    new_id,
)

log = logging.getLogger(__name__)

EXPORT_VERSION = 1
ExportFormat = Literal["md", "json", "html"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
#: What to do with a conversation whose id is already in the store.
ConflictPolicy = Literal["skip", "copy"]

_ROLE_NAMES: dict[str, str] = {"user": "You", "assistant": APP_NAME, "system": "System"}


class ChatImportError(StoreError):
    """A file offered for import is not a Hearth chat export."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported_conversations: int
    imported_messages: int
    #: Titles of conversations left out because they were already in the store.
    skipped: tuple[str, ...] = ()
    #: Conversations imported under new ids because theirs were taken.
    reidentified: int = 0
    #: Things that were repaired or dropped, as sentences.
    problems: tuple[str, ...] = ()

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
    """ISO 8601 (or unix seconds) → unix seconds; None if unusable. Naive times are UTC."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- Export ----------------------------------------------------------------------------


def _selected(
    store: ChatStore, conversation_ids: Sequence[str] | None
) -> list[ConversationSummary]:
    if conversation_ids is None:
        summaries = store.list_conversations()
        return sorted(summaries, key=lambda s: (s.created, s.id))
    return [store.get_conversation(cid) for cid in conversation_ids]


def export_data(
    store: ChatStore, conversation_ids: Sequence[str] | None = None, *, now: float | None = None
) -> dict[str, Any]:
    """The lossless JSON document for the given conversations (all when None)."""
    conversations: list[dict[str, Any]] = []
    for summary in _selected(store, conversation_ids):
        conversations.append(
            {
                "id": summary.id,
                "title": summary.title,
                "created": iso_time(summary.created),
                "updated": iso_time(summary.updated),
                "pinned": summary.pinned,
                "settings": store.conversation_settings(summary.id),
                "active_leaf": store.active_leaf_id(summary.id),
                "messages": [_message_data(m) for m in store.messages(summary.id)],
            }
        )
    return {
        "version": EXPORT_VERSION,
        "app": APP_NAME,
        "exported": iso_time(now if now is not None else datetime.now(UTC).timestamp()),
        "conversations": conversations,
    }


def _message_data(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent": message.parent_id,
        "role": message.role,
        "content": message.content,
        "reasoning": message.reasoning,
        "state": message.state,
        "created": iso_time(message.created),
        "updated": iso_time(message.updated),
        "provenance": dict(message.provenance),
    }


def export_text(
    store: ChatStore,
    conversation_ids: Sequence[str] | None,
    fmt: ExportFormat,
    *,
    now: float | None = None,
) -> str:
    """The export as text in ``fmt`` ("md", "json" or "html")."""
    if fmt == "json":
        data = export_data(store, conversation_ids, now=now)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    summaries = _selected(store, conversation_ids)
    if fmt == "md":
        return "\n---\n\n".join(_markdown(store, s) for s in summaries)
    if fmt == "html":
        return _html_document(store, summaries)
    raise ValueError(f"unknown export format {fmt!r}")


def export_file(
    store: ChatStore,
    conversation_ids: Sequence[str] | None,
    fmt: ExportFormat,
    path: Path,
    *,
    now: float | None = None,
) -> Path:
    """Write the export atomically, private to the user (0600). Returns ``path``."""
    text = export_text(store, conversation_ids, fmt, now=now)
    write_text_atomic(Path(path), text)
    log.info("exported %s to %s (%d bytes)", fmt, path, len(text))
    return Path(path)


def _stats_line(message: StoredMessage) -> str:
    parts: list[str] = []
    model = message.provenance.get("model")
    if isinstance(model, Mapping):
        parts += [str(v) for v in (model.get("file"), model.get("quant")) if v]
    stats = message.provenance.get("stats")
    if isinstance(stats, Mapping):
        speed = stats.get("tokens_per_s")
        if isinstance(speed, int | float) and speed > 0:
            parts.append(f"{speed:.1f} tok/s")
    if message.state != "complete":
        parts.append(message.state)
    return " · ".join(parts)


def _day_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _hidden_branch_note(summary: ConversationSummary, shown: int) -> str:
    hidden = summary.message_count - shown
    if hidden <= 0:
        return ""
    return f"{hidden} more messages are on other branches; the JSON export keeps them."


def _markdown(store: ChatStore, summary: ConversationSummary) -> str:
    path = store.active_path(summary.id)
    lines = [f"# {summary.title or 'Untitled chat'}", ""]
    lines += [f"*{APP_NAME} chat, started {_day_time(summary.created)}*", ""]
    for message in path:
        header = f"### {_ROLE_NAMES[message.role]} · {_day_time(message.created)}"
        extra = _stats_line(message) if message.role == "assistant" else ""
        lines += [header + (f" · {extra}" if extra else ""), ""]
        if message.reasoning:
            # A literal closing tag inside the reasoning would end the block early.
            reasoning = message.reasoning.replace("</details", "&lt;/details")
            lines += ["<details>", "<summary>Reasoning</summary>", "", reasoning, "", "</details>"]
            lines.append("")
        lines += [message.content, ""]
    note = _hidden_branch_note(summary, len(path))
    if note:
        lines += [f"*{note}*", ""]
    return "\n".join(lines)


_PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "PingFang SC",
  "Microsoft YaHei", sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.55; color: #1f2328; background: #ffffff; }
h1 { font-size: 1.5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .4rem; }
.meta { color: #59636e; font-size: .85rem; }
.msg { margin: 1.2rem 0; padding: .6rem .9rem; border-radius: .5rem; }
.user { background: #eef4ff; }
.assistant { background: #f6f8fa; }
.system { background: #fff8e6; }
.who { font-weight: 600; font-size: .9rem; }
details { margin: .5rem 0; color: #59636e; border-left: 3px solid #d0d7de; padding-left: .7rem; }
pre { background: #eaeef2; padding: .6rem; overflow-x: auto; border-radius: .3rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .2rem .5rem; }
hr { border: none; border-top: 2px solid #d0d7de; margin: 2.5rem 0; }
"""


def _markdown_renderer() -> MarkdownIt:
    # html=False: any HTML inside a chat is shown as text, never interpreted.
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _html_document(store: ChatStore, summaries: Sequence[ConversationSummary]) -> str:
    renderer = _markdown_renderer()
    title = summaries[0].title if len(summaries) == 1 else f"{APP_NAME} chats"
    body: list[str] = []
    for index, summary in enumerate(summaries):
        if index:
            body.append("<hr>")
        body.append(_html_conversation(store, summary, renderer))
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        # An exported page never loads anything from the network.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title or 'Untitled chat')}</title>\n"
        f"<style>{_PAGE_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_conversation(store: ChatStore, summary: ConversationSummary, renderer: MarkdownIt) -> str:
    path = store.active_path(summary.id)
    parts = [
        f"<h1>{html.escape(summary.title or 'Untitled chat')}</h1>",
        f'<p class="meta">{APP_NAME} chat, started {_day_time(summary.created)}</p>',
    ]
    for message in path:
        who = html.escape(_ROLE_NAMES[message.role])
        extra = _stats_line(message) if message.role == "assistant" else ""
        meta = html.escape(_day_time(message.created) + (f" · {extra}" if extra else ""))
        parts.append(f'<div class="msg {message.role}">')
        parts.append(f'<div class="who">{who} <span class="meta">{meta}</span></div>')
        if message.reasoning:
            parts.append("<details><summary>Reasoning</summary>")
            parts.append(renderer.render(message.reasoning))
            parts.append("</details>")
        parts.append(renderer.render(message.content))
        parts.append("</div>")
    note = _hidden_branch_note(summary, len(path))
    if note:
        parts.append(f'<p class="meta">{html.escape(note)}</p>')
    return "\n".join(parts)


# --- Import ----------------------------------------------------------------------------


def import_file(
    store: ChatStore, path: Path, *, on_conflict: ConflictPolicy = "skip"
) -> ImportResult:
    """Import a JSON export file (see :func:`import_data`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChatImportError(
            f"Could not read {path}: it is missing, unreadable or not a text file.",
            detail=repr(exc),
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChatImportError(
            f"{Path(path).name} is not a {APP_NAME} JSON export (it is not valid JSON).",
            detail=str(exc),
        ) from exc
    return import_data(store, data, on_conflict=on_conflict)


def import_data(
    store: ChatStore, data: Any, *, on_conflict: ConflictPolicy = "skip"
) -> ImportResult:
    """Add the conversations of a JSON export to the store, keeping their ids.

    A conversation whose id is already in the store is skipped (``on_conflict="skip"``,
    so importing the same file twice changes nothing) or added as a copy under new ids
    (``"copy"``). Messages whose ids are taken elsewhere give their conversation new ids.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("conversations"), list):
        raise ChatImportError(
            f"This file is not a {APP_NAME} chat export: it has no list of conversations."
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ChatImportError(f"This file is not a {APP_NAME} chat export: it has no version.")
    if version > EXPORT_VERSION:
        raise ChatImportError(
            f"This export was made by a newer version of {APP_NAME} (format {version}). "
            f"Update {APP_NAME} to import it."
        )
    imported = messages_count = reidentified = 0
    skipped: list[str] = []
    problems: list[str] = []
    for index, raw in enumerate(data["conversations"]):
        conversation, notes = _parse_conversation(raw, index)
        problems += notes
        if conversation is None:
            continue
        if store.conversation_exists(conversation.id):
            if on_conflict == "skip":
                skipped.append(conversation.title)
                continue
            conversation = _with_new_ids(conversation)
            reidentified += 1
        elif store.existing_message_ids(m.id for m in conversation.messages):
            conversation = _with_new_ids(conversation, keep_conversation_id=True)
            reidentified += 1
        store.insert_conversation(conversation)
        imported += 1
        messages_count += len(conversation.messages)
    result = ImportResult(
        imported_conversations=imported,
        imported_messages=messages_count,
        skipped=tuple(skipped),
        reidentified=reidentified,
        problems=tuple(problems),
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
        StoredMessage(
            id=mapping[m.id],
            conversation_id=conversation_id,
            parent_id=mapping.get(m.parent_id) if m.parent_id else None,
            role=m.role,
            content=m.content,
            reasoning=m.reasoning,
            state=m.state,
            created=m.created,
            updated=m.updated,
            provenance=m.provenance,
        )
        for m in conversation.messages
    ]
    leaf = mapping.get(conversation.active_leaf_id) if conversation.active_leaf_id else None
    return ImportedConversation(
        id=conversation_id,
        title=conversation.title,
        created=conversation.created,
        updated=conversation.updated,
        pinned=conversation.pinned,
        settings=conversation.settings,
        messages=messages,
        active_leaf_id=leaf,
    )


def _parse_conversation(raw: Any, index: int) -> tuple[ImportedConversation | None, list[str]]:
    """One conversation from the JSON, repaired where harmless; None if unusable."""
    label = f"Conversation {index + 1}"
    if not isinstance(raw, Mapping):
        return None, [f"{label} was left out: it is not an object."]
    notes: list[str] = []
    raw_title = raw.get("title")
    title = raw_title if isinstance(raw_title, str) else ""
    label = f"“{title}”" if title else label
    raw_id = raw.get("id")
    conversation_id = raw_id if isinstance(raw_id, str) and raw_id else None
    created = parse_time(raw.get("created"))
    updated = parse_time(raw.get("updated"))
    raw_messages = raw.get("messages")
    if not isinstance(raw_messages, list):
        return None, [f"{label} was left out: it has no list of messages."]
    messages: list[StoredMessage] = []
    seen: set[str] = set()
    dropped = 0
    for item in raw_messages:
        message = _parse_message(item, conversation_id or "", created)
        if message is None or message.id in seen:
            dropped += 1
            continue
        seen.add(message.id)
        messages.append(message)
    if dropped:
        notes.append(f"{label}: {dropped} unreadable or repeated messages were left out.")
    messages, repaired = _repair_tree(messages)
    if repaired:
        notes.append(
            f"{label}: {repaired} messages whose earlier message is missing start a new branch."
        )
    fallback_time = min((m.created for m in messages), default=0.0)
    created = created if created is not None else fallback_time
    settings = raw.get("settings")
    leaf = raw.get("active_leaf")
    conversation = ImportedConversation(
        id=conversation_id or new_id(),
        title=clean_text(title),
        created=created,
        updated=updated if updated is not None else created,
        pinned=raw.get("pinned") is True,
        settings=dict(settings) if isinstance(settings, Mapping) else {},
        messages=messages,
        active_leaf_id=leaf if isinstance(leaf, str) and leaf in seen else None,
    )
    return conversation, notes


def _parse_message(
    item: Any, conversation_id: str, fallback_time: float | None
) -> StoredMessage | None:
    if not isinstance(item, Mapping):
        return None
    role = item.get("role")
    if role not in ROLES:
        return None
    content = item.get("content", "")
    reasoning = item.get("reasoning", "")
    if not isinstance(content, str) or not isinstance(reasoning, str):
        return None
    state = item.get("state", "complete")
    if state not in MESSAGE_STATES:
        state = "complete"
    created = parse_time(item.get("created"))
    if created is None:
        created = fallback_time if fallback_time is not None else 0.0
    updated = parse_time(item.get("updated"))
    message_id = item.get("id")
    parent = item.get("parent")
    provenance = item.get("provenance")
    return StoredMessage(
        id=message_id if isinstance(message_id, str) and message_id else new_id(),
        conversation_id=conversation_id,
        parent_id=parent if isinstance(parent, str) and parent else None,
        role=cast(Role, role),
        content=content,
        reasoning=reasoning,
        state=cast(MessageState, state),
        created=created,
        updated=updated if updated is not None else created,
        provenance=dict(provenance) if isinstance(provenance, Mapping) else {},
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
    for message_id in parents:
        seen: set[str] = set()
        current: str | None = message_id
        while current is not None:
            if current in seen:
                # A cycle (only in a damaged or hand-made file): cut it here.
                parents[current] = None
                fixed.add(current)
                break
            seen.add(current)
            current = parents[current]
    if not fixed:
        return messages, 0
    repaired = [dataclasses.replace(m, parent_id=None) if m.id in fixed else m for m in messages]
    return repaired, len(fixed)
