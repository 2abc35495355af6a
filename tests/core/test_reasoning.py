"""The reasoning/answer splitter and the loop guard, driven by scripted token streams."""

from __future__ import annotations

import random
import re

import pytest

from app.core.chat import AnswerDelta, ReasoningClosed, ReasoningDelta
from app.core.reasoning import LoopGuard, ReasoningSplitter, SplitEvent

# R1-style reasoning: it restates the question, rechecks, and says "Wait" and "Let me
# check" often, as the 1.5B model does, but it is not stuck in a loop.
REALISTIC_REASONING = """\
Okay, so I have this problem here: there are chickens and rabbits in a cage, 35 heads and 94
legs in total. I need to find how many chickens and how many rabbits there are. Hmm, let me
think about how to approach this.

First, every animal has exactly one head, so the number of chickens plus the number of rabbits
is 35. Let me call the number of chickens x and the number of rabbits y. So x + y = 35.

Now the legs. A chicken has 2 legs and a rabbit has 4 legs. So 2x + 4y = 94. Wait, let me
check that. Yes, chickens have two legs and rabbits have four, so 2x + 4y = 94.

I can simplify the second equation by dividing both sides by 2, which gives x + 2y = 47.
Now I subtract the first equation from this one: (x + 2y) - (x + y) = 47 - 35, so y = 12.

Then x = 35 - 12 = 23. So there are 23 chickens and 12 rabbits. Let me verify. Heads: 23 + 12
= 35, which matches. Legs: 23 times 2 is 46, and 12 times 4 is 48, and 46 + 48 = 94. That
matches too.

Wait, maybe I should also try the classic way, without algebra, to double-check. Suppose all
35 animals were chickens. Then there would be 70 legs. But we have 94 legs, which is 24 more.
Each rabbit has 2 more legs than a chicken, so the number of rabbits is 24 divided by 2, which
is 12. Then the chickens are 35 - 12 = 23. Same answer, good.

Alternatively, suppose all 35 were rabbits: 140 legs, which is 46 too many. Each chicken
has 2 fewer legs, so there are 46 / 2 = 23 chickens. Again 23 chickens and 12 rabbits.

Let me check the arithmetic one more time, because it is easy to slip. 35 times 2 is 70, and
94 minus 70 is 24, and 24 over 2 is 12 rabbits. 35 minus 12 is 23 chickens. And 23 times 2
plus 12 times 4 is 46 plus 48, which is 94. Everything is consistent.

So the answer should be 23 chickens and 12 rabbits. I think I should present both the
equation method and the assumption method, since the question might come from a textbook that
expects the traditional approach. I will write x + y = 35 and 2x + 4y = 94, solve it, and then
mention the shortcut of assuming all the animals are chickens.

Hmm, but wait. The question is written in Chinese, 鸡兔同笼, so maybe the user wants the answer
in Chinese as well. I could write: 鸡有23只，兔有12只. Let me make sure the numbers are still
right in that form: 23 + 12 = 35 heads, and 23 × 2 + 12 × 4 = 46 + 48 = 94 legs. Yes.

One more thought: could there be a negative or fractional solution hiding somewhere? No, the
system has exactly one solution, x = 23 and y = 12, and both are whole positive numbers, so the
situation is physically possible. If the legs had been an odd number, like 93, there would be
no solution at all, since every animal contributes an even number of legs.

Okay, I am confident. Final answer: 23 chickens and 12 rabbits.
"""

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")


def tokenize(text: str) -> list[str]:
    """A stand-in BPE: words and punctuation carrying their leading whitespace."""
    return _TOKEN.findall(text)


def token_ids(pieces: list[str], vocab: dict[str, int] | None = None) -> list[int]:
    vocab = {} if vocab is None else vocab
    return [vocab.setdefault(piece, len(vocab)) for piece in pieces]


def run(splitter: ReasoningSplitter, pieces: list[str]) -> list[SplitEvent]:
    events: list[SplitEvent] = []
    for piece in pieces:
        events += splitter.feed(piece)
    events += splitter.flush()
    return events


def texts(events: list[SplitEvent]) -> tuple[str, str, list[str]]:
    """(reasoning, answer, close reasons) and a check that the order is sane."""
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    closes: list[str] = [e.reason for e in events if isinstance(e, ReasoningClosed)]
    kinds = [type(e).__name__ for e in events]
    if "ReasoningClosed" in kinds:
        close_at = kinds.index("ReasoningClosed")
        assert "AnswerDelta" not in kinds[:close_at]
        assert "ReasoningDelta" not in kinds[close_at:]
    for event in events:
        if isinstance(event, ReasoningDelta | AnswerDelta):
            assert event.text, "empty deltas must not be emitted"
    return reasoning, answer, closes


# --- ReasoningSplitter -----------------------------------------------------------------

R1_STREAM = "Let me see: 2 < 3 and 4 > 1.\n</think>\n\nIt is **4**."
R1_REASONING = "Let me see: 2 < 3 and 4 > 1."
R1_ANSWER = "It is **4**."
SPLIT_CASES = [
    (prefix, cut) for prefix in ("", "<think>\n") for cut in range(len(prefix + R1_STREAM) + 1)
]


@pytest.mark.parametrize(("prefix", "cut"), SPLIT_CASES)
def test_tags_split_at_every_position(prefix: str, cut: int) -> None:
    stream = prefix + R1_STREAM
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    events = run(splitter, [stream[:cut], stream[cut:]])
    assert texts(events) == (R1_REASONING, R1_ANSWER, ["model"])
    assert not splitter.in_reasoning


@pytest.mark.parametrize("prefix", ["", "<think>\n", "\n<think>\n\n"])
def test_one_character_at_a_time(prefix: str) -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    events = run(splitter, list(prefix + R1_STREAM))
    assert texts(events) == (R1_REASONING, R1_ANSWER, ["model"])


def test_realistic_r1_stream_token_by_token() -> None:
    answer = "There are **23 chickens** and **12 rabbits**.\n\n$$x + y = 35$$"
    pieces = [*tokenize(REALISTIC_REASONING), "</think>", "\n\n", *tokenize(answer)]
    events = run(ReasoningSplitter(starts_in_reasoning=True), pieces)
    assert texts(events) == (REALISTIC_REASONING.strip(), answer, ["model"])


def test_model_writes_its_own_opening_tag_after_the_prompt_opened_it() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("<") == []
    assert splitter.feed("think") == []
    assert splitter.feed(">\n") == []
    assert splitter.feed("Hmm") == [ReasoningDelta("Hmm")]
    assert splitter.in_reasoning


def test_text_that_is_no_tag_is_held_only_while_it_could_be_one() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("abc</thi") == [ReasoningDelta("abc")]
    assert splitter.feed("nk>") == [ReasoningClosed("model")]

    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("if a <") == [ReasoningDelta("if a")]
    assert splitter.feed("/") == []
    assert splitter.feed("b") == [ReasoningDelta(" </b")]
    assert splitter.feed(" then") == [ReasoningDelta(" then")]


def test_a_model_that_never_thinks_streams_answer_at_once() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=False)
    assert splitter.feed("Hello") == [AnswerDelta("Hello")]
    assert splitter.feed(" <b>world</b>") == [AnswerDelta(" <b>world</b>")]
    # After the start, tags are plain text.
    assert splitter.feed(" <think>") == [AnswerDelta(" <think>")]
    assert splitter.feed("</think>") == [AnswerDelta("</think>")]
    assert not splitter.in_reasoning
    assert splitter.flush() == []


def test_a_non_r1_answer_may_start_with_markup() -> None:
    events = run(ReasoningSplitter(starts_in_reasoning=False), ["<", "b>Bold</b>"])
    assert texts(events) == ("", "<b>Bold</b>", [])


def test_a_non_r1_model_that_opens_think_itself() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=False)
    assert not splitter.in_reasoning
    assert splitter.feed("\n") == []
    assert splitter.feed("<think>") == []
    assert splitter.in_reasoning
    events = run(splitter, ["\n", "Hmm", ".", "</think>", "\n\n", "Hi"])
    assert texts(events) == ("Hmm.", "Hi", ["model"])


def test_close_tag_as_a_single_token() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("Okay") == [ReasoningDelta("Okay")]
    assert splitter.feed(" so") == [ReasoningDelta(" so")]
    assert splitter.feed("\n") == []  # held: whitespace before "</think>" is dropped
    assert splitter.feed("</think>") == [ReasoningClosed("model")]
    assert splitter.feed("\n\n") == []
    assert splitter.feed("Answer") == [AnswerDelta("Answer")]


def test_empty_reasoning() -> None:
    events = run(ReasoningSplitter(starts_in_reasoning=True), ["\n\n", "</think>", "\n\n", "Hi"])
    assert events == [ReasoningClosed("model"), AnswerDelta("Hi")]


def test_answer_after_close_loses_leading_blank_lines_only() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("x</think>\n \n\n    code") == [
        ReasoningDelta("x"),
        ReasoningClosed("model"),
        AnswerDelta("    code"),
    ]
    assert splitter.feed("\n\nmore") == [AnswerDelta("\n\nmore")]


def test_flush_emits_held_text() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("reason </th") == [ReasoningDelta("reason")]
    assert splitter.flush() == [ReasoningDelta(" </th")]
    assert splitter.flush() == []

    opening = ReasoningSplitter(starts_in_reasoning=False)
    assert opening.feed("<thi") == []
    assert opening.flush() == [AnswerDelta("<thi")]

    trailing_space = ReasoningSplitter(starts_in_reasoning=True)
    assert trailing_space.feed("done\n\n") == [ReasoningDelta("done")]
    assert trailing_space.flush() == []


def test_close_reasoning_forced_by_the_engine() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("thinking hard </t") == [ReasoningDelta("thinking hard")]
    assert splitter.close_reasoning("budget") == [
        ReasoningDelta(" </t"),
        ReasoningClosed("budget"),
    ]
    assert not splitter.in_reasoning
    assert splitter.close_reasoning("budget") == []
    assert splitter.feed("\n\nFinal") == [AnswerDelta("Final")]
    assert splitter.feed(" </think>") == [AnswerDelta(" </think>")]


def test_close_reasoning_before_any_text() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("\n") == []
    assert splitter.close_reasoning("answer_now") == [ReasoningClosed("answer_now")]
    assert splitter.feed("Yes.") == [AnswerDelta("Yes.")]


def test_close_reasoning_when_not_reasoning_does_nothing() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=False)
    assert splitter.close_reasoning("loop") == []
    assert splitter.feed("Hi") == [AnswerDelta("Hi")]


def test_continuing_keeps_the_text_exact() -> None:
    reasoning = ReasoningSplitter(starts_in_reasoning=True, continuing=True)
    assert reasoning.feed("\n\n<think> more") == [ReasoningDelta("\n\n<think> more")]
    assert reasoning.feed("</think>\n\nDone") == [ReasoningClosed("model"), AnswerDelta("Done")]

    answer = ReasoningSplitter(starts_in_reasoning=False, continuing=True)
    assert answer.feed("\n\n- item") == [AnswerDelta("\n\n- item")]


def test_held_text_stays_small() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    for _ in range(10_000):
        splitter.feed("\n")
        splitter.feed(" ")
    splitter.feed("text")
    for _ in range(10_000):
        splitter.feed("  ")
    assert len(splitter._held) <= 256 + len("</think>")


# --- LoopGuard --------------------------------------------------------------------------


def first_alarm(guard: LoopGuard, ids: list[int]) -> int | None:
    for index, token_id in enumerate(ids):
        if guard.observe(token_id):
            return index
    return None


def varied(rng: random.Random, count: int, vocab: int = 30_000) -> list[int]:
    return [rng.randrange(1000, vocab) for _ in range(count)]


def test_loop_guard_fires_when_a_sentence_repeats() -> None:
    rng = random.Random(7)
    sentence = varied(rng, 20)
    ids = varied(rng, 50) + sentence * 10
    # The 4th copy of the sentence's first 12 tokens completes the 4th occurrence.
    assert first_alarm(LoopGuard(), ids) == 50 + 3 * 20 + 12 - 1


def test_loop_guard_fires_on_a_single_repeated_token() -> None:
    # Occurrences may not overlap: 4 x 12 tokens are needed.
    assert first_alarm(LoopGuard(), [42] * 100) == 4 * 12 - 1


def test_loop_guard_ignores_short_periodic_text() -> None:
    table_rule = [7, 8] * 15  # |---|---|... : 30 tokens with period 2
    rng = random.Random(3)
    assert first_alarm(LoopGuard(), varied(rng, 40) + table_rule + varied(rng, 40)) is None


def test_loop_guard_counts_only_the_window() -> None:
    rng = random.Random(11)
    sentence = varied(rng, 20)
    far_apart: list[int] = []
    near: list[int] = []
    for _ in range(4):
        far_apart += sentence + varied(rng, 200)  # 4 copies span 3 * 220 + 12 > 600 tokens
        near += sentence + varied(rng, 150)  # 3 * 170 + 12 < 600 tokens
    assert first_alarm(LoopGuard(), far_apart) is None
    assert first_alarm(LoopGuard(), near) is not None


def test_loop_guard_calms_down_after_the_loop_leaves_the_window() -> None:
    rng = random.Random(5)
    guard = LoopGuard()
    assert first_alarm(guard, varied(rng, 20) * 5) is not None
    assert guard.looping
    results = [guard.observe(t) for t in varied(rng, 600)]
    assert results[-1] is False
    assert not guard.looping


def test_loop_guard_is_quiet_on_a_long_random_stream() -> None:
    rng = random.Random(1234)
    vocab = 5000
    # Zipf-like: a few tokens are very common, as in real text.
    weights = [1.0 / (rank + 1) for rank in range(vocab)]
    ids = rng.choices(range(vocab), weights=weights, k=20_000)
    assert first_alarm(LoopGuard(), ids) is None


def test_loop_guard_is_quiet_on_realistic_reasoning_then_catches_its_loop() -> None:
    vocab: dict[str, int] = {}
    ids = token_ids(tokenize(REALISTIC_REASONING), vocab)
    assert len(ids) > 600  # longer than the window
    guard = LoopGuard()
    assert first_alarm(guard, ids) is None
    stuck = token_ids(tokenize(" Wait, let me check that again. 23 times 2 is 46, right?"), vocab)
    assert first_alarm(guard, stuck * 6) is not None


def test_loop_guard_reset_forgets_everything() -> None:
    rng = random.Random(9)
    sentence = varied(rng, 15)
    guard = LoopGuard()
    first_alarm(guard, sentence * 3)
    guard.reset()
    assert first_alarm(guard, sentence * 3) is None  # 3 copies after reset: not yet a loop
    assert guard.observe(sentence[0]) is False
    assert first_alarm(guard, sentence[1:12]) == 10  # the 4th copy's first 12 tokens


@pytest.mark.parametrize("shape", [{"ngram": 0}, {"repeats": 1}, {"ngram": 12, "window": 11}])
def test_loop_guard_rejects_a_bad_shape(shape: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        LoopGuard(**shape)
