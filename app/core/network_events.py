"""The gateway's server-sent events: a streamed answer read as events, within bounds.

Part of the one network gateway (:mod:`app.core.network`): :meth:`NetworkGateway.post_events`
yields an :class:`EventStreamResponse`, whose events are parsed by httpx-sse (never by a
hand-made parser) from a view of the body that enforces a bound on one line and on the
whole answer, so an endless line cannot fill memory before anyone notices.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from httpx_sse import EventSource, SSEError

from app.core.network import NetworkError, StreamResponse


class BodyTooLargeError(NetworkError):
    """An answer, or one line of a streamed answer, went past the bound the caller set."""


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One server-sent event: its ``event`` name (``"message"`` by default) and ``data``."""

    event: str
    data: str


class EventStreamResponse(StreamResponse):
    """An answer to :meth:`NetworkGateway.post_events`: a status, headers and, when it is
    ``text/event-stream``, its events as they arrive. Only valid inside ``post_events()``."""

    @property
    def content_type(self) -> str:
        value = str(self._response.headers.get("Content-Type", ""))
        return value.partition(";")[0].strip().lower()

    def read_small(self, max_bytes: int = 64 * 1024) -> bytes:
        """Up to ``max_bytes`` of the body (an error page or a JSON error); the rest is left."""
        content = bytearray()
        for piece in self.iter_bytes():
            content.extend(piece)
            if len(content) >= max_bytes:
                break
        return bytes(content[:max_bytes])

    def iter_events(self, *, max_line: int, max_total: int) -> Iterator[StreamEvent]:
        """The events of a ``text/event-stream`` body, parsed by httpx-sse.

        Raises :class:`BodyTooLargeError` when one line is longer than ``max_line``
        characters or the body passes ``max_total`` bytes, and :class:`NetworkError` when
        the transfer fails (kind ``cancelled`` after :meth:`abort`).
        """
        bounded = _BoundedBody(self, max_line=max_line, max_total=max_total)
        try:
            # httpx-sse only reads ``headers`` and the text of the body; the bounded view
            # gives it both, so an endless line cannot fill memory before we notice.
            for sse in EventSource(bounded).iter_sse():  # type: ignore[arg-type]
                yield StreamEvent(sse.event or "message", sse.data)
        except SSEError as exc:
            raise NetworkError("", kind="other", host=self._host, detail=repr(exc)).with_code(
                "network.not_event_stream", host=self._host
            ) from exc


class _BoundedBody:
    """A read-only view of a streamed response that enforces a line and a total bound."""

    def __init__(self, owner: EventStreamResponse, *, max_line: int, max_total: int) -> None:
        self._owner = owner
        self._max_line = max_line
        self._max_total = max_total

    @property
    def headers(self) -> Mapping[str, str]:
        return self._owner.headers

    def iter_text(self) -> Iterator[str]:
        owner = self._owner
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        line_length = 0
        for piece in owner.iter_bytes():
            if owner.bytes_received > self._max_total:
                raise self._too_large(f"more than {self._max_total} bytes")
            text = decoder.decode(piece)
            last_break = max(text.rfind("\n"), text.rfind("\r"))
            if last_break < 0:
                line_length += len(text)
            else:
                # The line running on from earlier pieces ends at the first break here.
                first_break = min(i for i in (text.find("\n"), text.find("\r")) if i >= 0)
                if line_length + first_break > self._max_line:
                    raise self._too_large(f"a line longer than {self._max_line} characters")
                line_length = len(text) - last_break - 1
            if line_length > self._max_line:
                raise self._too_large(f"a line longer than {self._max_line} characters")
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def iter_lines(self) -> Iterator[str]:
        # Older httpx-sse releases read lines instead of text.
        pending = ""
        for text in self.iter_text():
            pending += text
            *lines, pending = pending.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            yield from lines
        if pending:
            yield pending

    def _too_large(self, what: str) -> BodyTooLargeError:
        host = self._owner._host
        return BodyTooLargeError("", kind="other", host=host, detail=what).with_code(
            "network.body_too_large", host=host
        )


__all__ = ["BodyTooLargeError", "EventStreamResponse", "StreamEvent"]
