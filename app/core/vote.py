"""Majority vote over sampled answers: find each sample's final answer, normalise it, tally.

R1's own evaluation reports cons@64 next to pass@1: sample several answers, take the most
common final answer. For a 1.5B model a vote over a few samples is the cheapest way to a
markedly better math answer. This module is the pure part of that: text in, tally out.

Everything here reads model output, which can be anything, so every step is bounded:
inputs are cut to a tail, brace matching is linear, numbers are parsed only when short,
and nothing raises. A sample whose answer cannot be found counts as "no answer".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

#: Only the end of a long answer matters for its final answer; this bounds the work.
TAIL_CHARS = 20_000
#: An extracted answer longer than this is not a short final answer: "no answer".
MAX_ANSWER_CHARS = 200
#: Numbers with more digits than this are compared as text, never parsed.
MAX_NUMBER_DIGITS = 40

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]{1,50})\}\s*\{([^{}]{1,50})\}")
_TEXT_WRAP = re.compile(r"\\(?:text|mathrm|textbf|mathbf|operatorname)\s*\{([^{}]*)\}")
_ANSWER_CUE = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*(.{1,120}?)(?:[.。\n]|$)"
    r"|(?:最终答案|答案)\s*(?:是|为|：|:|=)\s*(.{1,120}?)(?:[。.\n，,]|$)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_SIMPLE_FRACTION = re.compile(r"(-?\d+)/(\d+)")
# Units and words that trail a number ("42 apples", "12 cm", "35只", "6 元").
_TRAILING_UNIT = re.compile(r"(?<=\d)\s*(?:[A-Za-z]{1,12}\.?|[\u4e00-\u9fff]{1,3}|%|°)$")


@dataclass(frozen=True, slots=True)
class Ballot:
    """One sample's vote: the answer as written and its normalised form (None: no answer)."""

    index: int
    raw: str | None
    key: str | None


@dataclass(frozen=True, slots=True)
class Tally:
    """The vote: answers by count, the winner, and the samples with no answer."""

    total: int
    #: (normalised answer, a raw spelling to show, sample indices), most votes first.
    groups: tuple[tuple[str, str, tuple[int, ...]], ...]
    no_answer: tuple[int, ...]

    @property
    def winner(self) -> str | None:
        """The raw spelling of the most common answer; None if no sample had one."""
        return self.groups[0][1] if self.groups else None

    @property
    def winner_votes(self) -> int:
        return len(self.groups[0][2]) if self.groups else 0

    @property
    def unanimous(self) -> bool:
        return bool(self.groups) and self.winner_votes == self.total


def _boxed_contents(text: str) -> list[str]:
    """Contents of every \\boxed{...}, with nested braces; unbalanced boxes are skipped.

    A single left-to-right scan per box that stops at its matching brace or at the end
    of the text, so crafted input (thousands of "\\boxed{" with no closing brace) costs
    at most O(n) per box and boxes are bounded by the tail length.
    """
    found: list[str] = []
    position = 0
    while len(found) < 64:
        match = _BOXED.search(text, position)
        if match is None:
            break
        depth = 1
        i = match.end()
        limit = min(len(text), i + 4 * MAX_ANSWER_CHARS)
        while i < limit and depth:
            char = text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            i += 1
        if depth == 0:
            found.append(text[match.end() : i - 1])
            position = i
        else:
            position = match.end()
    return found


def extract_answer(text: str) -> str | None:
    """The final answer a sample gives, as written; None when it gives none.

    Order: the last ``\\boxed{…}`` (R1 is prompted to box its answer); else an explicit cue
    ("the answer is …", "答案是…"); else the last number in the last lines.
    """
    if not text:
        return None
    tail = text[-TAIL_CHARS:]
    boxes = [b.strip() for b in _boxed_contents(tail) if b.strip()]
    if boxes:
        return _bounded(boxes[-1])
    cues = [m.group(1) or m.group(2) for m in _ANSWER_CUE.finditer(tail[-4000:])]
    cues = [c.strip() for c in cues if c and c.strip()]
    if cues:
        return _bounded(cues[-1])
    last_lines = "\n".join(tail.strip().splitlines()[-3:])
    numbers = _NUMBER.findall(last_lines[-2000:])
    if numbers:
        return _bounded(numbers[-1].strip())
    return None


def _bounded(answer: str) -> str | None:
    return answer if len(answer) <= MAX_ANSWER_CHARS else None


def normalise(answer: str) -> str:
    """A comparison key: equal keys mean the same answer.

    Folds width (full-width digits), whitespace, ``$``, ``\\text{}``, thousands separators,
    ``\\frac{a}{b}`` vs ``a/b``, trailing units and periods, a leading ``x =``, and equal
    numbers written differently (``0.50`` and ``1/2``; ``42.0`` and ``42``).
    """
    text = unicodedata.normalize("NFKC", answer)[: MAX_ANSWER_CHARS * 2]
    text = text.replace("$", "").replace("\\!", "").replace("\\,", "").replace("\\ ", " ")
    text = text.replace("\\left", "").replace("\\right", "")
    for _ in range(3):  # nested wrappers, bounded
        text = _TEXT_WRAP.sub(r"\1", text)
    text = _FRAC.sub(r"(\1)/(\2)", text)
    text = text.strip().rstrip(".。")
    text = re.sub(r"^[A-Za-z]\s*=\s*", "", text)
    text = _THOUSANDS.sub("", text)
    text = re.sub(r"\((-?\d+)\)/\((\d+)\)", r"\1/\2", text)
    text = _TRAILING_UNIT.sub("", text).strip()
    text = re.sub(r"\s+", "", text)
    number = _as_number(text)
    if number is not None:
        return _format_number(number)
    return text.lower()


def _as_number(text: str) -> Fraction | None:
    digits = sum(c.isdigit() for c in text)
    if not text or digits == 0 or digits > MAX_NUMBER_DIGITS:
        return None
    try:
        if _DECIMAL.fullmatch(text):
            return Fraction(text)
        match = _SIMPLE_FRACTION.fullmatch(text)
        if match and int(match.group(2)) != 0:
            return Fraction(int(match.group(1)), int(match.group(2)))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return None


def _format_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def ballot(index: int, answer_text: str, *, ended: str = "finished") -> Ballot:
    """One sample's ballot. A sample that did not finish (ran out of budget, was stopped
    or failed) counts as no answer, whatever it wrote so far."""
    if ended != "finished":
        return Ballot(index, None, None)
    raw = extract_answer(answer_text)
    if raw is None:
        return Ballot(index, None, None)
    key = normalise(raw)
    return Ballot(index, raw, key or None)


def tally(ballots: Sequence[Ballot]) -> Tally:
    """Count the ballots. Ties go to the answer that appeared first (lowest sample index)."""
    groups: dict[str, list[Ballot]] = {}
    no_answer: list[int] = []
    for b in ballots:
        if b.key is None or b.raw is None:
            no_answer.append(b.index)
        else:
            groups.setdefault(b.key, []).append(b)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[1][0].index))
    return Tally(
        total=len(ballots),
        groups=tuple(
            (key, members[0].raw or key, tuple(m.index for m in members))
            for key, members in ordered
        ),
        no_answer=tuple(no_answer),
    )
