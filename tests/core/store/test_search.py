"""Search: trigram substrings (Chinese too), short words, query syntax, NUL."""

from __future__ import annotations

import pytest

from app.core.store import (
    ChatStore,
)
from app.core.store import search as search_module

# --- Search ----------------------------------------------------------------------------


@pytest.fixture
def searchable(store: ChatStore) -> ChatStore:
    chinese = store.create_conversation("数学题")
    store.add_message(chinese.id, None, "user", "鸡兔同笼，共35个头，94只脚，各有几只？")
    q = store.add_message(chinese.id, None, "user", "快速排序怎么写")
    store.add_message(
        chinese.id,
        q.id,
        "assistant",
        "用分治法：选一个基准 pivot。",
        reasoning="The user wants QuickSort in Python",
    )
    english = store.create_conversation("Syllogisms")
    store.add_message(english.id, None, "user", "If all A are B, and some B are C?")
    store.add_message(english.id, None, "user", '100% sure_thing "quoted" AND * NEAR(x)')
    return store


def test_search_finds_chinese_substrings(searchable: ChatStore) -> None:
    hits = searchable.search("同笼")  # two characters: LIKE fallback
    assert [h.snippet[h.spans[0][0] : h.spans[0][1]] for h in hits] == ["同笼"]
    hits = searchable.search("兔同笼")  # three: trigram index
    assert len(hits) == 1 and hits[0].marked().startswith("鸡«兔同笼»")
    assert hits[0].conversation_title == "数学题" and hits[0].role == "user"
    assert searchable.search("基准")[0].role == "assistant"


def test_short_words_are_found_at_the_end_of_a_text_too(store: ChatStore) -> None:
    conversation = store.create_conversation("t")
    ending = store.add_message(conversation.id, None, "user", "什么是方程")
    store.add_message(conversation.id, None, "user", "another text entirely")
    for query in ("方程", "程", "是方", "ly", "Y"):
        hits = store.search(query)
        assert len(hits) == 1, query
    assert store.search("方程")[0].message_id == ending.id
    assert store.search("方程")[0].marked() == "什么是«方程»"
    assert store.search("zq") == [] and store.search("程是") == []


@pytest.mark.parametrize("expansion", [0, 64], ids=["like-scan", "trigram-prefixes"])
def test_short_words_give_the_same_hits_either_way(
    searchable: ChatStore, monkeypatch: pytest.MonkeyPatch, expansion: int
) -> None:
    monkeypatch.setattr(search_module, "MAX_SHORT_TERM_EXPANSION", expansion)
    for query, count in (("同笼", 1), ("兔", 1), ("基准", 1), ("b", 1), ("_", 1), ("qq", 0)):
        hits = [h for h in searchable.search(query) if h.message_id is not None]
        assert len(hits) == count, query
    assert len(searchable.search("pivot 基准")) == 1
    assert len(searchable.search("AND *")) == 1


def test_search_titles_reasoning_and_case(searchable: ChatStore) -> None:
    title_hits = [h for h in searchable.search("syllog") if h.message_id is None]
    assert [h.conversation_title for h in title_hits] == ["Syllogisms"]
    reasoning = searchable.search("quicksort")
    assert len(reasoning) == 1 and reasoning[0].in_reasoning
    assert reasoning[0].marked() == "The user wants «QuickSort» in Python"
    assert len(searchable.search("数学")) == 1  # a title, via LIKE


def test_search_requires_every_word(searchable: ChatStore) -> None:
    assert len(searchable.search("pivot 基准")) == 1
    assert searchable.search("pivot zebra") == []
    hits = searchable.search('"some B are"')
    assert len(hits) == 1 and hits[0].marked().count("«") == 1


@pytest.mark.parametrize(
    "query", ['"', '""', "AND", "OR NOT", "*", "NEAR(x", "a:b", "-x", "^", "(", "'", "\\", "%", "_"]
)
def test_search_never_fails_on_query_syntax(searchable: ChatStore, query: str) -> None:
    hits = searchable.search(query)
    assert isinstance(hits, list)


def test_search_treats_special_characters_literally(searchable: ChatStore) -> None:
    assert len(searchable.search("100%")) == 1
    assert len(searchable.search("%")) == 1
    assert len(searchable.search("_")) == 1
    assert len(searchable.search("AND *")) == 1
    assert len(searchable.search('"quoted"')) == 1
    assert searchable.search('"') != [] and searchable.search("NEAR(") != []
    assert searchable.search("   ") == []


def test_search_is_newest_first_and_skips_deleted_chats(store: ChatStore) -> None:
    older = store.create_conversation("older")
    store.add_message(older.id, None, "user", "needle one")
    newer = store.create_conversation("newer")
    store.add_message(newer.id, None, "user", "needle two")
    assert [h.conversation_title for h in store.search("needle")] == ["newer", "older"]
    short = [h.conversation_title for h in store.search("ne") if h.message_id is not None]
    assert short == ["newer", "older"]
    store.delete_conversation(newer.id)
    assert [h.conversation_title for h in store.search("needle")] == ["older"]
    assert len(store.search("needle", limit=0)) == 0


def test_search_spans_point_at_the_matches(store: ChatStore) -> None:
    conversation = store.create_conversation()
    text = "x" * 300 + " The CAT sat; the cat ran « » " + "y" * 300
    store.add_message(conversation.id, None, "user", text)
    [hit] = store.search("cat")
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert [hit.snippet[s:e].lower() for s, e in hit.spans] == ["cat", "cat"]
    assert "«CAT»" in hit.marked() and "« »" in hit.marked()


@pytest.mark.parametrize("query", ["\x00", "\x00\x00 \x00", "\ue000\ue001", "\x1b[31m"])
def test_a_query_of_only_control_characters_finds_nothing(
    searchable: ChatStore, query: str
) -> None:
    assert searchable.search(query) == []


def test_a_nul_in_a_query_separates_words(searchable: ChatStore) -> None:
    # FTS5 and LIKE stop reading at a NUL: unhandled, "Quick\x00Sort" was an SQL error and
    # "%\x00%" matched every message. Now it is two words, both required.
    assert searchable.search("Quick\x00Sort") == searchable.search("Quick Sort")
    assert {h.snippet for h in searchable.search("Quick\x00Sort")} == {
        "The user wants QuickSort in Python"
    }
    assert searchable.search("pivot\x00zzzz") == []
    assert len(searchable.search("鸡兔\x00同笼")) == 1


def test_a_huge_query_is_cut_not_refused(searchable: ChatStore) -> None:
    assert searchable.search("pivot " + "x" * 1_000_000) == []
    assert len(searchable.search("pivot" + " pivot" * 10_000)) == 1
