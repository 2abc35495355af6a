"""Several choices for one request (``n > 1``): the samples of one majority-vote job.

The engine host runs ``n`` samples of one prompt as one job (the local engine decodes them
together, one batch per step); each sample's events arrive wrapped in a ``SampleEvent``.
This turns them into OpenAI's ``choices``: whole (non-streaming) or as chunks with each
choice's ``index``. Each choice has its own stop-sequence scanner; a stop sequence ends that
choice's text (the others go on), so it never cancels the job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.core.chat import AnswerDelta, ReasoningDelta, TurnFinished
from app.core.engines.base import SampleEvent
from app.server import wire
from app.server.wire import StopScanner


@dataclass
class _Choice:
    scanner: StopScanner
    reasoning: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)
    finish: str | None = None


class SampleChoices:
    """The ``n`` choices of one request, built from the samples' events."""

    def __init__(self, n: int, stops: tuple[str, ...]) -> None:
        self._choices = [_Choice(StopScanner(stops)) for _ in range(n)]

    def stream(self, event: SampleEvent) -> Iterator[tuple[int, dict[str, Any], str | None]]:
        """``(index, delta, finish_reason)`` chunks for one sample event (maybe none)."""
        if not 0 <= event.index < len(self._choices):
            return
        choice = self._choices[event.index]
        inner = event.event
        if isinstance(inner, ReasoningDelta) and inner.text and not choice.scanner.hit:
            choice.reasoning.append(inner.text)
            yield event.index, {"reasoning_content": inner.text}, None
        elif isinstance(inner, AnswerDelta):
            text = choice.scanner.feed(inner.text)
            if text:
                choice.content.append(text)
                yield event.index, {"content": text}, None
        elif isinstance(inner, TurnFinished) and choice.finish is None:
            tail = choice.scanner.flush()
            if tail:
                choice.content.append(tail)
                yield event.index, {"content": tail}, None
            choice.finish = "stop" if choice.scanner.hit else wire.finish_reason(inner.reason)
            yield event.index, {}, choice.finish

    def add(self, event: SampleEvent) -> None:
        """Take one sample event (non-streaming)."""
        for _chunk in self.stream(event):
            pass

    def finish_all(self) -> Iterator[tuple[int, dict[str, Any], str]]:
        """Finish chunks for choices whose sample never ended (the job was stopped)."""
        for index, choice in enumerate(self._choices):
            if choice.finish is None:
                choice.finish = "stop"
                yield index, {}, "stop"

    def choices(self) -> list[dict[str, Any]]:
        """Every choice as a whole message (``finish_all`` first)."""
        list(self.finish_all())
        return [
            {
                "index": index,
                "message": {
                    "role": "assistant",
                    "content": "".join(choice.content),
                    "reasoning_content": "".join(choice.reasoning),
                },
                "finish_reason": choice.finish,
                "logprobs": None,
            }
            for index, choice in enumerate(self._choices)
        ]
