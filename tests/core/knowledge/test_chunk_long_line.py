"""A huge line with no sentence ends (a minified file, a hostile text) is cut in one pass:
the cut is the same as re-estimating every prefix, but linear, not quadratic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.knowledge.chunk import MAX_TOKENS, _hard_cut, chunk_text, estimate_tokens
from app.core.knowledge.extract import is_cjk


def reference_estimate(text: str) -> int:
    """The estimate as a plain loop over characters (what the fast one must equal)."""
    cjk = 0
    other = 0.0
    for char in text:
        if is_cjk(char):
            cjk += 1
        else:
            other += 0.25 if char.isspace() else 1.0
    return int(cjk + other / 3.5) + 1


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300)
    | st.text(alphabet=st.sampled_from("a b\t\n\u3000\u00a0\u2028合同。ア가！x"), max_size=300)
)
def test_the_fast_estimate_equals_the_character_loop(text: str) -> None:
    assert estimate_tokens(text) == reference_estimate(text)


def reference_cut(text: str, max_tokens: int) -> int:
    """The longest prefix within ``max_tokens``, by re-estimating prefixes (the old way)."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if estimate_tokens(text[:mid]) <= max_tokens:
            low = mid
        else:
            high = mid - 1
    return max(1, low)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab c\t\n合同条款。.!"), min_size=1, max_size=400),
    st.integers(min_value=1, max_value=60),
)
def test_the_one_pass_cut_is_the_longest_prefix_that_fits(text: str, max_tokens: int) -> None:
    assert _hard_cut(text, max_tokens) == reference_cut(text, max_tokens)


def test_a_megabyte_line_is_chunked_whole_and_within_the_ceiling() -> None:
    text = "word " * 200_000 + "合同" * 50_000  # 1.1 MB, not one sentence end
    chunks = chunk_text(text)
    assert len(chunks) > 100
    assert all(estimate_tokens(c.text) <= MAX_TOKENS for c in chunks)
    joined = "".join(c.text for c in chunks).replace(" ", "")
    assert joined == text.replace(" ", "")
