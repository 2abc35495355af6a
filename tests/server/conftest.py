"""Fixtures for the API server: a scripted engine on a real EngineHost, and live servers.

Servers bind 127.0.0.1 on an ephemeral port and are always stopped (socket closed, thread
joined) at the end of the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ContextTrimmed,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.errors import ContextOverflowError
from app.core.host import EngineHost
from app.server.routes import ServerOptions
from app.server.runner import ApiServer

TOKEN = "hearth-test-token-0123456789abcdef"
MODEL_ID = "scripted-model.gguf"


@dataclass
class ScriptedEngine:
    """An Engine that replays a script: reasoning pieces, then answer pieces.

    ``gate`` (when set) holds each turn after its first token until released, so tests can
    line turns up in the queue; ``endless`` keeps streaming until the turn is cancelled.
    """

    reasoning: tuple[str, ...] = ("Let me ", "think. ", "二加二")
    answer: tuple[str, ...] = ("The answer ", "is ", "4.", " 你好")
    n_ctx: int = 4096
    max_prompt_chars: int = 10_000
    endless: bool = False
    #: Append " [<last user message>]" to the answer, so answers of different requests differ.
    echo: bool = False
    #: Report that old messages were dropped to fit (as the llama.cpp engine does).
    trim: bool = False
    gate: threading.Event | None = None
    requests: list[TurnRequest] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    closed: bool = False

    @property
    def engine_info(self) -> EngineInfo:
        return EngineInfo(name="Scripted", model_id=MODEL_ID, n_ctx=self.n_ctx)

    def count_tokens(self, request: TurnRequest) -> int:
        return sum(len(m.content) for m in request.messages)

    def close(self) -> None:
        self.closed = True

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        self.requests.append(request)
        size = sum(len(m.content) for m in request.messages)
        if size > self.max_prompt_chars:
            raise ContextOverflowError("Your message is too long for this model's context.")
        if self.trim:
            yield ContextTrimmed(1)
        yield PromptProgress(0, size)
        yield PromptProgress(size, size)
        self.started.set()
        generated = 0
        reasoning_tokens = 0
        pieces = list(self.reasoning)
        for index, piece in enumerate(pieces):
            if control.cancelled:
                return (yield from self._end("stopped", size, generated, reasoning_tokens))
            yield ReasoningDelta(piece)
            generated += 1
            reasoning_tokens += 1
            if index == 0 and self.gate is not None:
                self.gate.wait(10)
        yield ReasoningClosed("model")
        answer = list(self.answer)
        if self.echo:
            answer += [" [", request.messages[-1].content, "]"]
        while True:
            for piece in answer:
                if control.cancelled:
                    return (yield from self._end("stopped", size, generated, reasoning_tokens))
                if generated >= request.params.max_tokens:
                    return (yield from self._end("length", size, generated, reasoning_tokens))
                yield AnswerDelta(piece)
                generated += 1
            if not self.endless:
                break
            # Endless: pace the stream a little, waking at once on cancel.
            control.wait(0.005)
        yield from self._end("finished", size, generated, reasoning_tokens)

    @staticmethod
    def _end(reason: Any, size: int, generated: int, reasoning: int) -> Iterator[TurnEvent]:
        yield TurnFinished(
            reason,
            TurnStats(prompt_tokens=size, generated_tokens=generated, reasoning_tokens=reasoning),
        )


@dataclass
class Live:
    """A running server and what it was built from."""

    server: ApiServer
    host: EngineHost
    engine: Any
    records: list[Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def scripted_engine() -> ScriptedEngine:
    return ScriptedEngine()


@pytest.fixture
def start_server() -> Iterator[Callable[..., Live]]:
    """``start_server(engine, **options)``: a live server on a fresh host."""
    started: list[Live] = []

    def start(engine: Any, *, max_queue: int = 16, **options: Any) -> Live:
        host = EngineHost(engine, max_queue=max_queue)
        records: list[Any] = []
        opts = ServerOptions(host="127.0.0.1", port=0, token=TOKEN, **options)
        server = ApiServer(host, opts, record=records.append)
        live = Live(server, host, engine, records)
        started.append(live)
        server.start()
        return live

    yield start
    for live in started:
        assert live.server.stop(5.0)
        assert live.host.close(5.0)


@pytest.fixture
def live(start_server: Callable[..., Live], scripted_engine: ScriptedEngine) -> Live:
    return start_server(scripted_engine)


def web_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "web"
