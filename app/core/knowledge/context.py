"""What a turn with files or sources sends: the user message in R1's file format, and the
small provenance that says what was attached and which chunks were used.

The user message's stored *content* is exactly what the model sees (file blocks, then the
question), so export, regenerate and a restart all see the same input without a second
copy. :func:`split_user_content` recovers the files and the question for display (chips
above the question). The provenance keeps file name, size, sha256 and kind of each
attachment, and the citation data of each numbered source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.core.knowledge.chunk import estimate_tokens
from app.core.knowledge.extract import Extracted
from app.core.knowledge.index import StoredChunk
from app.core.knowledge.prompt import (
    CITE_EN,
    CITE_ZH,
    AttachedText,
    TokenCounter,
    build_user_content,
    source_budget,
)

#: Estimates are not the model's tokenizer: keep this share of the budget unused.
SAFETY: Final = 0.85

_BLOCK = re.compile(
    r"\[file name\]: (?P<name>[^\n]*)\n\[file content begin\]\n"
    r"(?P<body>.*?)\n\[file content end\]\n",
    re.S,
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to one message, already extracted (off the GUI thread)."""

    name: str
    path: str
    size: int
    sha256: str
    kind: str
    text: str

    @classmethod
    def from_extracted(cls, path: Path, doc: Extracted) -> Attachment:
        return cls(doc.name, str(path), doc.size, doc.sha256, doc.kind, doc.text)


@dataclass(frozen=True, slots=True)
class PreparedInput:
    content: str
    provenance: dict[str, Any]
    source_tokens: int


def utf8_bytes(text: str) -> int:
    """An upper bound of any byte-level BPE's token count: one token per byte at most."""
    return len(text.encode("utf-8")) + 1


def prepare_user_input(
    question: str,
    *,
    attachments: Sequence[Attachment] = (),
    sources: Sequence[StoredChunk] = (),
    history: Sequence[str] = (),
    n_ctx: int,
    reserve_answer: int = 0,
    scale: float = SAFETY,
    count: TokenCounter = estimate_tokens,
    budget: int | None = None,
) -> PreparedInput:
    """The user message and its provenance, inside the context budget (by ``count``);
    ``budget`` overrides the computed one (tokens for files and sources)."""
    if budget is None:
        history_tokens = sum(count(text) for text in history)
        budget = source_budget(
            n_ctx or 4096,
            history_tokens,
            count(question),
            reserve_answer=reserve_answer,
        )
        budget = int(budget * max(0.0, scale))
    built = build_user_content(
        question,
        attachments=[AttachedText(a.name, a.text) for a in attachments],
        sources=sources,
        budget=budget,
        count=count,
    )
    used = list(sources)[: len(sources) - built.dropped_sources] if sources else []
    provenance: dict[str, Any] = {}
    if attachments:
        provenance["attachments"] = [
            {
                "name": a.name,
                "size": a.size,
                "sha256": a.sha256,
                "kind": a.kind,
                "shortened": a.name in built.shortened,
            }
            for a in attachments
        ]
    if used:
        provenance["sources"] = [source_record(n, chunk) for n, chunk in enumerate(used, 1)]
    provenance["source_tokens"] = built.source_tokens
    return PreparedInput(built.content, provenance, built.source_tokens)


def prepare_fitted(
    question: str,
    *,
    attachments: Sequence[Attachment] = (),
    sources: Sequence[StoredChunk] = (),
    history: Sequence[str] = (),
    n_ctx: int,
    reserve_answer: int,
    measure: Callable[[str], int | None],
) -> PreparedInput:
    """Like :func:`prepare_user_input`, checked with the model's own tokenizer.

    ``measure(content)`` gives the real prompt tokens of a user message with that content
    (None when no tokenizer is at hand). The budget shrinks until the message fits the
    context less the answer's room; without a tokenizer, UTF-8 bytes bound the tokens.
    """
    limit = max(0, (n_ctx or 4096) - reserve_answer)
    common = {
        "attachments": attachments,
        "sources": sources,
        "history": history,
        "n_ctx": n_ctx,
        "reserve_answer": reserve_answer,
    }
    budget: int | None = None
    for _attempt in range(5):
        prepared = prepare_user_input(question, budget=budget, **common)  # type: ignore[arg-type]
        real = measure(prepared.content)
        if real is None:
            return prepare_user_input(question, count=utf8_bytes, **common)  # type: ignore[arg-type]
        if real <= limit or prepared.source_tokens == 0:
            return prepared
        # Shrink what the files and sources take by the overshoot, converted from the
        # model's tokens into the estimate's units, with a margin.
        per_estimate = real / max(1, estimate_tokens(prepared.content))
        overshoot = (real - limit) / per_estimate
        budget = max(0, int((prepared.source_tokens - overshoot) * 0.9) - 8)
    # Nothing but the question fits: send it without files or sources.
    return prepare_user_input(question, budget=0, **common)  # type: ignore[arg-type]


def source_record(number: int, chunk: StoredChunk) -> dict[str, Any]:
    """One used chunk, as provenance and the Sources block keep it."""
    return {
        "n": number,
        "chunk_id": chunk.id,
        "path": chunk.path,
        "page": chunk.page,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "collection": chunk.collection,
        "heading": chunk.heading,
        "snippet": chunk.text[:600],
    }


def split_user_content(content: str) -> tuple[list[tuple[str, str]], str]:
    """``(files, question)`` of a stored user message (files are ``(name, body)``)."""
    files: list[tuple[str, str]] = []
    position = 0
    while True:
        match = _BLOCK.match(content, position)
        if match is None:
            break
        files.append((match.group("name"), match.group("body")))
        position = match.end()
        while content.startswith("\n", position):
            position += 1
    rest = content[position:]
    for instruction in (CITE_EN, CITE_ZH):
        if files and rest.startswith(instruction + "\n"):
            rest = rest[len(instruction) + 1 :]
    return files, rest


def stored_attachments(content: str, provenance: Mapping[str, Any] | None) -> list[Attachment]:
    """The files a stored user message carried, as attachments again (an edit keeps them).

    Name, size, sha256 and kind come from the provenance; the text is the file's block in
    the message: the whole file, or for one that did not fit, the passages that were sent
    (the rest was never stored). A file left out entirely keeps its record with no text.
    Library sources (numbered blocks) are not attachments and are not returned.
    """
    records = (provenance or {}).get("attachments")
    if not isinstance(records, list):
        return []
    files, _question = split_user_content(content)
    position = 0
    out: list[Attachment] = []
    for record in records:
        if not isinstance(record, Mapping):
            continue
        name = str(record.get("name", ""))
        text = ""
        # Blocks are in the attachments' order; one left out has no block to match.
        for at in range(position, len(files)):
            if files[at][0] == name:
                text = files[at][1]
                position = at + 1
                break
        size = record.get("size", 0)
        out.append(
            Attachment(
                name=name,
                path="",
                size=size if isinstance(size, int) else 0,
                sha256=str(record.get("sha256", "")),
                kind=str(record.get("kind", "")),
                text=text,
            )
        )
    return out
