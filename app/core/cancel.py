"""Cancel tokens and progress callbacks for long work.

Long work in Hearth is a plain function or generator that takes a :class:`CancelToken`
and a progress callback; Qt workers only wrap it. The token is a thread-safe flag:
the worker thread polls it between tokens and between prompt batches, and llama.cpp's
abort callback reads it during a batch, so a stop lands without a queued slot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.core.errors import CancelledError

#: ``progress(done, total)``; ``total`` is 0 when unknown.
ProgressCallback = Callable[[int, int], None]


def no_progress(_done: int, _total: int) -> None:
    """A progress callback that ignores progress."""


class CancelToken:
    """A one-way, thread-safe stop flag."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking early on cancel. True if cancelled."""
        return self._event.wait(timeout)


class TurnControl(CancelToken):
    """Controls one chat turn: stop it, or ask the model to stop thinking and answer.

    ``answer_now`` is read by the engine between tokens; when set while the model is
    still reasoning, the engine closes the reasoning block itself and the model answers.
    """

    __slots__ = ("_answer_now",)

    def __init__(self) -> None:
        super().__init__()
        self._answer_now = threading.Event()

    def request_answer_now(self) -> None:
        self._answer_now.set()

    @property
    def answer_now_requested(self) -> bool:
        return self._answer_now.is_set()
