"""Recovering a damaged database: move it aside (never delete), read what can be read."""

from __future__ import annotations

import logging
import math
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from app.core.chat import Role
from app.core.store.connection import _sidecars
from app.core.store.values import (
    MESSAGE_STATES,
    ROLES,
    ImportedConversation,
    MessageState,
    OpenReport,
    StoredMessage,
    _load_json,
    _with_parent,
    clamp_time,
)

log = logging.getLogger(__name__)

#: States of schema version 2 and before, with what they are now (see schema.py).
_OLD_STATES = {"complete": "finished", "error": "failed"}


def _move_aside(db: Path) -> Path:
    """Rename the damaged file (and its WAL) out of the way, never deleting anything."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = db.with_name(f"{db.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = db.with_name(f"{db.name}.corrupt-{stamp}-{counter}")
    db.replace(aside)
    for sidecar, suffix in zip(_sidecars(db), ("-wal", "-shm"), strict=True):
        if sidecar.exists():
            sidecar.replace(aside.with_name(aside.name + suffix))
    return aside


_RECOVER_TABLES = {
    "conversations": ("id", "title", "created", "updated", "pinned", "settings_json"),
    "messages": (
        "id",
        "conversation_id",
        "parent_id",
        "role",
        "content",
        "reasoning",
        "state",
        "created",
        "updated",
        "provenance_json",
    ),
}


def _read_rows_tolerantly(db: Path, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` that can still be read, stepping around damaged pages."""
    try:
        conn = sqlite3.connect(str(db), isolation_level=None)
    except sqlite3.Error:
        return []
    try:
        # With writable_schema, SQLite reads a truncated file up to its real end instead
        # of refusing it outright (the same switch the sqlite3 shell's .recover uses).
        conn.execute("PRAGMA writable_schema = ON")
        columns = [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    except sqlite3.DatabaseError:
        conn.close()
        return []
    try:
        return _scan_rows(conn, table, [c for c in _RECOVER_TABLES[table] if c in columns])
    finally:
        conn.close()


def _scan_rows(conn: sqlite3.Connection, table: str, wanted: list[str]) -> list[dict[str, Any]]:
    if "id" not in wanted:
        return []
    select = f'SELECT rowid, {", ".join(chr(34) + c + chr(34) for c in wanted)} FROM "{table}"'
    rows: dict[int, dict[str, Any]] = {}
    last = 0
    try:
        # Fast path: one ordered scan, which stops at the first damaged page.
        for row in conn.execute(f"{select} ORDER BY rowid"):
            last = int(row[0])
            rows[last] = dict(zip(wanted, row[1:], strict=True))
        return list(rows.values())
    except sqlite3.DatabaseError:
        pass
    # Slow path: look each rowid up by itself, so a lost page costs only the rows on it.
    # Rowids are dense (INTEGER PRIMARY KEY), so a long run of misses means the end.
    try:
        upper: int | None = conn.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlite3.DatabaseError:
        upper = None
    if upper is not None:
        upper = min(upper, last + 5_000_000)
    rowid, misses = last + 1, 0
    while (rowid <= upper) if upper is not None else (misses < 20_000):
        try:
            row = conn.execute(f"{select} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            misses += 1
        else:
            misses = 0
            rows[rowid] = dict(zip(wanted, row[1:], strict=True))
        rowid += 1
    return list(rows.values())


def _recover_with_cli(source: Path, scratch: Path) -> Path | None:
    """Run ``sqlite3 source .recover | sqlite3 scratch``; returns ``scratch`` on success."""
    cli = shutil.which("sqlite3")
    if not cli:
        return None
    try:
        with subprocess.Popen(
            [cli, str(source), ".recover"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as dump:
            loader = subprocess.run(
                [cli, str(scratch)],
                stdin=dump.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=600,
                check=False,
            )
            dump.wait(timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("chat store: sqlite3 .recover failed: %r", exc)
        return None
    log.info("chat store: sqlite3 .recover exited %s/%s", dump.returncode, loader.returncode)
    return scratch if scratch.exists() else None


def _recovered_rows(damaged: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Conversations and messages readable from a damaged database (best of two ways)."""
    with tempfile.TemporaryDirectory(prefix="hearth-recover-") as tmp:
        work = Path(tmp) / "damaged.sqlite3"
        # Work on a copy: opening the file may replay or delete its WAL, and the
        # damaged file must stay exactly as it was for the user (or a bug report).
        shutil.copyfile(damaged, work)
        for suffix in ("-wal",):
            sidecar = damaged.with_name(damaged.name + suffix)
            if sidecar.exists():
                shutil.copyfile(sidecar, work.with_name(work.name + suffix))
        best: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        candidates = [work]
        recovered = _recover_with_cli(work, Path(tmp) / "recovered.sqlite3")
        if recovered is not None:
            candidates.insert(0, recovered)
        for candidate in candidates:
            conversations = _read_rows_tolerantly(candidate, "conversations")
            messages = _read_rows_tolerantly(candidate, "messages")
            if len(messages) + len(conversations) > len(best[0]) + len(best[1]):
                best = (conversations, messages)
        return best


def _as_float(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return clamp_time(number) if math.isfinite(number) else default


def _recovered_conversations(
    conversations: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> list[ImportedConversation]:
    """Rebuild whole conversations from loose recovered rows, dropping what is unusable."""
    now = time.time()
    by_conversation: dict[str, list[StoredMessage]] = {}
    seen_messages: set[str] = set()
    for row in messages:
        message_id, conversation_id = row.get("id"), row.get("conversation_id")
        if not isinstance(message_id, str) or not isinstance(conversation_id, str):
            continue
        if message_id in seen_messages:
            continue
        role = row.get("role")
        if role not in ROLES:
            continue
        state = row.get("state")
        state = _OLD_STATES.get(state, state) if isinstance(state, str) else None
        state = "interrupted" if state == "streaming" or state not in MESSAGE_STATES else state
        parent = row.get("parent_id")
        content, reasoning = row.get("content"), row.get("reasoning")
        created = _as_float(row.get("created"), now)
        seen_messages.add(message_id)
        by_conversation.setdefault(conversation_id, []).append(
            StoredMessage(
                id=message_id,
                conversation_id=conversation_id,
                parent_id=parent if isinstance(parent, str) else None,
                role=cast(Role, role),
                content=content if isinstance(content, str) else "",
                reasoning=reasoning if isinstance(reasoning, str) else "",
                state=cast(MessageState, state),
                created=created,
                updated=_as_float(row.get("updated"), created),
                provenance=_load_json(row.get("provenance_json")),
            )
        )
    headers: dict[str, dict[str, Any]] = {}
    for row in conversations:
        if isinstance(row.get("id"), str):
            headers.setdefault(row["id"], row)
    result: list[ImportedConversation] = []
    for conversation_id in dict.fromkeys([*headers, *by_conversation]):
        items = by_conversation.get(conversation_id, [])
        ids = {m.id for m in items}
        # A parent lost with a damaged page would leave a dangling branch: make it a root.
        items = [
            m if m.parent_id is None or m.parent_id in ids else _with_parent(m, None) for m in items
        ]
        header = headers.get(conversation_id, {})
        created = _as_float(header.get("created"), min((m.created for m in items), default=now))
        title = header.get("title")
        result.append(
            ImportedConversation(
                id=conversation_id,
                title=title if isinstance(title, str) else "Recovered chat",
                created=created,
                updated=_as_float(header.get("updated"), created),
                pinned=bool(header.get("pinned")),
                settings=_load_json(header.get("settings_json")),
                messages=items,
            )
        )
    return result


def _make_report(aside: Path | None, recovered: tuple[int, int], interrupted: int) -> OpenReport:
    sentences: list[str] = []
    if aside is not None:
        conversations, messages = recovered
        sentences.append(
            f"The chat history file was damaged. It was kept as {aside} and a new one was "
            f"started; {messages} messages in {conversations} conversations were recovered."
        )
    if interrupted:
        noun = "answer was" if interrupted == 1 else "answers were"
        sentences.append(
            f"{interrupted} {noun} cut off when Hearth last stopped unexpectedly; they are "
            "marked as interrupted and can be continued."
        )
    return OpenReport(
        recovered_from=aside,
        recovered_conversations=recovered[0],
        recovered_messages=recovered[1],
        interrupted_marked=interrupted,
        message=" ".join(sentences),
    )
