"""Pytest plugin: generated GGUF models for tests (owned by the engine work).

Session fixtures build tiny random-weight Qwen2 models once per run into
``model_cache_dir`` (tests/conftest.py), well under a second each: F32, Q4_K_M (so a
llama.cpp build that crashes on quantized kernels fails CI), and one without a chat
template. ``loaded_engine`` is one engine per test module.

Plain helpers (import them): :func:`user_turn` builds a request, :func:`run_turn` drives a
turn and sorts its events, :func:`scripted_tokens` replays text as a token stream for the
reasoning parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ContextTrimmed,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
)

if TYPE_CHECKING:
    from app.core.engines.llama import LlamaEngine as Engine

TINY_N_CTX = 2048
TINY_THREADS = 2


@pytest.fixture(scope="session")
def tiny_model_f32(model_cache_dir: Path) -> Path:
    from app.core.tinymodel import write_tiny_qwen2_gguf

    return write_tiny_qwen2_gguf(model_cache_dir / "tiny-f32.gguf")


@pytest.fixture(scope="session")
def tiny_model_q(model_cache_dir: Path, tiny_model_f32: Path) -> Path:
    """The tiny model quantized to Q4_K_M (hidden 256, so k-quants apply)."""
    from app.core.engines.native import quantize_gguf

    return quantize_gguf(tiny_model_f32, model_cache_dir / "tiny-q4_k_m.gguf", "Q4_K_M")


@pytest.fixture(scope="session")
def tiny_model_no_template(model_cache_dir: Path) -> Path:
    from app.core.tinymodel import write_tiny_qwen2_gguf

    return write_tiny_qwen2_gguf(
        model_cache_dir / "tiny-no-template.gguf", with_chat_template=False
    )


@pytest.fixture(scope="module")
def loaded_engine(tiny_model_f32: Path) -> Iterator[Engine]:
    """The F32 tiny model loaded with n_ctx 2048 and 2 threads, shared by a test module."""
    from app.core.engines.llama import LlamaEngine

    engine = LlamaEngine.load(tiny_model_f32, n_ctx=TINY_N_CTX, n_threads=TINY_THREADS)
    yield engine
    engine.close()


def user_turn(
    text: str = "Hello! Tell me about the sea.",
    *,
    history: Iterable[ChatMessage] = (),
    continue_last: bool = False,
    system_prompt: str = "",
    **params: object,
) -> TurnRequest:
    """A request whose last message is ``text`` from the user; ``params`` go to SamplingParams."""
    defaults: dict[str, object] = {"max_tokens": 24, "seed": 7, "loop_guard": False}
    defaults.update(params)
    messages = (*history, ChatMessage("user", text))
    return TurnRequest(
        messages=messages,
        params=SamplingParams(**defaults),  # type: ignore[arg-type]
        continue_last=continue_last,
        system_prompt=system_prompt,
    )


@dataclass
class TurnResult:
    events: list[TurnEvent] = field(default_factory=list)

    @property
    def finished(self) -> TurnFinished:
        last = self.events[-1]
        assert isinstance(last, TurnFinished), f"turn did not finish: {last!r}"
        return last

    @property
    def reasoning(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, ReasoningDelta))

    @property
    def answer(self) -> str:
        return "".join(e.text for e in self.events if isinstance(e, AnswerDelta))

    @property
    def closes(self) -> list[ReasoningClosed]:
        return [e for e in self.events if isinstance(e, ReasoningClosed)]

    @property
    def progress(self) -> list[PromptProgress]:
        return [e for e in self.events if isinstance(e, PromptProgress)]

    @property
    def trims(self) -> list[ContextTrimmed]:
        return [e for e in self.events if isinstance(e, ContextTrimmed)]


def run_turn(
    engine: Engine,
    request: TurnRequest,
    control: TurnControl | None = None,
    *,
    on_event: Callable[[TurnEvent, TurnControl], None] | None = None,
) -> TurnResult:
    """Drive ``engine.stream_turn`` to the end; ``on_event`` may stop or steer the turn."""
    control = control or TurnControl()
    result = TurnResult()
    for event in engine.stream_turn(request, control):
        result.events.append(event)
        if on_event is not None:
            on_event(event, control)
    finished = [e for e in result.events if isinstance(e, TurnFinished)]
    assert len(finished) == 1, f"expected exactly one TurnFinished, got {len(finished)}"
    assert result.events[-1] is finished[0], "TurnFinished must be the last event"
    return result


def scripted_tokens(text: str, *, sizes: Iterable[int] = (1, 2, 3, 5, 8)) -> Iterator[str]:
    """``text`` cut into pieces of cycling sizes, like tokens (tags get split across pieces)."""
    size_list = list(sizes) or [1]
    position = 0
    index = 0
    while position < len(text):
        size = size_list[index % len(size_list)]
        yield text[position : position + size]
        position += size
        index += 1
