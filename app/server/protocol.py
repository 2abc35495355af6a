"""Uvicorn's h11 protocol with a deadline on a request's head (slow-client protection).

Uvicorn closes a connection that stays idle after a response (``timeout_keep_alive``), but
any byte cancels that timer, and nothing times a connection that never finishes its
headers. A client that opens connections and trickles a header byte now and then (the
"slowloris" pattern) would then hold them for ever, and once ``limit_concurrency`` of them
are open every other client, the web page included, gets 503. Here a request's head must
be complete within :data:`HEAD_TIMEOUT_S` of its first byte (or of the connection being
made), or the connection is closed. Slow *bodies* are bounded by the route that reads them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

#: Seconds a client has to send a request's line and headers (generous for a real client).
HEAD_TIMEOUT_S = 10.0


class BoundedH11Protocol(H11Protocol):
    """H11Protocol that drops a connection whose request head takes too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_head():
            # Armed once per head: further bytes do not push the deadline back.
            self._arm_head_timer()
        else:
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head() and not self.transport.is_closing():
            client = self.client
            log.info(
                "api: closed a connection from %s that sent no complete request within %.0f s",
                f"{client[0]}:{client[1]}" if client else "?",
                HEAD_TIMEOUT_S,
            )
            self.transport.close()
