"""Export conversations (Markdown, standalone HTML, lossless JSON) and import JSON exports.

The JSON shape is versioned so other tools can read it::

    {"version": 1, "app": "Hearth", "exported": "2025-01-31T12:00:00.000000+00:00",
     "conversations": [{"id", "title", "created", "updated", "pinned", "settings",
                        "active_leaf", "messages": [{"id", "parent", "role", "content",
                        "reasoning", "state", "created", "updated", "provenance"}]}]}

Times are ISO 8601 in UTC with microseconds. A message's ``state`` is its end state
(finished, stopped, length, failed, interrupted), written unchanged. JSON keeps every
branch; Markdown and HTML show the branch on screen (the active path). Export → import into
an empty store → export gives identical JSON. Importing (which checks every field of a file
from anyone) is :mod:`app.core.store.exchange`; its names are importable from here too.

Exports are plain functions taking ``cancel`` and ``progress`` (per conversation), so the
window runs them off its thread.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from app import APP_NAME
from app.core.atomic import write_text_atomic
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.store import ChatStore, ConversationSummary, StoredMessage
from app.core.store.exchange import (
    EXPORT_VERSION,
    ChatImportError,
    ConflictPolicy,
    ImportResult,
    import_data,
    import_file,
    iso_time,
    parse_time,
)

log = logging.getLogger(__name__)

ExportFormat = Literal["md", "json", "html"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)

_ROLE_NAMES: dict[str, str] = {"user": "You", "assistant": APP_NAME, "system": "System"}


# --- Export ----------------------------------------------------------------------------


def _selected(
    store: ChatStore, conversation_ids: Sequence[str] | None
) -> list[ConversationSummary]:
    if conversation_ids is None:
        summaries = store.list_conversations()
        return sorted(summaries, key=lambda s: (s.created, s.id))
    return [store.get_conversation(cid) for cid in conversation_ids]


def _each(
    summaries: Sequence[ConversationSummary],
    cancel: CancelToken | None,
    progress: ProgressCallback,
) -> list[tuple[int, ConversationSummary]]:
    """The summaries with their positions, after reporting the start."""
    _step(0, len(summaries), cancel, progress)
    return list(enumerate(summaries))


def _step(done: int, total: int, cancel: CancelToken | None, progress: ProgressCallback) -> None:
    progress(done, total)
    if cancel is not None:
        cancel.raise_if_cancelled()


def export_data(
    store: ChatStore,
    conversation_ids: Sequence[str] | None = None,
    *,
    now: float | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> dict[str, Any]:
    """The lossless JSON document for the given conversations (all when None)."""
    conversations: list[dict[str, Any]] = []
    summaries = _selected(store, conversation_ids)
    for index, summary in _each(summaries, cancel, progress):
        if index:
            _step(index, len(summaries), cancel, progress)
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
    progress(len(summaries), len(summaries))
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
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> str:
    """The export as text in ``fmt`` ("md", "json" or "html")."""
    if fmt == "json":
        data = export_data(store, conversation_ids, now=now, cancel=cancel, progress=progress)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    summaries = _selected(store, conversation_ids)
    renderer = _markdown_renderer()
    parts: list[str] = []
    for index, summary in _each(summaries, cancel, progress):
        if index:
            _step(index, len(summaries), cancel, progress)
        if fmt == "md":
            parts.append(_markdown(store, summary))
        else:
            parts.append(_html_conversation(store, summary, renderer))
    progress(len(summaries), len(summaries))
    if fmt == "md":
        return "\n---\n\n".join(parts)
    return _html_document(summaries, parts)


def export_file(
    store: ChatStore,
    conversation_ids: Sequence[str] | None,
    fmt: ExportFormat,
    path: Path,
    *,
    now: float | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> Path:
    """Write the export atomically, private to the user (0600). Returns ``path``."""
    text = export_text(store, conversation_ids, fmt, now=now, cancel=cancel, progress=progress)
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
    if message.state != "finished":
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


#: The only images an exported page keeps: ones embedded in the page itself.
_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")


def _image_without_fetching(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """An image in a chat, as HTML that never loads anything.

    A remote image would tell its server that the page was opened (and when, and from
    where); the page's CSP blocks it, but the link should not be in the file at all. Such
    an image is shown as its description in brackets.
    """
    token = tokens[index]
    source = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    if _EMBEDDED_IMAGE.match(source):
        return f'<img src="{html.escape(source)}" alt="{html.escape(alt)}">'
    return f'<span class="image">[{html.escape(alt or "image")}]</span>'


def _markdown_renderer() -> MarkdownIt:
    # html=False: any HTML inside a chat is shown as text, never interpreted.
    renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    renderer.add_render_rule("image", _image_without_fetching)
    return renderer


def _html_document(summaries: Sequence[ConversationSummary], conversations: list[str]) -> str:
    title = summaries[0].title if len(summaries) == 1 else f"{APP_NAME} chats"
    body: list[str] = []
    for index, conversation in enumerate(conversations):
        if index:
            body.append("<hr>")
        body.append(conversation)
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


__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_VERSION",
    "ChatImportError",
    "ConflictPolicy",
    "ExportFormat",
    "ImportResult",
    "export_data",
    "export_file",
    "export_text",
    "import_data",
    "import_file",
    "iso_time",
    "parse_time",
]
