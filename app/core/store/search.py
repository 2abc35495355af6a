"""Full-text search over titles, answers and reasoning (FTS5 trigram; works for Chinese)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from app.core.chat import Role
from app.core.store.base import StoreBase
from app.core.store.values import SearchHit, clean_text

#: Query words shorter than this are not trigrams themselves: they are expanded to the
#: indexed trigrams they start, or searched with LIKE when they are common.
MIN_FTS_TERM = 3
#: A 1-2 character query word that starts more indexed trigrams than this is common,
#: and is searched with LIKE instead (which then finds the newest hits quickly).
MAX_SHORT_TERM_EXPANSION = 64
#: A query is cut to this many characters and words (a pasted page is not a query).
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 16
# Search highlights are private-use characters while building snippets, so a chat that
# itself contains « or » cannot confuse the span computation.
_MARK_OPEN = "\ue000"
_MARK_CLOSE = "\ue001"


class StoreSearch(StoreBase):
    """The search part of :class:`ChatStore` (reads only)."""

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Titles, answers and reasoning containing every word of ``query``; newest first.

        Words of 3+ characters use the trigram index directly. A rare 1-2 character word
        uses it through the trigrams it starts; a common one uses LIKE, which meets
        enough hits among the newest messages at once. ``"quoted words"`` are searched
        as one phrase. The text is never parsed as FTS
        syntax, so quotes, ``AND`` or ``*`` are just characters.
        """
        terms = _query_terms(query)
        if not terms or limit <= 0:
            return []
        long_terms = [t for t in terms if len(t) >= MIN_FTS_TERM]
        short_terms = [t for t in terms if len(t) < MIN_FTS_TERM]
        pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
        with self._reading() as conn:
            title_rows = self._search_titles(conn, long_terms, short_terms, limit)
            message_rows = self._search_messages(conn, long_terms, short_terms, limit)
            note_rows = self._search_notes(conn, terms, limit)
        hits: list[SearchHit] = []
        for conversation_id, title, updated in title_rows:
            snippet, spans = _snippet(title, pattern)
            hits.append(
                SearchHit(conversation_id, title, None, None, snippet, spans, False, updated)
            )
        for message_id, conversation_id, title, role, content, reasoning, created in message_rows:
            snippet, spans = _snippet(content, pattern)
            in_reasoning = False
            if not spans and reasoning:
                snippet, spans = _snippet(reasoning, pattern)
                in_reasoning = bool(spans)
            hits.append(
                SearchHit(
                    conversation_id,
                    title,
                    message_id,
                    role,
                    snippet,
                    spans,
                    in_reasoning,
                    created,
                )
            )
        found = {hit.message_id for hit in hits if hit.message_id}
        for message_id, conversation_id, title, note, created in note_rows:
            if message_id in found:
                continue
            snippet, spans = _snippet(note, pattern)
            hits.append(
                SearchHit(
                    conversation_id, title, message_id, "assistant", snippet, spans, False, created
                )
            )
        hits.sort(key=lambda hit: hit.created, reverse=True)
        return hits[:limit]

    def _search_notes(
        self, conn: sqlite3.Connection, terms: list[str], limit: int
    ) -> list[tuple[str, str, str, str, float]]:
        """Answers whose rating note contains every term (notes are few: LIKE suffices)."""
        where = ["c.deleted_at IS NULL"]
        params: list[Any] = []
        for term in terms:
            where.append("r.note LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(term))
        rows = conn.execute(
            "SELECT m.id, m.conversation_id, c.title, r.note, m.created FROM ratings r "
            "JOIN messages m ON m.id = r.message_id "
            "JOIN conversations c ON c.id = m.conversation_id "
            f"WHERE {' AND '.join(where)} ORDER BY r.updated DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4])) for r in rows]

    def _search_titles(
        self, conn: sqlite3.Connection, long_terms: list[str], short_terms: list[str], limit: int
    ) -> list[tuple[str, str, float]]:
        where = ["c.deleted_at IS NULL"]
        params: list[Any] = []
        source = "conversations c"
        if long_terms:
            source = "conversations_fts f JOIN conversations c ON c.seq = f.rowid"
            where.append("conversations_fts MATCH ?")
            params.append(_fts_query(long_terms))
        for term in short_terms:
            where.append("c.title LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(term))
        rows = conn.execute(
            f"SELECT c.id, c.title, c.updated FROM {source} WHERE {' AND '.join(where)} "
            "ORDER BY c.updated DESC LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]

    def _search_messages(
        self, conn: sqlite3.Connection, long_terms: list[str], short_terms: list[str], limit: int
    ) -> list[tuple[str, str, str, Role, str, str, float]]:
        where = ["c.deleted_at IS NULL"]
        params: list[Any] = []
        match = [_fts_phrase(term) for term in long_terms]
        like_terms: list[str] = []
        for term in short_terms:
            expansion = self._expand_short_term(conn, term)
            if expansion is None:
                like_terms.append(term)
            elif not expansion:
                return []  # no indexed text contains it
            else:
                match.append("(" + " OR ".join(expansion) + ")")
        if match:
            # Walking the index by descending rowid (insertion order) stops after `limit`
            # hits, so even a word in every message costs about the same as a rare one.
            source = (
                "messages_fts f JOIN messages m ON m.seq = f.rowid "
                "JOIN conversations c ON c.id = m.conversation_id"
            )
            where.append("messages_fts MATCH ?")
            params.append(" AND ".join(match))
            order = "f.rowid DESC"
        else:
            source = "messages m JOIN conversations c ON c.id = m.conversation_id"
            order = "m.seq DESC"
        for term in like_terms:
            where.append("(m.content LIKE ? ESCAPE '\\' OR m.reasoning LIKE ? ESCAPE '\\')")
            params += [_like_pattern(term)] * 2
        rows = conn.execute(
            f"SELECT m.id, m.conversation_id, c.title, m.role, m.content, m.reasoning, m.created "
            f"FROM {source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [cast(tuple[str, str, str, Role, str, str, float], tuple(r)) for r in rows]

    def _expand_short_term(self, conn: sqlite3.Connection, term: str) -> list[str] | None:
        """The indexed trigrams that start with a 1-2 character ``term``, as FTS phrases.

        ``[]`` means no message contains the term. ``None`` means too many trigrams do:
        the term is common, so a LIKE scan, newest first, finds ``limit`` hits quickly.
        (A rare short term is the slow case for LIKE: it reads every message.)
        """
        if not self._vocabulary_ready:
            conn.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.messages_fts_vocab "
                "USING fts5vocab(main, 'messages_fts', 'row')"
            )
            self._vocabulary_ready = True
        folded = term.lower()
        rows = conn.execute(
            "SELECT term FROM temp.messages_fts_vocab WHERE term >= ? AND term < ? LIMIT ?",
            (folded, folded + "\U0010ffff", MAX_SHORT_TERM_EXPANSION + 1),
        ).fetchall()
        if len(rows) > MAX_SHORT_TERM_EXPANSION:
            return None
        return [_fts_phrase(str(r[0])) for r in rows]


# --- Search helpers --------------------------------------------------------------------

_TERM_RE = re.compile(r'"([^"]+)"|(\S+)')


# Control characters (NUL above all: FTS5 and LIKE stop reading a pattern at a NUL) and
# the snippet marks separate words in a query; nobody means to search for them.
_QUERY_SEPARATORS = re.compile(f"[\\x00-\\x1f\\x7f{_MARK_OPEN}{_MARK_CLOSE}]")


def _query_terms(query: str) -> list[str]:
    text = clean_text(_QUERY_SEPARATORS.sub(" ", query[:MAX_QUERY_CHARS]))
    terms: list[str] = []
    for match in _TERM_RE.finditer(text):
        term = (match.group(1) or match.group(2) or "").strip()
        if term and term.lower() not in (t.lower() for t in terms):
            terms.append(term)
    return terms[:MAX_QUERY_TERMS]


def _fts_phrase(term: str) -> str:
    # A quoted phrase: FTS5 then treats every character of the term literally.
    return '"' + term.replace('"', '""') + '"'


def _fts_query(terms: Sequence[str]) -> str:
    return " AND ".join(_fts_phrase(term) for term in terms)


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _snippet(
    text: str, pattern: re.Pattern[str], width: int = 80
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About ``width`` characters of ``text`` around the first match, on one line."""
    first = pattern.search(text)
    if first is None:
        flat = " ".join(text[: width * 2].split())
        return (flat[:width] + ("…" if len(flat) > width else "")), ()
    start = max(0, first.start() - width // 3)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    window = text[start:end].replace(_MARK_OPEN, " ").replace(_MARK_CLOSE, " ")
    marked = pattern.sub(lambda m: _MARK_OPEN + m.group(0) + _MARK_CLOSE, window)
    marked = " ".join(marked.split())
    if start > 0:
        marked = "…" + marked
    if end < len(text):
        marked += "…"
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    open_at = 0
    for char in marked:
        if char == _MARK_OPEN:
            open_at = len(plain)
        elif char == _MARK_CLOSE:
            spans.append((open_at, len(plain)))
        else:
            plain.append(char)
    return "".join(plain), tuple(spans)
