"""Hostile chat templates end in bounded time and memory, and fall back to R1 with a notice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.chat import ChatMessage
from app.core.errors import CancelledError, GenerationError
from app.core.template import R1_BOS, R1_EOS, ChatTemplate, template_for
from app.core.template_sandbox import RenderLimits

# Generous hang protection: every hostile template must be over well within this (the
# render budget is 2 s; see the report for measured figures).
CEILING_S = 15.0

# Each of these would run for minutes or hours, or ask for gigabytes, on any conversation.
HOSTILE = {
    "power literal": "{{ 9 ** (9 ** 9) }}",
    "power of a big base": "{{ (10**1000) ** 1000 }}",
    "nested range": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    ),
    "nested loops over a string": (
        "{% set s = 'x'.ljust(100000) %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    ),
    "huge string repeat": "{{ 'x' * 10**10 }}",
    "list repeat then join": "{{ (['x' * 100000] * 100000)|join }}",
    "doubling concatenation": (
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s|length }}"
    ),
    "doubling plus": (
        "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
        "{% endfor %}{{ ns.s|length }}"
    ),
    "center filter": "{{ 'x'|center(1000000000) }}",
    "center method": "{{ 'x'.center(1000000000) }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "percent width": "{{ '%999999999d' % 1 }}",
    "format filter width": "{{ '%999999999d'|format(1) }}",
    "replace blow-up": "{{ ('x' * 100000).replace('', 'y' * 100000) }}",
    "indent blow-up": "{{ ('x\n' * 100000)|indent('y' * 100000) }}",
    "expandtabs": "{{ ('\t' * 100000).expandtabs(100000) }}",
    "output of a huge list": "{{ ['x' * 100000] * 100000 }}",
    "branching macro": (
        "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(60) }}"
    ),
    "endless output": (
        "{% for i in range(100000) %}{% for j in range(100000) %}"
        "{{ 'x' * 1000 }}{% endfor %}{% endfor %}"
    ),
    "lipsum": "{{ lipsum(1000000000) }}",
    "ValueError from a long integer": "{{ 10**6000 }}",
    "ValueError from a literal": "{{ " + "9" * 6000 + " }}",
    "deep nesting": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
    "recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "source too long": "x" * 300_000 + "{{ messages }}",
}


def chat(*contents: str) -> list[ChatMessage]:
    roles = ("user", "assistant")
    return [ChatMessage(roles[i % 2], c) for i, c in enumerate(contents)]  # type: ignore[arg-type]


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_refused_when_the_model_loads(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(GenerationError) as caught:
        template_for(source, bos_token=R1_BOS, eos_token=R1_EOS)
    assert time.monotonic() - started < CEILING_S
    assert "chat template" in str(caught.value)
    assert "Traceback" not in str(caught.value)


def runaway_on_long_chats(body: str) -> str:
    # Passes the load-time probe (four rows), runs away on a longer conversation.
    return (
        "{% if messages|length > 4 %}" + body + "{% endif %}"
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
    )


@pytest.mark.parametrize(
    "name",
    ["nested range", "huge string repeat", "branching macro", "ValueError from a long integer"],
)
def test_a_template_failing_mid_chat_falls_back_to_r1_with_a_notice(name: str) -> None:
    template = template_for(
        runaway_on_long_chats(HOSTILE[name]), bos_token=R1_BOS, eos_token=R1_EOS
    )
    assert template.from_gguf
    short = template.render(chat("Hi"))
    assert short.text == "<user>Hi" and short.notice == ""

    started = time.monotonic()
    rendered = template.render(chat("a", "b", "c", "d", "e"))
    assert time.monotonic() - started < CEILING_S
    assert rendered.notice.startswith("This model's chat template failed")
    assert rendered.text.startswith(f"{R1_BOS}<｜User｜>a")
    assert rendered.text.endswith("<｜Assistant｜><think>\n")


class _CancelAfterPolls(CancelToken):
    """Cancels itself after being polled a few times: proves the render polls it."""

    def __init__(self, polls: int) -> None:
        super().__init__()
        self.polls = 0
        self._after = polls

    @property
    def cancelled(self) -> bool:
        self.polls += 1
        if self.polls >= self._after:
            self.cancel()
        return super().cancelled


def test_stop_abandons_a_render_that_would_run_for_hours() -> None:
    # No time or step budget to speak of: only the cancel token can end this render.
    template = ChatTemplate(
        source=runaway_on_long_chats(HOSTILE["nested range"]),
        bos_token="",
        eos_token="",
        from_gguf=True,
        is_r1=False,
        limits=RenderLimits(seconds=3600, steps=10**12),
    )
    token = _CancelAfterPolls(polls=20)
    started = time.monotonic()
    with pytest.raises(CancelledError):
        template.render(chat("a", "b", "c", "d", "e"), cancel=token)
    assert token.polls == 20
    assert time.monotonic() - started < CEILING_S


def test_stop_from_another_thread_lands_during_the_render() -> None:
    template = ChatTemplate(
        source=runaway_on_long_chats(HOSTILE["nested range"]),
        bos_token="",
        eos_token="",
        from_gguf=True,
        is_r1=False,
        limits=RenderLimits(seconds=3600, steps=10**12),
    )
    token = CancelToken()
    outcome: list[BaseException] = []
    running = threading.Event()

    def render() -> None:
        running.set()
        try:
            template.render(chat("a", "b", "c", "d", "e"), cancel=token)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=render, daemon=True)
    worker.start()
    assert running.wait(CEILING_S)
    token.cancel()
    worker.join(CEILING_S)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], CancelledError)


def test_cancel_is_not_turned_into_a_fallback() -> None:
    template = template_for(
        "{% for m in messages %}{{ m.content }}{% endfor %}", bos_token="", eos_token=""
    )
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        template.render(chat(*["x"] * 600), cancel=token)


@pytest.mark.parametrize(
    "source",
    [
        # What real templates do must stay allowed.
        "{{ '-' * 80 }}{{ messages|length * 2 }}{{ 2**10 }}{{ '%5d' % 3 }}{{ '{:>4}'.format(1) }}",
        "{% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ m.content|trim }}"
        "{{ m.content.replace('a', 'b') }}{{ m.content.split('x')[0] ~ '!' }}{% endfor %}",
        "{% for i in range(messages|length) %}{{ i }}{% endfor %}{{ messages|tojson(indent=2) }}",
        "{{ messages|map(attribute='content')|join('\\n') }}{{ 'abc'|center(9) }}",
    ],
)
def test_ordinary_template_features_still_work(source: str) -> None:
    template = template_for(source, bos_token="", eos_token="")
    long_chat = chat(*["word " * 20_000] * 20)  # 2 MB of conversation
    assert template.render(long_chat).notice == ""


def test_a_long_conversation_renders_with_the_gguf_r1_template() -> None:
    from app.core.template import BUILTIN_R1_TEMPLATE

    template = template_for(BUILTIN_R1_TEMPLATE, bos_token=R1_BOS, eos_token=R1_EOS)
    big = chat(*["数" * 50_000] * 101)
    rendered = template.render(big)
    assert rendered.notice == ""
    assert len(rendered.text) > 5_000_000


def test_after_one_runaway_render_later_renders_use_r1_at_once() -> None:
    template = template_for(
        runaway_on_long_chats(HOSTILE["branching macro"]), bos_token=R1_BOS, eos_token=R1_EOS
    )
    first = template.render(chat("a", "b", "c", "d", "e"))  # spends its 2 s budget
    assert first.notice
    started = time.monotonic()
    for _ in range(5):
        again = template.render(chat("a", "b", "c", "d", "e"))
        assert again.notice and again.text == first.text
    # No budget spent again: five renders that each spent the 2 s budget would take 10 s;
    # the margin is for a loaded machine (the renders themselves take milliseconds).
    assert time.monotonic() - started < 8.0


@pytest.mark.parametrize(
    "name", ["nested range", "branching macro", "ValueError from a literal", "power literal"]
)
def test_a_model_with_a_hostile_template_loads_with_r1_and_a_notice(
    name: str, tmp_path: Path
) -> None:
    """End to end through llama.cpp: the load ends in seconds, on the built-in template."""
    import numpy as np

    from app.core import tinymodel
    from app.core.engines.llama import LlamaEngine

    path = tmp_path / "hostile.gguf"
    tinymodel._write_qwen2_gguf(
        path,
        shape=tinymodel.Qwen2Shape(
            hidden=256,
            layers=2,
            heads=4,
            kv_heads=2,
            ffn=512,
            context_length=tinymodel.TINY_CONTEXT_LENGTH,
        ),
        vocab=tinymodel.build_vocabulary(),
        dtype=np.float32,
        chat_template=HOSTILE[name],
        name="hostile",
        seed=0,
    )
    started = time.monotonic()
    engine = LlamaEngine.load(path, n_ctx=512, n_threads=2, flash_attn="off")
    try:
        assert time.monotonic() - started < CEILING_S
        assert engine.template_warning is not None
        assert "broken" in engine.template_warning
        assert not engine.template.from_gguf and engine.template.is_r1
    finally:
        engine.close()
