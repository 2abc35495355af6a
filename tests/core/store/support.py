"""Helpers shared by the chat store tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.store import ChatStore


def turn(store: ChatStore, conversation_id: str, parent: str | None, q: str, a: str) -> str:
    """A question and its answer under ``parent``; returns the answer's id."""
    question = store.add_message(conversation_id, parent, "user", q)
    answer = store.add_message(conversation_id, question.id, "assistant", a)
    return answer.id


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    """Every schema object of a database file, with its SQL normalised to words."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    # ALTER TABLE ADD COLUMN writes the columns into the same CREATE TABLE text, but
    # spacing may differ; compare the words.
    return [(t, n, " ".join(s.replace("(", " ( ").replace(",", " , ").split())) for t, n, s in rows]
