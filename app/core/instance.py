"""One writer per data directory, and the hand-over to the app that already owns it.

**The lock.** ``<data>/hearth.lock`` is locked with ``flock`` (POSIX) or ``msvcrt``
(Windows) for as long as a writer runs. The kernel drops such a lock the moment its
process dies, ``kill -9`` included, so a killed writer can never leave a stale lock: the
next process simply gets it. The file also holds a small JSON record of the holder (pid,
process start time, what it is) that is read only to word the refusal, and overwritten by
each new owner; a record naming a process that is gone is logged as a take-over.
(The per-download locks use ``filelock``; this one is plain ``flock`` because the file
also carries the record, so how it is opened must never truncate or remove it.)

**Granularity: who takes it.** The chat store is SQLite in WAL mode, so readers and
writers never corrupt it. What SQLite cannot keep consistent is the *meaning*: the app
and ``serve`` keep live state (the open chat and its branches, the sidebar, an answer
saved every second while it streams), and a second writer's turns would be invisible to
them, or overwritten by their next save of the same chat. So:

- ``app`` (the window) and ``serve`` (the API server) hold the lock while they run;
- ``chat`` and ``import`` (``chats import``) hold it for the length of the command;
- read-only commands (``chats list/show/search/export``) take nothing: WAL readers are
  safe beside a writer, and the store only marks *dead* writers' answers interrupted;
- ``models download/import/remove`` and ``bench`` do not touch the chat store; downloads
  coordinate through their own per-file locks (``app.core.downloads``);
- ``--self-test`` works in a throw-away folder.

A refused command says who holds the folder and what to do (:class:`DataDirBusyError`).

**The hand-over.** The app also listens on a local socket named after the data
directory (AF_UNIX, private to the user; never a network socket). A second launch of
the app connects, sends ``activate`` and exits; the first brings its window to the front
(``app.ui.single_instance``). Windows has no AF_UNIX socket in Python, so there a second
launch only says that Hearth is already open.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import psutil

from app.core.atomic import PRIVATE_DIR_MODE
from app.core.errors import ErrorArg, HearthError, english

log = logging.getLogger(__name__)

LOCK_FILE_NAME = "hearth.lock"
SOCKET_FILE_NAME = "hearth.sock"
#: What a holder is; it decides the wording of a refusal.
HolderKind = Literal["app", "serve", "chat", "import"]
#: A pid's start time must match within this much to be the same process (pid reuse).
START_TIME_TOLERANCE_S = 1.0
#: Longest AF_UNIX path Linux and macOS accept, with room for the terminating NUL.
MAX_SOCKET_PATH = 100
#: The request the second launch sends, and the reply that means "done".
ACTIVATE = b"activate\n"
ACTIVATED = b"ok\n"
#: Requests are one short line: anything longer is not ours.
MAX_REQUEST_BYTES = 64
#: Windows locks a byte range; this one is far past the JSON record, so the record stays
#: readable while it is locked.
_WINDOWS_LOCK_OFFSET = 1 << 20


@dataclass
class _Held:
    """A data folder this process holds: the locked file and how many holders share it."""

    handle: IO[bytes]
    depth: int


#: Holders of one folder inside one process share its lock (the CLI's wrapper around a
#: command that locks too must not refuse itself).
_held_here: dict[Path, _Held] = {}
_held_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds (or last held) a data directory, as recorded in the lock file."""

    pid: int
    kind: str
    started: float | None = None
    since: float | None = None

    def alive(self) -> bool:
        """True if that very process (pid and start time) still runs."""
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:
                return False
            if self.started is None:
                return True
            return bool(abs(process.create_time() - self.started) < START_TIME_TOLERANCE_S)
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:
            return True


class DataDirBusyError(HearthError):
    """Another process holds the data directory this command needs to write."""

    def __init__(self, data_dir: Path, holder: LockHolder | None) -> None:
        code, params = busy_code(data_dir, holder)
        super().__init__(
            english(code, params),
            detail=f"lock {data_dir / LOCK_FILE_NAME}",
            code=code,
            params=params,
        )
        self.data_dir = data_dir
        self.holder = holder


def busy_message(data_dir: Path, holder: LockHolder | None) -> str:
    """The one sentence a refused command prints: who has the folder, and what to do."""
    return english(*busy_code(data_dir, holder))


def busy_code(data_dir: Path, holder: LockHolder | None) -> tuple[str, dict[str, ErrorArg]]:
    """The error code and values of :func:`busy_message` (templates in error_messages)."""
    folder = str(data_dir)
    if holder is None:
        return "instance.busy", {"folder": folder}
    if holder.kind in ("app", "serve", "chat", "import"):
        return f"instance.busy_{holder.kind}", {"folder": folder, "pid": holder.pid}
    return "instance.busy_pid", {"folder": folder, "pid": holder.pid}


def not_answering_message(data_dir: Path, holder: LockHolder | None) -> str:
    pid = f" (process {holder.pid})" if holder is not None else ""
    return (
        f"Hearth is already open{pid} with this data folder ({data_dir}) but did not answer; "
        "switch to its window, or end that process if it hangs."
    )


def _process_start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def read_holder(data_dir: Path) -> LockHolder | None:
    """The holder recorded in ``data_dir``'s lock file (live or not), or None."""
    try:
        raw = (data_dir / LOCK_FILE_NAME).read_bytes()[:4096]
        record = json.loads(raw.decode("utf-8"))
        return LockHolder(
            pid=int(record["pid"]),
            kind=str(record["kind"]),
            started=None if record.get("started") is None else float(record["started"]),
            since=None if record.get("since") is None else float(record["since"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # Absent, empty (released) or half-written by a holder starting right now.
        return None


class DataDirLock:
    """The exclusive lock on one data directory (see the module docstring).

    ``acquire`` never waits: a held lock raises :class:`DataDirBusyError` at once. Inside
    one process, holders of the same folder share the OS lock, which is let go when the
    last of them releases. On a file system without lock support (some network mounts)
    it logs a warning and goes on unlocked rather than keeping Hearth from starting.
    """

    def __init__(self, data_dir: Path, kind: HolderKind) -> None:
        self.data_dir = Path(data_dir)
        self.kind: HolderKind = kind
        self._key: Path | None = None

    @property
    def path(self) -> Path:
        return self.data_dir / LOCK_FILE_NAME

    @property
    def held(self) -> bool:
        return self._key is not None

    def acquire(self) -> None:
        if self.held:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = self.data_dir.resolve()
        with _held_guard:
            shared = _held_here.get(key)
            if shared is not None:
                shared.depth += 1
            else:
                _held_here[key] = _Held(handle=self._lock_file(), depth=1)
            self._key = key

    def _lock_file(self) -> IO[bytes]:
        # Not O_TRUNC: a contender must not wipe the holder's record. 0600 like every file.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "r+b", buffering=0)
        try:
            locked = _try_lock(handle)
        except OSError as exc:
            log.warning("data folder %s: no file locking here (%s); going on", self.data_dir, exc)
            locked = True
        except BaseException:
            handle.close()
            raise
        if not locked:
            handle.close()
            holder = read_holder(self.data_dir)
            log.info("data folder %s is held by %s", self.data_dir, holder)
            raise DataDirBusyError(self.data_dir, holder)
        previous = read_holder(self.data_dir)
        if previous is not None and previous.pid != os.getpid():
            # The kernel released the lock, so that process is gone (or not a holder).
            log.info(
                "data folder %s: taking over from %s process %s, which no longer holds it",
                self.data_dir,
                previous.kind,
                previous.pid,
            )
        self._write_record(handle)
        return handle

    def _write_record(self, handle: IO[bytes]) -> None:
        pid = os.getpid()
        record = {
            "pid": pid,
            "kind": self.kind,
            "started": _process_start_time(pid),
            "since": time.time(),
        }
        fd = handle.fileno()
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode("utf-8"))

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _held_guard:
            shared = _held_here.get(key)
            if shared is None:
                return
            shared.depth -= 1
            if shared.depth > 0:
                return
            del _held_here[key]
        handle = shared.handle
        try:
            # Empty the record while still holding the lock: nobody is left to name.
            os.ftruncate(handle.fileno(), 0)
        except OSError:
            log.debug("could not clear %s", self.path, exc_info=True)
        finally:
            with contextlib.suppress(OSError):
                _unlock(handle)
            handle.close()

    def __enter__(self) -> DataDirLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


@contextlib.contextmanager
def hold_data_dir(data_dir: Path, kind: HolderKind) -> Iterator[DataDirLock]:
    """Hold ``data_dir`` for the body; raises :class:`DataDirBusyError` if it is taken."""
    lock = DataDirLock(data_dir, kind)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


if sys.platform == "win32":  # pragma: no cover - untested: no Windows machine here
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        handle.seek(_WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        finally:
            handle.seek(0)
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(_WINDOWS_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- the hand-over channel --------------------------------------------------------------


def channel_supported() -> bool:
    return hasattr(socket, "AF_UNIX") and sys.platform != "win32"


def socket_path(data_dir: Path) -> Path:
    """Where the app that owns ``data_dir`` listens.

    Inside the data folder itself when the path is short enough (private: the folder is
    0700); otherwise in the user's runtime (or temp) folder under a name derived from the
    data folder and the user, since AF_UNIX paths are limited to about 100 bytes.
    """
    resolved = Path(data_dir).resolve()
    inside = resolved / SOCKET_FILE_NAME
    if len(os.fsencode(str(inside))) <= MAX_SOCKET_PATH:
        return inside
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "")
    digest = hashlib.sha256(f"{user}\0{resolved}".encode()).hexdigest()[:16]
    runtime = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    base = Path(runtime) if runtime and Path(runtime).is_dir() else Path(tempfile.gettempdir())
    # A per-user folder, not a bare name in a shared temp folder: see secure_socket_dir.
    return base / f"hearth-{user}" / f"hearth-{digest}.sock"


def secure_socket_dir(path: Path) -> bool:
    """Whether the folder holding socket ``path`` is safe to listen or connect in.

    The data folder is the user's own. The fallback folder lives in a shared temp folder
    where any local user could create it first (or a symlink by its name) to plant a
    socket that answers a second launch, or to keep the app from listening. So it is made
    0700 here and trusted only as a real directory that this user owns and nobody else
    can enter.
    """
    if path.name == SOCKET_FILE_NAME or not hasattr(os, "getuid"):
        return True
    directory = path.parent
    try:
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        st = os.lstat(directory)
    except OSError as exc:
        log.warning("hand-over: cannot make the socket folder %s: %s", directory, exc)
        return False
    if (
        not stat.S_ISDIR(st.st_mode)
        or st.st_uid != os.getuid()
        or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ):
        log.warning(
            "hand-over: %s is not a private folder of this user (another user or program "
            "made it); the window hand-over is off",
            directory,
        )
        return False
    return True


def request_activation(
    data_dir: Path,
    *,
    timeout_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Ask the app that owns ``data_dir`` to bring its window to the front.

    Returns True once it confirmed. The app may still be starting (it takes the lock
    before its window exists), so a missing or refusing socket is retried until
    ``timeout_s``; each attempt waits on the socket, never on a sleep of its own.
    """
    if not channel_supported():
        return False
    planned = socket_path(data_dir)
    if not secure_socket_dir(planned):
        return False
    path = str(planned)
    deadline = clock() + timeout_s
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(min(remaining, 2.0))
                client.connect(path)
                client.sendall(ACTIVATE)
                reply = client.recv(MAX_REQUEST_BYTES)
            if reply == ACTIVATED:
                return True
            log.warning("hand-over: unexpected reply %r", reply[:MAX_REQUEST_BYTES])
            return False
        except (FileNotFoundError, ConnectionRefusedError):
            # Not listening yet (the app takes the lock before its window exists).
            time.sleep(min(0.1, max(0.0, deadline - clock())))
        except OSError as exc:
            log.warning("hand-over to the running app failed: %s", exc)
            return False
