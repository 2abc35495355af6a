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
from collections.abc import Iterator, Sequence
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
_EN = _EN_TEXT.split()
_ZH = (
    "灶台烟囱合同租金押金维修通知预算项目望远镜面包酵母面粉烤箱"
    "自行车链条轮胎绿茶普洱花园冬天火焰石头温暖房东租客"
)


def _paragraph(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return "".join(rng.choice(_ZH) for _ in range(rng.randint(60, 160))) + "。"
    return " ".join(rng.choice(_EN) for _ in range(rng.randint(40, 110))).capitalize() + "."


def write_corpus(folder: Path, *, docs: int, total_bytes: int, seed: int = 1) -> int:
    """A mixed corpus: Markdown and text, a third Chinese; returns the bytes written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_doc = max(200, total_bytes // max(1, docs))
    written = 0
    for i in range(docs):
        chinese = i % 3 == 0
        parts = [f"# Note {i}\n"]
        size = 0
        while size < per_doc:
            if rng.random() < 0.15:
                parts.append(f"\n## Section {len(parts)}\n")
            para = _paragraph(rng, chinese)
            parts.append(para + "\n\n")
            size += len(para.encode("utf-8"))
        data = "".join(parts).encode("utf-8")
        (folder / f"note-{i:05}.{'md' if i % 2 else 'txt'}").write_bytes(data)
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


@dataclass
class KnowledgeBenchResult:
    docs: int
    corpus_mb: float
    indexing_fts: dict[str, float] = field(default_factory=dict)
    indexing_embed: dict[str, float] = field(default_factory=dict)
    query_chunks: int = 0
    query_fts_ms: dict[str, float] = field(default_factory=dict)
    query_hybrid_ms: dict[str, float] = field(default_factory=dict)
    embedder: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    """``chunks`` synthetic chunks (100 per document) with random vectors of width ``dim``."""
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
    vectors = normalise(nrng.standard_normal((len(ids), dim)))
    for start in range(0, len(ids), 5000):
        index.write_vectors(
            "bench-random",
            list(zip(ids[start : start + 5000], vectors[start : start + 5000], strict=True)),
        )


def run_knowledge_bench(
    workdir: Path,
    *,
    docs: int = 1000,
    total_bytes: int = 10 * 1024 * 1024,
    query_chunks: int = 100_000,
    queries: int = 100,
    embedder: Embedder | None = None,
) -> KnowledgeBenchResult:
    """Run the knowledge section in ``workdir`` (a scratch folder)."""
    corpus = workdir / "corpus"
    written = write_corpus(corpus, docs=docs, total_bytes=total_bytes)
    result = KnowledgeBenchResult(docs=docs, corpus_mb=round(written / 1048576, 2))

    index = KnowledgeIndex(workdir / "fts.sqlite3")
    try:
        index.add_root("bench", corpus)
        with _measure(result.indexing_fts):
            report = index_collection(index, "bench")
        result.indexing_fts["files"] = report.indexed
    finally:
        index.close()

    if embedder is not None:
        result.embedder = embedder.model_id
        index = KnowledgeIndex(workdir / "embed.sqlite3")
        try:
            index.add_root("bench", corpus)
            with _measure(result.indexing_embed):
                report = index_collection(index, "bench", embedder=embedder)
            result.indexing_embed["chunks_embedded"] = report.embedded
        finally:
            index.close()

    dim = embedder.dim if embedder is not None else 384
    index = KnowledgeIndex(workdir / "query.sqlite3")
    try:
        build_query_index(index, "q", query_chunks, dim)
        result.query_chunks = query_chunks
        rng = random.Random(9)
        questions = [
            " ".join(rng.choice(_EN) for _ in range(4))
            if i % 2
            else "".join(rng.choice(_ZH) for _ in range(6))
            for i in range(queries)
        ]
        fts: list[float] = []
        for question in questions:
            started = time.perf_counter()
            retrieve(index, ["q"], question, k=5, mode="fts")
            fts.append((time.perf_counter() - started) * 1000)
        result.query_fts_ms = _percentiles(fts)
        fake = _RandomQueryEmbedder(dim, "bench-random")
        retrieve(index, ["q"], "warm the vector cache", k=5, embedder=fake)
        hybrid: list[float] = []
        for question in questions:
            started = time.perf_counter()
            retrieve(index, ["q"], question, k=5, embedder=fake)
            hybrid.append((time.perf_counter() - started) * 1000)
        result.query_hybrid_ms = _percentiles(hybrid)
    finally:
        index.close()
    return result


def format_knowledge_report(result: KnowledgeBenchResult) -> str:
    """Markdown lines for docs/BENCHMARKS.md."""
    lines = [
        "## knowledge",
        "",
        f"Corpus: {result.docs} files, {result.corpus_mb} MB (a third Chinese).",
        "",
        "| phase | seconds | peak memory (MB) |",
        "|---|---|---|",
        f"| index, full-text only | {result.indexing_fts.get('seconds')} "
        f"| {result.indexing_fts.get('peak_mb')} |",
    ]
    if result.indexing_embed:
        lines.append(
            f"| index with embeddings ({result.embedder}) | "
            f"{result.indexing_embed.get('seconds')} | {result.indexing_embed.get('peak_mb')} |"
        )
    lines += [
        "",
        f"Queries over {result.query_chunks} chunks (ms): full-text p50 "
        f"{result.query_fts_ms.get('p50')}, p95 {result.query_fts_ms.get('p95')}; hybrid p50 "
        f"{result.query_hybrid_ms.get('p50')}, p95 {result.query_hybrid_ms.get('p95')} "
        "(query embedding time excluded).",
    ]
    return "\n".join(lines)
