"""Dataset export: schemas per format, filters, dedup, atomic writing, the card, memory."""

from __future__ import annotations

import errno
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from app.core import dataset
from app.core.cancel import CancelToken
from app.core.dataset import (
    ChatSelection,
    DatasetFilter,
    export_dataset,
    licence_of,
    read_records,
)
from app.core.errors import CancelledError, DiskFullError
from app.core.store import ChatStore, ImportedConversation, StoredMessage

R1 = {
    "model": {
        "file": "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf",
        "name": "DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M",
        "size": 1,
        "quant": "Q4_K_M",
        "fingerprint": "fp1:abc",
        "sha256": "",
    },
    "engine": {"kind": "local", "name": "R1 1.5B", "model_id": "r1.gguf", "location": "here"},
}
REMOTE = {"engine": {"kind": "remote", "name": "mystery-7b", "model_id": "mystery-7b"}}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    chat_store = ChatStore.open(tmp_path / "chats.sqlite3")
    yield chat_store
    chat_store.close()


def chat(
    store: ChatStore,
    turns: list[tuple[str, str, str]],
    *,
    provenance: dict[str, Any] | None = None,
    state: str = "finished",
    title: str = "chat",
) -> list[str]:
    """A conversation of (question, reasoning, answer) turns; returns the answer ids."""
    conversation = store.create_conversation(title)
    parent: str | None = None
    answers: list[str] = []
    for question, reasoning, answer in turns:
        q = store.add_message(conversation.id, parent, "user", question)
        a = store.add_message(
            conversation.id,
            q.id,
            "assistant",
            answer,
            reasoning,
            state,  # type: ignore[arg-type]
            provenance if provenance is not None else R1,
        )
        parent = a.id
        answers.append(a.id)
    return answers


def export(store: ChatStore, out: Path, fmt: str = "openai", **filters: Any) -> Any:
    selection = filters.pop("selection", ChatSelection())
    return export_dataset(
        store, out, fmt=fmt, selection=selection, filters=DatasetFilter(**filters)
    )  # type: ignore[arg-type]


def test_openai_format(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("2+2?", "Two and two.", "4"), ("and 3+3?", "Three twice.", "6")])
    summary = export(store, tmp_path / "out")
    [record] = list(read_records(summary.path))
    assert set(record) == {"messages", "metadata"}
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"] * 2
    for message in record["messages"]:
        assert isinstance(message["content"], str)
        if message["role"] == "assistant":
            assert set(message) == {"role", "content", "reasoning_content"}
    assert record["messages"][3] == {
        "role": "assistant",
        "content": "6",
        "reasoning_content": "Three twice.",
    }
    meta = record["metadata"]
    assert meta["model"] == "DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M"
    assert (meta["rating"], meta["state"], meta["source"]) == ("", "finished", "hearth")


def test_sharegpt_format(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("2+2?", "Two and two.", "4"), ("no reasoning", "", "ok")])
    summary = export(store, tmp_path / "out", "sharegpt")
    [record] = list(read_records(summary.path))
    assert set(record) == {"conversations", "system", "metadata"}
    assert [turn["from"] for turn in record["conversations"]] == ["human", "gpt"] * 2
    assert all(set(turn) == {"from", "value"} for turn in record["conversations"])
    assert record["conversations"][1]["value"] == "<think>\nTwo and two.\n</think>\n\n4"
    assert record["conversations"][3]["value"] == "ok"
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text())
    assert info["hearth"]["formatting"] == "sharegpt"
    assert info["hearth"]["file_name"] == summary.path.name


def test_alpaca_format_with_history(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("first", "r1", "a1"), ("second", "r2", "a2")])
    summary = export(store, tmp_path / "out", "alpaca")
    [record] = list(read_records(summary.path))
    assert set(record) == {"instruction", "input", "output", "system", "history", "metadata"}
    assert record["instruction"] == "second"
    assert record["output"] == "<think>\nr2\n</think>\n\na2"
    assert record["history"] == [["first", "<think>\nr1\n</think>\n\na1"]]
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text())
    assert info["hearth"]["columns"]["history"] == "history"


def test_exact_duplicates_are_written_once(store: ChatStore, tmp_path: Path) -> None:
    for _ in range(3):
        chat(store, [("same", "same reasoning", "same answer")])
    chat(store, [("same", "same reasoning", "another answer")])
    summary = export(store, tmp_path / "out")
    assert (summary.records, summary.duplicates) == (2, 2)
    assert len(list(read_records(summary.path))) == 2


def test_good_only_keeps_rated_good_and_cuts_at_the_first_refused(
    store: ChatStore, tmp_path: Path
) -> None:
    a1, a2, a3 = chat(store, [("q1", "", "a1"), ("q2", "", "a2"), ("q3", "", "a3")])
    store.set_rating(a1, "good", "fine")
    store.set_rating(a2, "bad")
    store.set_rating(a3, "good")
    [b1] = chat(store, [("other", "", "unrated")])
    summary = export(store, tmp_path / "out", good_only=True)
    [record] = list(read_records(summary.path))
    assert [m["content"] for m in record["messages"]] == ["q1", "a1"]
    assert (record["metadata"]["rating"], record["metadata"]["rating_note"]) == ("good", "fine")
    assert summary.skipped == 1
    assert b1 not in json.dumps(record)


def test_finished_only_model_and_date_filters(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("kept", "", "a")])
    chat(store, [("cut", "", "a")], state="length")
    chat(store, [("remote", "", "a")], provenance=REMOTE)
    summary = export(store, tmp_path / "a", finished_only=True)
    questions = {r["messages"][0]["content"] for r in read_records(summary.path)}
    assert questions == {"kept", "remote"}
    summary = export(store, tmp_path / "b", model="r1-distill")
    questions = {r["messages"][0]["content"] for r in read_records(summary.path)}
    assert questions == {"kept", "cut"}
    now = time.time()
    assert export(store, tmp_path / "c", since=now + 3600).records == 0
    assert export(store, tmp_path / "d", until=now + 3600).records == 3
    assert export(store, tmp_path / "e", until=now - 3600).records == 0


def test_chat_selection_by_id_and_search(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("about bananas", "", "yellow")], title="fruit")
    chat(store, [("about stars", "", "bright")], title="sky")
    wanted = store.list_conversations()[0]
    summary = export(store, tmp_path / "a", selection=ChatSelection(chat_ids=(wanted.id,)))
    assert summary.records == 1
    summary = export(store, tmp_path / "b", selection=ChatSelection(search="bananas"))
    [record] = list(read_records(summary.path))
    assert record["messages"][0]["content"] == "about bananas"
    missing = ChatSelection(chat_ids=("no-such-chat",))
    assert export(store, tmp_path / "c", selection=missing).records == 0


def test_card_counts_models_and_licences(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("q", "", "a")])
    chat(store, [("q2", "", "a2")], provenance=REMOTE)
    chat(store, [("q", "", "a")])  # a duplicate
    summary = export(store, tmp_path / "out")
    card = summary.card_path.read_text()
    assert "Records: 2" in card and "Exact duplicates removed: 1" in card
    assert "DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M" in card and "fp1:abc" in card
    assert "MIT" in card
    assert "mystery-7b" in card and "unknown, check before use" in card
    assert "load_dataset" in card and "SFTTrainer" in card


@pytest.mark.parametrize(
    ("name", "licence"),
    [
        ("DeepSeek-R1-Distill-Qwen-1.5B Q4_K_M", "MIT"),
        ("deepseek-r1:671b", "MIT"),
        ("Qwen2.5-Math-1.5B", "Apache 2.0"),
        ("llama-3-8b", "unknown"),
        ("", "unknown"),
    ],
)
def test_licences(name: str, licence: str) -> None:
    assert licence_of(name).startswith(licence)


def test_a_full_disk_leaves_no_file_under_the_final_name(
    store: ChatStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for index in range(40):
        chat(store, [(f"q{index}", "r" * 20_000, f"a{index}")])
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(dataset, "_WRITE_CHUNK_CHARS", 50_000)
    real_open = dataset._open_text
    writes = 0

    class FullDisk:
        """The real file, until the disk fills up at the third write."""

        def __init__(self, fd: int) -> None:
            self._real = real_open(fd)

        def write(self, text: str) -> int:
            nonlocal writes
            writes += 1
            if writes >= 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._real.write(text)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._real, name)

    monkeypatch.setattr(dataset, "_open_text", FullDisk)
    with pytest.raises(DiskFullError):
        export(store, out)
    monkeypatch.undo()
    assert writes >= 3
    assert list(out.iterdir()) == []


def test_a_failed_export_keeps_the_previous_file(store: ChatStore, tmp_path: Path) -> None:
    chat(store, [("q", "", "a")])
    out = tmp_path / "out"
    first = export(store, out)
    before = first.path.read_bytes()
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        export_dataset(store, out, cancel=token)
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [first.path.name, "README.md", "dataset_info.json"]
    )


@pytest.mark.slow
def test_ten_thousand_chats_stream_with_progress_and_bounded_memory(
    store: ChatStore, tmp_path: Path
) -> None:
    count = 10_000
    reasoning = "thinking " * 200  # R1 reasons at length; memory must not grow with it
    now = time.time()
    # One transaction for all (10,000 separate commits would take half a minute).
    with store._transaction() as conn:
        for index in range(count):
            store._insert_conversation(
                conn,
                ImportedConversation(
                    id=f"c{index}",
                    title="t",
                    created=now,
                    updated=now,
                    pinned=False,
                    settings={},
                    messages=[
                        StoredMessage(
                            f"q{index}",
                            f"c{index}",
                            None,
                            "user",
                            f"question {index}",
                            "",
                            "finished",
                            now,
                            now,
                        ),
                        StoredMessage(
                            f"a{index}",
                            f"c{index}",
                            f"q{index}",
                            "assistant",
                            f"answer {index}",
                            reasoning,
                            "finished",
                            now,
                            now,
                            R1,
                        ),
                    ],
                ),
            )
    calls = 0
    first: tuple[int, int] | None = None
    last: tuple[int, int] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal calls, first, last
        calls += 1
        first = first or (done, total)
        last = (done, total)

    tracemalloc.start()
    try:
        summary = export_dataset(store, tmp_path / "out", progress=progress)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = summary.path.stat().st_size
    assert summary.records == count
    assert (first, last, calls) == ((0, count), (count, count), count + 1)
    assert size > 20_000_000
    # One conversation at a time, a 256 KB write buffer, an id and a digest per chat.
    assert peak < size / 5, (peak, size)
