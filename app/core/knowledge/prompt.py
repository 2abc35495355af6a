"""The user message for files and sources, in DeepSeek's published R1 file format, within
the context budget.

DeepSeek's R1 usage notes give the file-upload prompt (no system prompt, as for every R1
turn)::

    [file name]: {file_name}
    [file content begin]
    {file_content}
    [file content end]
    {question}

An attachment goes in whole when it fits; otherwise only its most relevant chunks (by a
small in-memory BM25 over the question's terms), kept in document order. Retrieved
sources from collections are numbered files "[1] …", and the question asks for [n]
citations. The budget: the whole prompt stays inside the context and leaves
``reserve_answer`` tokens for the reply; what the sources take is reported to the meter.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from app.core.knowledge.chunk import Chunk, chunk_text, estimate_tokens
from app.core.knowledge.extract import is_cjk
from app.core.knowledge.index import StoredChunk, search_form

#: Tokens kept free for the answer (R1 thinks before it answers, so this is generous).
DEFAULT_RESERVE_ANSWER: Final = 2048
TokenCounter = Callable[[str], int]

CITE_EN: Final = (
    "Answer the question using the numbered files above. After each claim that uses a "
    "file, cite it as [1], [2], …; if the files do not contain the answer, say so."
)
CITE_ZH: Final = (
    "请根据上面编号的文件回答问题。每个用到文件内容的论断后面用 [1]、[2] 等标注出处；"
    "如果文件中没有答案，请直接说明。"
)


def file_block(name: str, content: str) -> str:
    """One file in R1's format."""
    return f"[file name]: {name}\n[file content begin]\n{content}\n[file content end]\n"


@dataclass(frozen=True, slots=True)
class AttachedText:
    """An attachment as the prompt needs it (the store keeps size and hash besides)."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    """The user message's content, with what the files and sources cost."""

    content: str
    source_tokens: int
    #: Attachments that did not fit whole and were cut to their relevant chunks.
    shortened: tuple[str, ...] = ()
    #: Sources left out because the budget ran out.
    dropped_sources: int = 0


def source_label(number: int, chunk: StoredChunk) -> str:
    from pathlib import Path

    where = f" ({chunk.location})" if chunk.location else ""
    return f"[{number}] {Path(chunk.path).name}{where}"


def wants_chinese(text: str) -> bool:
    return sum(1 for c in text if is_cjk(c)) >= max(2, len(text.strip()) // 5)


def rank_chunks(chunks: Sequence[Chunk], question: str) -> list[int]:
    """Chunk indexes by BM25 against the question (k1=1.2, b=0.75), best first."""
    terms = set(search_form(question).lower().split())
    docs = [Counter(search_form(c.text).lower().split()) for c in chunks]
    if not docs:
        return []
    avg = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    scores: list[float] = []
    for doc in docs:
        length = sum(doc.values())
        score = 0.0
        for term in terms:
            tf = doc.get(term, 0)
            if not tf:
                continue
            df = sum(1 for d in docs if term in d)
            idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / avg))
        scores.append(score)
    return sorted(range(len(docs)), key=lambda i: (-scores[i], i))


def fit_text(text: str, question: str, budget: int, count: TokenCounter) -> tuple[str, bool]:
    """``(content, shortened)``: the whole text when it fits ``budget`` tokens, else the
    most relevant chunks that fit, in document order, joined by an ellipsis line."""
    if count(text) <= budget:
        return text, False
    chunks = chunk_text(text)
    chosen: list[int] = []
    used = 0
    for i in rank_chunks(chunks, question):
        cost = count(chunks[i].text) + 2
        if used + cost > budget:
            continue
        chosen.append(i)
        used += cost
    return "\n…\n".join(chunks[i].text for i in sorted(chosen)), True


def build_user_content(
    question: str,
    *,
    attachments: Sequence[AttachedText] = (),
    sources: Sequence[StoredChunk] = (),
    budget: int,
    count: TokenCounter = estimate_tokens,
) -> BuiltPrompt:
    """The user message: files, then numbered sources, then the question.

    ``budget`` is how many tokens the files and sources may take in all (see
    :func:`source_budget`). Attachments come first and share the budget evenly; sources
    fill what is left, best first, and those that do not fit are left out.
    """
    parts: list[str] = []
    shortened: list[str] = []
    remaining = max(0, budget)
    for position, item in enumerate(attachments):
        share = remaining // max(1, len(attachments) - position)
        overhead = count(file_block(item.name, ""))
        content, cut = fit_text(item.text, question, max(0, share - overhead), count)
        if not content.strip():
            # Not even one passage fits: leave the file out rather than send it empty.
            shortened.append(item.name)
            continue
        block = file_block(item.name, content)
        parts.append(block)
        remaining -= count(block)
        if cut:
            shortened.append(item.name)
    dropped = 0
    numbered = 0
    for chunk in sources:
        block = file_block(source_label(numbered + 1, chunk), chunk.text)
        cost = count(block)
        if cost > remaining:
            dropped += 1
            continue
        numbered += 1
        parts.append(block)
        remaining -= cost
    used = max(0, budget) - remaining
    if numbered:
        parts.append(CITE_ZH if wants_chinese(question) else CITE_EN)
    parts.append(question)
    return BuiltPrompt("\n".join(parts), used, tuple(shortened), dropped)


def source_budget(
    n_ctx: int, history_tokens: int, question_tokens: int, *, reserve_answer: int = 0
) -> int:
    """Tokens files and sources may take: the context less the history, the question, the
    template's overhead and the room kept for the answer (at least a quarter of the context
    or ``DEFAULT_RESERVE_ANSWER``, whichever is smaller, unless given)."""
    reserve = reserve_answer or min(DEFAULT_RESERVE_ANSWER, max(64, n_ctx // 4))
    overhead = 32
    return max(0, n_ctx - history_tokens - question_tokens - reserve - overhead)
