"""Conversations, messages, branches, streaming saves, crash marks and odd content."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from app.core import store as store_module
from app.core.chat import END_STATES, SamplingParams, TurnStats
from app.core.errors import StoreError
from app.core.store import (
    MAX_TITLE_CHARS,
    ChatStore,
    NotFoundError,
    auto_title,
    build_provenance,
    clean_text,
    writer_alive,
)
from app.core.store import writes as writes_module
from tests.core.store.support import turn

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
    a1 = turn(store, conversation.id, None, "Q1", "A1")
    a2 = turn(store, conversation.id, a1, "Q2", "A2")
    a3 = turn(store, conversation.id, a2, "Q3", "A3")
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
    turn(store, conversation.id, new.id, "follow-up", "reply")
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
    assert done.state == "finished"
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


# --- Odd content -----------------------------------------------------------------------


def test_huge_and_odd_content_round_trips(store: ChatStore, db_path: Path) -> None:
    conversation = store.create_conversation()
    samples = {
        "huge": "长" * 300_000 + "x" * 400_000,  # about 1.3 MB of UTF-8
        "control": "bell\x07 esc\x1b[31m tab\t cr\r\n del\x7f",
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


# --- End states and limits -------------------------------------------------------------


@pytest.mark.parametrize("state", END_STATES)
def test_finish_message_stores_every_end_state_unchanged(store: ChatStore, state: str) -> None:
    conversation = store.create_conversation()
    _, answer = store.start_turn(conversation.id, None, "q")
    done = store.finish_message(answer.id, content="a", reasoning="", state=state)  # type: ignore[arg-type]
    assert done.state == state == store.get_message(answer.id).state


@pytest.mark.parametrize(
    ("old", "reason", "new"),
    [
        ("complete", "stop", "finished"),
        ("complete", "length", "length"),
        ("complete", "context_full", "length"),
        ("interrupted", "cancelled", "stopped"),
        ("interrupted", "", "interrupted"),
        ("error", "error", "failed"),
    ],
)
def test_old_state_names_of_callers_are_translated(
    store: ChatStore, old: str, reason: str, new: str
) -> None:
    conversation = store.create_conversation()
    _, answer = store.start_turn(conversation.id, None, "q")
    provenance = {"finish_reason": reason} if reason else None
    done = store.finish_message(
        answer.id,
        content="a",
        reasoning="",
        state=old,  # type: ignore[arg-type]
        provenance=provenance,
    )
    assert done.state == new


def test_unknown_or_streaming_end_states_are_refused(store: ChatStore) -> None:
    conversation = store.create_conversation()
    _, answer = store.start_turn(conversation.id, None, "q")
    for state in ("streaming", "done", ""):
        with pytest.raises(ValueError):
            store.finish_message(answer.id, content="", reasoning="", state=state)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.add_message(conversation.id, None, "user", "x", state="bogus")  # type: ignore[arg-type]
    assert store.get_message(answer.id).state == "streaming"


def test_nul_is_stored_as_a_replacement_character_and_text_after_it_is_found(
    store: ChatStore,
) -> None:
    conversation = store.create_conversation("a\x00b")
    message = store.add_message(conversation.id, None, "user", "left\x00quokka right", "r\x00")
    stored = store.get_message(message.id)
    assert (stored.content, stored.reasoning) == ("left\ufffdquokka right", "r\ufffd")
    assert store.get_conversation(conversation.id).title == "a\ufffdb"
    assert [h.message_id for h in store.search("quokka")] == [message.id]


def test_titles_are_one_bounded_line(store: ChatStore) -> None:
    conversation = store.create_conversation("line one\nline two\t tab")
    assert store.get_conversation(conversation.id).title == "line one line two tab"
    store.rename(conversation.id, "x" * 100_000)
    assert len(store.get_conversation(conversation.id).title) == MAX_TITLE_CHARS


def test_text_over_the_limit_is_refused_with_a_sentence(
    store: ChatStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writes_module, "MAX_TEXT_CHARS", 100)
    conversation = store.create_conversation()
    with pytest.raises(StoreError, match="too long"):
        store.add_message(conversation.id, None, "user", "x" * 101)
    _, answer = store.start_turn(conversation.id, None, "q" * 100)
    with pytest.raises(StoreError, match="too long"):
        store.save_streaming(answer.id, "y" * 101, "")
    with pytest.raises(StoreError, match="too long"):
        store.finish_message(answer.id, content="", reasoning="z" * 101)
    assert store.count_messages(conversation.id) == 2


def test_two_threads_can_write_and_read_at_once(store: ChatStore) -> None:
    # The session saves streaming answers on the engine host's thread while the window
    # reads and writes on its own.
    conversation = store.create_conversation("threads")
    _, answer = store.start_turn(conversation.id, None, "q")
    errors: list[BaseException] = []
    go = threading.Event()

    def stream() -> None:
        go.wait(10)
        try:
            for index in range(200):
                store.save_streaming(answer.id, "x" * index, "")
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=stream)
    worker.start()
    go.set()
    for index in range(50):
        store.add_message(conversation.id, None, "user", f"question {index}")
        store.list_conversations()
        store.search("question")
    worker.join(30)
    assert not worker.is_alive() and errors == []
    assert store.get_message(answer.id).content == "x" * 199
    assert store.count_messages(conversation.id) == 52
