"""Sentence embeddings from a small GGUF model run by llama.cpp in embedding mode.

:class:`LlamaEmbedder` talks to llama.cpp only through the process's one native runtime
(:func:`app.core.engines.native.native_runtime`), so the rule "only the native binding
imports llama_cpp" holds. Texts are packed several to a batch, each in its own sequence,
and read back pooled (mean or CLS, as the model says), then scaled to unit length so a
dot product is the cosine.

Models such as multilingual-e5 want "query: " / "passage: " before the text; bge wants an
instruction before queries only. The catalog says which (``query_prefix``,
``passage_prefix``).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import numpy as np

from app.core.cancel import CancelToken
from app.core.errors import GenerationError, ModelLoadError

if TYPE_CHECKING:
    from app.core.catalog import Catalog
    from app.core.models import InstalledModel

log = logging.getLogger(__name__)

#: Texts longer than this many tokens are cut (the models are trained on 512).
MAX_TOKENS_PER_TEXT: Final = 512
_BATCH_TOKENS: Final = 2048
_MAX_SEQS: Final = 32
_POOLING_NONE: Final = 0
_POOLING_MEAN: Final = 1


class Embedder(Protocol):
    """What indexing and retrieval need from an embedding model."""

    @property
    def model_id(self) -> str: ...
    @property
    def dim(self) -> int: ...
    def embed_passages(
        self, texts: Sequence[str], *, cancel: CancelToken | None = None
    ) -> np.ndarray: ...
    def embed_query(self, text: str) -> np.ndarray: ...
    def close(self) -> None: ...


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    scaled: np.ndarray = matrix / np.where(norms > 0, norms, 1.0)
    return scaled


class LlamaEmbedder:
    """An embedding GGUF (BERT, XLM-RoBERTa, …) loaded for embeddings. One thread at a time."""

    def __init__(
        self,
        path: Path,
        *,
        n_threads: int | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
    ) -> None:
        from app.core.engines.native import default_thread_count, load_failure, native_runtime

        self.path = path
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._lock = threading.Lock()
        runtime = native_runtime()
        lib: Any = runtime.lib
        self._lib = lib
        mark = runtime.bridge.mark()
        params = lib.llama_model_default_params()
        params.n_gpu_layers = 0
        self._model: Any = lib.llama_model_load_from_file(str(path).encode("utf-8"), params)
        if not self._model:
            raise load_failure(path.name, runtime.bridge.problems_since(mark))
        self._vocab: Any = lib.llama_model_get_vocab(self._model)
        self._ctx: Any = None
        self._batch: Any = None
        try:
            train = int(lib.llama_model_n_ctx_train(self._model)) or MAX_TOKENS_PER_TEXT
            self.max_tokens = max(8, min(MAX_TOKENS_PER_TEXT, train))
            threads = n_threads or default_thread_count()
            self._threads = threads
            self._ctx = self._context(threads, pooling=-1)
            if int(lib.llama_pooling_type(self._ctx)) == _POOLING_NONE:
                # A model without a pooling head: average its token vectors ourselves.
                lib.llama_free(self._ctx)
                self._ctx = self._context(threads, pooling=_POOLING_MEAN)
            self._dim = int(lib.llama_model_n_embd(self._model))
            self._batch = lib.llama_batch_init(_BATCH_TOKENS, 0, 1)
        except BaseException:
            self.close()
            raise
        self._model_id = f"{path.name}:{path.stat().st_size}"
        self._sep = int(lib.llama_vocab_sep(self._vocab))

    def _context(self, threads: int, *, pooling: int) -> Any:
        lib = self._lib
        cparams = lib.llama_context_default_params()
        cparams.n_ctx = _BATCH_TOKENS
        cparams.n_batch = _BATCH_TOKENS
        cparams.n_ubatch = _BATCH_TOKENS
        cparams.n_seq_max = _MAX_SEQS
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        cparams.embeddings = True
        cparams.pooling_type = pooling
        if hasattr(cparams, "kv_unified"):
            # One shared context for all sequences, so each may use the whole window.
            cparams.kv_unified = True
        ctx = lib.llama_init_from_model(self._model, cparams)
        if not ctx:
            raise ModelLoadError.of(
                "documents.not_embedding_model",
                name=self.path.name,
                detail="llama_init_from_model returned NULL",
            )
        return ctx

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")[: 16 * self.max_tokens]
        capacity = len(data) + 16
        buffer = (ctypes.c_int32 * capacity)()
        n = self._lib.llama_tokenize(self._vocab, data, len(data), buffer, capacity, True, False)
        if n < 0:
            raise GenerationError.of("documents.tokenize_failed", detail=str(n))
        tokens = list(buffer[:n])
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens - 1] + ([self._sep] if self._sep >= 0 else [])
            tokens = tokens[: self.max_tokens]
        return tokens or ([self._sep] if self._sep >= 0 else [0])

    def embed_passages(
        self, texts: Sequence[str], *, cancel: CancelToken | None = None
    ) -> np.ndarray:
        return self._embed([self.passage_prefix + t for t in texts], cancel)

    def embed_query(self, text: str) -> np.ndarray:
        # A query is a few tokens: on one thread it never waits at a barrier for a second
        # thread the OS has descheduled (with both cores busy: p50 10-13 ms on one thread,
        # 35 ms and a max of 1.17 s on two; docs/BENCHMARKS.md, knowledge).
        row: np.ndarray = self._embed([self.query_prefix + text], None, threads=1)[0]
        return row

    def _embed(
        self, texts: Sequence[str], cancel: CancelToken | None, *, threads: int = 0
    ) -> np.ndarray:
        with self._lock:
            if self._ctx is None:
                raise GenerationError.of("documents.embed_closed")
            if threads and threads != self._threads:
                self._lib.llama_set_n_threads(self._ctx, threads, threads)
                try:
                    return self._embed_locked(texts, cancel)
                finally:
                    self._lib.llama_set_n_threads(self._ctx, self._threads, self._threads)
            return self._embed_locked(texts, cancel)

    def _embed_locked(self, texts: Sequence[str], cancel: CancelToken | None) -> np.ndarray:
        """``texts`` embedded in batches; the caller holds the lock."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        tokenized = [self.tokenize(t) for t in texts]
        start = 0
        while start < len(tokenized):
            if cancel is not None:
                cancel.raise_if_cancelled()
            used = 0
            group: list[int] = []
            while (
                start + len(group) < len(tokenized)
                and len(group) < _MAX_SEQS
                and used + len(tokenized[start + len(group)]) <= _BATCH_TOKENS
            ):
                used += len(tokenized[start + len(group)])
                group.append(start + len(group))
            self._decode_group([tokenized[i] for i in group], out[start : start + len(group)])
            start += len(group)
        return normalise(out)

    def _decode_group(self, seqs: Sequence[list[int]], out: np.ndarray) -> None:
        lib = self._lib
        batch = self._batch
        memory = lib.llama_get_memory(self._ctx)
        if memory:
            lib.llama_memory_clear(memory, True)
        row = 0
        for seq, tokens in enumerate(seqs):
            for pos, token in enumerate(tokens):
                batch.token[row] = token
                batch.pos[row] = pos
                batch.n_seq_id[row] = 1
                batch.seq_id[row][0] = seq
                batch.logits[row] = 1
                row += 1
        batch.n_tokens = row
        result = int(lib.llama_decode(self._ctx, batch))
        if result != 0:
            raise GenerationError.of("documents.embed_failed", detail=f"llama_decode -> {result}")
        for seq in range(len(seqs)):
            pointer = lib.llama_get_embeddings_seq(self._ctx, seq)
            if not pointer:
                raise GenerationError.of("documents.no_vector")
            out[seq] = np.ctypeslib.as_array(pointer, shape=(self._dim,))

    def close(self) -> None:
        lib = self._lib
        batch, ctx, model = self._batch, self._ctx, self._model
        self._batch = self._ctx = self._model = None
        if batch is not None:
            lib.llama_batch_free(batch)
        if ctx is not None:
            lib.llama_free(ctx)
        if model is not None:
            lib.llama_model_free(model)


#: Instructions some model families want before a query (and a passage).
_PREFIXES: Final = {
    "bge-small-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-base-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-large-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "multilingual-e5": ("query: ", "passage: "),
}


@dataclass(frozen=True, slots=True)
class EmbeddingChoice:
    """The embedding model the Library uses, and how to prompt it."""

    path: Path
    #: The file name: what the ``embedding_model`` setting holds.
    file: str
    #: For people: the catalog's name, else the file's own.
    name: str
    query_prefix: str
    passage_prefix: str
    #: True when the user chose it ("Use for Library"); False when it is the automatic
    #: choice (the first installed embedding model).
    chosen: bool


def _prefixes(*names: str) -> tuple[str, str]:
    for name in names:
        key = name.lower()
        for family, prefixes in _PREFIXES.items():
            if key.startswith(family):
                return prefixes
    return "", ""


def installed_embedding_models(
    models_dir: Path, catalog: Catalog | None = None
) -> list[InstalledModel]:
    """Every usable embedding model in the models folder (or registered in place): catalog
    embedding entries that are downloaded, and imported BERT-like files."""
    from app.core.catalog import load_catalog
    from app.core.models import list_installed

    if catalog is None:
        try:
            catalog = load_catalog()
        except Exception:  # a broken user catalog must not break the Library
            log.warning("the catalog could not be read; only imported models", exc_info=True)
    try:
        models = list_installed(models_dir, catalog)
    except OSError:
        log.warning("the models folder could not be read", exc_info=True)
        return []
    found = [m for m in models if m.role == "embedding" and m.available]
    # Catalog entries first, in the catalog's order (as the model manager lists them).
    order = {e.id: i for i, e in enumerate(catalog.models)} if catalog is not None else {}
    return sorted(found, key=lambda m: order.get(m.entry.id, -1) if m.entry else len(order))


def chosen_embedding_setting() -> str:
    """The ``embedding_model`` setting as saved (the window saves it at once on a change)."""
    from app.core.paths import app_paths
    from app.core.settings import load_settings

    return load_settings(app_paths().settings_file).embedding_model


def embedding_model_in_use(
    models_dir: Path, chosen: str | None = None, *, catalog: Catalog | None = None
) -> EmbeddingChoice | None:
    """The embedding model the Library uses: the one the user chose (``chosen``, else the
    saved ``embedding_model`` setting) if it is installed, else the first installed one,
    else None (full-text search alone)."""
    if chosen is None:
        chosen = chosen_embedding_setting()
    models = installed_embedding_models(models_dir, catalog)
    picked = next((m for m in models if chosen and m.name == chosen), None)
    model = picked or (models[0] if models else None)
    if model is None:
        return None
    family = model.entry.family if model.entry is not None else ""
    meta_name = model.metadata.name if model.metadata is not None else ""
    query, passage = _prefixes(family, meta_name, model.name)
    return EmbeddingChoice(
        path=model.path,
        file=model.name,
        name=model.display_name,
        query_prefix=query,
        passage_prefix=passage,
        chosen=picked is not None,
    )


def installed_embedding_model(
    models_dir: Path, chosen: str | None = None
) -> tuple[Path, str, str] | None:
    """``(file, query_prefix, passage_prefix)`` of the embedding model the Library uses;
    see :func:`embedding_model_in_use`."""
    choice = embedding_model_in_use(models_dir, chosen)
    if choice is None:
        return None
    return choice.path, choice.query_prefix, choice.passage_prefix
