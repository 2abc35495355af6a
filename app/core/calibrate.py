"""Flash attention and the KV-cache type: what each costs, and which is faster on this CPU.

llama.cpp's own "auto" turns flash attention on whenever the backend supports it. On a
CPU that is not always faster: on a 2-vCPU Zen 3 (AVX2) llama-bench measured it 13%
slower at depth 0 and 5% slower at depth 3000 (issue 19). So Hearth decides per machine:

- a quantized V cache (q8_0, q4_0) only works with flash attention in llama.cpp, so
  those types force it on;
- with an f16 cache, "Auto" runs a short calibration at the first load of a model on
  this CPU: a few decode steps at two depths with flash attention off and on, within a
  time budget of a couple of seconds, cancellable. The verdict is cached per CPU (model
  name + llama.cpp CPU variant), thread count and model fingerprint, in one atomic JSON
  file in the cache folder, so later loads cost nothing;
- without a cache folder (tests, tools) "Auto" falls back to the rule the bench measured
  on the reference CPU: off.

Pure Python; the measurer that drives llama.cpp is imported lazily (:func:`native_measurer`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from app.core.atomic import write_text_atomic
from app.core.cancel import CancelToken
from app.core.errors import CancelledError

log = logging.getLogger(__name__)

FlashAttnMode = Literal["auto", "on", "off"]
CacheType = Literal["f16", "q8_0", "q4_0"]
#: How a choice was made, recorded in provenance.
ChoiceSource = Literal["setting", "required", "calibrated", "cached", "rule"]

FLASH_ATTN_MODES: Final[tuple[FlashAttnMode, ...]] = ("auto", "on", "off")
CACHE_TYPES: Final[tuple[CacheType, ...]] = ("f16", "q8_0", "q4_0")
#: ggml's type ids (ggml.h: GGML_TYPE_F16 = 1, Q4_0 = 2, Q8_0 = 8).
CACHE_TYPE_IDS: Final[Mapping[str, int]] = {"f16": 1, "q8_0": 8, "q4_0": 2}
#: Bytes per element: f16 is 2; q8_0 packs 32 values in 34 bytes, q4_0 in 18 bytes.
CACHE_TYPE_BYTES: Final[Mapping[str, float]] = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}

#: Deep calibration point: far enough for attention to matter, cheap enough to fill.
CALIBRATION_DEPTH: Final = 512
#: Wall-time budget for filling the cache per flash-attention setting (seconds).
CALIBRATION_FILL_BUDGET_S: Final = 1.0
#: Decode steps timed at each depth (after one warm-up step).
CALIBRATION_STEPS: Final = 6
#: Flash attention must win by this fraction to be chosen (measurement noise).
DECISION_MARGIN: Final = 0.02
CACHE_FILE_VERSION: Final = 1


def needs_flash_attn(cache_type: str) -> bool:
    """llama.cpp can quantize the V cache only with flash attention on."""
    return cache_type != "f16"


@dataclass(frozen=True, slots=True)
class AttentionConfig:
    """What a llama.cpp context is created with."""

    flash_attn: bool = False
    cache_type: CacheType = "f16"
    #: Physical batch size for prompt evaluation; 0 means min(n_batch, 512).
    n_ubatch: int = 0

    def __post_init__(self) -> None:
        if self.cache_type not in CACHE_TYPE_IDS:
            raise ValueError(f"unknown KV cache type {self.cache_type!r}")
        if needs_flash_attn(self.cache_type) and not self.flash_attn:
            raise ValueError(f"a {self.cache_type} V cache needs flash attention in llama.cpp")


DEFAULT_ATTENTION: Final = AttentionConfig()


@dataclass(frozen=True, slots=True)
class AttentionChoice:
    """The resolved configuration and why it was chosen (for provenance and the log)."""

    config: AttentionConfig
    source: ChoiceSource
    #: Measured decode tok/s, e.g. {"off@0": 20.1, "on@512": 17.3}; empty unless measured.
    measured: Mapping[str, float]

    def provenance(self) -> dict[str, Any]:
        return {
            "flash_attn": self.config.flash_attn,
            "kv_cache_type": self.config.cache_type,
            "flash_attn_choice": self.source,
        }


@dataclass(frozen=True, slots=True)
class Measurement:
    """Decode speed of one flash-attention setting at depth 0 and at ``depth``."""

    shallow_tok_s: float
    deep_tok_s: float
    depth: int


#: (flash_attn, target depth, cancel) -> Measurement. The real one is :func:`native_measurer`.
Measurer = Callable[[bool, int, CancelToken | None], Measurement]


def kv_bytes_per_token(f16_bytes_per_token: int, cache_type: str) -> int:
    """KV bytes per token for ``cache_type``, from the f16 figure of the model's shape."""
    return math.ceil(f16_bytes_per_token * CACHE_TYPE_BYTES[cache_type] / 2.0)


def kv_cache_bytes(f16_bytes_per_token: int, n_ctx: int, cache_type: str) -> int:
    """RAM the KV cache of a ``n_ctx``-token context needs."""
    return kv_bytes_per_token(f16_bytes_per_token, cache_type) * n_ctx


def decide(off: Measurement, on: Measurement, margin: float = DECISION_MARGIN) -> bool:
    """True when flash attention is the faster choice.

    Both depths count equally in time per token (R1 answers run from shallow to deep);
    flash attention has to win by ``margin`` so noise keeps llama.cpp's plain path.
    """

    def cost(m: Measurement) -> float:
        if m.shallow_tok_s <= 0 or m.deep_tok_s <= 0:
            return math.inf
        return 1.0 / m.shallow_tok_s + 1.0 / m.deep_tok_s

    cost_off, cost_on = cost(off), cost(on)
    if math.isinf(cost_on):
        return False
    if math.isinf(cost_off):
        return True
    return cost_on < cost_off * (1.0 - margin)


# --- the cache -----------------------------------------------------------------------------


class CalibrationCache:
    """Verdicts by key in one JSON file, written atomically; a bad file is ignored."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("calibration cache %s unreadable (%s); measuring again", self.path, exc)
            return {}
        if not isinstance(raw, dict) or raw.get("version") != CACHE_FILE_VERSION:
            return {}
        entries = raw.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str) -> tuple[bool, dict[str, float]] | None:
        entry = self._read().get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("flash_attn"), bool):
            return None
        measured = entry.get("measured")
        clean = (
            {str(k): float(v) for k, v in measured.items() if isinstance(v, int | float)}
            if isinstance(measured, dict)
            else {}
        )
        return bool(entry["flash_attn"]), clean

    def put(self, key: str, flash_attn: bool, measured: Mapping[str, float]) -> None:
        entries = self._read()
        entries[key] = {
            "flash_attn": flash_attn,
            "measured": {k: round(v, 3) for k, v in measured.items()},
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
        payload = {"version": CACHE_FILE_VERSION, "entries": entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(payload, indent=2, sort_keys=True) + "\n")
        except OSError as exc:  # a cache: next load simply measures again
            log.warning("cannot save the calibration cache %s: %s", self.path, exc)


def cpu_model_name() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        import platform

        return platform.processor() or platform.machine()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return "unknown CPU"


def calibration_key(cpu: str, variant: str, fingerprint: str, n_threads: int) -> str:
    return f"{cpu} | {variant} | threads {n_threads} | {fingerprint}"


# --- resolving a setting -------------------------------------------------------------------


def resolve_attention(
    mode: FlashAttnMode,
    cache_type: CacheType,
    *,
    n_ubatch: int = 0,
    cache: CalibrationCache | None = None,
    key: Callable[[], str] | None = None,
    measurer: Measurer | None = None,
    cancel: CancelToken | None = None,
) -> AttentionChoice:
    """The configuration for the user's setting; "auto" is measured (or looked up) once."""
    if needs_flash_attn(cache_type):
        if mode == "off":
            log.info("flash attention forced on: a %s V cache needs it", cache_type)
        source: ChoiceSource = "setting" if mode == "on" else "required"
        return AttentionChoice(AttentionConfig(True, cache_type, n_ubatch), source, {})
    if mode != "auto":
        return AttentionChoice(AttentionConfig(mode == "on", cache_type, n_ubatch), "setting", {})
    if cache is None or key is None or measurer is None:
        return AttentionChoice(AttentionConfig(False, cache_type, n_ubatch), "rule", {})
    cache_key = key()
    hit = cache.get(cache_key)
    if hit is not None:
        flash_attn, measured = hit
        return AttentionChoice(
            AttentionConfig(flash_attn, cache_type, n_ubatch), "cached", measured
        )
    started = time.perf_counter()
    off = measurer(False, CALIBRATION_DEPTH, cancel)
    _check(cancel)
    on = measurer(True, off.depth, cancel)
    _check(cancel)
    flash_attn = decide(off, on)
    measured = {
        "off@0": off.shallow_tok_s,
        f"off@{off.depth}": off.deep_tok_s,
        "on@0": on.shallow_tok_s,
        f"on@{on.depth}": on.deep_tok_s,
    }
    log.info(
        "calibrated flash attention in %.1f s: %s -> %s",
        time.perf_counter() - started,
        ", ".join(f"{k} {v:.2f} tok/s" for k, v in measured.items()),
        "on" if flash_attn else "off",
    )
    cache.put(cache_key, flash_attn, measured)
    return AttentionChoice(
        AttentionConfig(flash_attn, cache_type, n_ubatch), "calibrated", measured
    )


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise CancelledError()


# --- the real measurer ---------------------------------------------------------------------


def native_measurer(
    path: Path,
    *,
    n_threads: int | None,
    cache_type: CacheType = "f16",
    fill_budget_s: float = CALIBRATION_FILL_BUDGET_S,
    steps: int = CALIBRATION_STEPS,
) -> Measurer:
    """A measurer that opens ``path`` in llama.cpp (warm: the file is in the page cache).

    The cache is filled with arbitrary tokens: attention costs the same whatever they
    are. Filling stops at the budget, so a slow CPU measures at a shallower depth (the
    second setting is measured at the depth the first reached).
    """

    def measure(flash_attn: bool, depth: int, cancel: CancelToken | None) -> Measurement:
        from app.core.engines.native import DECODE_OK, NativeModel

        n_ctx = depth + steps + 64
        model = NativeModel.open(
            path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_batch=128,
            cancel=cancel,
            attention=AttentionConfig(flash_attn, cache_type),
        )
        try:
            token = model.bos_id if model.bos_id >= 0 else 0

            def timed() -> float:
                model.decode_one(token)  # warm-up: first use of the graph at this size
                t0 = time.perf_counter()
                for _ in range(steps):
                    _check(cancel)
                    if model.decode_one(token) != DECODE_OK:
                        return 0.0
                return steps / max(1e-9, time.perf_counter() - t0)

            shallow = timed()
            deadline = time.perf_counter() + fill_budget_s
            chunk = [token] * model.n_batch
            while len(model.cache) < depth and time.perf_counter() < deadline:
                _check(cancel)
                n = min(len(chunk), depth - len(model.cache))
                if model.decode_chunk(chunk[:n], want_logits=False) != DECODE_OK:
                    break
            reached = len(model.cache)
            return Measurement(shallow, timed(), reached)
        finally:
            model.free()

    return measure


def native_key(path: Path, n_threads: int) -> Callable[[], str]:
    """The cache key for ``path`` on this CPU (computed lazily: it reads the file's ends)."""

    def key() -> str:
        from app.core.engines.native import cpu_variant
        from app.core.store.provenance import fast_fingerprint

        return calibration_key(cpu_model_name(), cpu_variant(), fast_fingerprint(path), n_threads)

    return key


def resolve_for_model(
    path: Path,
    mode: FlashAttnMode,
    cache_type: CacheType,
    *,
    n_ubatch: int = 0,
    n_threads: int | None = None,
    calibration_file: Path | None = None,
    cancel: CancelToken | None = None,
) -> AttentionChoice:
    """:func:`resolve_attention` for a model file, calibrating with llama.cpp if needed.

    Without ``calibration_file`` "auto" follows the rule (no measuring).
    """
    if calibration_file is None or mode != "auto" or needs_flash_attn(cache_type):
        return resolve_attention(mode, cache_type, n_ubatch=n_ubatch)
    from app.core.engines.native import default_thread_count

    threads = n_threads if n_threads and n_threads > 0 else default_thread_count()
    return resolve_attention(
        mode,
        cache_type,
        n_ubatch=n_ubatch,
        cache=CalibrationCache(calibration_file),
        key=native_key(path, threads),
        measurer=native_measurer(path, n_threads=threads, cache_type=cache_type),
        cancel=cancel,
    )
