"""Atomic file writes: write beside, fsync, then ``os.replace``.

A reader (or a crash) sees either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from app.core.errors import DiskFullError, HearthError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """Replace ``path`` with ``data`` atomically; the file gets ``mode`` (0600 by default)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix":
            tmp.chmod(mode)
        tmp.replace(path)
        fsync_directory(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno == errno.ENOSPC:
            raise DiskFullError.of("file.disk_full", name=path.name, detail=str(exc)) from exc
        raise HearthError.of(
            "file.save_failed", path=str(path), reason=str(exc.strerror or exc), detail=repr(exc)
        ) from exc


def write_text_atomic(path: Path, text: str, *, mode: int = PRIVATE_FILE_MODE) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)
