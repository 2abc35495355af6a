"""One writer per data directory (app.core.instance) and the CLI commands that honour it."""

from __future__ import annotations

import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import instance
from app.core.instance import (
    ACTIVATE,
    ACTIVATED,
    DataDirBusyError,
    DataDirLock,
    LockHolder,
    busy_message,
    hold_data_dir,
    read_holder,
    request_activation,
    socket_path,
)
from app.core.paths import AppPaths

REPO_ROOT = Path(__file__).resolve().parents[2]
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="flock and AF_UNIX are POSIX")
#: Hang protection only: a child that takes a lock answers in well under a second.
CHILD_TIMEOUT_S = 60

HOLDER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app.core.instance import DataDirLock

    lock = DataDirLock(Path(sys.argv[1]), sys.argv[2])
    lock.acquire()
    print("locked", flush=True)
    sys.stdin.read()  # hold until the test closes stdin (or kills us)
    """
)


class Holder:
    """Another process that holds a data directory until stopped or killed."""

    def __init__(self, data_dir: Path, kind: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, str(data_dir), kind],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "locked", self.process.stderr.read() if self.process.stderr else ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
        self.process.wait(timeout=CHILD_TIMEOUT_S)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def kill_9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=CHILD_TIMEOUT_S)


@pytest.fixture
def holder_factory() -> Iterator[list[Holder]]:
    holders: list[Holder] = []
    yield holders
    for holder in holders:
        if holder.process.poll() is None:
            holder.process.kill()
        holder.stop()


def _hold(holders: list[Holder], data_dir: Path, kind: str) -> Holder:
    holder = Holder(data_dir, kind)
    holders.append(holder)
    return holder


# --- the lock --------------------------------------------------------------------------


@POSIX_ONLY
def test_the_lock_records_its_holder_privately_and_release_clears_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lock = DataDirLock(data, "app")
    lock.acquire()
    try:
        holder = read_holder(data)
        assert holder is not None
        assert (holder.pid, holder.kind) == (os.getpid(), "app")
        assert holder.alive()
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
    finally:
        lock.release()
    assert not lock.held
    assert read_holder(data) is None
    # And it can be taken again at once.
    with hold_data_dir(data, "chat"):
        again = read_holder(data)
        assert again is not None and (again.pid, again.kind) == (os.getpid(), "chat")


@POSIX_ONLY
def test_a_held_data_directory_refuses_another_process_with_a_sentence(
    tmp_path: Path, holder_factory: list[Holder]
) -> None:
    data = tmp_path / "data"
    holder = _hold(holder_factory, data, "app")
    with pytest.raises(DataDirBusyError) as refused:
        DataDirLock(data, "chat").acquire()
    assert refused.value.holder is not None
    assert refused.value.holder.pid == holder.pid
    assert str(refused.value) == (
        f"Hearth is open and owns this data folder ({data}); close it or use the app."
    )
    # The refusal did not disturb the holder's record.
    recorded = read_holder(data)
    assert recorded is not None and recorded.pid == holder.pid
    holder.stop()
    with hold_data_dir(data, "chat"):
        pass


@POSIX_ONLY
def test_a_lock_left_by_a_killed_process_is_taken_over(
    tmp_path: Path, holder_factory: list[Holder], caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    holder = _hold(holder_factory, data, "app")
    with pytest.raises(DataDirBusyError):
        DataDirLock(data, "app").acquire()  # control: really held while it runs
    holder.kill_9()
    stale = read_holder(data)
    assert stale is not None and stale.pid == holder.pid  # its record is still there
    assert not stale.alive()
    caplog.set_level(logging.INFO, logger="app.core.instance")
    with hold_data_dir(data, "app"):
        now = read_holder(data)
        assert now is not None and now.pid == os.getpid()
    assert f"taking over from app process {holder.pid}" in caplog.text


@POSIX_ONLY
def test_holders_nested_in_one_process_share_the_lock(
    tmp_path: Path, holder_factory: list[Holder]
) -> None:
    """The CLI wraps a command in the lock; a command that locks again must not refuse
    itself. The lock stays held until the outermost holder lets go."""
    data = tmp_path / "data"
    with hold_data_dir(data, "serve"):
        with hold_data_dir(data, "serve") as inner:
            assert inner.held
        recorded = read_holder(data)
        assert recorded is not None and recorded.pid == os.getpid()
        child = subprocess.run(
            [sys.executable, "-c", HOLDER_SCRIPT, str(data), "chat"],
            cwd=REPO_ROOT,
            input="",
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
        assert child.returncode != 0
        assert "Hearth's API server" in child.stderr
    assert read_holder(data) is None


@POSIX_ONLY
def test_the_shared_lock_is_let_go_only_by_the_last_holder_in_any_order(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outer, inner = DataDirLock(data, "app"), DataDirLock(data, "serve")
    outer.acquire()
    inner.acquire()
    outer.release()  # out of order: the inner one still needs the folder
    assert inner.held and not outer.held
    assert _child_is_refused(data)
    inner.release()
    assert read_holder(data) is None
    assert not _child_is_refused(data)


def _child_is_refused(data: Path) -> bool:
    child = subprocess.run(
        [sys.executable, "-c", HOLDER_SCRIPT, str(data), "chat"],
        cwd=REPO_ROOT,
        input="",
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    return child.returncode != 0 and "DataDirBusyError" in child.stderr


def test_a_half_written_or_foreign_record_reads_as_no_holder(tmp_path: Path) -> None:
    tmp_path.joinpath("hearth.lock").write_text('{"pid": 12', encoding="utf-8")
    assert read_holder(tmp_path) is None
    tmp_path.joinpath("hearth.lock").write_text("[]", encoding="utf-8")
    assert read_holder(tmp_path) is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("app", "Hearth is open and owns this data folder (/d); close it or use the app."),
        (
            "serve",
            "Hearth's API server (process 42) owns this data folder (/d); "
            "stop it, or send your request to it.",
        ),
        (
            "chat",
            "A 'hearth chat' command (process 42) is writing to this data folder (/d); "
            "wait for it to finish.",
        ),
        (
            "import",
            "A chat import (process 42) is writing to this data folder (/d); "
            "wait for it to finish.",
        ),
        (
            "future-kind",
            "Another Hearth process (42) owns this data folder (/d); "
            "wait for it to finish or close it.",
        ),
    ],
)
def test_each_holder_has_its_own_sentence(kind: str, expected: str) -> None:
    assert busy_message(Path("/d"), LockHolder(pid=42, kind=kind)) == expected


# --- the hand-over channel ----------------------------------------------------------------


def test_the_socket_lives_in_the_data_folder_unless_the_path_is_too_long(tmp_path: Path) -> None:
    short = tmp_path / "d"
    assert socket_path(short) == short.resolve() / "hearth.sock"
    deep = tmp_path / ("x" * 120)
    path = socket_path(deep)
    assert len(os.fsencode(str(path))) <= instance.MAX_SOCKET_PATH
    assert path.name.startswith("hearth-") and path.suffix == ".sock"
    # Derived from the folder: another folder gets another name, the same one the same.
    assert socket_path(tmp_path / ("y" * 120)) != path
    assert socket_path(deep) == path


@POSIX_ONLY
def test_request_activation_sends_one_line_and_waits_for_the_answer(tmp_path: Path) -> None:
    path = socket_path(tmp_path)
    received: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        server.settimeout(CHILD_TIMEOUT_S)

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                received.append(connection.recv(64))
                connection.sendall(ACTIVATED)

        thread = threading.Thread(target=answer)
        thread.start()
        assert request_activation(tmp_path, timeout_s=CHILD_TIMEOUT_S)
        thread.join(CHILD_TIMEOUT_S)
    assert received == [ACTIVATE]


@POSIX_ONLY
def test_request_activation_gives_up_when_nobody_listens(tmp_path: Path) -> None:
    ticks = iter(range(1000))
    # A fake clock: each attempt advances it by a second, so a 3 s budget is 3 attempts.
    assert not request_activation(tmp_path, timeout_s=3, clock=lambda: float(next(ticks)))
    assert next(ticks) < 10


# --- CLI commands that write coordinate through the same lock ---------------------------


@POSIX_ONLY
@pytest.mark.parametrize(
    "argv",
    [
        ["chat", "--model", "nowhere.gguf", "hello"],
        ["chats", "import", "nowhere.json"],
        ["serve", "--port", "0", "--model", "nowhere.gguf"],
    ],
    ids=["chat", "chats import", "serve"],
)
def test_cli_write_commands_while_the_app_runs_get_the_sentence(
    argv: list[str],
    isolated_app_dirs: AppPaths,
    holder_factory: list[Holder],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.__main__ import main

    data = isolated_app_dirs.data
    _hold(holder_factory, data, "app")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        f"hearth: Hearth is open and owns this data folder ({data}); close it or use the app."
    )
    assert not isolated_app_dirs.database.exists()  # refused before the store was opened


@POSIX_ONLY
def test_cli_write_commands_run_once_the_app_is_gone_and_readers_run_beside_it(
    isolated_app_dirs: AppPaths,
    holder_factory: list[Holder],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.__main__ import main

    data = isolated_app_dirs.data
    holder = _hold(holder_factory, data, "app")
    # Reading is safe beside the app (SQLite WAL): no lock needed.
    assert main(["chats", "list"]) == 0
    assert "owns this data folder" not in capsys.readouterr().err
    holder.stop()
    # The app is gone: the command gets past the lock (and fails on its own terms).
    assert main(["chat", "--model", "nowhere.gguf", "hello"]) != 0
    err = capsys.readouterr().err
    assert "owns this data folder" not in err
    assert "does not exist" in err
    assert read_holder(data) is None  # and let go of the lock when it ended


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A short folder standing for the shared /tmp (AF_UNIX paths are short)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="hs-", dir="/tmp"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@POSIX_ONLY
def test_the_fallback_socket_sits_in_a_private_folder_of_this_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_tmp: Path
) -> None:
    shared = shared_tmp
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    deep = tmp_path / ("x" * 120)
    path = socket_path(deep)
    # Not a bare name in the shared folder, where anyone could create it first.
    assert path.parent == shared / f"hearth-{os.getuid()}"
    assert instance.secure_socket_dir(path)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@POSIX_ONLY
@pytest.mark.parametrize("plant", ["symlink", "open_folder"])
def test_a_socket_planted_in_the_shared_folder_is_never_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plant: str, shared_tmp: Path
) -> None:
    shared = shared_tmp
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    deep = tmp_path / ("x" * 120)
    path = socket_path(deep)
    # Another local user got there first, with a folder (or a link to one) they control.
    elsewhere = shared / "attacker"
    elsewhere.mkdir()
    if plant == "symlink":
        path.parent.symlink_to(elsewhere, target_is_directory=True)
    else:
        path.parent.mkdir()
        path.parent.chmod(0o777)
        elsewhere = path.parent
    connected = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as planted:
        planted.bind(str(elsewhere / path.name))
        planted.listen(1)
        planted.settimeout(0.2)

        def answer() -> None:
            try:
                connection, _ = planted.accept()
            except OSError:
                return
            connected.set()
            with connection:
                connection.sendall(ACTIVATED)

        thread = threading.Thread(target=answer)
        thread.start()
        assert not instance.secure_socket_dir(path)
        assert not request_activation(deep, timeout_s=CHILD_TIMEOUT_S)
        thread.join(CHILD_TIMEOUT_S)
    assert not connected.is_set()
