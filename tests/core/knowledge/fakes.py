"""A deterministic stand-in embedder: hashed bag of search terms (no model needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from app.core.cancel import CancelToken
from app.core.knowledge.embed import normalise
from app.core.knowledge.index import search_form


class HashEmbedder:
    def __init__(self, dim: int = 1024) -> None:
        self._dim = dim
        self.calls = 0

    @property
    def model_id(self) -> str:
        return f"hash-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        for term in search_form(text).lower().split():
            digest = hashlib.blake2b(term.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self._dim] += 1.0
        return vec

    def embed_passages(
        self, texts: Sequence[str], *, cancel: CancelToken | None = None
    ) -> np.ndarray:
        self.calls += 1
        return normalise(np.vstack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        row: np.ndarray = normalise(self._vector(text)[None, :])[0]
        return row

    def close(self) -> None:
        pass
