"""A second launch brings the running window to the front and exits (app.ui.single_instance)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.core.instance import DataDirBusyError, DataDirLock, LockHolder, request_activation
from app.core.paths import AppPaths
from app.ui.single_instance import ActivationServer, hand_over

REPO_ROOT = Path(__file__).resolve().parents[2]
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="the hand-over uses AF_UNIX")
#: Hang protection: a second launch imports the app and Qt, on a busy shared machine.
LAUNCH_MS = 120_000


@pytest.fixture
def window(qtbot: QtBot) -> QMainWindow:
    main = QMainWindow()
    main.setWindowTitle("Hearth (first launch)")
    qtbot.addWidget(main)
    main.showMinimized()
    return main


@pytest.fixture
def server(window: QMainWindow, isolated_app_dirs: AppPaths) -> Iterator[ActivationServer]:
    lock = DataDirLock(isolated_app_dirs.data, "app")
    lock.acquire()
    activation = ActivationServer(isolated_app_dirs.data, window)
    try:
        assert activation.listen()
        yield activation
    finally:
        activation.close()
        lock.release()


def _second_launch(paths: AppPaths) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update({"QT_QPA_PLATFORM": "offscreen", "HEARTH_DATA_DIR": str(paths.data.parent)})
    return subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@POSIX_ONLY
def test_a_second_launch_brings_the_first_window_to_the_front_and_exits_0(
    qtbot: QtBot, window: QMainWindow, server: ActivationServer, isolated_app_dirs: AppPaths
) -> None:
    assert window.isMinimized()
    with qtbot.waitSignal(server.activated, timeout=LAUNCH_MS):
        launch = _second_launch(isolated_app_dirs)
        # The event loop runs (serving the request) while we wait for the process.
        qtbot.waitUntil(lambda: launch.poll() is not None, timeout=LAUNCH_MS)
    _out, err = launch.communicate(timeout=LAUNCH_MS / 1000)
    assert launch.returncode == 0, err
    assert "already open; switched to its window" in err
    assert "Traceback" not in err
    assert not window.isMinimized()
    assert window.isVisible()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    # It did not become a second writer: the first still owns the folder, no second store.
    with pytest.raises(DataDirBusyError):
        subprocess_holder_check(isolated_app_dirs.data)


def subprocess_holder_check(data: Path) -> None:
    """Raise DataDirBusyError if another process holds ``data`` (our lock is in-process)."""
    code = (
        "import sys; from pathlib import Path; from app.core.instance import *\n"
        "try:\n    DataDirLock(Path(sys.argv[1]), 'chat').acquire()\n"
        "except DataDirBusyError:\n    sys.exit(9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data)], cwd=REPO_ROOT, timeout=60, check=False
    )
    if done.returncode == 9:
        raise DataDirBusyError(data, None)
    assert done.returncode == 0


@POSIX_ONLY
def test_activation_unminimises_and_answers_in_process(
    qtbot: QtBot, window: QMainWindow, server: ActivationServer, isolated_app_dirs: AppPaths
) -> None:
    answers: list[bool] = []
    thread = threading.Thread(
        target=lambda: answers.append(request_activation(isolated_app_dirs.data, timeout_s=60))
    )
    with qtbot.waitSignal(server.activated, timeout=60_000):
        thread.start()
    thread.join(60)
    assert answers == [True]
    assert not (window.windowState() & Qt.WindowState.WindowMinimized)


@POSIX_ONLY
def test_anything_but_activate_is_answered_unknown_and_changes_nothing(
    qtbot: QtBot, window: QMainWindow, server: ActivationServer
) -> None:
    replies: list[bytes] = []

    def client() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(60)
            sock.connect(str(server.path))
            sock.sendall(b"quit\n")
            replies.append(sock.recv(64))

    thread = threading.Thread(target=client)
    thread.start()
    qtbot.waitUntil(lambda: bool(replies), timeout=60_000)
    thread.join(60)
    assert replies == [b"unknown\n"]
    assert window.isMinimized()


@POSIX_ONLY
def test_a_socket_left_by_a_killed_app_does_not_stop_the_next_one(
    qtbot: QtBot, window: QMainWindow, isolated_app_dirs: AppPaths
) -> None:
    first = ActivationServer(isolated_app_dirs.data, window)
    # What kill -9 leaves: a bound socket file with nobody listening.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(first.path))
    stale.close()
    assert first.path.exists()
    assert not request_activation(isolated_app_dirs.data, timeout_s=0.3)  # control: dead
    try:
        assert first.listen()
        assert oct(first.path.stat().st_mode & 0o777) == "0o600"
        with qtbot.waitSignal(first.activated, timeout=60_000):
            thread = threading.Thread(
                target=request_activation, args=(isolated_app_dirs.data,), kwargs={"timeout_s": 60}
            )
            thread.start()
        thread.join(60)
    finally:
        first.close()
    assert not first.path.exists()


@POSIX_ONLY
def test_a_second_launch_while_the_api_server_owns_the_folder_says_so(
    isolated_app_dirs: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    data = isolated_app_dirs.data
    busy = DataDirBusyError(data, LockHolder(pid=4242, kind="serve"))
    assert hand_over(data, busy) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"hearth: Hearth's API server (process 4242) owns this data folder ({data}); "
        "stop it, or send your request to it."
    )


@POSIX_ONLY
def test_an_app_that_does_not_answer_is_named_not_waited_for_forever(
    isolated_app_dirs: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.ui.single_instance as single_instance

    monkeypatch.setattr(single_instance, "request_activation", lambda _data: False)
    data = isolated_app_dirs.data
    assert hand_over(data, DataDirBusyError(data, LockHolder(pid=77, kind="app"))) == 1
    err = capsys.readouterr().err
    assert "Hearth is already open (process 77)" in err
    assert "did not answer" in err


@POSIX_ONLY
def test_the_real_app_answers_a_second_launch_and_a_killed_one_is_replaced(
    qtbot: QtBot, isolated_app_dirs: AppPaths
) -> None:
    """Every launch is ``python -m app`` (run_gui's wiring, not a stand-in window)."""
    from app.core.instance import read_holder, socket_path

    paths = isolated_app_dirs

    def wait_until_owner(process: subprocess.Popen[str]) -> None:
        # The owner holds the folder and listens (its window is shown by then).
        qtbot.waitUntil(
            lambda: (
                process.poll() is None
                and (holder := read_holder(paths.data)) is not None
                and holder.pid == process.pid
                and socket_path(paths.data).exists()
            ),
            timeout=LAUNCH_MS,
        )

    first = _second_launch(paths)
    third: subprocess.Popen[str] | None = None
    try:
        wait_until_owner(first)
        second = _second_launch(paths)
        _out, err = second.communicate(timeout=LAUNCH_MS / 1000)
        assert second.returncode == 0, err
        log_text = (paths.logs / "hearth.log").read_text(encoding="utf-8")
        assert "a second launch brought the window to the front" in log_text
        assert first.poll() is None  # the first one is still running, untouched

        # kill -9 leaves its lock record and its socket file behind; the next launch
        # must become the app (not hand over to a dead one) and answer in its turn.
        first.kill()
        first.communicate(timeout=LAUNCH_MS / 1000)
        assert socket_path(paths.data).exists()
        third = _second_launch(paths)
        wait_until_owner(third)
        answers: list[bool] = []
        asker = threading.Thread(
            target=lambda: answers.append(request_activation(paths.data, timeout_s=60))
        )
        asker.start()
        qtbot.waitUntil(lambda: bool(answers), timeout=LAUNCH_MS)
        asker.join(60)
        assert answers == [True]
    finally:
        for process in (first, third):
            if process is not None and process.poll() is None:
                process.terminate()
                process.communicate(timeout=LAUNCH_MS / 1000)
