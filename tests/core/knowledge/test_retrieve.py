"""Retrieval: BM25 over the fixture corpus (Chinese and English), RRF, vectors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from app.core.knowledge.collections import index_collection
from app.core.knowledge.index import KnowledgeIndex
from app.core.knowledge.retrieve import reciprocal_rank_fusion, retrieve
from tests.core.knowledge.conftest import CORPUS
from tests.core.knowledge.fakes import HashEmbedder

QUESTIONS = json.loads((CORPUS / "questions.json").read_text(encoding="utf-8"))


def recall_at(index: KnowledgeIndex, k: int, **kwargs: object) -> float:
    hits = 0
    for item in QUESTIONS:
        found = retrieve(index, ["notes"], item["q"], k=k, **kwargs)  # type: ignore[arg-type]
        if any(Path(c.path).name == item["file"] and item["passage"] in c.text for c in found):
            hits += 1
    return hits / len(QUESTIONS)


def test_rrf_rewards_agreement() -> None:
    # 2 is in both lists, so it beats 1, which leads only one of them.
    assert reciprocal_rank_fusion([[1, 2, 3], [2, 4, 5]])[:2] == [2, 1]
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[5]]) == [5]


def test_bm25_finds_the_known_passages(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    recall = recall_at(index, 3, mode="fts")
    logging.getLogger(__name__).warning("recall@3 BM25 only: %.2f", recall)
    assert recall >= 0.85


def test_chinese_two_character_words_match(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    [top, *_] = retrieve(index, ["notes"], "押金", mode="fts")
    assert "押金为两个月租金" in top.text and top.location.startswith("line")


def test_results_carry_their_citation(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("notes", corpus)
    index_collection(index, "notes")
    [top, *_] = retrieve(index, ["notes"], "creosote chimney")
    assert Path(top.path).name == "hearth-maintenance.md"
    assert top.heading == "Chimney inspection" and top.collection == "notes"
    lines = Path(top.path).read_text(encoding="utf-8").splitlines()
    assert "Chimney inspection" in lines[top.line_start - 1]


def test_unknown_collections_and_empty_queries(index: KnowledgeIndex) -> None:
    assert retrieve(index, ["nope"], "anything") == []
    assert retrieve(index, [], "anything") == []


def test_hybrid_with_vectors(index: KnowledgeIndex, corpus: Path) -> None:
    embedder = HashEmbedder()
    index.add_root("notes", corpus)
    report = index_collection(index, "notes", embedder=embedder)
    cid = index.collection_id("notes")
    assert report.embedded > 0 and index.count_without_vectors(cid, embedder.model_id) == 0
    ids, matrix = index.vector_matrix([cid], embedder.model_id)
    assert matrix.shape == (len(ids), embedder.dim)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    only_vectors = retrieve(index, ["notes"], "creosote chimney", mode="vector", embedder=embedder)
    assert only_vectors and Path(only_vectors[0].path).name == "hearth-maintenance.md"
    assert recall_at(index, 3, mode="hybrid", embedder=embedder) >= 0.85
    # A re-index embeds nothing new; a changed file gets fresh vectors.
    assert index_collection(index, "notes", embedder=embedder).embedded == 0
    (corpus / "bicycle.txt").write_text("Unicycle notes.", encoding="utf-8")
    assert index_collection(index, "notes", embedder=embedder).embedded == 1
    assert index.check_consistency() == []


def test_search_stays_inside_the_chosen_collections(index: KnowledgeIndex, corpus: Path) -> None:
    index.add_root("tea", corpus / "茶.txt")
    index.add_root("lease", corpus / "合同摘要.md")
    index_collection(index, "tea")
    index_collection(index, "lease")
    # "存放" and "押金" each live in one collection only; the other one finds nothing.
    assert retrieve(index, ["tea"], "押金", mode="fts") == []
    assert retrieve(index, ["lease"], "押金", mode="fts")
    both = retrieve(index, ["tea", "lease"], "押金 存放", mode="fts")
    assert {Path(c.path).name for c in both} == {"茶.txt", "合同摘要.md"}
