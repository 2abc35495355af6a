"""The window's "Local API" switch: keeps the in-app server in step with the settings.

Qt-free, so it is tested without a window. The app calls :meth:`LocalApi.apply` at start-up
and whenever settings change, and :meth:`LocalApi.stop` first thing at shutdown. The server
runs in its own thread on the window's engine host and the window's loaded model; while the
switch is off, nothing of the server is even imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.host import EngineHost
from app.core.network import NetworkLogEntry
from app.core.settings import Settings
from app.server.auth import load_or_create_token, parse_origins

if TYPE_CHECKING:
    from app.server.runner import ApiServer

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class LocalApi:
    """Starts, restarts or stops one ApiServer to match ``Settings.api_*``."""

    def __init__(
        self,
        host: EngineHost,
        config_dir: Path,
        *,
        store: Any = None,
        record: Callable[[NetworkLogEntry], None] | None = None,
    ) -> None:
        self._host = host
        self._config_dir = config_dir
        self._store = store
        self._record = record
        self._server: ApiServer | None = None
        self._config: tuple[Any, ...] | None = None
        self._activity: list[Callable[[int], None]] = []

    @property
    def address(self) -> str:
        """``http://127.0.0.1:8765`` while serving, else ""."""
        server = self._server
        return server.address if server is not None and server.running else ""

    @property
    def server(self) -> ApiServer | None:
        return self._server

    def add_activity_listener(self, callback: Callable[[int], None]) -> None:
        """``callback(n)`` when the number of running API requests changes (server thread)."""
        self._activity.append(callback)
        if self._server is not None:
            self._server.context.add_activity_listener(callback)

    def apply(self, settings: Settings) -> str:
        """Serve (or stop serving) as ``settings`` say; returns the address or "".

        Raises a HearthError (e.g. the port is taken) when the server cannot start; the
        switch then stays effectively off.
        """
        if not settings.api_enabled:
            self.stop()
            return ""
        config = (
            settings.api_port,
            parse_origins(settings.api_allowed_origins),
            settings.api_save_chats and self._store is not None,
        )
        if self._server is not None and self._server.running and config == self._config:
            return self.address
        self.stop()
        # Imported here: a window whose API stays off never loads Starlette or uvicorn.
        from app.server.routes import ServerOptions
        from app.server.runner import ApiServer

        port, origins, save = config
        submit = None
        if save:
            from app.core.store import ChatOps
            from app.server.saving import ChatSaver

            submit = ChatSaver(self._host, ChatOps.for_store(self._store)).submit
        options = ServerOptions(
            host=LOOPBACK,
            port=port,
            token=load_or_create_token(self._config_dir),
            allowed_origins=origins,
            save_chats=save,
        )
        server = ApiServer(self._host, options, record=self._record, submit=submit)
        for callback in self._activity:
            server.context.add_activity_listener(callback)
        server.start()  # raises ServerStartError: nothing is left running
        self._server = server
        self._config = config
        return self.address

    def stop(self) -> bool:
        """Close the port and join the server thread; True if it stopped in time."""
        server, self._server = self._server, None
        self._config = None
        if server is None:
            return True
        return server.stop()
