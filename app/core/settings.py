"""User settings: one frozen dataclass, stored as versioned JSON, saved atomically.

Reading is forgiving: an unknown key is ignored, a bad value falls back to its default
(and is logged), and an unreadable file is moved aside rather than lost.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

import psutil

from app.core.atomic import write_text_atomic
from app.core.calibrate import CacheType, FlashAttnMode
from app.core.chat import SamplingParams
from app.core.errors import SettingsError

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MIN_CONTEXT = 4096
MAX_CONTEXT = 32768
MAX_THREADS = 256
#: Longest text setting kept (a system prompt is the long one); longer is ignored.
MAX_TEXT_SETTING = 100_000
_INT32_MAX = 2**31 - 1
_UINT32_MAX = 2**32 - 1
#: The settings file is small; a bigger one is not read (it would be held in memory).
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
#: The Library's largest file (indexing and attachments), in MB: default and bounds.
DEFAULT_LIBRARY_FILE_MB = 50
MIN_LIBRARY_FILE_MB = 1
MAX_LIBRARY_FILE_MB = 4096

Theme = Literal["system", "light", "dark"]
Language = Literal["system", "zh_CN", "en"]
#: Which download source to prefer: ``auto`` probes and picks the fastest.
SourcePreference = Literal["auto", "huggingface", "mirror", "modelscope"]


@dataclass(frozen=True, slots=True)
class Settings:
    version: int = SETTINGS_VERSION
    #: llama.cpp threads; ``0`` means automatic (see :func:`default_threads`).
    threads: int = 0
    #: Threads for prompt evaluation; ``0`` means the same as ``threads``. Prompts are
    #: compute-bound and decode memory-bound, so on big machines the best counts differ.
    prompt_threads: int = 0
    #: Context length in tokens; ``0`` means automatic (see :func:`default_context`).
    context_length: int = 0
    sampling: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str = ""
    theme: Theme = "system"
    language: Language = "system"
    source_preference: SourcePreference = "auto"
    #: A user's own HF-compatible endpoint (same paths as huggingface.co), tried as a mirror.
    custom_hf_endpoint: str = ""
    offline: bool = False
    #: The model to load at start-up (absolute path), empty for none.
    last_model: str = ""
    #: Chat font size in points; 0 follows the system.
    font_point_size: float = 0.0
    #: The local OpenAI-compatible API (Settings › Local API): off unless the user turns it on.
    api_enabled: bool = False
    #: Its port on 127.0.0.1 (1024-65535).
    api_port: int = 8765
    #: Keep chats made through the API in the chat list.
    api_save_chats: bool = False
    #: Web origins allowed to call the API from a browser (CORS), separated by spaces.
    api_allowed_origins: str = ""
    #: Flash attention: "auto" measures once per CPU and model which is faster.
    flash_attention: FlashAttnMode = "auto"
    #: KV-cache element type; q8_0 and q4_0 need flash attention (forced on for them).
    kv_cache_type: CacheType = "f16"
    #: The embedding model the Library uses for meaning search (a file name in the models
    #: folder, or a model registered in place): the model manager's "Use for Library".
    #: Empty: the first installed embedding model (see app/core/knowledge/embed.py).
    embedding_model: str = ""
    #: The largest file the Library indexes or a message attaches, in MB (the Library's
    #: "Size limit"); see :func:`library_max_bytes`.
    library_max_file_mb: int = DEFAULT_LIBRARY_FILE_MB

    def library_max_bytes(self) -> int:
        return self.library_max_file_mb * 1024 * 1024

    def effective_threads(self) -> int:
        return self.threads if self.threads > 0 else default_threads()

    def effective_prompt_threads(self) -> int:
        return self.prompt_threads if self.prompt_threads > 0 else self.effective_threads()

    def effective_context(self) -> int:
        return self.context_length if self.context_length > 0 else default_context()


def default_threads() -> int:
    """Physical cores, capped at 8.

    Token generation is memory-bound: past the physical core count, hyper-threads only
    add contention. ``python -m app bench --threads-sweep`` measures this per machine.
    """
    physical = psutil.cpu_count(logical=False) or os.cpu_count() or 2
    return max(1, min(8, physical))


def default_context(available_bytes: int | None = None) -> int:
    """A context length the machine's free RAM can hold: 4096 at least, 32768 at most.

    Budget a quarter of the free RAM for the KV cache at 28 KiB/token (f16, the
    DeepSeek-R1-Distill-Qwen-1.5B shapes), rounded down to a power of two.
    """
    free = available_bytes if available_bytes is not None else psutil.virtual_memory().available
    budget_tokens = (free // 4) // (28 * 1024)
    n_ctx = MIN_CONTEXT
    while n_ctx * 2 <= min(budget_tokens, MAX_CONTEXT):
        n_ctx *= 2
    return n_ctx


def _coerce(name: str, value: Any, default: Any, annotation: Any) -> Any:
    """Return ``value`` if it has the right type (and allowed literal), else ``default``."""
    allowed = get_args(annotation) if getattr(annotation, "__origin__", None) is Literal else ()
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if allowed:
        ok = value in allowed
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = is_number and math.isfinite(value)
        value = float(value) if ok else value
    elif isinstance(default, int):
        # Every integer setting ends up in a C int somewhere (llama.cpp, Qt).
        ok = is_number and isinstance(value, int) and abs(value) <= _INT32_MAX
    elif isinstance(default, str):
        ok = isinstance(value, str) and _is_clean_text(value)
    else:
        ok = default is None and (value is None or isinstance(value, int))
    if ok:
        return value
    log.warning("settings: ignoring bad value for %s", name)
    return default


def _is_clean_text(value: str) -> bool:
    """Text that can be shown, logged and written back: valid UTF-8 and no NUL.

    JSON can spell a lone surrogate (``"\\ud800"``), which no file or widget can hold.
    """
    if len(value) > MAX_TEXT_SETTING or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sampling_from(raw: Any) -> SamplingParams:
    base = SamplingParams()
    if not isinstance(raw, dict):
        return base
    values: dict[str, Any] = {}
    for f in fields(SamplingParams):
        if f.name in raw:
            default = getattr(base, f.name)
            value = raw[f.name]
            if f.name in ("seed", "thinking_budget"):
                ok = value is None or (
                    isinstance(value, int)
                    and not isinstance(value, bool)
                    and 0 <= value <= _UINT32_MAX
                )
                values[f.name] = value if ok else default
            else:
                values[f.name] = _coerce(f"sampling.{f.name}", value, default, None)
    return replace(base, **values)


def settings_from_dict(raw: Any) -> Settings:
    base = Settings()
    if not isinstance(raw, dict):
        return base
    hints = {
        "theme": Theme,
        "language": Language,
        "source_preference": SourcePreference,
        "flash_attention": FlashAttnMode,
        "kv_cache_type": CacheType,
    }
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "version" or f.name not in raw:
            continue
        if f.name == "sampling":
            values["sampling"] = _sampling_from(raw["sampling"])
            continue
        values[f.name] = _coerce(f.name, raw[f.name], getattr(base, f.name), hints.get(f.name))
    settings = replace(base, **values)
    if settings.context_length:
        clamped = min(MAX_CONTEXT, max(MIN_CONTEXT, settings.context_length))
        settings = replace(settings, context_length=clamped)
    if not 1024 <= settings.api_port <= 65535:
        log.warning("settings: ignoring bad value for api_port")
        settings = replace(settings, api_port=base.api_port)
    if not 0 <= settings.threads <= MAX_THREADS:
        log.warning("settings: ignoring bad value for threads")
        settings = replace(settings, threads=base.threads)
    if not 0 <= settings.prompt_threads <= MAX_THREADS:
        log.warning("settings: ignoring bad value for prompt_threads")
        settings = replace(settings, prompt_threads=base.prompt_threads)
    if not MIN_LIBRARY_FILE_MB <= settings.library_max_file_mb <= MAX_LIBRARY_FILE_MB:
        log.warning("settings: ignoring bad value for library_max_file_mb")
        settings = replace(settings, library_max_file_mb=base.library_max_file_mb)
    if not (settings.font_point_size == 0 or 4 <= settings.font_point_size <= 96):
        log.warning("settings: ignoring bad value for font_point_size")
        settings = replace(settings, font_point_size=base.font_point_size)
    return settings


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    data = dataclasses.asdict(settings)
    data["version"] = SETTINGS_VERSION
    return data


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file gives defaults, an unreadable one is kept aside.

    Never raises: whatever is in the file (bytes that are not UTF-8, JSON nested too
    deep, numbers too long, text no widget can show), Hearth starts with defaults for
    what it cannot use, and says so in the log.
    """
    try:
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            _move_aside(path, "is too large")
            return Settings()
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("settings: cannot read %s (%s); using defaults", path, exc)
        return Settings()
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        _move_aside(path, "is not UTF-8 text")
        return Settings()
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        _move_aside(path, "is not valid JSON")
        return Settings()
    version = raw.get("version") if isinstance(raw, dict) else None
    if isinstance(version, int) and version > SETTINGS_VERSION:
        log.warning("settings: file is from a newer Hearth (v%s); reading what we know", version)
    return settings_from_dict(raw)


def _move_aside(path: Path, problem: str) -> None:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(aside)
    except OSError as exc:
        log.warning(
            "settings: %s %s; using defaults (cannot move it aside: %s)", path, problem, exc
        )
        return
    log.warning("settings: %s %s; moved aside to %s, using defaults", path, problem, aside)


def save_settings(path: Path, settings: Settings) -> None:
    """Write settings atomically; a failure is a ``SettingsError`` with a sentence."""
    try:
        text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False)
        write_text_atomic(path, text)
    except (OSError, UnicodeEncodeError, ValueError) as exc:
        log.warning("settings: cannot save %s: %s", path, exc)
        raise SettingsError.of("settings.save_failed", path=str(path), detail=repr(exc)) from exc
