"""``python -m app chats``: list, show, search, export and import saved conversations.

    python -m app chats list
    python -m app chats show ID
    python -m app chats export [ID | --all] --format md|json|html [-o FILE]
    python -m app chats import FILE [--copy]
    python -m app chats search QUERY

An ID may be shortened to any unique prefix, as shown by ``chats list``.

What is shown for reading (list, show, search, errors) never carries terminal control
sequences from chat text: a chat file from someone else could otherwise recolour, retitle
or rewrite the terminal. ``export`` writes the data unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from app.cli.term import for_terminal
from app.core.errors import HearthError, StoreError
from app.core.export import (
    EXPORT_FORMATS,
    ConflictPolicy,
    ExportFormat,
    export_file,
    export_text,
)
from app.core.logsetup import configure_logging
from app.core.paths import app_paths
from app.core.store import ChatOps, ChatStore, ConversationSummary


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chats",
        help="list, show, search, export and import saved chats",
        description="Work with the chats Hearth keeps on this computer.",
    )
    actions = parser.add_subparsers(dest="chats_action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list chats, pinned first, then newest")
    show = actions.add_parser("show", help="print a chat (the branch shown in the app)")
    show.add_argument("id", metavar="ID", help="chat id or a unique prefix of it")
    export = actions.add_parser("export", help="export one chat or all of them")
    export.add_argument("id", metavar="ID", nargs="?", help="chat id or a unique prefix of it")
    export.add_argument("--all", action="store_true", help="export every chat")
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="md", help="md, json or html (default md)"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (0600) not stdout")
    imp = actions.add_parser("import", help="import a JSON export")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--copy",
        action="store_true",
        help="import chats that are already present again, as copies (default: skip them)",
    )
    search = actions.add_parser("search", help="search titles, answers and reasoning")
    search.add_argument("query", metavar="QUERY", nargs="+")
    search.add_argument("--limit", type=int, default=20, help="at most this many results")


def run(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)), to_stderr=False)
    _tolerant_stdout()
    try:
        with ChatStore.open() as store:
            if store.report.message:
                print(store.report.message, file=sys.stderr)
            return _dispatch(store, args)
    except HearthError as exc:
        print(f"hearth: {for_terminal(str(exc))}", file=sys.stderr)
        return 1


def _dispatch(store: ChatStore, args: argparse.Namespace) -> int:
    action = args.chats_action
    if action == "list":
        return _list(store)
    if action == "show":
        summary = resolve_conversation(store, args.id)
        sys.stdout.write(for_terminal(export_text(store, [summary.id], "md")))
        return 0
    if action == "export":
        return _export(store, args)
    if action == "import":
        policy: ConflictPolicy = "copy" if args.copy else "skip"
        result = ChatOps.for_store(store).import_file(Path(args.file), on_conflict=policy)
        print(for_terminal(result.message))
        return 0
    if action == "search":
        return _search(store, " ".join(args.query), args.limit)
    raise AssertionError(f"unhandled chats action {action!r}")


def _list(store: ChatStore) -> int:
    conversations = store.list_conversations()
    if not conversations:
        print("No chats yet.", file=sys.stderr)
        return 0
    for summary in conversations:
        updated = datetime.fromtimestamp(summary.updated).strftime("%Y-%m-%d %H:%M")
        pin = "*" if summary.pinned else " "
        title = for_terminal(summary.title, one_line=True) or "(untitled)"
        ident = for_terminal(summary.id, one_line=True)
        print(f"{ident}  {updated} {pin} {summary.message_count:>4}  {title}")
    return 0


def _export(store: ChatStore, args: argparse.Namespace) -> int:
    if args.all == bool(args.id):
        print("hearth: give one chat ID or --all (not both).", file=sys.stderr)
        return 2
    ids = None if args.all else [resolve_conversation(store, args.id).id]
    fmt = cast(ExportFormat, args.format)
    if args.output:
        path = export_file(store, ids, fmt, Path(args.output))
        print(f"Exported to {path}", file=sys.stderr)
    else:
        text = export_text(store, ids, fmt)
        # To a terminal, chat text is filtered; piped to a file it stays exact.
        sys.stdout.write(for_terminal(text) if sys.stdout.isatty() else text)
    return 0


def _search(store: ChatStore, query: str, limit: int) -> int:
    hits = store.search(query, limit=limit)
    if not hits:
        print("No matches.", file=sys.stderr)
        return 0
    for hit in hits:
        where = (
            "title" if hit.message_id is None else ("reasoning" if hit.in_reasoning else hit.role)
        )
        title = for_terminal(hit.conversation_title, one_line=True) or "(untitled)"
        print(f"{for_terminal(hit.conversation_id, one_line=True)}  {title}  [{where}]")
        print(f"    {for_terminal(hit.marked(), one_line=True)}")
    return 0


def resolve_conversation(store: ChatStore, text: str) -> ConversationSummary:
    """The conversation with id ``text``, or the only one whose id starts with it."""
    text = text.strip()
    matches = [s for s in store.list_conversations() if s.id == text]
    if not matches and text:
        matches = [s for s in store.list_conversations() if s.id.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise StoreError(f"No chat has the id {text!r}. `python -m app chats list` shows them.")
    raise StoreError(f"Several chats start with {text!r}; give more of the id.")


def _tolerant_stdout() -> None:
    """Never crash on a console that cannot show some characters (e.g. emoji on Windows)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")
