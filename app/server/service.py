"""The headless service behind ``python -m app serve``: host, model, server, signals.

Kept apart from the CLI so tests can run it in-process. Shutdown order: stop the server
(streams end with an error event, the socket closes), then the host (a turn still running
ends as interrupted, its thread is joined), then the network gateway.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from app.core.engines.local_load import LocalLoad
from app.core.errors import HearthError, ModelLoadError
from app.core.host import EngineHost, JobFailed, ModelLoaded
from app.core.paths import AppPaths
from app.server.auth import parse_origins
from app.server.routes import ServerOptions
from app.server.runner import ApiServer

log = logging.getLogger(__name__)

LOAD_TIMEOUT_S = 600.0
HOST_CLOSE_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    host: str
    port: int
    model: Path
    n_ctx: int
    n_threads: int
    token: str
    allowed_origins: str = ""
    save_chats: bool = False
    offline: bool = False
    #: The user's attention/KV/thread choices; None loads with n_ctx/n_threads only.
    load: LocalLoad | None = None


class Service:
    """One model served on one address until :meth:`stop`."""

    def __init__(self, paths: AppPaths, options: ServiceOptions) -> None:
        self.paths = paths
        self.options = options
        self.host: EngineHost | None = None
        self.server: ApiServer | None = None
        self.model_id = ""
        self._gateway: Any = None
        self._store: Any = None
        self._stop = threading.Event()

    def start(self) -> str:
        """Load the model, then listen; returns the address. Raises HearthError."""
        from app.core.network import NetworkGateway

        self._gateway = NetworkGateway(
            log_path=self.paths.network_log, offline=self.options.offline
        )
        self.host = EngineHost()
        job = self.host.load_local(
            self.options.model,
            n_ctx=self.options.n_ctx,
            n_threads=self.options.n_threads,
            options=self.options.load,
            origin="cli",
        )
        job.wait(LOAD_TIMEOUT_S)
        result = job.result
        if isinstance(result, JobFailed):
            raise result.error
        if not isinstance(result, ModelLoaded):
            raise ModelLoadError(f"The model {self.options.model.name} did not load in time.")
        self.model_id = result.info.model_id or result.info.name
        if result.warning:
            log.warning("serve: %s", result.warning)
        submit = None
        if self.options.save_chats:
            from app.server.saving import ChatSaver

            saver = ChatSaver.open(self.host, self.paths.database)
            self._store = saver
            submit = saver.submit
        server_options = ServerOptions(
            host=self.options.host,
            port=self.options.port,
            token=self.options.token,
            allowed_origins=parse_origins(self.options.allowed_origins),
            save_chats=self.options.save_chats,
        )
        self.server = ApiServer(self.host, server_options, record=self._record_entry, submit=submit)
        return self.server.start()

    def _record_entry(self, entry: Any) -> None:
        record = getattr(self._gateway, "record", None)
        if callable(record):
            record(entry)

    def request_stop(self) -> None:
        self._stop.set()

    def wait_for_signal(self) -> None:
        """Block until SIGINT/SIGTERM (or :meth:`request_stop`)."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("serve: signal %d received; stopping", signum)
            self._stop.set()

        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread (tests)
                previous[sig] = signal.signal(sig, on_signal)
        try:
            # A timed wait, so the signal handler gets to run promptly on every platform.
            while not self._stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> bool:
        """Stop serving and free everything; True if every thread ended in time."""
        clean = True
        if self.server is not None:
            clean = self.server.stop() and clean
            self.server = None
        if self.host is not None:
            clean = self.host.close(HOST_CLOSE_TIMEOUT_S) and clean
            self.host = None
        if self._store is not None:
            try:
                self._store.close()
            except HearthError:
                log.warning("serve: could not close the chat store", exc_info=True)
            self._store = None
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        return clean
