"""The loopback HTTP(S) server that the test servers (mirror, fake OpenAI) are built on.

It listens on 127.0.0.1 on a free port, serves each request on its own daemon thread and
stops at ``close()``. ``_stop`` is set first, so a handler that stalls by waiting on it
(never on a sleep) wakes up at once.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hang up mid-answer on purpose in these tests (Stop, bounds): no traceback."""


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1:<free port>; ``tls=(certfile, keyfile)`` for https.

    ``handler`` is subclassed with ``owner`` set to this server, so the handler reaches the
    server's state. Subclasses set up that state before calling ``__init__``.
    """

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        *,
        name: str,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self._tls = tls is not None
        self._stop = threading.Event()
        bound = type("Handler", (handler,), {"owner": self})
        self._server = QuietServer(("127.0.0.1", 0), bound)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            # The handshake runs in the handler thread, so a client that rejects the
            # certificate cannot block the accept loop.
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{name}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """``http(s)://127.0.0.1:<port>``, no trailing slash."""
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop serving; wakes every stalled answer first."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def drop_connection(
    handler: BaseHTTPRequestHandler, *, hard: bool, how: int = socket.SHUT_WR
) -> None:
    """End the handler's connection mid-answer: cleanly (``shutdown(how)``, a FIN) or, when
    ``hard``, with a TCP reset (RST)."""
    handler.close_connection = True
    connection: socket.socket = handler.connection
    try:
        if hard:
            # Linger 0 makes close() send RST; closing the descriptor now (not when the
            # handler unwinds) keeps the server from sending a FIN first.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(connection.detach())
        else:
            connection.shutdown(how)
    except OSError:
        pass
