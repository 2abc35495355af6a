"""One window per data folder: the running app answers a second launch by coming forward.

The lock and the request side are plain Python (``app.core.instance``); this module is the
app's side: :class:`ActivationServer` listens on the data folder's AF_UNIX socket through
a ``QSocketNotifier`` on the GUI thread (no thread, no QtNetwork: the bundle leaves
QtNetwork out), and :func:`hand_over` is what a second launch does instead of starting.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from app import APP_NAME
from app.core.instance import (
    ACTIVATE,
    ACTIVATED,
    MAX_REQUEST_BYTES,
    DataDirBusyError,
    channel_supported,
    not_answering_message,
    request_activation,
    secure_socket_dir,
    socket_path,
)

log = logging.getLogger(__name__)

#: A client gets this long to send its one line; it blocks the GUI thread meanwhile, and
#: only a process of the same user can connect at all.
REQUEST_TIMEOUT_S = 0.5
UNKNOWN = b"unknown\n"
HEADLESS_PLATFORMS = ("offscreen", "minimal")


def bring_to_front(window: QWidget) -> None:
    """Un-minimise, show, raise and activate ``window``."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState(
            (state & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        )
    window.show()
    # Headless platforms have no stacking order (and warn if asked to raise).
    if QGuiApplication.platformName() not in HEADLESS_PLATFORMS:
        window.raise_()
    window.activateWindow()


class ActivationServer(QObject):
    """Listens for "activate" from a second launch and brings ``window`` forward.

    Only the holder of the data folder's lock may run one: it removes a socket file left
    by a killed app before it listens, which is safe only because nobody else can be
    listening on it.
    """

    activated = Signal()

    def __init__(self, data_dir: Path, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.path = socket_path(data_dir)
        self._socket: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None

    @property
    def listening(self) -> bool:
        return self._socket is not None

    def listen(self) -> bool:
        if not channel_supported() or not secure_socket_dir(self.path):
            return False
        try:
            self.path.unlink()  # stale: its app was killed (we hold the lock now)
        except FileNotFoundError:
            pass
        except OSError as exc:  # not ours to remove: the hand-over is off, the app goes on
            log.warning("single instance: cannot remove %s: %s", self.path, exc)
            return False
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(self.path))
            self.path.chmod(0o600)
            server.listen(4)
            server.setblocking(False)
        except OSError as exc:
            server.close()
            log.warning("single instance: cannot listen on %s: %s", self.path, exc)
            return False
        self._socket = server
        self._notifier = QSocketNotifier(server.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._accept)
        log.info("single instance: listening on %s", self.path)
        return True

    def _accept(self) -> None:
        server = self._socket
        if server is None:
            return
        while True:
            try:
                connection, _ = server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("single instance: accept failed: %s", exc)
                return
            with connection:
                self._serve(connection)

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(REQUEST_TIMEOUT_S)
        request = b""
        try:
            while b"\n" not in request and len(request) < MAX_REQUEST_BYTES:
                chunk = connection.recv(MAX_REQUEST_BYTES - len(request))
                if not chunk:
                    break
                request += chunk
            if request == ACTIVATE:
                bring_to_front(self.window)
                log.info("single instance: a second launch brought the window to the front")
                self.activated.emit()
                connection.sendall(ACTIVATED)
            else:
                connection.sendall(UNKNOWN)
        except OSError as exc:
            log.info("single instance: a client went away: %s", exc)

    def close(self) -> None:
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.setEnabled(False)
            notifier.deleteLater()
        server, self._socket = self._socket, None
        if server is not None:
            server.close()
            with contextlib.suppress(OSError):
                self.path.unlink()


def hand_over(data_dir: Path, busy: DataDirBusyError) -> int:
    """A second launch: bring the running app forward and exit 0, or say why not (1)."""
    holder = busy.holder
    # No record yet means an app that has just taken the lock: ask it too.
    if holder is None or holder.kind == "app":
        if request_activation(data_dir):
            log.info("Hearth is already open for %s: brought its window to the front", data_dir)
            sys.stderr.write(f"{APP_NAME} is already open; switched to its window.\n")
            return 0
        message = not_answering_message(data_dir, holder) if channel_supported() else str(busy)
    else:
        message = str(busy)
    log.warning("second launch refused: %s", message)
    sys.stderr.write(f"hearth: {message}\n")  # a terminal launch; the box is for the rest
    _show_message(message)
    return 1


def _show_message(message: str) -> None:
    """Someone who double-clicked has no terminal: show the sentence in a box too."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    # Headless (tests, CI) there is nobody to click the box away.
    if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
        return
    from app.ui.plain import plain_message_box

    # The sentence may quote a path: shown literally, never as markup.
    plain_message_box(None, QMessageBox.Icon.Critical, APP_NAME, message).exec()
    del app
