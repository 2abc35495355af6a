"""The benchmark's reference loop (``python -m app bench``): llama.cpp's decode with no chat
machinery around it, the in-process ceiling the engine is measured against.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.chat import SamplingParams
from app.core.engines.llama import LlamaEngine
from app.core.engines.native import DECODE_OK
from app.core.errors import ContextOverflowError, GenerationError


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    """One pass of the bare decode loop: prompt evaluation, then greedy single-token decode.

    ``token_times`` are ``time.perf_counter()`` readings taken as each token is sampled,
    the same instant the engine's own statistics use, so rates compare like for like.
    """

    n_threads: int
    prompt_tokens: int
    #: Prompt tokens evaluated in this pass (the first pass evaluates the whole prompt).
    evaluated_tokens: int
    prompt_ms: float
    #: Context position of the first generated token.
    start_position: int
    token_times: tuple[float, ...]

    @property
    def tokens_per_s(self) -> float:
        """Steady decode rate: (n - 1) tokens over the time between the first and last."""
        times = self.token_times
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    @property
    def prompt_tokens_per_s(self) -> float:
        return self.evaluated_tokens / (self.prompt_ms / 1000) if self.prompt_ms > 0 else 0.0


def reference_benchmark(
    path: str | Path,
    *,
    prompt: Sequence[int] | str,
    gen_tokens: int,
    repetitions: int = 1,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    n_batch: int = 512,
    engine: LlamaEngine | None = None,
) -> list[ReferenceRun]:
    """The in-process ceiling: llama.cpp's decode with no chat machinery around it.

    The prompt (token ids, or text tokenized as the engine would) is evaluated in
    ``n_batch`` chunks with ``llama_decode``, then ``gen_tokens`` tokens are sampled
    greedily by a C-side sampler and decoded one at a time, with no detokenization and no
    per-token Python work beyond the calls themselves. Repetitions after the first keep the
    prompt in the KV cache and only re-evaluate its last token, so every pass generates at
    the same context positions. Uses ``engine`` if given (not closed), else loads ``path``.
    """
    owned = engine is None
    if engine is None:
        engine = LlamaEngine.load(path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)
    try:
        return _reference_passes(engine, prompt, gen_tokens, repetitions)
    finally:
        if owned:
            engine.close()


def _reference_passes(
    engine: LlamaEngine, prompt: Sequence[int] | str, gen_tokens: int, repetitions: int
) -> list[ReferenceRun]:
    tokens = engine.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
    if not tokens:
        raise ValueError("the reference benchmark needs at least one prompt token")
    if len(tokens) + gen_tokens > engine.n_ctx:
        raise ContextOverflowError(
            "The benchmark prompt and answer do not fit the context. Raise n_ctx.",
            detail=f"{len(tokens)} + {gen_tokens} > {engine.n_ctx}",
        )
    native = engine.native
    chain = native.make_sampler(SamplingParams(temperature=0.0, repeat_penalty=1.0), 0)
    runs: list[ReferenceRun] = []
    try:
        engine.reset_cache()
        for _ in range(max(1, repetitions)):
            # Keep the prompt but its last token, whose logits start the reply.
            keep = native.reuse_prefix(tokens)
            pending = tokens[keep:]
            prompt_started = time.perf_counter()
            for offset in range(0, len(pending), native.n_batch):
                chunk = pending[offset : offset + native.n_batch]
                last = offset + len(chunk) == len(pending)
                if native.decode_chunk(chunk, want_logits=last) != DECODE_OK:
                    raise GenerationError("llama_decode failed on the benchmark prompt.")
            prompt_ms = (time.perf_counter() - prompt_started) * 1000
            runs.append(
                ReferenceRun(
                    n_threads=engine.info.n_threads,
                    prompt_tokens=len(tokens),
                    evaluated_tokens=len(pending),
                    prompt_ms=prompt_ms,
                    start_position=len(tokens),
                    token_times=native.decode_greedy_timed(chain, gen_tokens),
                )
            )
            native.reset_sampler(chain)
    finally:
        native.free_sampler(chain)
    return runs
