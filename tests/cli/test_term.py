"""Terminal output never carries escape sequences from model names or chat text."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cli.models import ProgressPrinter, _err, _out
from app.cli.term import for_terminal

# What a terminal must never receive from untrusted text: ESC, CSI, OSC and C1 controls.
_DANGEROUS = re.compile("[\x1b\x9b\x9d\x90\x98\x9e\x9f\x07\x08\r\x00\x7f]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b]0;pwned title\x07after", "after"),
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1bPq#0;2;0;0;0\x1b\\sixel gone", "sixel gone"),
        ("\x9b2Jcleared", "cleared"),
        ("\x9d0;title\x9cafter", "after"),
        ("\x1b7saved\x1b8", "saved"),
        ("\x1b[2J\x1b[Hhome", "home"),
        ("bell\x07 and back\x08space", "bell\ufffd and back\ufffdspace"),
        ("over\rwrite", "over\ufffdwrite"),
        ("line one\r\nline two\ttab", "line one\nline two\ttab"),
        ("中文 and émoji 🙂 stay", "中文 and émoji 🙂 stay"),
        ("unterminated \x1b]0;title", "unterminated "),
        ("trailing escape \x1b", "trailing escape "),
    ],
)
def test_escape_sequences_are_removed_and_controls_shown(raw: str, shown: str) -> None:
    assert for_terminal(raw) == shown


def test_one_line_turns_breaks_into_spaces() -> None:
    assert for_terminal("a\nb\tc\u2028d", one_line=True) == "a b c d"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=40), max_size=5))
def test_nothing_dangerous_survives_even_when_printed_in_pieces(pieces: list[str]) -> None:
    # A streamed answer is filtered delta by delta; joined, it must still be harmless.
    printed = "".join(for_terminal(piece) for piece in pieces)
    assert not _DANGEROUS.search(printed)


def test_models_cli_output_and_progress_are_filtered(capsys: pytest.CaptureFixture[str]) -> None:
    _out("model \x1b]0;owned\x07name")
    _err("error about \x1b[31mred\x1b[0m.gguf")
    captured = capsys.readouterr()
    assert captured.out == "model name\n"
    assert captured.err == "error about red.gguf\n"
    stream = io.StringIO()
    printer = ProgressPrinter("evil\x1b[2J.gguf", stream)
    assert printer.label == "evil.gguf"


def test_chat_cli_filters_the_streamed_answer(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.chat import _Output

    output = _Output(show_reasoning=True)
    output.reasoning("think \x1b[8mhidden\x1b[0m")
    output.end_reasoning()
    output.answer("answer \x1b]52;c;cGF5bG9hZA==\x07done")
    captured = capsys.readouterr()
    assert captured.out == "answer done"
    assert "\x1b" not in captured.err and "think hidden" in captured.err
