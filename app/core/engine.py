"""Load a GGUF and stream chat turns through llama.cpp, as typed events.

This is the only module that touches ``llama_cpp``, and only inside functions, so that
importing the core stays cheap and a broken native build fails where it is used.

How a turn runs (see :meth:`Engine.stream_turn`):

1. The conversation is formatted with the model's own chat template (``template.py``),
   dropping the oldest messages if the prompt would not fit the context.
2. Only the tokens after the longest prefix already in the KV cache are evaluated, in
   ``n_batch`` chunks. Stop is honoured between chunks, and inside a chunk through
   llama.cpp's abort callback.
3. Tokens are sampled by a C-side sampler chain (no logits are copied into Python) and
   decoded one at a time with ``llama_decode``. Each new token is turned into bytes with
   ``llama_token_to_piece`` and then into text by an incremental UTF-8 decoder, so a
   character split across tokens is never garbled and the answer is never re-detokenized.
4. ``reasoning.py`` sorts the text into reasoning and answer. The engine closes the
   reasoning itself (thinking budget, "answer now", loop guard) by feeding the tokens of
   ``"\\n</think>\\n\\n"`` into the context as if the model had written them.

We do not use ``llama_cpp.Llama``: its ``create_chat_completion(stream=True)``
re-detokenizes the whole answer on every token, ``verbose=True`` prints metadata and
system info with ``print`` to stderr, and ``verbose=False`` redirects the whole process's
stdout/stderr while loading (llama-cpp-python #1874), which breaks other threads. Native
logs go through :func:`llama_log_set` into :mod:`logging` instead.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import logging
import math
import os
import random
import re
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.core.cancel import CancelToken, TurnControl
from app.core.chat import (
    ChatMessage,
    ContextTrimmed,
    FinishReason,
    PromptProgress,
    ReasoningCloseReason,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.errors import (
    CancelledError,
    ContextOverflowError,
    GenerationError,
    HearthError,
    ModelLoadError,
)
from app.core.reasoning import LoopGuard, ReasoningSplitter
from app.core.template import (
    BUILTIN_R1_TEMPLATE,
    THINK_CLOSE,
    ChatTemplate,
    RenderedPrompt,
    builtin_template_name,
    template_for,
)

log = logging.getLogger(__name__)
#: llama.cpp's own log lines (its INFO chatter is logged at DEBUG).
native_log = logging.getLogger("hearth.llama")

#: Text fed into the context when the engine closes the reasoning itself.
FORCED_REASONING_CLOSE: Final = f"\n{THINK_CLOSE}\n\n"

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
_FTYPE_NAMES: Final = {value: name for name, value in FTYPES.items()}

# llama_decode return codes (llama.h).
_DECODE_OK: Final = 0
_DECODE_NO_KV_SLOT: Final = 1
_DECODE_ABORTED: Final = 2

# Token pieces are short; a longer one (rare) is retried with a bigger buffer.
_PIECE_BUFFER_SIZE: Final = 256
_SEED_LIMIT: Final = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED means "random" to llama.cpp
_PENALTY_LAST_N: Final = 64
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
        raise ModelLoadError(
            f"Could not convert {Path(src).name} to {ftype_name}. Check the free disk space "
            "and that the file is a complete GGUF model.",
            detail=reason,
        )
    log.info(
        "quantized %s -> %s (%s) in %.1f s",
        Path(src).name,
        Path(dst).name,
        ftype_name,
        time.perf_counter() - started,
    )
    return Path(dst)


# --- GGUF pre-flight check ---------------------------------------------------------------

_GGUF_MAGIC: Final = b"GGUF"
# Scalar value sizes by GGUF metadata type; 8 = string, 9 = array.
_GGUF_SCALAR_SIZES: Final = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_GGUF_STRING: Final = 8
_GGUF_ARRAY: Final = 9
_GGUF_DEFAULT_ALIGNMENT: Final = 32
_MAX_HEADER_BYTES: Final = 512 << 20
_U32: Final = struct.Struct("<I")
_U64: Final = struct.Struct("<Q")


class _ShortHeaderError(Exception):
    """The header continues past the bytes read so far."""


@dataclass(frozen=True, slots=True)
class GgufSummary:
    """What the pre-flight check learned from a GGUF header."""

    version: int
    architecture: str
    name: str
    n_tensors: int
    #: Bytes the file must have to hold every tensor.
    required_size: int


def _read_string(buffer: bytes, pos: int) -> tuple[str, int]:
    (length,) = _U64.unpack_from(buffer, pos)
    end = pos + 8 + length
    if end > len(buffer):
        raise _ShortHeaderError
    return buffer[pos + 8 : end].decode("utf-8", "replace"), end


def _skip_value(buffer: bytes, pos: int, value_type: int) -> int:
    if value_type == _GGUF_STRING:
        return int(pos + 8 + _U64.unpack_from(buffer, pos)[0])
    if value_type == _GGUF_ARRAY:
        (item_type,) = _U32.unpack_from(buffer, pos)
        count = int(_U64.unpack_from(buffer, pos + 4)[0])
        pos += 12
        if item_type in _GGUF_SCALAR_SIZES:
            return pos + count * _GGUF_SCALAR_SIZES[item_type]
        if item_type == _GGUF_STRING:
            # The vocabulary: ~150k strings. A tight loop keeps this to tens of ms.
            unpack = _U64.unpack_from
            for _ in range(count):
                (length,) = unpack(buffer, pos)
                pos += 8 + length
            return pos
        if item_type == _GGUF_ARRAY:
            for _ in range(count):
                pos = _skip_value(buffer, pos, _GGUF_ARRAY)
                if pos > len(buffer):
                    raise _ShortHeaderError
            return pos
        raise ValueError(f"unknown GGUF array item type {item_type}")
    if value_type in _GGUF_SCALAR_SIZES:
        return int(pos + _GGUF_SCALAR_SIZES[value_type])
    raise ValueError(f"unknown GGUF value type {value_type}")


def _parse_gguf_header(buffer: bytes) -> GgufSummary:
    from gguf.constants import GGML_QUANT_SIZES

    try:
        (version,) = _U32.unpack_from(buffer, 4)
        (n_tensors,) = _U64.unpack_from(buffer, 8)
        (n_kv,) = _U64.unpack_from(buffer, 16)
        pos = 24
        wanted: dict[str, Any] = {}
        for _ in range(n_kv):
            key, pos = _read_string(buffer, pos)
            (value_type,) = _U32.unpack_from(buffer, pos)
            pos += 4
            if key in ("general.architecture", "general.name") and value_type == _GGUF_STRING:
                wanted[key], pos = _read_string(buffer, pos)
            elif key == "general.alignment" and value_type == 4:
                (wanted[key],) = _U32.unpack_from(buffer, pos)
                pos += 4
            else:
                pos = _skip_value(buffer, pos, value_type)
            if pos > len(buffer):
                raise _ShortHeaderError
        data_extent = 0
        for _ in range(n_tensors):
            _name, pos = _read_string(buffer, pos)
            (n_dims,) = _U32.unpack_from(buffer, pos)
            dims = struct.unpack_from(f"<{n_dims}Q", buffer, pos + 4)
            pos += 4 + 8 * n_dims
            (ggml_type,) = _U32.unpack_from(buffer, pos)
            (offset,) = _U64.unpack_from(buffer, pos + 4)
            pos += 12
            sizes = GGML_QUANT_SIZES.get(ggml_type)
            if sizes is not None:
                block_size, type_size = sizes
                n_bytes = math.prod(dims) // block_size * type_size
                data_extent = max(data_extent, offset + n_bytes)
        if pos > len(buffer):
            raise _ShortHeaderError
    except struct.error as exc:
        raise _ShortHeaderError from exc
    alignment = int(wanted.get("general.alignment") or _GGUF_DEFAULT_ALIGNMENT)
    data_start = (pos + alignment - 1) // alignment * alignment
    return GgufSummary(
        version=version,
        architecture=str(wanted.get("general.architecture", "")),
        name=str(wanted.get("general.name", "")),
        n_tensors=n_tensors,
        required_size=data_start + data_extent,
    )


def inspect_gguf(path: str | Path) -> GgufSummary:
    """Check that ``path`` is a complete GGUF file, with messages a person can act on.

    Catches the common failures before llama.cpp sees the file: a wrong path, an empty
    file, something that is not a GGUF, and a truncated download.
    """
    path = Path(path)
    name = path.name or str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelLoadError(
            f"The model file {path} does not exist. Check the path, or choose the file "
            "again with Open model file.",
            detail=f"missing: {path}",
        ) from None
    except OSError as exc:
        raise ModelLoadError(
            f"The model file {name} cannot be opened ({exc.strerror or exc}). "
            "Check that it is readable.",
            detail=repr(exc),
        ) from exc
    if path.is_dir():
        raise ModelLoadError(
            f"{name} is a folder, not a model file. Choose the .gguf file inside it.",
            detail=f"directory: {path}",
        )
    size = stat.st_size
    if size == 0:
        raise ModelLoadError(
            f"The model file {name} is empty (0 bytes). The download probably failed; "
            "download the model again.",
            detail=f"empty: {path}",
        )
    try:
        with path.open("rb") as handle:
            buffer = handle.read(min(size, 16 << 20))
            if buffer[:4] != _GGUF_MAGIC:
                raise ModelLoadError(
                    f"{name} is not a GGUF model file. Hearth runs .gguf models, such as "
                    "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf.",
                    detail=f"magic {buffer[:4]!r} in {path}",
                )
            while True:
                try:
                    summary = _parse_gguf_header(buffer)
                    break
                except _ShortHeaderError:
                    if len(buffer) >= size:
                        raise _truncated_error(name, size, None) from None
                    if len(buffer) >= _MAX_HEADER_BYTES:
                        raise ModelLoadError(
                            f"{name} is damaged: its header is implausibly large. "
                            "Download the model again.",
                            detail=f"header larger than {_MAX_HEADER_BYTES} bytes",
                        ) from None
                    buffer += handle.read(len(buffer))
    except ValueError as exc:
        raise ModelLoadError(
            f"{name} is damaged or uses a GGUF feature this version of Hearth does not "
            "know. Download the model again.",
            detail=str(exc),
        ) from exc
    except OSError as exc:
        raise ModelLoadError(
            f"The model file {name} could not be read ({exc.strerror or exc}).",
            detail=repr(exc),
        ) from exc
    if summary.version not in (2, 3):
        raise ModelLoadError(
            f"{name} uses GGUF version {summary.version}, which this version of Hearth "
            "cannot read. Use a file made for current llama.cpp.",
            detail=f"gguf version {summary.version}",
        )
    if summary.required_size > size:
        raise _truncated_error(name, size, summary.required_size)
    return summary


def _truncated_error(name: str, size: int, required: int | None) -> ModelLoadError:
    expected = f" of {_format_bytes(required)}" if required else ""
    return ModelLoadError(
        f"The model file {name} is incomplete: it holds {_format_bytes(size)}{expected}. "
        "The download was probably interrupted; download the model again.",
        detail=f"the file is truncated: size {size}, required {required}",
    )


def _format_bytes(n: int) -> str:
    if n < 1 << 20:
        return f"{n:,} bytes"
    if n < 1 << 30:
        return f"{n / (1 << 20):.1f} MB"
    return f"{n / (1 << 30):.2f} GB"


def _load_failure(name: str, problems: Sequence[str]) -> ModelLoadError:
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
        return ModelLoadError(
            f"{name} is not a GGUF model file (invalid magic). Hearth runs .gguf models.",
            detail=detail,
        )
    if "unknown model architecture" in lowered:
        arch = re.search(r"architecture:? '([^']*)'", reason)
        which = f" ({arch.group(1)})" if arch else ""
        return ModelLoadError(
            f"{name} uses a model architecture{which} that this version of Hearth cannot "
            "run (unknown architecture). Choose another GGUF file.",
            detail=detail,
        )
    if any(
        hint in lowered
        for hint in ("not within the file bounds", "truncated", "unexpected end", "failed to read")
    ):
        return ModelLoadError(
            f"The model file {name} is incomplete or damaged (the file is truncated). "
            "Download the model again.",
            detail=detail,
        )
    if any(hint in lowered for hint in ("alloc", "out of memory", "mmap")):
        return ModelLoadError(
            f"There is not enough memory to load {name}. Close other programs or choose "
            "a smaller model.",
            detail=detail,
        )
    return ModelLoadError(
        f"Hearth could not load {name}: {reason or 'llama.cpp refused the file'}. "
        "The file may be damaged or need a newer version of Hearth.",
        detail=detail,
    )


# --- Streaming text ------------------------------------------------------------------------


class Utf8Stream:
    """Bytes in, text out, never splitting a character across two outputs.

    A token can end in the middle of a multi-byte character (CJK, emoji); the incomplete
    bytes wait for the next token. Invalid bytes become U+FFFD instead of raising.
    """

    __slots__ = ("_decode",)

    def __init__(self) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode

    def feed(self, data: bytes) -> str:
        return self._decode(data)

    def flush(self) -> str:
        """Text for any bytes still waiting (as U+FFFD if they never completed)."""
        return self._decode(b"", True)


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


@dataclass(frozen=True, slots=True)
class _FittedPrompt:
    tokens: list[int]
    rendered: RenderedPrompt
    dropped: int


# --- The engine --------------------------------------------------------------------------


class Engine:
    """One loaded model and its context. Not thread-safe: one thread drives it.

    :meth:`close` may be called from any thread; during a turn it stops the turn and the
    native memory is freed when the turn ends.
    """

    def __init__(self, _native_state: _Native, _path: Path) -> None:
        # Use Engine.load(); this only sets up empty state.
        self._native = _native_state
        self._lib: Any = _native_state.lib
        self._path = _path
        self._model: Any = None
        self._ctx: Any = None
        self._vocab: Any = None
        self._memory: Any = None
        self._batch: Any = None
        self._one: Any = None
        self._n_batch = 0
        self._n_ctx = 0
        self._cache: list[int] = []
        self._state_lock = threading.Lock()
        self._busy = False
        self._closed = False
        self._free_when_idle = False
        self._active_control: CancelToken | None = None
        self._piece_buffer = ctypes.create_string_buffer(_PIECE_BUFFER_SIZE)
        self._abort_callback: Any = None
        self._no_abort_callback: Any = None
        self._info: ModelInfo | None = None
        self._template: ChatTemplate | None = None
        self._bos_id = -1
        self._bos_text = ""
        self._add_bos = False
        self._close_tokens: list[int] = []
        self.template_warning: str | None = None
        self.last_eval_count = 0

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
        cancel: CancelToken | None = None,
    ) -> Engine:
        """Load a GGUF model; raises ModelLoadError with a reason a person can act on."""
        path = Path(path).expanduser()
        summary = inspect_gguf(path)
        native = _native()
        engine = cls(native, path)
        try:
            engine._open(summary, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, cancel=cancel)
        except BaseException:
            engine._free_native()
            raise
        return engine

    def _open(
        self,
        summary: GgufSummary,
        *,
        n_ctx: int,
        n_threads: int | None,
        n_batch: int,
        cancel: CancelToken | None,
    ) -> None:
        lib = self._lib
        name = self._path.name
        started = time.perf_counter()
        params = lib.llama_model_default_params()
        params.n_gpu_layers = 0

        def on_progress(_progress: float, _data: object) -> bool:
            return not (cancel is not None and cancel.cancelled)

        progress_callback = lib.llama_progress_callback(on_progress)
        if cancel is not None:
            params.progress_callback = progress_callback
        mark = self._native.bridge.mark()
        self._model = lib.llama_model_load_from_file(str(self._path).encode("utf-8"), params)
        if not self._model:
            if cancel is not None and cancel.cancelled:
                raise CancelledError()
            raise _load_failure(name, self._native.bridge.problems_since(mark))
        self._vocab = lib.llama_model_get_vocab(self._model)

        threads = n_threads if n_threads and n_threads > 0 else default_thread_count()
        context_train = int(lib.llama_model_n_ctx_train(self._model))
        wanted_ctx = max(64, n_ctx)
        if context_train > 0:
            wanted_ctx = min(wanted_ctx, context_train)
        batch = max(1, min(n_batch, wanted_ctx))
        cparams = lib.llama_context_default_params()
        cparams.n_ctx = wanted_ctx
        cparams.n_batch = batch
        cparams.n_ubatch = min(batch, 512)
        cparams.n_seq_max = 1
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        mark = self._native.bridge.mark()
        self._ctx = lib.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            raise _load_failure(name, self._native.bridge.problems_since(mark))
        self._memory = lib.llama_get_memory(self._ctx)
        self._n_ctx = int(lib.llama_n_ctx(self._ctx))
        self._n_batch = batch

        # The abort callback is armed only while a prompt is evaluated: ggml calls it after
        # every graph node, and each call would take the GIL. Decoding one token is short,
        # so during generation a stop is checked between tokens instead.
        def should_abort(_data: object) -> bool:
            control = self._active_control
            return control is not None and control.cancelled

        self._abort_callback = lib.ggml_abort_callback(should_abort)
        self._no_abort_callback = lib.ggml_abort_callback()

        self._batch = lib.llama_batch_init(batch, 0, 1)
        self._one = lib.llama_batch_init(1, 0, 1)
        for b, size in ((self._batch, batch), (self._one, 1)):
            for i in range(size):
                b.n_seq_id[i] = 1
                b.seq_id[i][0] = 0
                b.logits[i] = 0
        self._one.logits[0] = 1
        self._one.n_tokens = 1

        self._bos_id = int(lib.llama_vocab_bos(self._vocab))
        self._bos_text = self._piece_text(self._bos_id) if self._bos_id >= 0 else ""
        eos_id = int(lib.llama_vocab_eos(self._vocab))
        eos_text = self._piece_text(eos_id) if eos_id >= 0 else ""
        self._add_bos = bool(lib.llama_vocab_get_add_bos(self._vocab)) and self._bos_id >= 0
        self._template = self._make_template(
            bos_text=self._bos_text, eos_text=eos_text, architecture=summary.architecture
        )
        self._close_tokens = self._tokenize_raw(FORCED_REASONING_CLOSE)

        ftype = int(lib.llama_model_ftype(self._model))
        quant = _FTYPE_NAMES.get(ftype & ~1024)
        if quant is None:
            raw_name = lib.llama_ftype_name(ftype)
            quant = raw_name.decode() if raw_name else f"type {ftype}"
        self._info = ModelInfo(
            path=self._path,
            file_name=self._path.name,
            size_bytes=self._path.stat().st_size,
            name=summary.name or self._path.stem,
            architecture=summary.architecture,
            quant=quant,
            n_params=int(lib.llama_model_n_params(self._model)),
            context_train=context_train,
            n_ctx=self._n_ctx,
            n_threads=threads,
            template_from_gguf=self._template.from_gguf,
            is_r1=self._template.is_r1,
        )
        log.info(
            "loaded %s (%s, %s, %s params) in %.0f ms: n_ctx=%d n_batch=%d threads=%d",
            name,
            summary.architecture,
            quant,
            f"{self._info.n_params:,}",
            (time.perf_counter() - started) * 1000,
            self._n_ctx,
            batch,
            threads,
        )

    def _make_template(self, *, bos_text: str, eos_text: str, architecture: str) -> ChatTemplate:
        raw = self._lib.llama_model_chat_template(self._model, None)
        source = raw.decode("utf-8", "replace") if raw else None
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
            log.warning("%s has no chat template; using the built-in %s", self._path.name, name)
        return template

    # --- public state ------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        if self._info is None:
            raise GenerationError("No model is loaded.")
        return self._info

    @property
    def template(self) -> ChatTemplate:
        if self._template is None:
            raise GenerationError("No model is loaded.")
        return self._template

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def cached_tokens(self) -> tuple[int, ...]:
        """The tokens whose keys/values are in the KV cache, in order."""
        return tuple(self._cache)

    @property
    def closed(self) -> bool:
        return self._closed

    # --- tokens ------------------------------------------------------------------------------

    def _piece_text(self, token: int) -> str:
        n = self._lib.llama_token_to_piece(
            self._vocab, token, self._piece_buffer, _PIECE_BUFFER_SIZE, 0, True
        )
        return ctypes.string_at(self._piece_buffer, max(0, n)).decode("utf-8", "replace")

    def _tokenize_raw(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        buffer = (ctypes.c_int32 * capacity)()
        n = self._lib.llama_tokenize(self._vocab, data, len(data), buffer, capacity, False, True)
        if n < 0:
            raise GenerationError(
                "The text could not be converted to tokens.", detail=f"llama_tokenize -> {n}"
            )
        return list(buffer[:n])

    def tokenize(self, text: str) -> list[int]:
        """Tokens for a prompt: special tokens parsed, BOS added only if the text lacks it."""
        self._check_open()
        tokens = self._tokenize_raw(text)
        if self._add_bos and (not tokens or tokens[0] != self._bos_id):
            tokens.insert(0, self._bos_id)
        return tokens

    def token_bytes(self, token: int) -> bytes:
        """The bytes one token adds to the reply (control tokens add none).

        May be part of a UTF-8 character: decode a stream of them with :class:`Utf8Stream`.
        """
        self._check_open()
        n = self._lib.llama_token_to_piece(
            self._vocab, token, self._piece_buffer, _PIECE_BUFFER_SIZE, 0, False
        )
        if n < 0:
            n = self._grow_piece_buffer(token, -n)
        return ctypes.string_at(self._piece_buffer, max(0, n))

    def count_tokens(self, request: TurnRequest) -> int:
        """Prompt tokens for ``request`` as it stands (before any trimming)."""
        return len(self.tokenize(self._render(request.messages, request).text))

    def _render(self, messages: Sequence[ChatMessage], request: TurnRequest) -> RenderedPrompt:
        return self.template.render(
            messages, system_prompt=request.system_prompt, continue_last=request.continue_last
        )

    # --- context fitting ---------------------------------------------------------------------

    def answer_reserve(self, params: SamplingParams) -> int:
        """Context kept free for the reply when deciding whether a prompt fits."""
        reserve = max(_MIN_ANSWER_RESERVE, min(params.max_tokens, self._n_ctx // 4))
        return min(reserve, self._n_ctx // 2)

    def _fit_prompt(self, request: TurnRequest) -> _FittedPrompt:
        """The prompt for ``request``, without its oldest messages if it would not fit.

        Leaves :meth:`answer_reserve` tokens free for the reply. A leading system message,
        the newest user message and a partial reply being continued always stay.
        """
        limit = self._n_ctx - self.answer_reserve(request.params)
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
            raise ContextOverflowError(
                f"Your message is too long for this model's context ({len(best.tokens)} "
                f"tokens, limit {limit}). Shorten it or raise the context length in Settings.",
                detail=f"prompt {len(best.tokens)} tokens, n_ctx {self._n_ctx}, limit {limit}",
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

    # --- KV cache ----------------------------------------------------------------------------

    def reset_cache(self) -> None:
        """Forget everything in the KV cache."""
        self._check_open()
        self._lib.llama_memory_clear(self._memory, True)
        self._cache.clear()

    def _reuse_prefix(self, tokens: Sequence[int]) -> int:
        """Keep the cached prefix shared with ``tokens``; returns how many tokens it holds."""
        keep = common_prefix_length(self._cache, tokens)
        # The last prompt token is always evaluated again: its logits start the reply.
        keep = max(0, min(keep, len(tokens) - 1))
        if keep < len(self._cache):
            if not self._lib.llama_memory_seq_rm(self._memory, 0, keep, -1):
                log.debug("partial KV removal refused; clearing the cache")
                self._lib.llama_memory_clear(self._memory, True)
                keep = 0
            del self._cache[keep:]
        return keep

    def _resync_cache(self) -> None:
        """After an aborted or failed decode, trust llama.cpp's memory over our list."""
        kept = int(self._lib.llama_memory_seq_pos_max(self._memory, 0)) + 1
        if kept < len(self._cache):
            del self._cache[kept:]
        self._lib.llama_memory_seq_rm(self._memory, 0, len(self._cache), -1)

    def _decode_chunk(self, tokens: Sequence[int], *, want_logits: bool) -> int:
        """Evaluate ``tokens`` (at most n_batch) after the cache; returns llama_decode's code."""
        n = len(tokens)
        batch = self._batch
        start = len(self._cache)
        ctypes.memmove(batch.token, (ctypes.c_int32 * n)(*tokens), 4 * n)
        ctypes.memmove(batch.pos, (ctypes.c_int32 * n)(*range(start, start + n)), 4 * n)
        batch.n_tokens = n
        batch.logits[n - 1] = 1 if want_logits else 0
        try:
            result = int(self._lib.llama_decode(self._ctx, batch))
        finally:
            batch.logits[n - 1] = 0
        if result == _DECODE_OK:
            self._cache.extend(tokens)
        else:
            # Ubatches that finished before an abort or error stay in the memory.
            done = int(self._lib.llama_memory_seq_pos_max(self._memory, 0)) + 1 - start
            if done > 0:
                self._cache.extend(tokens[:done])
            self._resync_cache()
        return result

    # --- sampling ----------------------------------------------------------------------------

    def _make_sampler(self, params: SamplingParams, seed: int) -> Any:
        lib = self._lib
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        steps: list[Any] = []
        if params.repeat_penalty != 1.0:
            steps.append(
                lib.llama_sampler_init_penalties(
                    int(lib.llama_vocab_n_tokens(self._vocab)),
                    _PENALTY_LAST_N,
                    float(params.repeat_penalty),
                    0.0,
                    0.0,
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

    # --- a turn ------------------------------------------------------------------------------

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
            params = request.params
            seed = (
                int(params.seed) & _SEED_LIMIT
                if params.seed is not None
                else random.SystemRandom().randrange(_SEED_LIMIT)
            )
            if seed == _SEED_LIMIT:
                seed = 0
            fitted = self._fit_prompt(request)
            chain = self._make_sampler(params, seed)
            finished = yield from self._run_turn(request, control, fitted, chain, seed, started)
        finally:
            if chain is not None:
                self._lib.llama_sampler_free(chain)
            self._end_turn()
        # The engine is free again before the last event, so a consumer that stops
        # iterating at TurnFinished never leaves it marked busy.
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
        lib = self._lib
        params = request.params
        tokens = fitted.tokens
        if fitted.dropped:
            yield ContextTrimmed(fitted.dropped)

        # 1. Prompt: evaluate what the cache does not already hold.
        cached = self._reuse_prefix(tokens)
        pending = tokens[cached:]
        total = len(pending)
        self.last_eval_count = total
        evaluated = 0
        yield PromptProgress(0, total)
        prompt_started = time.perf_counter()
        lib.llama_set_abort_callback(self._ctx, self._abort_callback, None)
        try:
            while evaluated < total:
                if control.cancelled:
                    break
                chunk = pending[evaluated : evaluated + self._n_batch]
                last = evaluated + len(chunk) == total
                before = len(self._cache)
                result = self._decode_chunk(chunk, want_logits=last)
                evaluated += len(self._cache) - before
                if result == _DECODE_ABORTED or (result != _DECODE_OK and control.cancelled):
                    break
                if result != _DECODE_OK:
                    raise GenerationError(
                        "The model failed while reading the conversation. Try again; if it "
                        "keeps failing, reload the model.",
                        detail=f"llama_decode returned {result} during prompt evaluation",
                    )
                yield PromptProgress(evaluated, total)
        finally:
            lib.llama_set_abort_callback(self._ctx, self._no_abort_callback, None)
        prompt_ended = time.perf_counter()
        self.last_eval_count = evaluated

        counters = _TurnCounters(
            prompt_tokens=len(tokens),
            cached=cached,
            evaluated=evaluated,
            started=started,
            prompt_started=prompt_started,
            prompt_ended=prompt_ended,
            seed=seed,
            trimmed=fitted.dropped,
        )
        if evaluated < total:
            return TurnFinished("cancelled", self._stats(counters))

        # 2. Reply: sample, show, decode, one token at a time.
        splitter = ReasoningSplitter(
            starts_in_reasoning=fitted.rendered.opens_in_reasoning,
            continuing=request.continue_last,
        )
        guard = LoopGuard() if params.loop_guard else None
        return (yield from self._generate(control, params, chain, splitter, guard, counters))

    def _generate(
        self,
        control: TurnControl,
        params: SamplingParams,
        chain: Any,
        splitter: ReasoningSplitter,
        guard: LoopGuard | None,
        counters: _TurnCounters,
    ) -> Generator[TurnEvent, None, TurnFinished]:
        lib = self._lib
        # Locals: this loop runs once per token and should cost microseconds.
        sample = lib.llama_sampler_sample
        is_end = lib.llama_vocab_is_eog
        to_piece = lib.llama_token_to_piece
        decode = lib.llama_decode
        string_at = ctypes.string_at
        clock = time.perf_counter
        ctx, vocab, one = self._ctx, self._vocab, self._one
        one_token, one_pos = one.token, one.pos
        piece_buffer = self._piece_buffer
        cache = self._cache
        n_ctx = self._n_ctx
        text_stream = Utf8Stream()
        to_text = text_stream.feed
        feed = splitter.feed
        budget = params.thinking_budget
        max_tokens = max(0, params.max_tokens)

        reason: FinishReason = "length"
        looping = False
        while True:
            if control.cancelled:
                reason = "cancelled"
                break
            if splitter.in_reasoning:
                close: ReasoningCloseReason | None = None
                if control.answer_now_requested:
                    close = "answer_now"
                elif budget is not None and counters.reasoning >= budget:
                    close = "budget"
                elif looping:
                    close = "loop"
                if close is not None:
                    tail = text_stream.flush()
                    if tail:
                        yield from feed(tail)
                    yield from splitter.close_reasoning(close)
                    if not self._inject(self._close_tokens, chain):
                        reason = "context_full"
                        break
                    continue
            if counters.generated >= max_tokens:
                reason = "length"
                break
            n_past = len(cache)
            if n_past >= n_ctx:
                reason = "context_full"
                break
            token = sample(chain, ctx, -1)
            now = clock()
            if counters.sampled == 0:
                counters.first_token_at = now
            counters.last_token_at = now
            counters.sampled += 1
            if is_end(vocab, token):
                reason = "stop"
                break
            counters.generated += 1
            if splitter.in_reasoning:
                counters.reasoning += 1
                if guard is not None and guard.observe(token):
                    looping = True
            n = to_piece(vocab, token, piece_buffer, _PIECE_BUFFER_SIZE, 0, False)
            if n < 0:
                n = self._grow_piece_buffer(token, -n)
                piece_buffer = self._piece_buffer
            if n > 0:
                text = to_text(string_at(piece_buffer, n))
                if text:
                    yield from feed(text)
            one_token[0] = token
            one_pos[0] = n_past
            result = decode(ctx, one)
            if result != _DECODE_OK:
                if result == _DECODE_NO_KV_SLOT:
                    reason = "context_full"
                    break
                self._resync_cache()
                raise GenerationError(
                    "The model failed while writing its answer. Try again; if it keeps "
                    "failing, reload the model.",
                    detail=f"llama_decode returned {result} during generation",
                )
            cache.append(token)

        tail = text_stream.flush()
        if tail:
            yield from feed(tail)
        yield from splitter.flush()
        counters.ended = clock()
        return TurnFinished(reason, self._stats(counters))

    def _grow_piece_buffer(self, token: int, needed: int) -> int:
        self._piece_buffer = ctypes.create_string_buffer(needed + 16)
        return int(
            self._lib.llama_token_to_piece(
                self._vocab, token, self._piece_buffer, needed + 16, 0, False
            )
        )

    def _inject(self, tokens: Sequence[int], chain: Any) -> bool:
        """Put ``tokens`` into the context as if generated; False if they do not fit."""
        if not tokens:
            return True
        if len(self._cache) + len(tokens) > self._n_ctx:
            return False
        result = self._decode_chunk(tokens, want_logits=True)
        if result == _DECODE_NO_KV_SLOT:
            return False
        if result != _DECODE_OK:
            raise GenerationError(
                "The model failed while closing its reasoning. Try again.",
                detail=f"llama_decode returned {result} while injecting tokens",
            )
        for token in tokens:
            self._lib.llama_sampler_accept(chain, token)  # repetition penalties see them
        return True

    def _stats(self, c: _TurnCounters) -> TurnStats:
        prompt_s = c.prompt_ended - c.prompt_started
        ended = c.ended or time.perf_counter()
        gen_s = max(0.0, ended - c.prompt_ended)
        # Steady decode rate: one llama_decode per interval between sampled tokens.
        interval_s = c.last_token_at - c.first_token_at
        tokens_per_s = (c.sampled - 1) / interval_s if c.sampled > 1 and interval_s > 0 else 0.0
        ttft_ms = (c.first_token_at - c.started) * 1000 if c.sampled else 0.0
        return TurnStats(
            prompt_tokens=c.prompt_tokens,
            cached_tokens=c.cached,
            evaluated_tokens=c.evaluated,
            generated_tokens=c.generated,
            reasoning_tokens=c.reasoning,
            ttft_ms=ttft_ms,
            prompt_ms=prompt_s * 1000,
            generation_ms=gen_s * 1000 if c.sampled else 0.0,
            prompt_tokens_per_s=c.evaluated / prompt_s if prompt_s > 0 else 0.0,
            tokens_per_s=tokens_per_s,
            n_ctx=self._n_ctx,
            context_used=len(self._cache),
            seed=c.seed,
            trimmed_messages=c.trimmed,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed or self._ctx is None:
            raise GenerationError("The model has been unloaded. Load a model to continue.")

    def _begin_turn(self, control: TurnControl) -> None:
        with self._state_lock:
            self._check_open()
            if self._busy:
                raise GenerationError(
                    "The model is still busy with another answer. Stop it first.",
                    detail="stream_turn called during another turn",
                )
            self._busy = True
            self._active_control = control

    def _end_turn(self) -> None:
        with self._state_lock:
            self._busy = False
            self._active_control = None
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
                if self._active_control is not None:
                    self._active_control.cancel()
                self._free_when_idle = True
                return
        self._free_native()

    def _free_native(self) -> None:
        lib = self._lib
        with self._state_lock:
            self._free_when_idle = False
            batch, one, ctx, model = self._batch, self._one, self._ctx, self._model
            self._batch = self._one = self._ctx = self._model = None
            self._vocab = self._memory = None
            self._closed = True
            self._cache.clear()
        for b in (batch, one):
            if b is not None:
                lib.llama_batch_free(b)
        if ctx is not None:
            lib.llama_free(ctx)
        if model is not None:
            lib.llama_model_free(model)
        if model is not None:
            log.info("unloaded %s", self._path.name)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A last resort: at interpreter shutdown the library may already be gone.
        with contextlib.suppress(Exception):
            if not self._busy:
                self.close()


@dataclass(slots=True)
class _TurnCounters:
    prompt_tokens: int
    cached: int
    evaluated: int
    started: float
    prompt_started: float
    prompt_ended: float
    seed: int
    trimmed: int
    generated: int = 0
    reasoning: int = 0
    sampled: int = 0
    first_token_at: float = 0.0
    last_token_at: float = 0.0
    ended: float = 0.0


# --- Reference loop for the benchmark (``python -m app bench``) ---------------------------


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
    engine: Engine | None = None,
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
        engine = Engine.load(path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)
    try:
        return _reference_passes(engine, prompt, gen_tokens, repetitions)
    finally:
        if owned:
            engine.close()


def _reference_passes(
    engine: Engine, prompt: Sequence[int] | str, gen_tokens: int, repetitions: int
) -> list[ReferenceRun]:
    lib = engine._lib
    tokens = engine.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
    if not tokens:
        raise ValueError("the reference benchmark needs at least one prompt token")
    if len(tokens) + gen_tokens > engine.n_ctx:
        raise ContextOverflowError(
            "The benchmark prompt and answer do not fit the context. Raise n_ctx.",
            detail=f"{len(tokens)} + {gen_tokens} > {engine.n_ctx}",
        )
    chain = engine._make_sampler(SamplingParams(temperature=0.0, repeat_penalty=1.0), 0)
    runs: list[ReferenceRun] = []
    try:
        engine.reset_cache()
        for _ in range(max(1, repetitions)):
            # Keep the prompt but its last token, whose logits start the reply.
            keep = engine._reuse_prefix(tokens)
            pending = tokens[keep:]
            prompt_started = time.perf_counter()
            for offset in range(0, len(pending), engine._n_batch):
                chunk = pending[offset : offset + engine._n_batch]
                last = offset + len(chunk) == len(pending)
                if engine._decode_chunk(chunk, want_logits=last) != _DECODE_OK:
                    raise GenerationError("llama_decode failed on the benchmark prompt.")
            prompt_ms = (time.perf_counter() - prompt_started) * 1000
            runs.append(
                ReferenceRun(
                    n_threads=engine.info.n_threads,
                    prompt_tokens=len(tokens),
                    evaluated_tokens=len(pending),
                    prompt_ms=prompt_ms,
                    start_position=len(tokens),
                    token_times=_reference_decode(engine, chain, gen_tokens),
                )
            )
            lib.llama_sampler_reset(chain)
    finally:
        lib.llama_sampler_free(chain)
    return runs


def _reference_decode(engine: Engine, chain: Any, gen_tokens: int) -> tuple[float, ...]:
    lib = engine._lib
    sample, decode, clock = lib.llama_sampler_sample, lib.llama_decode, time.perf_counter
    ctx, one, cache = engine._ctx, engine._one, engine._cache
    one_token, one_pos = one.token, one.pos
    times: list[float] = []
    stamp = times.append
    for _ in range(gen_tokens):
        token = sample(chain, ctx, -1)
        stamp(clock())
        one_token[0] = token
        one_pos[0] = len(cache)
        if decode(ctx, one) != _DECODE_OK:
            raise GenerationError("llama_decode failed in the benchmark loop.")
        cache.append(token)
    return tuple(times)
