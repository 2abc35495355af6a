"""The knowledge bench runs end to end at a small size and reports every figure."""

from __future__ import annotations

from pathlib import Path

from app.core.bench_knowledge import format_knowledge_report, run_knowledge_bench, write_corpus
from app.core.knowledge.bertgguf import write_tiny_bert_gguf
from app.core.knowledge.embed import LlamaEmbedder


def test_corpus_has_the_asked_size(tmp_path: Path) -> None:
    written = write_corpus(tmp_path / "c", docs=20, total_bytes=40_000)
    assert len(list((tmp_path / "c").iterdir())) == 20
    assert 40_000 <= written < 60_000


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    embedder = LlamaEmbedder(write_tiny_bert_gguf(tmp_path / "tiny.gguf"), n_threads=1)
    try:
        result = run_knowledge_bench(
            tmp_path / "work",
            docs=20,
            total_bytes=40_000,
            query_chunks=300,
            queries=10,
            embedder=embedder,
        )
    finally:
        embedder.close()
    assert result.indexing_fts["files"] == 20 and result.indexing_fts["seconds"] > 0
    assert result.indexing_embed["chunks_embedded"] > 0
    assert result.query_chunks == 300
    assert result.query_fts_ms["p95"] >= result.query_fts_ms["p50"] > 0
    assert result.query_hybrid_ms["p95"] >= result.query_hybrid_ms["p50"] > 0
    report = format_knowledge_report(result)
    assert "## knowledge" in report and "hybrid p50" in report
