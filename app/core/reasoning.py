"""Split a model's output into reasoning and answer, and notice reasoning that loops.

Both classes run once per generated token inside the decode loop, so each call does work
proportional to the new text (or O(1) per token), never to everything generated so far.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Final

from app.core.chat import AnswerDelta, ReasoningClosed, ReasoningCloseReason, ReasoningDelta
from app.core.template import THINK_CLOSE, THINK_OPEN

SplitEvent = ReasoningDelta | AnswerDelta | ReasoningClosed

# Whitespace held back at the end of the reasoning (it is dropped if "</think>" follows) or
# at the very start of a stream. Capped so a model that emits nothing but spaces still
# streams and never makes us re-copy a growing buffer.
_MAX_HELD_WHITESPACE: Final = 256


class _Phase(enum.Enum):
    #: Nothing but whitespace yet; the model may still write its own opening "<think>".
    OPENING_REASONING = enum.auto()
    OPENING_ANSWER = enum.auto()
    REASONING = enum.auto()
    ANSWER = enum.auto()


class _LeadingBlankLines:
    """Drops the blank lines at the start of a stream; keeps the first real line's indent."""

    __slots__ = ("_active", "_pending")

    def __init__(self, *, active: bool) -> None:
        self._active = active
        self._pending = ""

    def push(self, text: str) -> str:
        if not self._active:
            return text
        content = text.lstrip()
        if not content:
            pending = self._pending + text
            self._pending = pending[pending.rfind("\n") + 1 :][-_MAX_HELD_WHITESPACE:]
            return ""
        lead = self._pending + text[: len(text) - len(content)]
        self._active = False
        self._pending = ""
        return lead[lead.rfind("\n") + 1 :] + content


def _partial_tag_length(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    longest = min(len(tag) - 1, len(text))
    # Fast path: almost every token has no "<" near its end.
    if text.rfind(tag[0], len(text) - longest) < 0:
        return 0
    for size in range(longest, 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ReasoningSplitter:
    """Sorts streamed text into reasoning and answer deltas at ``<think>``/``</think>``.

    Works whether or not the model writes the opening ``<think>`` itself (R1 prompts open
    it already). Text that may be the start of a tag split across tokens is held back only
    while it could still become the tag. The engine must not feed text it injected itself:
    it calls :meth:`close_reasoning` instead.

    ``continuing=True`` resumes a partial message: the text continues exactly, so leading
    blank lines are kept and no opening tag is looked for.
    """

    __slots__ = ("_answer_lead", "_held", "_phase", "_reasoning_lead", "_starts_in_reasoning")

    def __init__(self, *, starts_in_reasoning: bool, continuing: bool = False) -> None:
        self._starts_in_reasoning = starts_in_reasoning
        if continuing:
            self._phase = _Phase.REASONING if starts_in_reasoning else _Phase.ANSWER
        else:
            self._phase = _Phase.OPENING_REASONING if starts_in_reasoning else _Phase.OPENING_ANSWER
        self._held = ""
        self._reasoning_lead = _LeadingBlankLines(active=not continuing)
        self._answer_lead = _LeadingBlankLines(active=not continuing)

    @property
    def in_reasoning(self) -> bool:
        return self._phase in (_Phase.OPENING_REASONING, _Phase.REASONING)

    def feed(self, text: str) -> list[SplitEvent]:
        """Sort one piece of generated text; returns the events it completes."""
        events: list[SplitEvent] = []
        if not text:
            return events
        if self._phase is _Phase.ANSWER:
            self._emit_answer(events, text)
            return events
        buffer = self._held + text
        self._held = ""
        if self._phase in (_Phase.OPENING_REASONING, _Phase.OPENING_ANSWER):
            buffer = self._take_opening(buffer)
        if not buffer:
            return events
        if self._phase is _Phase.REASONING:
            self._take_reasoning(events, buffer)
        else:
            self._emit_answer(events, buffer)
        return events

    def close_reasoning(self, reason: ReasoningCloseReason) -> list[SplitEvent]:
        """The engine ended the reasoning itself (budget, "answer now", loop guard)."""
        if not self.in_reasoning:
            return []
        events: list[SplitEvent] = []
        held = self._held.lstrip() if self._phase is _Phase.OPENING_REASONING else self._held
        self._held = ""
        if held.strip():
            self._emit_reasoning(events, held)
        events.append(ReasoningClosed(reason))
        self._start_answer()
        return events

    def flush(self) -> list[SplitEvent]:
        """Generation ended: emit any text still held back as a possible tag."""
        events: list[SplitEvent] = []
        held, self._held = self._held, ""
        if self._phase in (_Phase.OPENING_REASONING, _Phase.OPENING_ANSWER):
            self._phase = _Phase.REASONING if self._starts_in_reasoning else _Phase.ANSWER
            held = held.lstrip()
        if not held.strip():
            return events
        if self._phase is _Phase.REASONING:
            self._emit_reasoning(events, held)
        else:
            self._emit_answer(events, held)
        return events

    # --- steps -----------------------------------------------------------------------

    def _take_opening(self, buffer: str) -> str:
        """Look for the model's own "<think>" at the start; returns the text left to sort."""
        content = buffer.lstrip()
        if content.startswith(THINK_OPEN):
            self._phase = _Phase.REASONING
            return content[len(THINK_OPEN) :]
        if THINK_OPEN.startswith(content):
            # Only whitespace or the start of "<think>" so far: wait. Leading blank lines are
            # dropped later anyway, so only the current line's whitespace needs keeping.
            if not content:
                buffer = buffer[buffer.rfind("\n") + 1 :][-_MAX_HELD_WHITESPACE:]
            self._held = buffer
            return ""
        self._phase = _Phase.REASONING if self._starts_in_reasoning else _Phase.ANSWER
        return buffer

    def _take_reasoning(self, events: list[SplitEvent], buffer: str) -> None:
        close_at = buffer.find(THINK_CLOSE)
        if close_at >= 0:
            # Whitespace before "</think>" is layout, not reasoning.
            self._emit_reasoning(events, buffer[:close_at].rstrip())
            events.append(ReasoningClosed("model"))
            self._start_answer()
            rest = buffer[close_at + len(THINK_CLOSE) :]
            if rest:
                self._emit_answer(events, rest)
            return
        body_end = len(buffer) - _partial_tag_length(buffer, THINK_CLOSE)
        body = buffer[:body_end]
        trailing_space = len(body) - len(body.rstrip())
        if trailing_space <= _MAX_HELD_WHITESPACE:
            body_end -= trailing_space
        self._held = buffer[body_end:]
        self._emit_reasoning(events, buffer[:body_end])

    def _start_answer(self) -> None:
        self._phase = _Phase.ANSWER
        # "</think>" is followed by blank lines; the answer starts at the first text.
        self._answer_lead = _LeadingBlankLines(active=True)

    def _emit_reasoning(self, events: list[SplitEvent], text: str) -> None:
        text = self._reasoning_lead.push(text)
        if not text:
            return
        if events and isinstance(events[-1], ReasoningDelta):
            events[-1] = ReasoningDelta(events[-1].text + text)
        else:
            events.append(ReasoningDelta(text))

    def _emit_answer(self, events: list[SplitEvent], text: str) -> None:
        text = self._answer_lead.push(text)
        if not text:
            return
        if events and isinstance(events[-1], AnswerDelta):
            events[-1] = AnswerDelta(events[-1].text + text)
        else:
            events.append(AnswerDelta(text))


# Polynomial rolling hash over token ids, modulo a Mersenne prime: a false match between
# two different n-grams in one window has odds around 1e-13.
_HASH_MODULUS: Final = (1 << 61) - 1
_HASH_BASE: Final = 0x9E3779B97F4A7C15 % _HASH_MODULUS


class LoopGuard:
    """Notices reasoning that repeats itself.

    Fires when, among the last ``window`` tokens, one ``ngram``-token sequence occurs at
    least ``repeats`` times without overlapping itself. Not counting overlaps keeps short
    periodic text (a Markdown table rule, a row of dots) from firing early, while a model
    stuck repeating a sentence, or a single token, still trips it. Each token costs O(1).
    """

    __slots__ = (
        "_capacity",
        "_counts",
        "_grams",
        "_hash",
        "_last_counted",
        "_looping",
        "_ngram",
        "_position",
        "_recent",
        "_repeats",
        "_top_power",
    )

    def __init__(self, *, ngram: int = 12, repeats: int = 4, window: int = 600) -> None:
        if ngram < 1 or repeats < 2 or window < ngram:
            raise ValueError(f"bad loop guard shape: {ngram=} {repeats=} {window=}")
        self._ngram = ngram
        self._repeats = repeats
        # How many n-grams lie fully inside the last `window` tokens.
        self._capacity = window - ngram + 1
        self._top_power = pow(_HASH_BASE, ngram - 1, _HASH_MODULUS)
        self._recent: deque[int] = deque()
        self._hash = 0
        self._position = 0
        #: (hash, position, counted) of every n-gram in the window, oldest first.
        self._grams: deque[tuple[int, int, bool]] = deque()
        #: Non-overlapping occurrences per n-gram hash in the window.
        self._counts: dict[int, int] = {}
        #: Position of the latest counted occurrence per hash.
        self._last_counted: dict[int, int] = {}
        #: How many n-grams currently occur `repeats` times or more.
        self._looping = 0

    def reset(self) -> None:
        self._recent.clear()
        self._hash = 0
        self._position = 0
        self._grams.clear()
        self._counts.clear()
        self._last_counted.clear()
        self._looping = 0

    @property
    def looping(self) -> bool:
        return self._looping > 0

    def observe(self, token_id: int) -> bool:
        """Add one reasoning token; True while the window holds a repeated n-gram."""
        value = token_id + 1  # keep 0 distinct from "no token"
        if len(self._recent) == self._ngram:
            oldest = self._recent.popleft()
            self._hash = (self._hash - oldest * self._top_power) % _HASH_MODULUS
        self._hash = (self._hash * _HASH_BASE + value) % _HASH_MODULUS
        self._recent.append(value)
        if len(self._recent) < self._ngram:
            return self._looping > 0

        gram, position = self._hash, self._position
        self._position += 1
        last = self._last_counted.get(gram)
        counted = last is None or position - last >= self._ngram
        if counted:
            self._last_counted[gram] = position
            count = self._counts.get(gram, 0) + 1
            self._counts[gram] = count
            if count == self._repeats:
                self._looping += 1
        self._grams.append((gram, position, counted))
        if len(self._grams) > self._capacity:
            self._forget_oldest()
        return self._looping > 0

    def _forget_oldest(self) -> None:
        gram, _position, counted = self._grams.popleft()
        if not counted:
            return
        count = self._counts[gram] - 1
        if count == self._repeats - 1:
            self._looping -= 1
        if count:
            self._counts[gram] = count
        else:
            # That was the only counted occurrence left, so it was also the latest.
            del self._counts[gram]
            del self._last_counted[gram]
