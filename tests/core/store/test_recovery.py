"""Every fault the store meets: damaged file, newer version, unusable folder, full disk."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from app.core import store as store_module
from app.core.errors import DiskFullError, StoreError
from app.core.logsetup import configure_logging
from app.core.store import (
    SCHEMA_VERSION,
    ChatStore,
    NewerStoreError,
    NotFoundError,
)
from app.core.store import chatstore as chatstore_module
from tests.core.store.support import turn

# --- Faults ----------------------------------------------------------------------------


def _fill(store: ChatStore, conversations: int, turns: int) -> int:
    for c in range(conversations):
        conversation = store.create_conversation(f"chat {c}")
        parent: str | None = None
        for t in range(turns):
            parent = turn(
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
    monkeypatch.setattr(chatstore_module, "FULL_CHECK_MAX_BYTES", 0)
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
