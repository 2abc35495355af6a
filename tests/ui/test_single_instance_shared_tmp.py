"""The app's side of the hand-over when its socket must live in a shared temp folder."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.core.instance import request_activation, socket_path
from app.ui.single_instance import ActivationServer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="AF_UNIX")


@pytest.fixture
def shared_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short folder standing for the shared /tmp (AF_UNIX paths are short)."""
    folder = Path(tempfile.mkdtemp(prefix="hs-", dir="/tmp"))
    folder.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def window(qtbot: QtBot) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    return window


def test_a_planted_folder_turns_the_hand_over_off_without_an_error(
    shared_tmp: Path, tmp_path: Path, window: QMainWindow
) -> None:
    data = tmp_path / ("x" * 120)  # too long a path for a socket inside it
    planted = socket_path(data).parent
    planted.mkdir()
    planted.chmod(0o777)
    (planted / "keep").write_text("theirs", encoding="utf-8")

    server = ActivationServer(data, window)
    assert not server.listen()
    assert not server.listening
    assert (planted / "keep").read_text(encoding="utf-8") == "theirs"
    server.close()


def test_the_fallback_socket_answers_from_a_private_folder(
    shared_tmp: Path, tmp_path: Path, window: QMainWindow, qtbot: QtBot
) -> None:
    data = tmp_path / ("y" * 120)
    server = ActivationServer(data, window)
    assert server.listen()
    try:
        assert stat.S_IMODE(server.path.parent.stat().st_mode) == 0o700
        assert stat.S_ISSOCK(server.path.stat().st_mode)
        with qtbot.waitSignal(server.activated, timeout=10_000):
            # The request blocks until answered, which needs the event loop: a thread asks.
            answered: list[bool] = []
            asker = threading.Thread(
                target=lambda: answered.append(request_activation(data, timeout_s=10))
            )
            asker.start()
        asker.join(10)
        assert answered == [True]
    finally:
        server.close()
    assert not server.path.exists()
