"""Hybrid retrieval: BM25 full-text and vector cosine, fused by reciprocal rank.

Full-text search alone works with no embedding model installed (the first offline run
needs nothing extra). With an embedder, the query's vector is compared with every stored
vector of the chosen collections by one matrix product (numpy, brute force): at 100,000
chunks of 384 dimensions that is ~150 MB and a few tens of milliseconds, which needs no
vector extension (see ``bench_knowledge`` for the figures). The two rankings are fused by
reciprocal-rank fusion, which needs no score calibration between BM25 and cosine.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final, Literal

import numpy as np

from app.core.knowledge.embed import Embedder
from app.core.knowledge.index import KnowledgeIndex, StoredChunk

log = logging.getLogger(__name__)

#: The constant of reciprocal-rank fusion (Cormack et al. use 60).
RRF_K: Final = 60
#: How many candidates each ranking contributes to the fusion.
POOL: Final = 50

Mode = Literal["hybrid", "fts", "vector"]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[int]:
    """Ids ordered by the sum of 1 / (k + rank) over the rankings they appear in."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: (-scores[item], item))


def vector_search(
    index: KnowledgeIndex,
    collection_ids: Sequence[int],
    embedder: Embedder,
    query: str,
    limit: int,
) -> list[int]:
    ids, matrix = index.vector_matrix(collection_ids, embedder.model_id)
    if len(ids) == 0:
        return []
    scores = matrix @ embedder.embed_query(query).astype(np.float32)
    if len(scores) > limit:
        top = np.argpartition(-scores, limit - 1)[:limit]
    else:
        top = np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return [int(i) for i in ids[top]]


def retrieve(
    index: KnowledgeIndex,
    collections: Sequence[str],
    query: str,
    *,
    k: int = 5,
    embedder: Embedder | None = None,
    mode: Mode = "hybrid",
) -> list[StoredChunk]:
    """The ``k`` best chunks of the named collections for ``query``, best first."""
    cids = []
    for name in collections:
        try:
            cids.append(index.collection_id(name))
        except Exception:  # a collection deleted since the chat chose it
            log.info("collection %r is gone; skipped", name)
    if not cids or not query.strip():
        return []
    rankings: list[list[int]] = []
    if mode in ("hybrid", "fts"):
        rankings.append(index.search_fts(cids, query, POOL))
    if mode in ("hybrid", "vector") and embedder is not None:
        rankings.append(vector_search(index, cids, embedder, query, POOL))
    fused = reciprocal_rank_fusion(rankings)[:k]
    chunks = index.chunks_by_id(fused)
    return [chunks[i] for i in fused if i in chunks]
