"""The knowledge bench runs end to end at a small size and reports every figure."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.bench_knowledge import format_knowledge_report, run_knowledge_bench, write_corpus
from app.core.knowledge.bertgguf import write_tiny_bert_gguf
from app.core.knowledge.embed import LlamaEmbedder
from app.core.knowledge.extract import kind_for
from tests.core.knowledge.conftest import CORPUS


def test_corpus_has_the_asked_size(tmp_path: Path) -> None:
    written = write_corpus(tmp_path / "c", docs=20, total_bytes=40_000)
    assert len(list((tmp_path / "c").iterdir())) == 20
    assert 40_000 <= written < 60_000
    files = sorted((tmp_path / "c").iterdir())
    assert {kind_for(f) for f in files} == {"markdown", "text", "code"}
    texts = [f.read_text(encoding="utf-8") for f in files]
    # Mixed languages: Chinese paragraphs in English notes and English in Chinese ones.
    cjk = [sum("\u4e00" <= ch <= "\u9fff" for ch in t) / len(t) for t in texts]
    assert cjk[0] > 0.5 and cjk[1] < 0.5  # note 0 mostly Chinese, note 1 mostly English
    assert any(0 < share < 0.5 for share in cjk)  # some English notes quote Chinese
    assert "```python" in "".join(texts)
    # Deterministic, and a smaller corpus is a prefix of a larger one.
    again = write_corpus(tmp_path / "d", docs=10, total_bytes=20_000)
    assert (tmp_path / "d" / files[3].name).read_bytes() == files[3].read_bytes()
    assert again < written


def test_small_run_reports_every_figure(tmp_path: Path) -> None:
    questions = json.loads((CORPUS / "questions.json").read_text(encoding="utf-8"))
    embedder = LlamaEmbedder(write_tiny_bert_gguf(tmp_path / "tiny.gguf"), n_threads=1)
    try:
        result = run_knowledge_bench(
            tmp_path / "work",
            docs=20,
            total_bytes=40_000,
            query_chunks=300,
            queries=10,
            embedder=embedder,
            real_embedder=embedder,
            real_embed_docs=5,
            recall_corpus=(CORPUS / "notes", questions),
        )
    finally:
        embedder.close()
    assert result.indexing_fts["files"] == 20 and result.indexing_fts["seconds"] > 0
    assert result.indexing_embed["chunks_embedded"] > 0
    assert result.query_chunks == 300
    assert result.query_fts_ms["p95"] >= result.query_fts_ms["p50"] > 0
    assert result.query_hybrid_ms["p95"] >= result.query_hybrid_ms["p50"] > 0
    assert result.query_vector_ms["p95"] >= result.query_vector_ms["p50"] > 0
    assert result.indexing_real_embed["docs"] == 5
    assert (
        0 < result.indexing_real_embed["chunks_embedded"] < result.indexing_embed["chunks_embedded"]
    )
    assert result.indexing_real_embed["extrapolated_full_seconds"] >= 0
    assert set(result.recall_at_3) == {"fts_all", "fts", "vector", "hybrid"}
    assert result.recall_at_3["fts_all"] >= 0.85  # BM25 finds the fixture passages
    figures = result.figures()
    assert figures["knowledge_query_hybrid_ms_p95"] == result.query_hybrid_ms["p95"]
    assert figures["knowledge_recall_at_3_fts_all"] == result.recall_at_3["fts_all"]
    report = format_knowledge_report(result)
    assert "## knowledge" in report and "| hybrid (RRF) |" in report and "recall@3" in report
