"""Answer extraction, normalisation and the tally for majority vote (no Qt, no model)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.vote import ballot, extract_answer, normalise, tally

EXTRACTIONS = [
    # (sample text, expected raw answer)
    ("So the total is \\boxed{42}.", "42"),
    ("First \\boxed{3}, but correcting: \\boxed{4}", "4"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("Nested \\boxed{x^{2}+{1}} done", "x^{2}+{1}"),
    ("The answer is 17.", "17"),
    ("Final answer: 3/4", "3/4"),
    ("所以答案是 23 只。", "23 只"),
    ("最终答案：35", "35"),
    ("鸡有 23 只，兔有 12 只\n共 12", "12"),
    ("I have no idea.", None),
    ("", None),
    ("unbalanced \\boxed{12 and no end", "12"),  # box skipped, last number used
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTIONS)
def test_extract_answer(text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected


NORMALISATIONS = [
    ("42", "42"),
    (" 42 ", "42"),
    ("42.0", "42"),
    ("1,000", "1000"),
    ("１２３", "123"),  # full-width digits
    ("\\frac{1}{2}", "1/2"),
    ("\\dfrac{2}{4}", "1/2"),
    ("0.5", "1/2"),
    ("2/4", "1/2"),
    ("$42$", "42"),
    ("x = 7", "7"),
    ("12 cm", "12"),
    ("23 只", "23"),
    ("35只", "35"),
    ("6元", "6"),
    ("\\text{Paris}", "paris"),
    ("Paris.", "paris"),
    ("-3", "-3"),
]


@pytest.mark.parametrize(("raw", "key"), NORMALISATIONS)
def test_normalise(raw: str, key: str) -> None:
    assert normalise(raw) == key


def test_tally_counts_majority_and_no_answers() -> None:
    samples = [
        "... \\boxed{42}",
        "答案是 42。",
        "the answer is 41",
        "I am not sure",
        "\\boxed{42.0}",
    ]
    result = tally([ballot(i, text) for i, text in enumerate(samples)])
    assert result.total == 5
    assert result.winner == "42"
    assert result.winner_votes == 3
    assert result.groups[0][2] == (0, 1, 4)
    assert result.groups[1][0] == "41"
    assert result.no_answer == (3,)
    assert not result.unanimous


def test_unfinished_sample_counts_as_no_answer() -> None:
    result = tally([ballot(0, "\\boxed{5}", ended="length"), ballot(1, "\\boxed{5}")])
    assert result.no_answer == (0,)
    assert result.winner == "5"
    assert result.winner_votes == 1


def test_tie_goes_to_first_sample() -> None:
    result = tally([ballot(0, "\\boxed{2}"), ballot(1, "\\boxed{3}")])
    assert result.winner == "2"


def test_empty_vote() -> None:
    result = tally([])
    assert result.winner is None
    assert result.winner_votes == 0


@pytest.mark.parametrize(
    "hostile",
    [
        "\\boxed{" * 50_000,
        "}" * 100_000 + "\\boxed{1}",
        "9" * 1_000_000,
        "1e999999999",
        "\\boxed{" + "9" * 5000 + "}",
        "\\boxed{\\frac{" + "{" * 3000 + "}",
        "答案是" * 100_000,
    ],
)
def test_hostile_answers_are_bounded_and_never_raise(hostile: str) -> None:
    started = time.perf_counter()
    vote = ballot(0, hostile)
    # Generous ceiling: a regex or parse that went super-linear would take minutes.
    assert time.perf_counter() - started < 30.0
    assert vote.key is None or len(vote.key) <= 400


def test_huge_number_is_compared_as_text() -> None:
    big = "1" * 60
    assert normalise(big) == big


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_fuzz_extraction_never_raises(text: str) -> None:
    started = time.perf_counter()
    vote = ballot(0, text)
    assert time.perf_counter() - started < 10.0  # a hang ceiling; a parse takes microseconds
    assert vote.raw is None or len(vote.raw) <= 200
