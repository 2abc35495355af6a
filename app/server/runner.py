"""Run the API in a plain Python thread with uvicorn; start and stop it cleanly.

The window and ``serve`` both use :class:`ApiServer`. ``start`` returns once the socket
listens (so the address shown is real); ``stop`` ends running streams with an error event,
closes the listening socket and joins the thread. Uvicorn's own signal handlers are never
installed: the caller owns signals.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.core.errors import HearthError
from app.core.host import EngineHost
from app.core.network import NetworkLogEntry
from app.server.routes import ApiContext, ServerOptions, Submitter, build_app

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0
#: Open connections get this long to finish after stop() before they are dropped.
GRACEFUL_S = 2


class ServerStartError(HearthError):
    """The server could not listen (port taken, address not available)."""


class ApiServer:
    """One listening API server on ``options.host``:``options.port`` (0 picks a free port)."""

    def __init__(
        self,
        host: EngineHost,
        options: ServerOptions,
        *,
        record: Callable[[NetworkLogEntry], None] | None = None,
        submit: Submitter | None = None,
    ) -> None:
        self.options = options
        self.context = ApiContext(host, options, record=record, submit=submit)
        self._record = record
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self.port = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def address(self) -> str:
        """``http://127.0.0.1:8765`` (IPv6 hosts in brackets)."""
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def start(self) -> str:
        """Listen and serve; returns the address. Raises ServerStartError if it cannot."""
        import uvicorn

        from app.server.protocol import BoundedH11Protocol

        if self.running:
            return self.address
        config = uvicorn.Config(
            build_app(self.context),
            host=self.options.host,
            port=self.options.port,
            # h11 with a deadline on request heads: slow clients cannot hold connections.
            http=BoundedH11Protocol,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=GRACEFUL_S,
            # Beyond this, uvicorn answers 503 itself; our own limit (429) comes first.
            limit_concurrency=64,
        )
        self._server = uvicorn.Server(config)
        self.context.closing = False
        self._started.clear()
        self._failure = None
        self._thread = threading.Thread(target=self._run, name="api-server", daemon=True)
        self._thread.start()
        if not self._started.wait(START_TIMEOUT_S) or not self._server.started:
            self._thread.join(START_TIMEOUT_S)
            self._thread = None
            detail = repr(self._failure) if self._failure else "uvicorn did not start"
            raise ServerStartError(
                f"The local API could not listen on {self.options.host}:{self.options.port}. "
                "Another program may be using the port; choose another one.",
                detail=detail,
            )
        sockets = [s for server in self._server.servers for s in server.sockets]
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("api: serving on %s", self.address)
        self._log_event("START", "server started")
        return self.address

    def _run(self) -> None:
        assert self._server is not None
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        # Signal the starter once uvicorn is listening (or has given up).
        async def serve() -> None:
            watcher = asyncio.create_task(self._watch_start())
            try:
                await self._server.serve()
            finally:
                watcher.cancel()
                self._started.set()

        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # SystemExit from uvicorn when binding fails
            self._failure = exc
            log.warning("api: the server stopped with an error: %r", exc)
        finally:
            self._started.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _watch_start(self) -> None:
        while not self._server.started:
            await asyncio.sleep(0.01)
        self._started.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """End streams with an error event, close the socket, join the thread.

        True if the thread ended within ``timeout`` seconds. Safe to call twice.
        """
        thread = self._thread
        if thread is None:
            return True
        self.context.begin_shutdown()
        if self._server is not None:
            self._server.should_exit = True
        thread.join(timeout)
        stopped = not thread.is_alive()
        if not stopped:
            log.warning("api: the server thread did not stop within %.1f s", timeout)
            if self._server is not None:
                self._server.force_exit = True
            thread.join(1.0)
            stopped = not thread.is_alive()
        self._thread = None
        log.info("api: stopped serving on %s", self.address)
        self._log_event("STOP", "server stopped")
        return stopped

    def _log_event(self, method: str, result: str) -> None:
        if self._record is None:
            return
        entry = NetworkLogEntry(
            time=datetime.now(UTC).isoformat(timespec="milliseconds"),
            method=method,
            host=f"{self.options.host}:{self.port}",
            path="/",
            status=None,
            bytes_in=0,
            bytes_out=0,
            result=f"ok; local API {result}",
        )
        try:
            self._record(entry)
        except Exception:
            log.exception("api: could not write the network log")
