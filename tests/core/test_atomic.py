"""Atomic writes: all or nothing, private, and a full disk says so."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from app.core import atomic
from app.core.atomic import write_text_atomic
from app.core.errors import DiskFullError


def test_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file.json"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o600


def test_a_full_disk_keeps_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "file.json"
    write_text_atomic(target, "old")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(DiskFullError) as caught:
        write_text_atomic(target, "new")
    assert "disk is full" in str(caught.value)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]
