"""Chat templates: what a call makes is sized when it is made, and few slow calls still
meet the deadline (app.core.template_sandbox)."""

from __future__ import annotations

import time

import pytest

from app.core.chat import ChatMessage
from app.core.template import ChatTemplate
from app.core.template_sandbox import RenderLimits

MESSAGES = [ChatMessage("user", "Hello")]
#: Hang protection only; the renders below end in well under a second once bounded.
CEILING_S = 5.0


def _render(source: str, limits: RenderLimits | None = None) -> tuple[str, str]:
    template = ChatTemplate(source, "", "", True, False, limits=limits or RenderLimits())
    rendered = template.render(MESSAGES)
    return rendered.text, rendered.notice


@pytest.mark.parametrize(
    "make",
    [
        "s.splitlines()",  # a method that makes 30M small strings
        "s|list",  # a filter that does the same
    ],
)
def test_a_huge_result_kept_but_never_printed_is_refused(make: str) -> None:
    # Kept with set and never printed, each result used to cost 250 MB: a dozen of them
    # exhausted memory without ever reaching the output checks.
    source = '{% set s = "\\n" * 30000000 %}{% set kept = ' + make + " %}{{ 'ok' }}"
    text, notice = _render(source)
    assert text != "ok"
    assert notice  # fell back to the built-in R1 format, and says so


def test_few_slow_calls_still_meet_the_deadline() -> None:
    # 100 passes over a 16M-character string, 0.2 s each: under 256 steps, so the step
    # counter alone never looked at the clock (about 20 s before the fix; the limit is 0.2 s).
    calls = "".join("{% set n = s.swapcase() %}" for _ in range(100))
    source = '{% set s = "x" * 16000000 %}' + calls + "{{ 'done' }}"
    started = time.monotonic()
    text, notice = _render(source, RenderLimits(seconds=0.2))
    assert time.monotonic() - started < CEILING_S
    assert text != "done" and notice


def test_ordinary_calls_and_filters_still_render() -> None:
    source = (
        "{% for m in messages %}{{ m.role|upper }}: {{ m.content.strip().split(' ')|join('-') }}"
        "{% endfor %}{{ messages|map(attribute='content')|list|length }}"
    )
    text, notice = _render(source)
    assert text == "USER: Hello1" and not notice
