"""How every front end loads a local GGUF: one set of options, built from the settings.

The window, ``python -m app chat``, ``python -m app serve`` and ``dataset generate`` all
load through :class:`LocalLoad`, so the user's flash-attention, KV-cache and thread
choices (Settings › Model) apply wherever the model runs, and "Auto" flash attention uses
the same per-CPU calibration cache everywhere (app/core/calibrate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.calibrate import CacheType, FlashAttnMode

if TYPE_CHECKING:
    from app.core.cancel import CancelToken
    from app.core.engines.llama import LlamaEngine
    from app.core.paths import AppPaths
    from app.core.settings import Settings

#: The per-CPU, per-model flash-attention measurements, in the cache folder.
CALIBRATION_FILE_NAME = "attention-calibration.json"


@dataclass(frozen=True, slots=True)
class LocalLoad:
    """llama.cpp context options for one load (0 threads: automatic)."""

    n_ctx: int
    n_threads: int
    #: Threads for prompt evaluation; 0 means the same as ``n_threads``.
    n_threads_batch: int = 0
    flash_attn: FlashAttnMode = "auto"
    cache_type: CacheType = "f16"
    calibration_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings, paths: AppPaths | None = None) -> LocalLoad:
        """The user's choices; ``paths`` enables the calibration cache for "Auto"."""
        return cls(
            n_ctx=settings.effective_context(),
            n_threads=settings.effective_threads(),
            n_threads_batch=settings.effective_prompt_threads(),
            flash_attn=settings.flash_attention,
            cache_type=settings.kv_cache_type,
            calibration_file=paths.cache / CALIBRATION_FILE_NAME if paths else None,
        )

    def overriding(self, *, n_ctx: int = 0, n_threads: int = 0) -> LocalLoad:
        """These options with a command line's ``--ctx``/``--threads`` (0 keeps the setting)."""
        return replace(
            self,
            n_ctx=n_ctx or self.n_ctx,
            n_threads=n_threads or self.n_threads,
            # An explicit --threads applies to the prompt too, unless it was set apart.
            n_threads_batch=(
                n_threads
                if n_threads and self.n_threads_batch == self.n_threads
                else self.n_threads_batch
            ),
        )

    def load(self, path: str | Path, cancel: CancelToken | None = None) -> LlamaEngine:
        """Load ``path`` with these options (on the calling thread: the host's)."""
        from app.core.engines.llama import load_engine

        return load_engine(
            path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads or None,
            n_threads_batch=self.n_threads_batch or None,
            cancel=cancel,
            flash_attn=self.flash_attn,
            cache_type=self.cache_type,
            calibration_file=self.calibration_file,
        )
