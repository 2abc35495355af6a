"""``n > 1``: one samples job answers with N choices, whole or streamed, via the openai SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

from tests.server.conftest import MODEL_ID, TOKEN, Live, ScriptedEngine


def sdk(live: Live) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=TOKEN, max_retries=0)


def ask(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL_ID, "messages": [{"role": "user", "content": "2+2?"}], **extra}


def test_n_choices_whole(start_server: Callable[..., Live]) -> None:
    engine = ScriptedEngine()
    live = start_server(engine)
    completion = sdk(live).chat.completions.create(**ask(n=3, seed=10))
    assert [c.index for c in completion.choices] == [0, 1, 2]
    for choice in completion.choices:
        assert choice.message.content == "The answer is 4. 你好"
        assert choice.finish_reason == "stop"
    # The scripted engine has no batched sampling: the host ran three seeded turns.
    assert [r.params.seed for r in engine.requests] == [10, 11, 12]


def test_n_choices_streamed(start_server: Callable[..., Live]) -> None:
    live = start_server(ScriptedEngine())
    content: dict[int, str] = {}
    finish: dict[int, str | None] = {}
    stream = sdk(live).chat.completions.create(**ask(n=2, stream=True))
    for chunk in stream:
        for choice in chunk.choices:
            content[choice.index] = content.get(choice.index, "") + (choice.delta.content or "")
            if choice.finish_reason:
                finish[choice.index] = choice.finish_reason
    assert content == {0: "The answer is 4. 你好", 1: "The answer is 4. 你好"}
    assert finish == {0: "stop", 1: "stop"}


def test_each_choice_has_its_own_stop_sequence_and_length(
    start_server: Callable[..., Live],
) -> None:
    live = start_server(ScriptedEngine())
    completion = sdk(live).chat.completions.create(**ask(n=2, stop=["is"]))
    assert [c.message.content for c in completion.choices] == ["The answer ", "The answer "]
    assert {c.finish_reason for c in completion.choices} == {"stop"}
    completion = sdk(live).chat.completions.create(**ask(n=2, max_tokens=4))
    assert {c.finish_reason for c in completion.choices} == {"length"}
