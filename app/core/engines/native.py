"""The llama.cpp binding: the only module that imports ``llama_cpp`` (lazily, inside functions).

It loads the dynamic CPU backends, bridges llama.cpp's log into :mod:`logging`, and wraps
one model with its context as :class:`NativeModel`: tokens, the KV cache, batches, sampler
chains and the abort callback. The turn logic (prompt fitting, the generate loop,
reasoning) lives in :mod:`app.core.engines.llama` and talks to llama.cpp only through here.

We do not use ``llama_cpp.Llama``: its ``create_chat_completion(stream=True)``
re-detokenizes the whole answer on every token, ``verbose=True`` prints metadata and
system info with ``print`` to stderr, and ``verbose=False`` redirects the whole process's
stdout/stderr while loading (llama-cpp-python #1874), which breaks other threads. Native
logs go through :func:`llama_log_set` into :mod:`logging` instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from app.core.calibrate import CACHE_TYPE_IDS, DEFAULT_ATTENTION, AttentionConfig
from app.core.cancel import CancelToken
from app.core.chat import SamplingParams
from app.core.errors import CancelledError, GenerationError, ModelLoadError

log = logging.getLogger(__name__)
#: llama.cpp's own log lines (its INFO chatter is logged at DEBUG).
native_log = logging.getLogger("hearth.llama")

#: llama.cpp file types by the names people know them by (``llama_ftype``).
FTYPES: Final[dict[str, int]] = {
    "F32": 0,
    "F16": 1,
    "Q4_0": 2,
    "Q4_1": 3,
    "Q8_0": 7,
    "Q5_0": 8,
    "Q5_1": 9,
    "Q2_K": 10,
    "Q3_K_S": 11,
    "Q3_K_M": 12,
    "Q3_K_L": 13,
    "Q4_K_S": 14,
    "Q4_K_M": 15,
    "Q5_K_S": 16,
    "Q5_K_M": 17,
    "Q6_K": 18,
    "IQ2_XXS": 19,
    "IQ2_XS": 20,
    "Q2_K_S": 21,
    "IQ3_XS": 22,
    "IQ3_XXS": 23,
    "IQ1_S": 24,
    "IQ4_NL": 25,
    "IQ3_S": 26,
    "IQ3_M": 27,
    "IQ2_S": 28,
    "IQ2_M": 29,
    "IQ4_XS": 30,
    "IQ1_M": 31,
    "BF16": 32,
    "TQ1_0": 36,
    "TQ2_0": 37,
}
FTYPE_NAMES: Final = {value: name for name, value in FTYPES.items()}

# llama_decode return codes (llama.h).
DECODE_OK: Final = 0
DECODE_NO_KV_SLOT: Final = 1
DECODE_ABORTED: Final = 2

# Token pieces are short; a longer one (rare) is retried with a bigger buffer.
_PIECE_BUFFER_SIZE: Final = 256
_PENALTY_LAST_N: Final = 64


# --- Native library: loading, logging ----------------------------------------------------

# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continue previous line).
_GGML_LOG_CONT: Final = 5
_GGML_TO_LOGGING: Final = {
    0: logging.DEBUG,
    1: logging.DEBUG,
    2: logging.DEBUG,  # llama.cpp's INFO is a tensor-by-tensor diary: keep it out of INFO
    3: logging.WARNING,
    4: logging.ERROR,
}


class _NativeLogBridge:
    """Receives llama.cpp/ggml log text, logs whole lines, remembers recent problems.

    The recent warning/error lines are how a failed load explains itself: llama.cpp's API
    only returns NULL, and the reason ("tensor data is not within the file bounds",
    "unknown model architecture") exists only in the log.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = ""
        self._pending_level = logging.DEBUG
        self._sequence = 0
        self._problems: deque[tuple[int, str]] = deque(maxlen=64)

    def handle(self, level: int, text: bytes | None, _user_data: object) -> None:
        # Called from native code: it must never raise.
        try:
            chunk = text.decode("utf-8", "replace") if text else ""
            lines: list[tuple[int, str]] = []
            with self._lock:
                if level != _GGML_LOG_CONT:
                    if self._pending:
                        lines.append((self._pending_level, self._pending))
                        self._pending = ""
                    self._pending_level = _GGML_TO_LOGGING.get(level, logging.DEBUG)
                self._pending += chunk
                if "\n" in self._pending:
                    *complete, self._pending = self._pending.split("\n")
                    lines.extend((self._pending_level, line) for line in complete)
                for line_level, line in lines:
                    if line_level >= logging.WARNING and line.strip():
                        self._sequence += 1
                        self._problems.append((self._sequence, line.strip()))
            for line_level, line in lines:
                if line.strip():
                    # ret = 2 is llama_decode's "aborted": a Stop during prompt processing,
                    # which is expected and not an error worth alarming anyone in the log.
                    if "failed to decode, ret = 2" in line:
                        line_level = logging.INFO
                    native_log.log(line_level, "%s", line.rstrip())
        except Exception:
            return

    def mark(self) -> int:
        with self._lock:
            return self._sequence

    def problems_since(self, mark: int) -> list[str]:
        with self._lock:
            if self._pending.strip() and self._pending_level >= logging.WARNING:
                self._sequence += 1
                self._problems.append((self._sequence, self._pending.strip()))
                self._pending = ""
            return [line for sequence, line in self._problems if sequence > mark]


class _Native:
    """The loaded llama_cpp module, initialised once per process."""

    def __init__(self) -> None:
        import llama_cpp

        self.lib: Any = llama_cpp
        self.bridge = _NativeLogBridge()
        # Kept referenced for the life of the process: llama.cpp holds the raw pointer.
        self._log_callback = llama_cpp.llama_log_callback(self.bridge.handle)
        llama_cpp.llama_log_set(self._log_callback, ctypes.c_void_p(0))
        _load_dynamic_cpu_backends(llama_cpp)
        llama_cpp.llama_backend_init()

    @property
    def lib_dir(self) -> Path:
        return Path(self.lib.__file__).resolve().parent / "lib"


_native_lock = threading.Lock()
_native_instance: _Native | None = None


def _native() -> _Native:
    global _native_instance
    with _native_lock:
        if _native_instance is None:
            _native_instance = _Native()
        return _native_instance


def native_runtime() -> _Native:
    """The process's one llama.cpp runtime (``.lib`` is the module, ``.bridge`` its log).

    For :mod:`app.core.knowledge.embed`, which drives an embedding model through it and so
    never imports ``llama_cpp`` itself.
    """
    return _native()


def _cpu_variant_files(lib_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in lib_dir.glob("*ggml-cpu-*")
        if path.suffix in {".so", ".dll", ".dylib"} or ".so." in path.name
    )


def _load_dynamic_cpu_backends(llama_cpp: Any) -> None:
    """With a GGML_BACKEND_DL build, have ggml pick the best CPU variant for this machine.

    A build with one static CPU backend needs nothing; the variant files only exist when
    the library was built with ``GGML_BACKEND_DL`` + ``GGML_CPU_ALL_VARIANTS``.
    """
    lib_dir = Path(llama_cpp.__file__).resolve().parent / "lib"
    if not _cpu_variant_files(lib_dir):
        return
    try:
        if sys.platform == "win32":
            ggml: Any = ctypes.CDLL(str(lib_dir / "ggml.dll"))
        else:
            # libllama's own handle resolves into the libggml.so.0 it links. Opening
            # libggml.so by path would load a second copy (wheels ship .so, .so.0 and
            # .so.0.x as separate files) with its own, empty backend registry, and every
            # model load would then fail with "no backends are loaded".
            ggml = llama_cpp.llama_cpp._lib
        ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
        ggml.ggml_backend_load_all_from_path.restype = None
        if ggml.ggml_backend_reg_count() > 0:
            return
        ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        ggml.ggml_backend_load_all_from_path(str(lib_dir).encode())
    except (OSError, AttributeError) as exc:
        log.warning("could not load the CPU backend variants from %s: %s", lib_dir, exc)


def llama_system_info() -> str:
    """llama.cpp's system info: the CPU features the loaded backend uses."""
    raw: bytes = _native().lib.llama_print_system_info()
    return raw.decode("utf-8", "replace").strip().rstrip("|").strip()


def _mapped_cpu_backends() -> list[str]:
    """ggml CPU backend libraries mapped into this process (Linux: /proc/self/maps)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[str] = []
    for line in maps.splitlines():
        name = line.rsplit("/", 1)[-1]
        if "ggml-cpu" in name and "/" in line and name not in found:
            found.append(name)
    return found


def cpu_variant() -> str:
    """Which CPU backend is in use, e.g. ``libggml-cpu-haswell.so (runtime-selected ...)``."""
    native = _native()
    variants = _cpu_variant_files(native.lib_dir)
    mapped = _mapped_cpu_backends()
    if variants:
        names = ", ".join(path.name for path in variants)
        if mapped:
            return f"{mapped[0]} (runtime-selected from: {names})"
        return f"runtime-selected CPU backend, none loaded yet (variants: {names})"
    info = llama_system_info()
    cpu_part = info.split("CPU :", 1)[-1] if "CPU :" in info else info
    compiled = [
        feature.strip()
        for feature, _, value in (item.partition("=") for item in cpu_part.split("|"))
        if value.strip() == "1" and feature.strip()
    ]
    library = mapped[0] if mapped else "libggml-cpu"
    build = "static CPU build"
    if _cpu_has_avx512() and not any(feature.startswith("AVX512") for feature in compiled):
        build = "portable static CPU build (GGML_NATIVE=OFF; this CPU has AVX-512, unused)"
    return f"{library}: {build} with {', '.join(compiled) or 'baseline features'}"


def _cpu_has_avx512() -> bool:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx512f" in cpuinfo


def default_thread_count() -> int:
    """Physical cores: llama.cpp's decode is memory-bound and SMT siblings rarely help."""
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
    except ImportError:
        physical = None
    return max(1, physical or os.cpu_count() or 1)


def quantize_gguf(src: str | Path, dst: str | Path, ftype_name: str = "Q4_K_M") -> Path:
    """Quantize ``src`` into ``dst`` with llama.cpp's default parameters."""
    ftype = FTYPES.get(ftype_name.upper())
    if ftype is None:
        raise ValueError(f"unknown quantization type {ftype_name!r}; known: {', '.join(FTYPES)}")
    native = _native()
    lib = native.lib
    params = lib.llama_model_quantize_default_params()
    params.ftype = ftype
    mark = native.bridge.mark()
    started = time.perf_counter()
    result = lib.llama_model_quantize(
        str(src).encode("utf-8"), str(dst).encode("utf-8"), ctypes.byref(params)
    )
    if result != 0:
        reason = "; ".join(native.bridge.problems_since(mark)[-3:]) or f"error code {result}"
        raise ModelLoadError.of(
            "model.convert_failed", name=Path(src).name, ftype=ftype_name, detail=reason
        )
    log.info(
        "quantized %s -> %s (%s) in %.1f s",
        Path(src).name,
        Path(dst).name,
        ftype_name,
        time.perf_counter() - started,
    )
    return Path(dst)


def load_failure(name: str, problems: Sequence[str]) -> ModelLoadError:
    """Turn llama.cpp's log lines about a failed load into a sentence."""
    detail = " | ".join(problems[-6:]) or "llama.cpp gave no reason"
    reason = ""
    for line in reversed(problems):
        if "error loading model" in line:
            reason = line.rsplit("error loading model", 1)[-1].lstrip(" :")
            reason = re.sub(r"^(architecture|hyperparameters|vocabulary)\s*:\s*", "", reason)
            break
    if "failed to load model from" in reason and problems:
        reason = problems[0]  # the loader's first complaint is the specific one
    if not reason and problems:
        reason = problems[-1]
    reason = re.sub(r"^\w+:\s*", "", reason)
    lowered = (reason + " " + detail).lower()
    if "invalid magic" in lowered:
        return ModelLoadError.of("model.bad_magic", name=name, detail=detail)
    if "unknown model architecture" in lowered:
        arch = re.search(r"architecture:? '([^']*)'", reason)
        if arch:
            return ModelLoadError.of(
                "model.unknown_architecture_named", name=name, arch=arch.group(1), detail=detail
            )
        return ModelLoadError.of("model.unknown_architecture", name=name, detail=detail)
    if any(
        hint in lowered
        for hint in ("not within the file bounds", "truncated", "unexpected end", "failed to read")
    ):
        return ModelLoadError.of("model.truncated", name=name, detail=detail)
    if any(hint in lowered for hint in ("alloc", "out of memory", "mmap")):
        return ModelLoadError.of("model.out_of_memory", name=name, detail=detail)
    if not reason:
        return ModelLoadError.of("model.refused", name=name, detail=detail)
    return ModelLoadError.of("model.load_failed_named", name=name, reason=reason, detail=detail)


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


# --- One model and its context -----------------------------------------------------------


class NativeModel:
    """A loaded model, its context and KV cache. Not thread-safe: one thread drives it.

    ``cache`` mirrors the tokens whose keys/values sit in sequence 0 of the KV cache, in
    order. :meth:`free` releases the native memory; the owner makes sure no call is running.
    """

    def __init__(self, runtime: _Native, path: Path) -> None:
        # Use NativeModel.open(); this only sets up empty state.
        self._runtime = runtime
        self._lib: Any = runtime.lib
        self.path = path
        self._model: Any = None
        self._ctx: Any = None
        self._vocab: Any = None
        self._memory: Any = None
        self._batch: Any = None
        self._one: Any = None
        self.n_batch = 0
        self.n_ctx = 0
        self.n_threads = 0
        self.n_threads_batch = 0
        self.n_seq_max = 1
        self.attention = DEFAULT_ATTENTION
        self.context_train = 0
        self.cache: list[int] = []
        #: Read by the abort callback while a prompt is evaluated (see :meth:`abortable`).
        self.active_control: CancelToken | None = None
        self._piece_buffer = ctypes.create_string_buffer(_PIECE_BUFFER_SIZE)
        self._abort_callback: Any = None
        self._no_abort_callback: Any = None
        self.bos_id = -1
        self.eos_id = -1
        self.add_bos = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        n_ctx: int,
        n_threads: int | None,
        n_batch: int,
        n_seq_max: int = 1,
        cancel: CancelToken | None = None,
        attention: AttentionConfig = DEFAULT_ATTENTION,
        n_threads_batch: int | None = None,
    ) -> NativeModel:
        """Load ``path`` into llama.cpp; raises ModelLoadError built from llama.cpp's log.

        ``n_threads_batch`` (prompt evaluation) defaults to ``n_threads`` (decode).
        """
        model = cls(_native(), path)
        try:
            model._open(
                n_ctx, n_threads, n_batch, max(1, n_seq_max), cancel, attention, n_threads_batch
            )
        except BaseException:
            model.free()
            raise
        return model

    def _open(
        self,
        n_ctx: int,
        n_threads: int | None,
        n_batch: int,
        n_seq_max: int,
        cancel: CancelToken | None,
        attention: AttentionConfig = DEFAULT_ATTENTION,
        n_threads_batch: int | None = None,
    ) -> None:
        lib = self._lib
        bridge = self._runtime.bridge
        name = self.path.name
        params = lib.llama_model_default_params()
        params.n_gpu_layers = 0

        def on_progress(_progress: float, _data: object) -> bool:
            return not (cancel is not None and cancel.cancelled)

        progress_callback = lib.llama_progress_callback(on_progress)
        if cancel is not None:
            params.progress_callback = progress_callback
        mark = bridge.mark()
        self._model = lib.llama_model_load_from_file(str(self.path).encode("utf-8"), params)
        if not self._model:
            if cancel is not None and cancel.cancelled:
                raise CancelledError()
            raise load_failure(name, bridge.problems_since(mark))
        self._vocab = lib.llama_model_get_vocab(self._model)

        threads = n_threads if n_threads and n_threads > 0 else default_thread_count()
        # Prompt evaluation is compute-bound and decode memory-bound, so on machines with
        # hyper-threads or many cores the best counts can differ (measured per knob by
        # scripts/bench_long_chat.py); by default both use the same count.
        batch_threads = n_threads_batch if n_threads_batch and n_threads_batch > 0 else threads
        self.context_train = int(lib.llama_model_n_ctx_train(self._model))
        wanted_ctx = max(64, n_ctx)
        if self.context_train > 0:
            wanted_ctx = min(wanted_ctx, self.context_train)
        batch = max(1, min(n_batch, wanted_ctx))
        cparams = lib.llama_context_default_params()
        cparams.n_ctx = wanted_ctx
        cparams.n_batch = batch
        cparams.n_ubatch = min(batch, attention.n_ubatch or 512)
        # Flash attention and the KV element type are explicit, never llama.cpp's "auto":
        # which is faster depends on the CPU (app/core/calibrate.py measures it).
        cparams.flash_attn_type = 1 if attention.flash_attn else 0
        cparams.type_k = CACHE_TYPE_IDS[attention.cache_type]
        cparams.type_v = CACHE_TYPE_IDS[attention.cache_type]
        cparams.n_seq_max = n_seq_max
        cparams.n_threads = threads
        cparams.n_threads_batch = batch_threads
        if n_seq_max > 1 and hasattr(cparams, "kv_unified"):
            # One cache shared by all sequences, so N samples can share the prompt's cells.
            cparams.kv_unified = True
        mark = bridge.mark()
        self._ctx = lib.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            raise load_failure(name, bridge.problems_since(mark))
        self._memory = lib.llama_get_memory(self._ctx)
        self.n_ctx = int(lib.llama_n_ctx(self._ctx))
        self.n_batch = batch
        self.n_threads = threads
        self.n_threads_batch = batch_threads
        self.n_seq_max = n_seq_max
        self.attention = attention

        # The abort callback is armed only while a prompt is evaluated: ggml calls it after
        # every graph node, and each call would take the GIL. Decoding one token is short,
        # so during generation a stop is checked between tokens instead.
        def should_abort(_data: object) -> bool:
            control = self.active_control
            return control is not None and control.cancelled

        self._abort_callback = lib.ggml_abort_callback(should_abort)
        self._no_abort_callback = lib.ggml_abort_callback()

        self._batch = lib.llama_batch_init(max(batch, n_seq_max), 0, 1)
        self._one = lib.llama_batch_init(1, 0, 1)
        for b, size in ((self._batch, max(batch, n_seq_max)), (self._one, 1)):
            for i in range(size):
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = 0
                b.logits[i] = 0
        self._one.logits[0] = 1
        self._one.n_tokens = 1

        self.bos_id = int(lib.llama_vocab_bos(self._vocab))
        self.eos_id = int(lib.llama_vocab_eos(self._vocab))
        self.add_bos = bool(lib.llama_vocab_get_add_bos(self._vocab)) and self.bos_id >= 0

    # --- facts about the model ---------------------------------------------------------

    def chat_template_source(self) -> str | None:
        raw = self._lib.llama_model_chat_template(self._model, None)
        return raw.decode("utf-8", "replace") if raw else None

    @property
    def quant(self) -> str:
        ftype = int(self._lib.llama_model_ftype(self._model))
        quant = FTYPE_NAMES.get(ftype & ~1024)
        if quant is None:
            raw_name = self._lib.llama_ftype_name(ftype)
            quant = raw_name.decode() if raw_name else f"type {ftype}"
        return quant

    @property
    def n_params(self) -> int:
        return int(self._lib.llama_model_n_params(self._model))

    @property
    def n_vocab(self) -> int:
        return int(self._lib.llama_vocab_n_tokens(self._vocab))

    @property
    def is_open(self) -> bool:
        return self._ctx is not None

    # --- tokens ------------------------------------------------------------------------

    def piece_text(self, token: int) -> str:
        """The text of a token as the template sees it (special tokens rendered)."""
        n = self._lib.llama_token_to_piece(
            self._vocab, token, self._piece_buffer, _PIECE_BUFFER_SIZE, 0, True
        )
        return ctypes.string_at(self._piece_buffer, max(0, n)).decode("utf-8", "replace")

    def tokenize_raw(self, text: str) -> list[int]:
        """Tokens for ``text`` with special tokens parsed and no BOS added."""
        data = text.encode("utf-8")
        capacity = len(data) + 8
        buffer = (ctypes.c_int32 * capacity)()
        n = self._lib.llama_tokenize(self._vocab, data, len(data), buffer, capacity, False, True)
        if n < 0:
            raise GenerationError.of("engine.tokenize_failed", detail=f"llama_tokenize -> {n}")
        return list(buffer[:n])

    def token_bytes(self, token: int) -> bytes:
        """The bytes one token adds to the reply (control tokens add none)."""
        n = self._lib.llama_token_to_piece(
            self._vocab, token, self._piece_buffer, _PIECE_BUFFER_SIZE, 0, False
        )
        if n < 0:
            self._piece_buffer = ctypes.create_string_buffer(-n + 16)
            n = self._lib.llama_token_to_piece(
                self._vocab, token, self._piece_buffer, -n + 16, 0, False
            )
        return ctypes.string_at(self._piece_buffer, max(0, n))

    def is_end(self, token: int) -> bool:
        """True for an end-of-generation token (EOS, EOT, …)."""
        return bool(self._lib.llama_vocab_is_eog(self._vocab, token))

    # --- KV cache ------------------------------------------------------------------------

    def clear_cache(self) -> None:
        self._lib.llama_memory_clear(self._memory, True)
        self.cache.clear()

    def reuse_prefix(self, tokens: Sequence[int]) -> int:
        """Keep the cached prefix shared with ``tokens``; returns how many tokens it holds."""
        keep = common_prefix_length(self.cache, tokens)
        # The last prompt token is always evaluated again: its logits start the reply.
        keep = max(0, min(keep, len(tokens) - 1))
        if keep < len(self.cache):
            if not self._lib.llama_memory_seq_rm(self._memory, 0, keep, -1):
                log.debug("partial KV removal refused; clearing the cache")
                self._lib.llama_memory_clear(self._memory, True)
                keep = 0
            del self.cache[keep:]
        return keep

    def resync_cache(self) -> None:
        """After an aborted or failed decode, trust llama.cpp's memory over our list."""
        kept = int(self._lib.llama_memory_seq_pos_max(self._memory, 0)) + 1
        if kept < len(self.cache):
            del self.cache[kept:]
        self._lib.llama_memory_seq_rm(self._memory, 0, len(self.cache), -1)

    def decode_chunk(self, tokens: Sequence[int], *, want_logits: bool) -> int:
        """Evaluate ``tokens`` (at most n_batch) after the cache; returns llama_decode's code."""
        n = len(tokens)
        batch = self._batch
        start = len(self.cache)
        ctypes.memmove(batch.token, (ctypes.c_int32 * n)(*tokens), 4 * n)
        ctypes.memmove(batch.pos, (ctypes.c_int32 * n)(*range(start, start + n)), 4 * n)
        batch.n_tokens = n
        batch.logits[n - 1] = 1 if want_logits else 0
        try:
            result = int(self._lib.llama_decode(self._ctx, batch))
        finally:
            batch.logits[n - 1] = 0
        if result == DECODE_OK:
            self.cache.extend(tokens)
        else:
            # Ubatches that finished before an abort or error stay in the memory.
            done = int(self._lib.llama_memory_seq_pos_max(self._memory, 0)) + 1 - start
            if done > 0:
                self.cache.extend(tokens[:done])
            self.resync_cache()
        return result

    def decode_one(self, token: int) -> int:
        """Evaluate one generated token after the cache; returns llama_decode's code."""
        one = self._one
        one.token[0] = token
        one.pos[0] = len(self.cache)
        result = int(self._lib.llama_decode(self._ctx, one))
        if result == DECODE_OK:
            self.cache.append(token)
        return result

    # --- several sequences (batched sampling) ------------------------------------------

    def copy_sequence(self, source: int, target: int, length: int) -> None:
        """Let sequence ``target`` share the first ``length`` cells of ``source``.

        With the unified KV cache the cells are shared, not copied: N samples of one
        prompt cost the prompt's memory once.
        """
        self._lib.llama_memory_seq_cp(self._memory, source, target, 0, length)

    def drop_sequence(self, seq: int, start: int = 0) -> None:
        """Forget sequence ``seq`` from position ``start`` on (its other cells stay)."""
        self._lib.llama_memory_seq_rm(self._memory, seq, start, -1)

    def decode_sequences(self, feeds: Sequence[tuple[int, int, Sequence[int]]]) -> int:
        """Evaluate several sequences in one batch: ``(seq, first position, tokens)`` each.

        Logits are kept for the last token of each feed; sample feed ``k`` with
        :meth:`sample` at the batch index returned by :func:`feed_rows`. Returns
        llama_decode's code. ``cache`` (sequence 0's list) is not touched.
        """
        batch = self._batch
        row = 0
        for seq, start, tokens in feeds:
            for offset, token in enumerate(tokens):
                batch.token[row] = token
                batch.pos[row] = start + offset
                batch.seq_id[row][0] = seq
                batch.logits[row] = 1 if offset == len(tokens) - 1 else 0
                row += 1
        batch.n_tokens = row
        try:
            return int(self._lib.llama_decode(self._ctx, batch))
        finally:
            for i in range(row):
                batch.seq_id[i][0] = 0
                batch.logits[i] = 0

    @property
    def batch_capacity(self) -> int:
        return max(self.n_batch, self.n_seq_max)

    @contextlib.contextmanager
    def abortable(self) -> Iterator[None]:
        """Let a cancel of :attr:`active_control` interrupt llama_decode inside a batch."""
        self._lib.llama_set_abort_callback(self._ctx, self._abort_callback, None)
        try:
            yield
        finally:
            self._lib.llama_set_abort_callback(self._ctx, self._no_abort_callback, None)

    # --- sampling ------------------------------------------------------------------------

    def make_sampler(self, params: SamplingParams, seed: int) -> Any:
        """A C-side sampler chain for ``params``; free it with :meth:`free_sampler`."""
        lib = self._lib
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        steps: list[Any] = []
        if params.repeat_penalty != 1.0:
            steps.append(
                lib.llama_sampler_init_penalties(
                    self.n_vocab, _PENALTY_LAST_N, float(params.repeat_penalty), 0.0, 0.0
                )
            )
        if params.temperature <= 0:
            steps.append(lib.llama_sampler_init_greedy())
        else:
            if params.top_k > 0:
                steps.append(lib.llama_sampler_init_top_k(int(params.top_k)))
            if 0 < params.top_p < 1:
                steps.append(lib.llama_sampler_init_top_p(float(params.top_p), 1))
            if params.min_p > 0:
                steps.append(lib.llama_sampler_init_min_p(float(params.min_p), 1))
            steps.append(lib.llama_sampler_init_temp(float(params.temperature)))
            steps.append(lib.llama_sampler_init_dist(seed))
        for step in steps:
            lib.llama_sampler_chain_add(chain, step)  # the chain owns and frees each step
        return chain

    def sample(self, chain: Any, index: int = -1) -> int:
        """Sample from the logits of batch row ``index`` (-1: the last one computed)."""
        return int(self._lib.llama_sampler_sample(chain, self._ctx, index))

    def accept(self, chain: Any, token: int) -> None:
        """Tell the chain about a token it did not sample (repetition penalties see it)."""
        self._lib.llama_sampler_accept(chain, token)

    def reset_sampler(self, chain: Any) -> None:
        self._lib.llama_sampler_reset(chain)

    def free_sampler(self, chain: Any) -> None:
        self._lib.llama_sampler_free(chain)

    def decode_greedy_timed(self, chain: Any, n_tokens: int) -> tuple[float, ...]:
        """The bare decode loop of the benchmark's reference: sample, stamp, decode.

        No detokenization and no per-token work beyond the calls themselves; returns the
        ``time.perf_counter()`` reading taken as each token is sampled.
        """
        lib = self._lib
        sample, decode, clock = lib.llama_sampler_sample, lib.llama_decode, time.perf_counter
        ctx, one, cache = self._ctx, self._one, self.cache
        one_token, one_pos = one.token, one.pos
        times: list[float] = []
        stamp = times.append
        for _ in range(n_tokens):
            token = sample(chain, ctx, -1)
            stamp(clock())
            one_token[0] = token
            one_pos[0] = len(cache)
            if decode(ctx, one) != DECODE_OK:
                raise GenerationError("llama_decode failed in the benchmark loop.")
            cache.append(token)
        return tuple(times)

    # --- lifecycle -----------------------------------------------------------------------

    def free(self) -> None:
        """Release the native memory. Idempotent; the caller ensures nothing is running."""
        lib = self._lib
        batch, one, ctx, model = self._batch, self._one, self._ctx, self._model
        self._batch = self._one = self._ctx = self._model = None
        self._vocab = self._memory = None
        self.cache.clear()
        for b in (batch, one):
            if b is not None:
                lib.llama_batch_free(b)
        if ctx is not None:
            lib.llama_free(ctx)
        if model is not None:
            lib.llama_model_free(model)
            log.info("unloaded %s", self.path.name)


def feed_rows(feeds: Sequence[tuple[int, int, Sequence[int]]]) -> list[int]:
    """The batch index of each feed's last token (where its logits are sampled)."""
    rows: list[int] = []
    row = 0
    for _seq, _start, tokens in feeds:
        row += len(tokens)
        rows.append(row - 1)
    return rows
