"""A dataset holds the user's chats: it is written private, and never through a link."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.dataset import export_dataset
from app.core.store import ChatStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes and symlinks")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "chats.sqlite3")
    conversation = chat_store.create_conversation("private chat")
    question = chat_store.add_message(conversation.id, None, "user", "my private question")
    chat_store.add_message(
        conversation.id, question.id, "assistant", "an answer", "some thought", "finished", {}
    )
    yield chat_store
    chat_store.close()


def test_the_dataset_file_is_private_to_the_user(store: ChatStore, tmp_path: Path) -> None:
    summary = export_dataset(store, tmp_path / "out")
    assert summary.records == 1
    assert stat.S_IMODE(summary.path.stat().st_mode) == 0o600


def test_a_planted_link_at_the_file_name_is_replaced_not_written_through(
    store: ChatStore, tmp_path: Path
) -> None:
    out = tmp_path / "shared-out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    first = export_dataset(store, out)
    first.path.unlink()
    first.path.symlink_to(victim)

    again = export_dataset(store, out)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not again.path.is_symlink()
    assert "my private question" in again.path.read_text(encoding="utf-8")


def test_a_ledger_planted_as_a_link_never_touches_its_target(tmp_path: Path) -> None:
    from app.core.dataset import DatasetError
    from app.core.dataset_generate import LEDGER_NAME, Ledger

    # Another user prepared the shared output folder: its run log points at a file of ours.
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH=$HOME/bin:$PATH\nalias ll='ls -l'\n", encoding="utf-8")
    out = tmp_path / "shared-gen"
    out.mkdir()
    (out / LEDGER_NAME).symlink_to(victim)
    with pytest.raises(DatasetError) as info:
        Ledger(out / LEDGER_NAME, {"samples": 1, "vote": False})
    assert "symbolic link" in str(info.value)
    assert victim.read_text(encoding="utf-8").startswith("export PATH")


def test_a_new_ledger_is_private(tmp_path: Path) -> None:
    from app.core.dataset_generate import LEDGER_NAME, Ledger

    ledger = Ledger(tmp_path / LEDGER_NAME, {"samples": 1, "vote": False})
    ledger.close()
    assert stat.S_IMODE((tmp_path / LEDGER_NAME).stat().st_mode) == 0o600
