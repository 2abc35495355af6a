"""Who wrote an answer: the writer process's liveness, and an answer's provenance record."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, cast

import psutil

from app.core.chat import SamplingParams, TurnStats
from app.core.store.values import _json_safe

#: Two start times closer than this belong to the same process (clock adjustments move
#: psutil's computed start time a little; pids are not reused within a second).
START_TIME_TOLERANCE_S = 1.0

_own_start_time: float | None = None


def _process_start_time(pid: int | None = None) -> float:
    """psutil's start time of a process (the current one by default)."""
    global _own_start_time
    if pid is None:
        if _own_start_time is None:
            _own_start_time = psutil.Process().create_time()
        return _own_start_time
    return float(psutil.Process(pid).create_time())


def writer_alive(pid: int | None, started: float | None) -> bool:
    """True if the process that began a streaming answer is still running.

    The pid alone is not enough: after a crash the system may give it to another
    program, so the start time must match too. A zombie (killed, not yet reaped) is dead.
    """
    if pid is None or started is None:
        return False
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return bool(abs(process.create_time() - started) < START_TIME_TOLERANCE_S)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        # It exists and we cannot look closer: never touch a stream that may be live.
        return True


class ModelInfoLike(Protocol):
    """The parts of ``app.core.engines.llama.ModelInfo`` that provenance records."""

    @property
    def path(self) -> Path: ...
    @property
    def file_name(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def quant(self) -> str: ...
    @property
    def name(self) -> str: ...


_fingerprints: dict[tuple[str, int, int], str] = {}


def fast_fingerprint(path: Path, *, chunk: int = 1 << 20) -> str:
    """Identify a model file cheaply: sha256 of its size, first and last MiB.

    A full sha256 of a 1 GB model takes seconds; this takes milliseconds and still
    tells two different model files apart. Cached per (path, size, mtime).
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    cached = _fingerprints.get(key)
    if cached:
        return cached
    digest = hashlib.sha256(str(stat.st_size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(chunk))
        if stat.st_size > 2 * chunk:
            handle.seek(-chunk, os.SEEK_END)
            digest.update(handle.read(chunk))
    value = "fp1:" + digest.hexdigest()
    _fingerprints[key] = value
    return value


def build_provenance(
    model: ModelInfoLike | None,
    params: SamplingParams,
    stats: TurnStats | None = None,
    *,
    finish_reason: str = "",
    error: str = "",
    fingerprint: str = "",
    sha256: str = "",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance recorded with an answer; the GUI and the CLI both use this.

    ``fingerprint`` defaults to :func:`fast_fingerprint` of the model file; pass
    ``sha256`` when the full hash is known (e.g. from the catalog).
    """
    provenance: dict[str, Any] = {}
    if model is not None:
        if not fingerprint:
            try:
                fingerprint = fast_fingerprint(Path(model.path))
            except OSError:
                fingerprint = ""
        provenance["model"] = {
            "file": model.file_name,
            "name": model.name,
            "size": model.size_bytes,
            "quant": model.quant,
            "fingerprint": fingerprint,
            "sha256": sha256,
        }
    sampling = params.to_dict()
    if stats is not None:
        sampling["seed"] = stats.seed
    provenance["sampling"] = sampling
    if stats is not None:
        provenance["stats"] = stats.to_dict()
    if finish_reason:
        provenance["finish_reason"] = finish_reason
    if error:
        provenance["error"] = error
    if extra:
        provenance.update(extra)
    return cast(dict[str, Any], _json_safe(provenance))
