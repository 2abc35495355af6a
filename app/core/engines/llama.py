"""The local llama.cpp engine: chat turns as typed events.

The native binding (:mod:`app.core.engines.native`) holds the model, the context and the
KV cache; this module holds the turn logic. How a turn runs (see
:meth:`LlamaEngine.stream_turn`):

1. The conversation is formatted with the model's own chat template (``template.py``),
   dropping the oldest messages if the prompt would not fit the context.
2. Only the tokens after the longest prefix already in the KV cache are evaluated, in
   ``n_batch`` chunks. Stop is honoured between chunks, and inside a chunk through
   llama.cpp's abort callback.
3. Tokens are sampled by a C-side sampler chain (no logits are copied into Python) and
   decoded one at a time. Each new token's bytes go through an incremental UTF-8 decoder,
   so a character split across tokens is never garbled and the answer is never
   re-detokenized.
4. ``reasoning.py`` sorts the text into reasoning and answer. The engine closes the
   reasoning itself (thinking budget, "answer now", loop guard) by feeding the tokens of
   ``"\\n</think>\\n\\n"`` into the context as if the model had written them.

A turn ends with one ``TurnFinished`` whose reason is an engine end state: ``finished``
(the model ended it), ``stopped`` (cancelled) or ``length`` (max tokens, or the context
is full).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from app.core.calibrate import CacheType, FlashAttnMode, resolve_for_model
from app.core.cancel import CancelToken, TurnControl
from app.core.chat import (
    ChatMessage,
    ContextTrimmed,
    FinishReason,
    PromptProgress,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo, SampleEvent
from app.core.engines.native import (
    DECODE_ABORTED,
    DECODE_NO_KV_SLOT,
    DECODE_OK,
    NativeModel,
    common_prefix_length,
)
from app.core.engines.streaming import TurnCounters, Utf8Stream, forced_close, turn_stats
from app.core.errors import CancelledError, ContextOverflowError, GenerationError, HearthError
from app.core.gguf import read_gguf_metadata
from app.core.reasoning import LoopGuard, ReasoningSplitter
from app.core.template import (
    BUILTIN_R1_TEMPLATE,
    THINK_CLOSE,
    ChatTemplate,
    RenderedPrompt,
    builtin_template_name,
    template_for,
)

__all__ = [
    "FORCED_REASONING_CLOSE",
    "MAX_SAMPLES",
    "LlamaEngine",
    "ModelInfo",
    "Utf8Stream",
    "common_prefix_length",
    "engine_info_for",
    "load_engine",
]

log = logging.getLogger(__name__)

#: Text fed into the context when the engine closes the reasoning itself.
FORCED_REASONING_CLOSE: Final = f"\n{THINK_CLOSE}\n\n"

_SEED_LIMIT: Final = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED means "random" to llama.cpp
#: Sequences a context is made for: the most samples one vote can decode together.
MAX_SAMPLES: Final = 8
_MIN_ANSWER_RESERVE: Final = 256


@dataclass(frozen=True, slots=True)
class ModelInfo:
    path: Path
    file_name: str
    size_bytes: int
    name: str
    architecture: str
    #: e.g. "Q4_K_M"
    quant: str
    n_params: int
    context_train: int
    n_ctx: int
    n_threads: int
    template_from_gguf: bool
    is_r1: bool
    #: Flash attention / KV type in use and how they were chosen (app/core/calibrate.py).
    attention: dict[str, Any] = field(default_factory=dict)
    #: Threads for prompt evaluation (``n_threads`` is decode); 0 when unknown.
    n_threads_batch: int = 0


def engine_info_for(info: ModelInfo) -> EngineInfo:
    """What the host and front ends record about a local model."""
    return EngineInfo(
        name=f"{info.name} {info.quant}".strip(),
        kind="local",
        model_id=info.file_name,
        n_ctx=info.n_ctx,
        location="this computer",
        details={
            "engine": "llama.cpp",
            "file_name": info.file_name,
            # For provenance (size, fingerprint): the session records them with each answer.
            "path": str(info.path),
            "size_bytes": info.size_bytes,
            "architecture": info.architecture,
            "quant": info.quant,
            "n_params": info.n_params,
            "n_threads": info.n_threads,
            "n_threads_batch": info.n_threads_batch or info.n_threads,
            **info.attention,
        },
    )


def load_engine(
    path: str | Path,
    *,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    n_batch: int = 512,
    max_samples: int = MAX_SAMPLES,
    cancel: CancelToken | None = None,
    flash_attn: FlashAttnMode = "auto",
    cache_type: CacheType = "f16",
    n_ubatch: int = 0,
    calibration_file: Path | None = None,
    n_threads_batch: int | None = None,
) -> LlamaEngine:
    """Load a GGUF with the local engine; raises ModelLoadError with a reason to act on.

    ``flash_attn="auto"`` with a ``calibration_file`` measures once per CPU and model which
    is faster (app/core/calibrate.py); without one it follows the measured rule (off).
    """
    return LlamaEngine.load(
        path,
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_batch=n_batch,
        max_samples=max_samples,
        cancel=cancel,
        flash_attn=flash_attn,
        cache_type=cache_type,
        n_ubatch=n_ubatch,
        calibration_file=calibration_file,
        n_threads_batch=n_threads_batch,
    )


@dataclass(frozen=True, slots=True)
class _FittedPrompt:
    tokens: list[int]
    rendered: RenderedPrompt
    dropped: int


class LlamaEngine:
    """One loaded model and its context; implements the Engine protocol.

    Not thread-safe: one thread drives it (the host's). :meth:`close` may be called from
    any thread; during a turn it stops the turn and the native memory is freed when the
    turn ends.
    """

    def __init__(self, native: NativeModel) -> None:
        # Use LlamaEngine.load() or load_engine(); this only wraps an opened model.
        self._native = native
        self._state_lock = threading.Lock()
        self._busy = False
        self._closed = False
        self._free_when_idle = False
        self._info: ModelInfo | None = None
        self._template: ChatTemplate | None = None
        self._close_tokens: list[int] = []
        self.template_warning: str | None = None
        self.last_eval_count = 0

    # --- loading -----------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        max_samples: int = MAX_SAMPLES,
        cancel: CancelToken | None = None,
        flash_attn: FlashAttnMode = "auto",
        cache_type: CacheType = "f16",
        n_ubatch: int = 0,
        calibration_file: Path | None = None,
        n_threads_batch: int | None = None,
    ) -> LlamaEngine:
        """Load a GGUF model; raises ModelLoadError with a reason a person can act on.

        ``max_samples`` sequences share one unified KV cache, so :meth:`stream_samples`
        can decode that many answers together; a plain turn uses sequence 0 only.
        """
        path = Path(path).expanduser()
        # The bounded reader catches a wrong, empty, foreign or truncated file with a
        # sentence before llama.cpp sees it (llama.cpp would only say "failed to load").
        meta = read_gguf_metadata(path)
        started = time.perf_counter()
        choice = resolve_for_model(
            path,
            flash_attn,
            cache_type,
            n_ubatch=n_ubatch,
            n_threads=n_threads,
            calibration_file=calibration_file,
            cancel=cancel,
        )
        native = NativeModel.open(
            path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_batch=n_batch,
            n_seq_max=max(1, max_samples),
            cancel=cancel,
            attention=choice.config,
            n_threads_batch=n_threads_batch,
        )
        engine = cls(native)
        try:
            engine._describe(meta.architecture, meta.name)
            engine._info = replace(engine.info, attention=choice.provenance())
        except BaseException:
            native.free()
            raise
        info = engine.info
        log.info(
            "loaded %s (%s, %s, %s params) in %.0f ms: n_ctx=%d n_batch=%d threads=%d/%d",
            path.name,
            info.architecture,
            info.quant,
            f"{info.n_params:,}",
            (time.perf_counter() - started) * 1000,
            info.n_ctx,
            native.n_batch,
            info.n_threads,
            native.n_threads_batch,
        )
        return engine

    def _describe(self, architecture: str, name: str) -> None:
        native = self._native
        bos_text = native.piece_text(native.bos_id) if native.bos_id >= 0 else ""
        eos_text = native.piece_text(native.eos_id) if native.eos_id >= 0 else ""
        self._template = self._make_template(
            bos_text=bos_text, eos_text=eos_text, architecture=architecture
        )
        self._close_tokens = native.tokenize_raw(FORCED_REASONING_CLOSE)
        path = native.path
        self._info = ModelInfo(
            path=path,
            file_name=path.name,
            size_bytes=path.stat().st_size,
            name=name or path.stem,
            architecture=architecture,
            quant=native.quant,
            n_params=native.n_params,
            context_train=native.context_train,
            n_ctx=native.n_ctx,
            n_threads=native.n_threads,
            template_from_gguf=self._template.from_gguf,
            is_r1=self._template.is_r1,
            n_threads_batch=native.n_threads_batch,
        )

    def _make_template(self, *, bos_text: str, eos_text: str, architecture: str) -> ChatTemplate:
        source = self._native.chat_template_source()
        try:
            template = template_for(
                source, bos_token=bos_text, eos_token=eos_text, architecture=architecture
            )
        except HearthError as exc:
            log.warning("the model's chat template is unusable: %s", exc.detail or exc)
            self.template_warning = (
                "This model's chat template is broken; using the built-in DeepSeek-R1 template."
            )
            return ChatTemplate(
                source=BUILTIN_R1_TEMPLATE,
                bos_token=bos_text,
                eos_token=eos_text,
                from_gguf=False,
                is_r1=True,
            )
        if not template.from_gguf:
            name = builtin_template_name(architecture)
            self.template_warning = (
                f"This model has no chat template; using the built-in {name} template."
            )
            log.warning(
                "%s has no chat template; using the built-in %s", self._native.path.name, name
            )
        return template

    # --- public state ------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        if self._info is None:
            raise GenerationError.of("engine.no_model")
        return self._info

    @property
    def engine_info(self) -> EngineInfo:
        """The Engine protocol's description of this model."""
        return engine_info_for(self.info)

    @property
    def template(self) -> ChatTemplate:
        if self._template is None:
            raise GenerationError.of("engine.no_model")
        return self._template

    @property
    def native(self) -> NativeModel:
        """The native model, for the benchmark's reference loop (same thread rules)."""
        self._check_open()
        return self._native

    @property
    def n_ctx(self) -> int:
        return self._native.n_ctx

    @property
    def cached_tokens(self) -> tuple[int, ...]:
        """The tokens whose keys/values are in the KV cache, in order."""
        return tuple(self._native.cache)

    @property
    def closed(self) -> bool:
        return self._closed

    # --- tokens ------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """Tokens for a prompt: special tokens parsed, BOS added only if the text lacks it."""
        self._check_open()
        native = self._native
        tokens = native.tokenize_raw(text)
        if native.add_bos and (not tokens or tokens[0] != native.bos_id):
            tokens.insert(0, native.bos_id)
        return tokens

    def token_bytes(self, token: int) -> bytes:
        """The bytes one token adds to the reply (control tokens add none).

        May be part of a UTF-8 character: decode a stream of them with :class:`Utf8Stream`.
        """
        self._check_open()
        return self._native.token_bytes(token)

    def count_tokens(self, request: TurnRequest) -> int:
        """Prompt tokens for ``request`` as it stands (before any trimming)."""
        return len(self.tokenize(self._render(request.messages, request).text))

    def _render(self, messages: Sequence[ChatMessage], request: TurnRequest) -> RenderedPrompt:
        # During a turn, Stop abandons a slow template render at once (CancelledError).
        rendered = self.template.render(
            messages,
            system_prompt=request.system_prompt,
            continue_last=request.continue_last,
            cancel=self._native.active_control,
        )
        if rendered.notice:
            log.warning("chat template: %s", rendered.notice)
        return rendered

    # --- context fitting ---------------------------------------------------------------

    def answer_reserve(self, params: SamplingParams) -> int:
        """Context kept free for the reply when deciding whether a prompt fits."""
        n_ctx = self.n_ctx
        reserve = max(_MIN_ANSWER_RESERVE, min(params.max_tokens, n_ctx // 4))
        return min(reserve, n_ctx // 2)

    def fit_prompt(self, request: TurnRequest) -> list[int]:
        """The prompt tokens a turn for ``request`` would evaluate (after trimming)."""
        return list(self._fit_prompt(request).tokens)

    def _fit_prompt(self, request: TurnRequest) -> _FittedPrompt:
        """The prompt for ``request``, without its oldest messages if it would not fit.

        Leaves :meth:`answer_reserve` tokens free for the reply. A leading system message,
        the newest user message and a partial reply being continued always stay.
        """
        limit = self.n_ctx - self.answer_reserve(request.params)
        messages = list(request.messages)
        head = messages[:1] if messages and messages[0].role == "system" else []
        body = messages[len(head) :]
        max_drop = max(0, len(body) - (2 if request.continue_last else 1))

        def attempt(drop: int) -> _FittedPrompt:
            # A trimmed history starts with a user turn, as templates expect.
            while 0 < drop < max_drop and body[drop].role == "assistant":
                drop += 1
            kept = head + body[drop:] if drop else messages
            rendered = self._render(kept, request)
            return _FittedPrompt(self.tokenize(rendered.text), rendered, drop)

        fitted = attempt(0)
        if len(fitted.tokens) <= limit:
            return fitted
        best = attempt(max_drop)
        if max_drop == 0 or len(best.tokens) > limit:
            raise ContextOverflowError.of(
                "engine.prompt_too_long",
                tokens=len(best.tokens),
                limit=limit,
                detail=f"prompt {len(best.tokens)} tokens, n_ctx {self.n_ctx}, limit {limit}",
            )
        # Fewest dropped messages that fit: a binary search renders O(log n) prompts.
        low, high = 1, max_drop
        while low < high:
            middle = (low + high) // 2
            candidate = attempt(middle)
            if len(candidate.tokens) <= limit:
                high, best = middle, candidate
            else:
                low = middle + 1
        return best

    def reset_cache(self) -> None:
        """Forget everything in the KV cache."""
        self._check_open()
        self._native.clear_cache()

    # --- a turn ------------------------------------------------------------------------

    def stream_turn(
        self, request: TurnRequest, control: TurnControl
    ) -> Generator[TurnEvent, None, None]:
        """Run one chat turn, yielding events; always ends with exactly one TurnFinished.

        Closing the generator early (``close()``) abandons the turn cleanly: the cache keeps
        what was evaluated and the engine is free for the next turn.

        Raises ContextOverflowError when even the newest message cannot fit, and
        GenerationError when llama.cpp fails.
        """
        started = time.perf_counter()
        self._begin_turn(control)
        chain: Any = None
        try:
            seed = _turn_seed(request.params)
            try:
                fitted = self._fit_prompt(request)
            except CancelledError:
                # Stopped while the template rendered: nothing was evaluated.
                log.info("chat template render abandoned: the turn was stopped")
                finished = TurnFinished("stopped", TurnStats(n_ctx=self.n_ctx, seed=seed))
            else:
                chain = self._native.make_sampler(request.params, seed)
                finished = yield from self._run_turn(request, control, fitted, chain, seed, started)
        finally:
            if chain is not None:
                self._native.free_sampler(chain)
            self._end_turn()
        # The engine is free again before the last event, so a consumer that stops
        # iterating at TurnFinished never leaves it marked busy.
        yield finished

    def stream_samples(
        self,
        request: TurnRequest,
        n: int,
        control: TurnControl,
        seeds: Sequence[int] | None = None,
    ) -> Generator[TurnEvent | SampleEvent, None, None]:
        """Sample ``n`` answers to one prompt together (majority vote).

        The prompt is evaluated once; its cells are shared with ``n`` sequences, which are
        decoded together, one batch per step, each with its own sampler chain and seed
        (``seeds``, or the turn's seed plus 0, 1, 2 …). Each sample's events come as
        :class:`SampleEvent`; the sample ends with its own TurnFinished (``length`` when
        it runs out of tokens or context). Stop ends every sample; Answer now applies to
        all. The job ends with one unwrapped TurnFinished over all samples.
        """
        from app.core.engines.sampling import run_samples

        native = self._native
        if not 1 <= n <= native.n_seq_max:
            raise GenerationError.of(
                "engine.too_many_samples",
                limit=native.n_seq_max,
                detail=f"asked for {n}",
            )
        if seeds is None:
            first = _turn_seed(request.params)
            seeds = [(first + i) % _SEED_LIMIT for i in range(n)]
        if len(seeds) != n:
            raise ValueError(f"{n} samples need {n} seeds, not {len(seeds)}")
        started = time.perf_counter()
        self._begin_turn(control)
        chains: list[Any] = []
        try:
            fitted = self._fit_prompt(request)
            chains = [native.make_sampler(request.params, int(seed)) for seed in seeds]
            counters = yield from self._evaluate_prompt(control, fitted, int(seeds[0]), started)
            if counters.evaluated < counters.prompt_tokens - counters.cached:
                finished = TurnFinished("stopped", self._stats(counters))
            else:
                finished = yield from run_samples(
                    native,
                    control,
                    request.params,
                    chains=chains,
                    seeds=[int(seed) for seed in seeds],
                    prompt=counters,
                    close_tokens=self._close_tokens,
                    starts_in_reasoning=fitted.rendered.opens_in_reasoning,
                    continuing=request.continue_last,
                )
        finally:
            for chain in chains:
                native.free_sampler(chain)
            self._end_turn()
        yield finished

    def _run_turn(
        self,
        request: TurnRequest,
        control: TurnControl,
        fitted: _FittedPrompt,
        chain: Any,
        seed: int,
        started: float,
    ) -> Generator[TurnEvent, None, TurnFinished]:
        counters = yield from self._evaluate_prompt(control, fitted, seed, started)
        if counters.evaluated < counters.prompt_tokens - counters.cached:
            return TurnFinished("stopped", self._stats(counters))

        # 2. Reply: sample, show, decode, one token at a time.
        splitter = ReasoningSplitter(
            starts_in_reasoning=fitted.rendered.opens_in_reasoning,
            continuing=request.continue_last,
        )
        params = request.params
        guard = LoopGuard() if params.loop_guard else None
        return (yield from self._generate(control, params, chain, splitter, guard, counters))

    def _evaluate_prompt(
        self, control: TurnControl, fitted: _FittedPrompt, seed: int, started: float
    ) -> Generator[TurnEvent, None, TurnCounters]:
        """Evaluate what the KV cache lacks of the prompt; stops early when cancelled."""
        native = self._native
        tokens = fitted.tokens
        if fitted.dropped:
            yield ContextTrimmed(fitted.dropped)

        # 1. Prompt: evaluate what the cache does not already hold.
        cached = native.reuse_prefix(tokens)
        pending = tokens[cached:]
        total = len(pending)
        self.last_eval_count = total
        evaluated = 0
        yield PromptProgress(0, total)
        prompt_started = time.perf_counter()
        with native.abortable():
            while evaluated < total:
                if control.cancelled:
                    break
                chunk = pending[evaluated : evaluated + native.n_batch]
                last = evaluated + len(chunk) == total
                before = len(native.cache)
                result = native.decode_chunk(chunk, want_logits=last)
                evaluated += len(native.cache) - before
                if result == DECODE_ABORTED or (result != DECODE_OK and control.cancelled):
                    break
                if result != DECODE_OK:
                    raise GenerationError.of(
                        "engine.prefill_failed",
                        detail=f"llama_decode returned {result} during prompt evaluation",
                    )
                yield PromptProgress(evaluated, total)
        prompt_ended = time.perf_counter()
        self.last_eval_count = evaluated

        return TurnCounters(
            prompt_tokens=len(tokens),
            cached=cached,
            evaluated=evaluated,
            started=started,
            prompt_started=prompt_started,
            prompt_ended=prompt_ended,
            seed=seed,
            trimmed=fitted.dropped,
        )

    def _generate(
        self,
        control: TurnControl,
        params: SamplingParams,
        chain: Any,
        splitter: ReasoningSplitter,
        guard: LoopGuard | None,
        counters: TurnCounters,
    ) -> Generator[TurnEvent, None, TurnFinished]:
        native = self._native
        # Locals: this loop runs once per token and should cost microseconds.
        sample, is_end, token_bytes = native.sample, native.is_end, native.token_bytes
        decode_one = native.decode_one
        clock = time.perf_counter
        cache = native.cache
        n_ctx = native.n_ctx
        text_stream = Utf8Stream()
        to_text = text_stream.feed
        feed = splitter.feed
        budget = params.thinking_budget
        max_tokens = max(0, params.max_tokens)

        reason: FinishReason = "length"
        looping = False
        while True:
            if control.cancelled:
                reason = "stopped"
                break
            if splitter.in_reasoning:
                close = forced_close(control, budget, counters.reasoning, looping)
                if close is not None:
                    tail = text_stream.flush()
                    if tail:
                        yield from feed(tail)
                    yield from splitter.close_reasoning(close)
                    if not self._inject(self._close_tokens, chain):
                        reason = "length"  # the context is full
                        break
                    continue
            if counters.generated >= max_tokens or len(cache) >= n_ctx:
                reason = "length"
                break
            token = sample(chain)
            now = clock()
            if counters.sampled == 0:
                counters.first_token_at = now
            counters.last_token_at = now
            counters.sampled += 1
            if is_end(token):
                reason = "finished"
                break
            counters.generated += 1
            if splitter.in_reasoning:
                counters.reasoning += 1
                if guard is not None and guard.observe(token):
                    looping = True
            data = token_bytes(token)
            if data:
                text = to_text(data)
                if text:
                    yield from feed(text)
            result = decode_one(token)
            if result != DECODE_OK:
                if result == DECODE_NO_KV_SLOT:
                    reason = "length"  # the context is full
                    break
                native.resync_cache()
                raise GenerationError.of(
                    "engine.decode_failed",
                    detail=f"llama_decode returned {result} during generation",
                )

        tail = text_stream.flush()
        if tail:
            yield from feed(tail)
        yield from splitter.flush()
        counters.ended = clock()
        return TurnFinished(reason, self._stats(counters))

    def _inject(self, tokens: Sequence[int], chain: Any) -> bool:
        """Put ``tokens`` into the context as if generated; False if they do not fit."""
        if not tokens:
            return True
        native = self._native
        if len(native.cache) + len(tokens) > native.n_ctx:
            return False
        result = native.decode_chunk(tokens, want_logits=True)
        if result == DECODE_NO_KV_SLOT:
            return False
        if result != DECODE_OK:
            raise GenerationError.of(
                "engine.inject_failed",
                detail=f"llama_decode returned {result} while injecting tokens",
            )
        for token in tokens:
            native.accept(chain, token)  # repetition penalties see them
        return True

    def _stats(self, c: TurnCounters) -> TurnStats:
        return turn_stats(c, n_ctx=self.n_ctx, context_used=len(self._native.cache))

    # --- lifecycle ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed or not self._native.is_open:
            raise GenerationError.of("engine.unloaded")

    def _begin_turn(self, control: TurnControl) -> None:
        with self._state_lock:
            self._check_open()
            if self._busy:
                raise GenerationError.of(
                    "engine.busy",
                    detail="stream_turn called during another turn",
                )
            self._busy = True
            self._native.active_control = control

    def _end_turn(self) -> None:
        with self._state_lock:
            self._busy = False
            self._native.active_control = None
            free_now = self._free_when_idle
        if free_now:
            self._free_native()

    def close(self) -> None:
        """Free the model and context. Idempotent; safe from any thread."""
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            if self._busy:
                # The turn's thread is inside llama.cpp: stop it and free when it returns.
                control = self._native.active_control
                if control is not None:
                    control.cancel()
                self._free_when_idle = True
                return
        self._free_native()

    def _free_native(self) -> None:
        with self._state_lock:
            self._free_when_idle = False
            self._closed = True
        self._native.free()

    def __enter__(self) -> LlamaEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A last resort: at interpreter shutdown the library may already be gone.
        with contextlib.suppress(Exception):
            if not self._busy:
                self.close()


def _turn_seed(params: SamplingParams) -> int:
    """The seed a turn uses: the requested one, or a fresh random one (reported in stats)."""
    if params.seed is not None:
        seed = int(params.seed) & _SEED_LIMIT
    else:
        seed = random.SystemRandom().randrange(_SEED_LIMIT)
    return 0 if seed == _SEED_LIMIT else seed
