"""The ``knowledge`` section of ``bench``: indexing and query figures (figures, not asserts).

* indexing time and peak memory for a mixed Chinese/English corpus (default 1,000 files,
  10 MB), full-text only and, given an embedder, with embeddings;
* query latency p50/p95 over a collection of ``query_chunks`` chunks (default 100,000),
  full-text only and hybrid with vectors (random unit vectors of the embedder's width, or
  384 wide: the cost of the matrix product and fusion does not depend on their values).

Peak memory is the peak resident set size of this process during the phase, sampled by a
thread every 10 ms, less the size before it. The GUI heartbeat while indexing is measured
by the GUI bench (the Library runs this same indexing on the task runner).

    from app.core.bench_knowledge import run_knowledge_bench, format_knowledge_report
    result = run_knowledge_bench(workdir, embedder=None)   # small: docs=100, query_chunks=5000
    print(format_knowledge_report(result))
"""

from __future__ import annotations

import logging
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core.cancel import CancelToken
from app.core.knowledge.chunk import Chunk
from app.core.knowledge.collections import index_collection
from app.core.knowledge.embed import Embedder, normalise
from app.core.knowledge.index import KnowledgeIndex
from app.core.knowledge.retrieve import retrieve

log = logging.getLogger(__name__)

_EN_TEXT = (
    "the hearth keeps a small fire burning through the winter night while the chimney "
    "draws smoke upward and the stones hold warmth long after the flames have gone "
    "contract rent deposit notice repair tenant landlord budget project telescope mirror "
    "bread starter flour water oven crust bicycle chain tyre pressure tea kettle garden"
)
_ZH_THEMES = (
    "灶台烟囱合同租金押金维修通知预算项目望远镜面包酵母面粉烤箱"
    "自行车链条轮胎绿茶普洱花园冬天火焰石头温暖房东租客"
)
_SYLLABLES = [
    "ka",
    "ri",
    "to",
    "ne",
    "su",
    "mi",
    "la",
    "po",
    "de",
    "vo",
    "gra",
    "ster",
    "lin",
    "mont",
    "bel",
    "quar",
    "ish",
    "ent",
    "ion",
    "able",
    "ful",
    "ment",
]
#: Vocabulary sizes: a Zipf law over a few thousand words (and characters), as real notes
#: have, so that posting lists are long for common words and short for rare ones. (The
#: first version drew from 60 words, which put every query word in most chunks.)
_EN_VOCAB = 6000
_ZH_VOCAB = 2500


def _zipf_weights(n: int) -> list[float]:
    total = 0.0
    cumulative = []
    for rank in range(1, n + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return cumulative


def _english_vocab() -> list[str]:
    rng = random.Random(11)
    words = list(dict.fromkeys(_EN_TEXT.split()))
    seen = set(words)
    while len(words) < _EN_VOCAB:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _chinese_vocab() -> list[str]:
    # The themed characters first (the most frequent), then common CJK ideographs.
    chars = list(dict.fromkeys(_ZH_THEMES))
    seen = set(chars)
    code = 0x4E00
    while len(chars) < _ZH_VOCAB:
        if chr(code) not in seen:
            chars.append(chr(code))
        code += 1
    return chars


_EN = _english_vocab()
_ZH = _chinese_vocab()
_EN_CUM = _zipf_weights(len(_EN))
_ZH_CUM = _zipf_weights(len(_ZH))


def _paragraph(rng: random.Random, chinese: bool) -> str:
    if chinese:
        chars = rng.choices(_ZH, cum_weights=_ZH_CUM, k=rng.randint(60, 160))
        return "".join(chars) + "。"
    words = rng.choices(_EN, cum_weights=_EN_CUM, k=rng.randint(40, 110))
    return " ".join(words).capitalize() + "."


def _code_block(rng: random.Random, n: int) -> str:
    name = "_".join(rng.choices(_EN[:400], k=2))
    comment = "".join(rng.choices(_ZH, cum_weights=_ZH_CUM, k=12))
    return (
        f"def {name}_{n}(values: list[int]) -> int:\n"
        f"    # {comment}\n"
        f"    total = 0\n"
        f"    for value in values:\n"
        f"        total += value * {rng.randint(2, 99)}  # {rng.choice(_EN[:200])}\n"
        f"    return total\n"
    )


def _document(i: int, rng: random.Random, per_doc: int) -> tuple[str, str]:
    """(suffix, text): one file of the corpus. Every tenth is Python source; of the rest a
    third are mostly Chinese, the others mostly English, each with some paragraphs of the
    other language, Markdown headings and (in Markdown) fenced code."""
    if i % 10 == 9:
        parts = [f'"""Module {i}: {_paragraph(rng, False)[:80]}"""\n\n']
        size = 0
        n = 0
        while size < per_doc:
            block = _code_block(rng, n) + "\n\n"
            parts.append(block)
            size += len(block.encode("utf-8"))
            n += 1
        return "py", "".join(parts)
    chinese = i % 3 == 0
    markdown = i % 2 == 1
    parts = [f"# Note {i}\n\n" if markdown else f"Note {i}\n\n"]
    if markdown and i % 4 == 3:  # every other Markdown note opens with an example
        parts.append(f"```python\n{_code_block(rng, 0)}```\n\n")
    size = 0
    while size < per_doc:
        roll = rng.random()
        if roll < 0.12:
            parts.append(
                f"## Section {len(parts)}\n\n" if markdown else f"Section {len(parts)}\n\n"
            )
        elif markdown and roll < 0.16:
            block = f"```python\n{_code_block(rng, len(parts))}```\n\n"
            parts.append(block)
            size += len(block.encode("utf-8"))
        para = _paragraph(rng, chinese if rng.random() < 0.8 else not chinese)
        parts.append(para + "\n\n")
        size += len(para.encode("utf-8"))
    return ("md" if markdown else "txt"), "".join(parts)


def write_corpus(folder: Path, *, docs: int, total_bytes: int, seed: int = 1) -> int:
    """A deterministic mixed corpus (see ``_document``); returns the bytes written.

    The same ``seed`` and ``total_bytes / docs`` give the same first files, so a smaller
    corpus is a prefix of a larger one with the same size per file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    per_doc = max(200, total_bytes // max(1, docs))
    written = 0
    for i in range(docs):
        rng = random.Random(seed * 1_000_003 + i)
        suffix, text = _document(i, rng, per_doc)
        data = text.encode("utf-8")
        (folder / f"note-{i:05}.{suffix}").write_bytes(data)
        written += len(data)
    return written


class _PeakRss:
    """Samples this process's resident set size while a phase runs."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.start = self._process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(timeout=2)
        self.peak = max(self.peak, self._process.memory_info().rss)
        return int(self.peak - self.start)


@contextmanager
def _measure(into: dict[str, float]) -> Iterator[None]:
    sampler = _PeakRss()
    started = time.perf_counter()
    try:
        yield
    finally:
        into["seconds"] = round(time.perf_counter() - started, 3)
        into["peak_mb"] = round(sampler.stop() / 1048576, 1)
        into["peak_rss_mb"] = round(sampler.peak / 1048576, 1)


@dataclass
class KnowledgeBenchResult:
    docs: int
    corpus_mb: float
    #: seconds, peak_mb (growth of the resident set), peak_rss_mb, files, chunks
    indexing_fts: dict[str, float] = field(default_factory=dict)
    #: with ``embedder`` over the whole corpus: the same, plus chunks_embedded
    indexing_embed: dict[str, float] = field(default_factory=dict)
    embedder: str = ""
    #: with ``real_embedder`` over the first ``docs`` files: the same, plus docs, corpus_mb,
    #: chunks_per_s and the extrapolated seconds for the whole corpus
    indexing_real_embed: dict[str, float] = field(default_factory=dict)
    real_embedder: str = ""
    query_chunks: int = 0
    query_dim: int = 0
    query_fts_ms: dict[str, float] = field(default_factory=dict)
    query_vector_ms: dict[str, float] = field(default_factory=dict)
    query_hybrid_ms: dict[str, float] = field(default_factory=dict)
    #: the first vector query after the index changed (loads every vector from SQLite)
    query_vector_cold_ms: float = 0.0
    #: one query's embedding with the real embedder (not part of the latencies above)
    query_embed_ms: dict[str, float] = field(default_factory=dict)
    #: recall@3 on the fixture corpus: fts over every question; fts/vector/hybrid over the
    #: English ones with the real embedder
    recall_at_3: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def figures(self) -> dict[str, float]:
        """Flat numeric figures for the bench report (``knowledge_*`` keys)."""
        flat: dict[str, float] = {"knowledge_corpus_mb": self.corpus_mb}
        for name, values in (
            ("index_fts", self.indexing_fts),
            ("index_embed", self.indexing_embed),
            ("index_real_embed", self.indexing_real_embed),
            ("query_fts_ms", self.query_fts_ms),
            ("query_vector_ms", self.query_vector_ms),
            ("query_hybrid_ms", self.query_hybrid_ms),
            ("query_embed_ms", self.query_embed_ms),
            ("recall_at_3", self.recall_at_3),
        ):
            for key, value in values.items():
                flat[f"knowledge_{name}_{key}"] = float(value)
        if self.query_chunks:
            flat["knowledge_query_chunks"] = float(self.query_chunks)
            flat["knowledge_query_vector_cold_ms"] = self.query_vector_cold_ms
        return flat


class _RandomQueryEmbedder:
    """Query vectors for the latency run (the stored vectors are random too)."""

    def __init__(self, dim: int, model_id: str) -> None:
        self._dim = dim
        self._model_id = model_id
        self._rng = np.random.default_rng(3)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def embed_passages(
        self, texts: Sequence[str], *, cancel: CancelToken | None = None
    ) -> np.ndarray:
        return normalise(self._rng.standard_normal((len(texts), self._dim)))

    def embed_query(self, text: str) -> np.ndarray:
        row: np.ndarray = normalise(self._rng.standard_normal((1, self._dim)))[0]
        return row

    def close(self) -> None:
        pass


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": at(0.50), "p95": at(0.95), "mean": round(statistics.fmean(ordered), 2)}


def build_query_index(
    index: KnowledgeIndex, name: str, chunks: int, dim: int, seed: int = 2
) -> None:
    """``chunks`` synthetic chunks (100 per document) with random vectors of width ``dim``.

    Written through the index's own API (``write_document``, ``write_vectors``), so the
    FTS table, the chunk rows and the vector blobs are exactly what indexing writes.
    """
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    cid = index.create_collection(name)
    per_doc = 100
    for d in range(0, chunks, per_doc):
        items = [
            Chunk(i, _paragraph(rng, (d + i) % 3 == 0), f"Section {i}", None, i * 4 + 1, i * 4 + 3)
            for i in range(min(per_doc, chunks - d))
        ]
        index.write_document(
            cid, f"/bench/doc-{d // per_doc:05}.md", kind="markdown", size=0, mtime_ns=0,
            sha256="", chunks=items,
        )  # fmt: skip
    ids = [row[0] for row in index._query("SELECT id FROM chunks ORDER BY id")]
    for start in range(0, len(ids), 5000):
        part = ids[start : start + 5000]
        vectors = normalise(nrng.standard_normal((len(part), dim)))
        index.write_vectors("bench-random", list(zip(part, vectors, strict=True)))


def _chunk_count(index: KnowledgeIndex) -> int:
    return int(index._query("SELECT count(*) FROM chunks")[0][0])


def _index_corpus(
    path: Path, corpus: Path, into: dict[str, float], embedder: Embedder | None = None
) -> None:
    index = KnowledgeIndex(path)
    try:
        index.add_root("bench", corpus)
        with _measure(into):
            report = index_collection(index, "bench", embedder=embedder)
        into["files"] = report.indexed
        into["chunks"] = _chunk_count(index)
        if embedder is not None:
            into["chunks_embedded"] = report.embedded
            into["chunks_per_s"] = round(report.embedded / max(into["seconds"], 1e-6), 1)
    finally:
        index.close()


def _questions(count: int) -> list[str]:
    """Queries of 2-4 English words or 3-6 Chinese characters, drawn from the common half of
    the vocabulary (a query made of words no chunk contains measures nothing)."""
    rng = random.Random(9)
    questions = []
    for i in range(count):
        if i % 2:
            questions.append(" ".join(rng.choices(_EN[:2000], k=rng.randint(2, 4))))
        else:
            questions.append("".join(rng.choices(_ZH[:800], k=rng.randint(3, 6))))
    return questions


def _time_queries(run: Any, questions: Sequence[str]) -> dict[str, float]:
    samples: list[float] = []
    for question in questions:
        started = time.perf_counter()
        run(question)
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def measure_recall(
    corpus: Path, questions: Sequence[dict[str, str]], workdir: Path, embedder: Embedder | None
) -> dict[str, float]:
    """recall@3 on a fixture corpus: ``fts_all`` over every question; with an embedder,
    ``fts``/``vector``/``hybrid`` over the English questions (the vector model's language).

    A question counts as found when one of the 3 chunks is from its file and holds its
    passage (``{"q", "file", "passage"}``, as ``tests/support/corpus/questions.json``).
    """

    def recall(items: Sequence[dict[str, str]], **kwargs: Any) -> float:
        hits = 0
        for item in items:
            found = retrieve(index, ["notes"], item["q"], k=3, **kwargs)
            hits += any(
                Path(c.path).name == item["file"] and item["passage"] in c.text for c in found
            )
        return round(hits / max(1, len(items)), 3)

    index = KnowledgeIndex(workdir / "recall.sqlite3")
    try:
        index.add_root("notes", corpus)
        index_collection(index, "notes", embedder=embedder)
        figures = {"fts_all": recall(questions, mode="fts")}
        if embedder is not None:
            english = [q for q in questions if q["q"].isascii()]
            for mode in ("fts", "vector", "hybrid"):
                figures[mode] = recall(english, mode=mode, embedder=embedder)
        return figures
    finally:
        index.close()


def run_knowledge_bench(
    workdir: Path,
    *,
    docs: int = 1000,
    total_bytes: int = 10 * 1024 * 1024,
    query_chunks: int = 100_000,
    queries: int = 100,
    query_dim: int = 384,
    embedder: Embedder | None = None,
    embed_docs: int | None = None,
    real_embedder: Embedder | None = None,
    real_embed_docs: int = 100,
    recall_corpus: tuple[Path, Sequence[dict[str, str]]] | None = None,
    say: Callable[[str], None] = log.info,
) -> KnowledgeBenchResult:
    """Run the knowledge section in ``workdir`` (a scratch folder).

    ``embedder`` (e.g. the tiny random BERT: the shape of the cost) indexes the corpus with
    embeddings, or its first ``embed_docs`` files. ``real_embedder`` (e.g. all-MiniLM-L6-v2)
    indexes the first ``real_embed_docs`` files only, since a real model on a small CPU needs
    more than an hour for 10 MB. Embedding dominates, so chunks/s gives the extrapolated
    time for the whole corpus (``extrapolated_full_seconds``). Query latencies use random
    unit vectors ``query_dim`` wide (MiniLM and bge-small are 384): the cost of the matrix
    product and the fusion does not depend on the values.
    """
    corpus = workdir / "corpus"
    written = write_corpus(corpus, docs=docs, total_bytes=total_bytes)
    result = KnowledgeBenchResult(docs=docs, corpus_mb=round(written / 1048576, 2))
    say(f"knowledge: index {docs} files / {result.corpus_mb} MB, full-text")
    _index_corpus(workdir / "fts.sqlite3", corpus, result.indexing_fts)

    def with_embeddings(model: Embedder, part_docs: int, into: dict[str, float]) -> None:
        part_docs = min(docs, part_docs)
        subset = workdir / f"corpus-{part_docs}"
        if part_docs == docs:
            subset, part_bytes = corpus, written
        else:  # the first files of the same corpus (same size per file)
            part_bytes = write_corpus(
                subset, docs=part_docs, total_bytes=total_bytes * part_docs // docs
            )
        say(f"knowledge: index {part_docs} files with embeddings ({model.model_id})")
        _index_corpus(workdir / f"embed-{len(into)}-{part_docs}.sqlite3", subset, into, model)
        into["docs"] = part_docs
        into["corpus_mb"] = round(part_bytes / 1048576, 2)
        if into.get("chunks_per_s"):
            # Embedding dominates: the whole corpus's chunks at the measured rate, plus
            # the full-text indexing.
            into["extrapolated_full_seconds"] = round(
                result.indexing_fts["chunks"] / into["chunks_per_s"]
                + result.indexing_fts["seconds"]
            )

    if embedder is not None:
        result.embedder = embedder.model_id
        with_embeddings(embedder, embed_docs or docs, result.indexing_embed)
    if real_embedder is not None:
        result.real_embedder = real_embedder.model_id
        with_embeddings(real_embedder, real_embed_docs, result.indexing_real_embed)
        result.query_embed_ms = _time_queries(real_embedder.embed_query, _questions(20))

    if recall_corpus is not None:
        say("knowledge: recall@3 on the fixture corpus")
        result.recall_at_3 = measure_recall(
            recall_corpus[0], recall_corpus[1], workdir, real_embedder
        )

    if query_chunks > 0:
        say(f"knowledge: build a {query_chunks}-chunk index for the query latencies")
        index = KnowledgeIndex(workdir / "query.sqlite3")
        try:
            build_query_index(index, "q", query_chunks, query_dim)
            result.query_chunks = query_chunks
            result.query_dim = query_dim
            questions = _questions(queries)
            say(f"knowledge: {queries} queries, full-text, vector and hybrid")
            result.query_fts_ms = _time_queries(
                lambda q: retrieve(index, ["q"], q, k=5, mode="fts"), questions
            )
            fake = _RandomQueryEmbedder(query_dim, "bench-random")
            started = time.perf_counter()
            retrieve(index, ["q"], "warm the vector cache", k=5, embedder=fake, mode="vector")
            result.query_vector_cold_ms = round((time.perf_counter() - started) * 1000, 1)
            result.query_vector_ms = _time_queries(
                lambda q: retrieve(index, ["q"], q, k=5, embedder=fake, mode="vector"), questions
            )
            result.query_hybrid_ms = _time_queries(
                lambda q: retrieve(index, ["q"], q, k=5, embedder=fake), questions
            )
        finally:
            index.close()
    return result


def format_knowledge_report(result: KnowledgeBenchResult) -> str:
    """Markdown lines for docs/BENCHMARKS.md."""
    fts, emb, real = result.indexing_fts, result.indexing_embed, result.indexing_real_embed

    def row(label: str, values: dict[str, float]) -> str:
        return (
            f"| {label} | {values.get('files', '')} | {values.get('chunks', '')} "
            f"| {values.get('seconds')} | {values.get('peak_mb')} | {values.get('peak_rss_mb')} |"
        )

    lines = [
        "## knowledge",
        "",
        f"Corpus: {result.docs} files, {result.corpus_mb} MB (Markdown, text and Python; a "
        "third mostly Chinese, the rest mostly English, each with paragraphs of the other).",
        "",
        "| phase | files | chunks | seconds | peak memory growth (MB) | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
        row("index, full-text only", fts),
    ]
    for name, values in ((result.embedder, emb), (result.real_embedder, real)):
        if values:
            lines.append(row(f"index with embeddings ({name})", values))
    for name, values in ((result.embedder, emb), (result.real_embedder, real)):
        if values:
            lines.append(
                f"\nWith {name}: {values.get('chunks_per_s')} chunks/s over "
                f"{values.get('docs')} files ({values.get('corpus_mb')} MB), so about "
                f"{values.get('extrapolated_full_seconds')} s for the whole corpus."
            )
    if result.query_embed_ms:
        lines.append(
            f"\nOne query's embedding with {result.real_embedder}: p50 "
            f"{result.query_embed_ms.get('p50')} ms, p95 {result.query_embed_ms.get('p95')} ms."
        )
    if result.query_chunks:
        lines += [
            "",
            f"Queries over {result.query_chunks} chunks ({result.query_dim}-wide vectors), ms:",
            "",
            "| mode | p50 | p95 | mean |",
            "|---|---|---|---|",
        ]
        for label, values in (
            ("full-text (BM25)", result.query_fts_ms),
            ("vector (numpy cosine)", result.query_vector_ms),
            ("hybrid (RRF)", result.query_hybrid_ms),
        ):
            lines.append(
                f"| {label} | {values.get('p50')} | {values.get('p95')} | {values.get('mean')} |"
            )
        lines.append(
            f"\nQuery embedding excluded; the first vector query after a change loads the "
            f"vectors: {result.query_vector_cold_ms} ms."
        )
    if result.recall_at_3:
        lines.append(
            "\nrecall@3 on the fixture corpus: "
            + ", ".join(f"{k} {v}" for k, v in result.recall_at_3.items())
        )
    return "\n".join(lines)
