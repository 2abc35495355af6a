"""The chat store: schema and migrations, branches, streaming saves, crash marks,
search, odd content, and every fault the issue lists (damaged file, newer version,
unusable folder, full disk)."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from app.core import store as store_module
from app.core.chat import SamplingParams, TurnStats
from app.core.errors import DiskFullError, StoreError
from app.core.logsetup import configure_logging
from app.core.paths import AppPaths
from app.core.store import (
    SCHEMA_VERSION,
    ChatStore,
    NewerStoreError,
    NotFoundError,
    auto_title,
    build_provenance,
    clean_text,
    migrate,
    writer_alive,
)


@pytest.fixture
def db_path(isolated_app_dirs: AppPaths) -> Path:
    return isolated_app_dirs.database


@pytest.fixture
def store(db_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open()
    yield chat_store
    chat_store.close()


def _turn(store: ChatStore, conversation_id: str, parent: str | None, q: str, a: str) -> str:
    question = store.add_message(conversation_id, parent, "user", q)
    answer = store.add_message(conversation_id, question.id, "assistant", a)
    return answer.id


def _schema(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
    finally:
        conn.close()
    # ALTER TABLE ADD COLUMN writes the columns into the same CREATE TABLE text, but
    # spacing may differ; compare the words.
    return [(t, n, " ".join(s.replace("(", " ( ").replace(",", " , ").split())) for t, n, s in rows]


# --- Files, schema, migrations ---------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_data_dir_and_database_files_are_private(store: ChatStore, db_path: Path) -> None:
    conversation = store.create_conversation("private")
    store.add_message(conversation.id, None, "user", "hello")
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    files = [db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))]
    present = [f for f in files if f.exists()]
    assert db_path.with_name(db_path.name + "-wal") in present
    for path in present:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_fresh_store_uses_wal_foreign_keys_and_current_version(store: ChatStore) -> None:
    conn = store.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("start_version", range(SCHEMA_VERSION))
def test_migrating_from_every_earlier_version_gives_the_fresh_schema(
    tmp_path: Path, start_version: int
) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    ChatStore.open(fresh).close()
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, target=start_version)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == start_version
    conn.close()
    ChatStore.open(old).close()
    assert _schema(old) == _schema(fresh)


def test_v1_data_survives_migration_and_becomes_searchable(db_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, target=1)
    now = time.time()
    conn.execute(
        "INSERT INTO conversations (id, title, created, updated) VALUES ('c1', '旧对话', ?, ?)",
        (now, now),
    )
    rows = [
        ("m1", None, "user", "鸡兔同笼怎么解", "", "complete", now),
        ("m2", "m1", "assistant", "设鸡有x只", "先列方程", "complete", now + 1),
        ("m3", "m1", "assistant", "half an answ", "", "streaming", now + 2),
    ]
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, "
        "state, created, updated) VALUES (?, 'c1', ?, ?, ?, ?, ?, ?, ?)",
        [(*r, r[-1]) for r in rows],
    )
    conn.close()

    with ChatStore.open() as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # v1 had no writer columns: an answer left streaming has no living writer.
        assert store.report.interrupted_marked == 1
        assert store.get_message("m3").state == "interrupted"
        [summary] = store.list_conversations()
        assert (summary.title, summary.message_count) == ("旧对话", 3)
        assert [m.id for m in store.active_path("c1")] == ["m1", "m3"]
        assert store.siblings("m2").count == 2
        assert {h.message_id for h in store.search("兔同笼")} == {"m1"}
        assert [h.message_id for h in store.search("列方程")] == ["m2"]
        assert [h.message_id for h in store.search("half an")] == ["m3"]
        assert [h.conversation_id for h in store.search("旧对话")] == ["c1"]


# --- Conversations ---------------------------------------------------------------------


def test_conversation_lifecycle_and_sidebar_order(store: ChatStore) -> None:
    first = store.create_conversation("first")
    second = store.create_conversation("second")
    third = store.create_conversation("third", settings={"system_prompt": "be brief"})
    store.add_message(first.id, None, "user", "bump first")
    assert [s.title for s in store.list_conversations()] == ["first", "third", "second"]
    store.set_pinned(second.id, True)
    listed = store.list_conversations()
    assert [s.title for s in listed] == ["second", "first", "third"]
    assert listed[0].pinned and listed[1].message_count == 1
    store.rename(third.id, "  renamed  ")
    assert store.get_conversation(third.id).title == "renamed"
    assert store.conversation_settings(third.id) == {"system_prompt": "be brief"}
    store.set_conversation_settings(third.id, {"sampling": {"temperature": 0.3}})
    assert store.conversation_settings(third.id) == {"sampling": {"temperature": 0.3}}

    store.delete_conversation(first.id)
    assert first.id not in {s.id for s in store.list_conversations()}
    with pytest.raises(NotFoundError):
        store.get_conversation(first.id)
    store.restore_conversation(first.id)
    assert store.get_conversation(first.id).message_count == 1
    store.delete_conversation(first.id)
    assert store.purge_deleted() == 1
    assert not store.conversation_exists(first.id)
    assert store.count_messages() == 0
    with pytest.raises(NotFoundError):
        store.restore_conversation(first.id)


def test_deleted_conversations_are_purged_on_open_after_the_undo_window(
    store: ChatStore, db_path: Path
) -> None:
    recent = store.create_conversation("recent")
    old = store.create_conversation("old")
    store.delete_conversation(recent.id)
    store.delete_conversation(old.id)
    long_ago = time.time() - store_module.PURGE_AFTER_S - 5
    store.connection.execute(
        "UPDATE conversations SET deleted_at = ? WHERE id = ?", (long_ago, old.id)
    )
    with ChatStore.open(db_path) as again:
        assert again.conversation_exists(recent.id)
        assert not again.conversation_exists(old.id)


def test_auto_title_comes_from_the_first_question(store: ChatStore) -> None:
    conversation = store.create_conversation()
    long_question = "  How   do I   sort a list of dictionaries by a key in Python quickly?\nmore"
    store.add_message(conversation.id, None, "user", long_question)
    title = store.get_conversation(conversation.id).title
    assert title.startswith("How do I sort a list") and title.endswith("…")
    assert len(title) == store_module.TITLE_LENGTH
    store.add_message(conversation.id, None, "user", "second question")
    assert store.get_conversation(conversation.id).title == title
    named = store.create_conversation("Mine")
    store.add_message(named.id, None, "user", "question")
    assert store.get_conversation(named.id).title == "Mine"
    assert auto_title("\n\n  鸡兔同笼  \n第二行") == "鸡兔同笼"
    assert auto_title("   \n ") == ""


def test_add_message_checks_conversation_and_parent(store: ChatStore) -> None:
    one = store.create_conversation()
    other = store.create_conversation()
    foreign = store.add_message(other.id, None, "user", "elsewhere")
    with pytest.raises(NotFoundError):
        store.add_message(one.id, foreign.id, "user", "wrong parent")
    with pytest.raises(NotFoundError):
        store.add_message("no-such-id", None, "user", "x")
    with pytest.raises(ValueError, match="role"):
        store.add_message(one.id, None, "robot", "x")  # type: ignore[arg-type]
    assert store.count_messages(one.id) == 0


# --- Branches --------------------------------------------------------------------------


def test_regenerate_keeps_the_old_answer_as_an_alternative(store: ChatStore) -> None:
    conversation = store.create_conversation()
    question = store.add_message(conversation.id, None, "user", "Q1")
    first = store.add_message(conversation.id, question.id, "assistant", "A1")
    second = store.add_message(conversation.id, question.id, "assistant", "A1 again")
    assert [m.content for m in store.active_path(conversation.id)] == ["Q1", "A1 again"]
    siblings = store.siblings(second.id)
    assert (siblings.index, siblings.count, siblings.ids) == (1, 2, (first.id, second.id))
    assert store.siblings(first.id).index == 0
    path = store.switch_branch(first.id)
    assert [m.content for m in path] == ["Q1", "A1"]
    assert store.active_leaf_id(conversation.id) == first.id
    assert [m.id for m in store.active_path(conversation.id)] == [question.id, first.id]


def test_edit_and_resend_branches_and_switching_picks_the_newest_leaf(store: ChatStore) -> None:
    conversation = store.create_conversation()
    a1 = _turn(store, conversation.id, None, "Q1", "A1")
    a2 = _turn(store, conversation.id, a1, "Q2", "A2")
    a3 = _turn(store, conversation.id, a2, "Q3", "A3")
    q2 = store.get_message(a2).parent_id
    assert q2 is not None
    # Edit Q2: a sibling of Q2 under A1, with its own answer.
    edited = store.add_message(conversation.id, a1, "user", "Q2 edited")
    store.add_message(conversation.id, edited.id, "assistant", "A2'")
    assert [m.content for m in store.active_path(conversation.id)] == [
        "Q1",
        "A1",
        "Q2 edited",
        "A2'",
    ]
    sibs = store.siblings(edited.id)
    assert (sibs.index, sibs.count) == (1, 2) and sibs.ids[0] == q2
    # Back to the original Q2: the newest leaf under it is A3 (the whole old branch).
    path = store.switch_branch(q2)
    assert [m.content for m in path] == ["Q1", "A1", "Q2", "A2", "Q3", "A3"]
    assert path[-1].id == a3
    assert [m.content for m in store.path_to(a2)] == ["Q1", "A1", "Q2", "A2"]
    # Editing the very first question makes a second root.
    root_edit = store.add_message(conversation.id, None, "user", "Q1 edited")
    assert store.siblings(root_edit.id).count == 2
    assert store.count_messages(conversation.id) == 9


def test_deleting_a_message_removes_its_replies_and_shows_the_alternative(
    store: ChatStore,
) -> None:
    conversation = store.create_conversation()
    question = store.add_message(conversation.id, None, "user", "Q")
    old = store.add_message(conversation.id, question.id, "assistant", "old")
    new = store.add_message(conversation.id, question.id, "assistant", "new")
    _turn(store, conversation.id, new.id, "follow-up", "reply")
    assert store.delete_message(new.id) == 3
    assert [m.id for m in store.active_path(conversation.id)] == [question.id, old.id]
    assert store.get_conversation(conversation.id).message_count == 2
    assert store.search("follow-up") == []
    assert store.delete_message(question.id) == 2
    assert store.active_path(conversation.id) == []
    with pytest.raises(NotFoundError):
        store.get_message(old.id)


# --- Streaming, finishing, provenance --------------------------------------------------


def test_streaming_answer_is_saved_then_finished_with_provenance(store: ChatStore) -> None:
    conversation = store.create_conversation()
    question, answer = store.start_turn(conversation.id, None, "Count to three")
    assert (question.role, answer.role, answer.state) == ("user", "assistant", "streaming")
    assert answer.parent_id == question.id
    assert store.save_streaming(answer.id, "one, two", "counting")
    saved = store.get_message(answer.id)
    assert (saved.content, saved.reasoning, saved.state) == ("one, two", "counting", "streaming")

    class Info:
        path = Path(__file__)
        file_name = "tiny.gguf"
        size_bytes = 1234
        quant = "Q4_K_M"
        name = "Tiny"

    stats = TurnStats(
        prompt_tokens=12, generated_tokens=5, ttft_ms=40.0, tokens_per_s=25.0, seed=77
    )
    provenance = build_provenance(
        Info(), SamplingParams(temperature=0.6, seed=None), stats, finish_reason="stop"
    )
    done = store.finish_message(
        answer.id, content="one, two, three", reasoning="counting", provenance=provenance
    )
    assert done.state == "complete"
    assert store.save_streaming(answer.id, "late", "") is False
    stored = store.get_message(answer.id).provenance
    assert stored["model"]["file"] == "tiny.gguf" and stored["model"]["quant"] == "Q4_K_M"
    assert stored["model"]["fingerprint"].startswith("fp1:")
    assert stored["sampling"]["seed"] == 77 and stored["sampling"]["temperature"] == 0.6
    assert stored["stats"]["generated_tokens"] == 5 and stored["stats"]["ttft_ms"] == 40.0
    assert stored["finish_reason"] == "stop"
    with pytest.raises(ValueError):
        store.finish_message(answer.id, content="", reasoning="", state="streaming")


def test_a_streaming_answer_becomes_searchable_when_it_stops(store: ChatStore) -> None:
    conversation = store.create_conversation("t")
    _, answer = store.start_turn(conversation.id, None, "q")
    store.save_streaming(answer.id, "zebra crossing", "")
    # Saving a growing answer must not re-index it every second: it is not indexed yet.
    assert store.search("zebra") == []
    store.finish_message(answer.id, content="zebra crossing", reasoning="", state="interrupted")
    assert [h.message_id for h in store.search("zebra")] == [answer.id]
    store.resume_streaming(answer.id)
    assert store.get_message(answer.id).state == "streaming"
    store.finish_message(answer.id, content="zebra crossing done", reasoning="")
    assert [h.snippet for h in store.search("zebra")] == ["zebra crossing done"]


def test_provenance_is_plain_json(store: ChatStore) -> None:
    conversation = store.create_conversation()
    message = store.add_message(
        conversation.id,
        None,
        "assistant",
        "x",
        provenance={"speed": float("nan"), "big": float("inf"), "err": "bad \ud800 text"},
    )
    assert dict(store.get_message(message.id).provenance) == {
        "speed": None,
        "big": None,
        "err": "bad \ufffd text",
    }


# --- Crash marks (liveness) ------------------------------------------------------------


def _dead_child_identity() -> tuple[int, float]:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    started = psutil.Process(child.pid).create_time()
    assert child.stdin is not None
    child.stdin.close()
    child.wait(timeout=30)
    return child.pid, started


def test_reopening_marks_only_streams_of_ended_processes_interrupted(
    store: ChatStore, db_path: Path
) -> None:
    conversation = store.create_conversation()
    _, live = store.start_turn(conversation.id, None, "live")
    _, dead = store.start_turn(conversation.id, None, "dead")
    _, reused = store.start_turn(conversation.id, None, "pid reused")
    pid, started = _dead_child_identity()
    conn = store.connection
    conn.execute(
        "UPDATE messages SET writer_pid = ?, writer_started = ? WHERE id = ?",
        (pid, started, dead.id),
    )
    # Our own pid, but a start time from long ago: the pid was reused by this process.
    conn.execute(
        "UPDATE messages SET writer_started = writer_started - 3600 WHERE id = ?", (reused.id,)
    )
    with ChatStore.open(db_path) as second:
        assert second.report.interrupted_marked == 2
        assert "interrupted" in second.report.message
        assert second.get_message(live.id).state == "streaming"
        assert second.get_message(dead.id).state == "interrupted"
        assert second.get_message(reused.id).state == "interrupted"
    # The live stream keeps saving normally.
    assert store.save_streaming(live.id, "still going", "")


def test_writer_alive_checks_pid_and_start_time() -> None:
    me = psutil.Process()
    assert writer_alive(os.getpid(), me.create_time())
    assert not writer_alive(os.getpid(), me.create_time() - 100)
    assert not writer_alive(None, None)
    pid, started = _dead_child_identity()
    assert not writer_alive(pid, started)


def test_a_killed_but_unreaped_child_counts_as_dead() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    process = psutil.Process(child.pid)
    started = process.create_time()
    assert writer_alive(child.pid, started)
    child.kill()
    # Poll (without reaping) until the kernel reports the zombie.
    # Poll (without reaping) until the kernel reports the zombie.
    deadline = time.monotonic() + 10
    pause = threading.Event()
    while process.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        pause.wait(0.01)
    assert not writer_alive(child.pid, started)
    child.wait(timeout=10)


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
    monkeypatch.setattr(store_module, "MAX_SHORT_TERM_EXPANSION", expansion)
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


# --- Odd content -----------------------------------------------------------------------


def test_huge_and_odd_content_round_trips(store: ChatStore, db_path: Path) -> None:
    conversation = store.create_conversation()
    samples = {
        "huge": "长" * 300_000 + "x" * 400_000,  # about 1.3 MB of UTF-8
        "control": "bell\x07 nul\x00 esc\x1b[31m tab\t cr\r\n del\x7f",
        "rtl": "مرحبا بالعالم שלום עולם \u202eevil\u202c",
        "emoji": "👩‍👩‍👧‍👦 🔥 🇨🇳 e\u0301",
    }
    ids = {
        name: store.add_message(conversation.id, None, "user", text, reasoning=text[:50]).id
        for name, text in samples.items()
    }
    with ChatStore.open(db_path) as again:
        for name, text in samples.items():
            message = again.get_message(ids[name])
            assert (message.content, message.reasoning) == (text, text[:50]), name
        assert len(again.search("🔥")) == 1
        assert len(again.search("שלום")) == 1


def test_lone_surrogates_are_replaced_and_split_pairs_joined(store: ChatStore) -> None:
    conversation = store.create_conversation("bad \udc80 title")
    message = store.add_message(conversation.id, None, "user", "a\ud800b \ud83d\ude00", "\udfff")
    stored = store.get_message(message.id)
    assert stored.content == "a\ufffdb 😀"
    assert stored.reasoning == "\ufffd"
    assert store.get_conversation(conversation.id).title == "bad \ufffd title"
    store.save_streaming(message.id, "\ud800", "")  # not streaming: ignored, but no crash
    assert clean_text("plain") == "plain"


# --- Faults ----------------------------------------------------------------------------


def _fill(store: ChatStore, conversations: int, turns: int) -> int:
    for c in range(conversations):
        conversation = store.create_conversation(f"chat {c}")
        parent: str | None = None
        for t in range(turns):
            parent = _turn(
                store, conversation.id, parent, f"question {c}.{t} " * 20, f"answer {c}.{t} " * 40
            )
    return conversations * turns * 2


def test_garbage_database_is_moved_aside_and_a_fresh_store_starts(db_path: Path) -> None:
    garbage = os.urandom(64 * 1024)
    db_path.write_bytes(garbage)
    with ChatStore.open() as store:
        report = store.report
        assert report.recovered_from is not None
        assert report.recovered_from.read_bytes() == garbage
        assert report.recovered_from.name.startswith("chats.sqlite3.corrupt-")
        assert report.recovered_messages == 0
        assert "damaged" in report.message and str(report.recovered_from) in report.message
        conversation = store.create_conversation("works again")
        store.add_message(conversation.id, None, "user", "hello")
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(
    "with_cli",
    [
        pytest.param(
            True,
            id="sqlite3-recover",
            marks=pytest.mark.skipif(
                shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed"
            ),
        ),
        pytest.param(False, id="row-by-row"),
    ],
)
def test_truncated_database_is_kept_and_readable_rows_recovered(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, with_cli: bool
) -> None:
    if not with_cli:
        monkeypatch.setattr(shutil, "which", lambda _name: None)
    with ChatStore.open() as store:
        total = _fill(store, 12, 10)
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    with ChatStore.open() as store:
        report = store.report
        assert report.recovered_from is not None
        assert report.recovered_from.read_bytes() == data[: len(data) // 2]
        assert 0 < report.recovered_messages < total
        assert store.count_messages() == report.recovered_messages
        assert f"{report.recovered_messages} messages" in report.message
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for summary in store.list_conversations():
            store.active_path(summary.id)  # every recovered tree is walkable


def _damage_page_holding(db: Path, needle: bytes) -> None:
    """Overwrite the page that stores ``needle`` with garbage (the store must be closed)."""
    data = bytearray(db.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    offset = data.index(needle)
    start = offset - offset % page_size
    data[start : start + page_size] = b"\xff" * page_size
    db.write_bytes(bytes(data))


def test_a_damaged_page_is_found_on_open_and_the_rest_recovered(db_path: Path) -> None:
    with ChatStore.open() as store:
        total = _fill(store, 6, 6)
        conversation = store.create_conversation("victim")
        store.add_message(conversation.id, None, "user", "NEEDLE-PAGE " * 30)
    _damage_page_holding(db_path, b"NEEDLE-PAGE")
    with ChatStore.open() as store:
        report = store.report
        assert report.recovered_from is not None
        assert total - 10 <= report.recovered_messages <= total
        assert store.search("NEEDLE-PAGE") == []
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_damage_met_later_is_repaired_on_the_next_open(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As for a big store: no full check on open, so the damage is met while reading.
    monkeypatch.setattr(store_module, "FULL_CHECK_MAX_BYTES", 0)
    with ChatStore.open() as store:
        conversation = store.create_conversation("victim")
        message = store.add_message(conversation.id, None, "user", "NEEDLE-LATE " * 30)
        _fill(store, 3, 3)
    _damage_page_holding(db_path, b"NEEDLE-LATE")
    with ChatStore.open() as store:
        assert store.report.recovered_from is None
        with pytest.raises(store_module.StoreCorruptError) as raised:
            store.messages(conversation.id)
        assert "Restart Hearth" in str(raised.value)
    with ChatStore.open() as store:
        assert store.report.recovered_from is not None
        assert 0 < store.report.recovered_messages < 19  # one page of messages is lost
        with pytest.raises(NotFoundError):
            store.get_message(message.id)


def test_a_database_from_a_newer_hearth_is_refused_read_write(
    store: ChatStore, db_path: Path
) -> None:
    conversation = store.create_conversation("from the future")
    store.connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    store.close()
    before = db_path.read_bytes()
    with pytest.raises(NewerStoreError) as raised:
        ChatStore.open()
    assert db_path.read_bytes() == before
    assert str(db_path) in str(raised.value) and "newer version" in str(raised.value)
    with ChatStore.open(read_only=True) as reader:
        assert reader.get_conversation(conversation.id).title == "from the future"
        with pytest.raises(StoreError, match="read-only"):
            reader.create_conversation()
    assert db_path.exists()


def test_a_data_directory_that_cannot_exist_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as raised:
        ChatStore.open(blocker / "data" / "chats.sqlite3")
    assert str(blocker / "data") in str(raised.value)


def test_a_read_only_data_directory_is_named(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(StoreError) as raised:
        ChatStore.open()
    assert str(db_path.parent) in str(raised.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores modes")
def test_a_read_only_data_directory_is_named_for_real(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError) as raised:
            ChatStore.open(folder / "chats.sqlite3")
        assert str(folder) in str(raised.value)
    finally:
        folder.chmod(0o700)


def test_a_full_disk_raises_disk_full_and_corrupts_nothing(store: ChatStore) -> None:
    conversation = store.create_conversation("kept")
    kept = store.add_message(conversation.id, None, "user", "saved before the disk filled")
    conn = store.connection
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 20}")  # what a full disk looks like to SQLite
    with pytest.raises(DiskFullError) as raised:
        store.add_message(conversation.id, kept.id, "user", "x" * 200_000)
    assert "disk is full" in str(raised.value)
    _, answer = store.start_turn(conversation.id, kept.id, "small")
    with pytest.raises(DiskFullError):
        store.save_streaming(answer.id, "y" * 200_000, "")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.get_message(kept.id).content == "saved before the disk filled"
    assert store.get_message(answer.id).content == ""
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.save_streaming(answer.id, "y" * 200_000, "")


def test_two_stores_on_one_file_see_each_others_writes(store: ChatStore, db_path: Path) -> None:
    with ChatStore.open(db_path) as other:
        conversation = other.create_conversation("from the CLI")
        other.add_message(conversation.id, None, "user", "hi")
    assert store.get_conversation(conversation.id).message_count == 1


def test_logs_hold_no_chat_text(
    store: ChatStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log_file = configure_logging(tmp_path / "logs", debug=False, to_stderr=False)
    secret = "SECRET-PLUM-42 秘密"
    try:
        caplog.set_level(logging.DEBUG)
        conversation = store.create_conversation()
        question, answer = store.start_turn(conversation.id, None, secret)
        store.save_streaming(answer.id, secret, secret)
        store.finish_message(answer.id, content=secret, reasoning=secret)
        store.search(secret)
        store.delete_message(question.id)
        with pytest.raises(NotFoundError):
            store.get_message(answer.id)
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if getattr(h, "_hearth", False)]:
            root.removeHandler(handler)
            handler.close()
    assert caplog.records  # the store does log; just never the text
    assert "SECRET-PLUM" not in caplog.text and "秘密" not in caplog.text
    assert "SECRET-PLUM" not in log_file.read_text(encoding="utf-8")
