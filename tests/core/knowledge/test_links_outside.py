"""A folder from someone else cannot pull files from outside it into the index by links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.knowledge.collections import index_collection
from app.core.knowledge.index import KnowledgeIndex

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks")

SECRET = "hunter2-private-key-material"


def test_a_link_to_a_file_outside_the_folder_is_listed_not_read(
    index: KnowledgeIndex, tmp_path: Path
) -> None:
    private = tmp_path / "home" / ".ssh"
    private.mkdir(parents=True)
    (private / "id_rsa").write_text(f"{SECRET} and more words", encoding="utf-8")
    shared = tmp_path / "cloned-repo"
    shared.mkdir()
    (shared / "readme.md").write_text("The project readme about gardening.", encoding="utf-8")
    (shared / "notes.txt").symlink_to(private / "id_rsa")
    # A link to another file inside the folder is fine.
    (shared / "same.md").symlink_to(shared / "readme.md")

    index.add_root("repo", shared)
    report = index_collection(index, "repo")

    assert [(Path(b.path).name, b.reason) for b in report.bad] == [("notes.txt", "unreadable")]
    assert "outside the folder" in report.bad[0].message
    assert report.indexed == 2
    cid = index.collection_id("repo")
    assert not index.search_fts([cid], "hunter2", 5)
    assert index.search_fts([cid], "gardening", 5)
    assert {Path(d.path).name for d in index.bad_files("repo")} == {"notes.txt"}


def test_a_link_that_turned_outward_drops_what_was_indexed(
    index: KnowledgeIndex, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "inside.txt").write_text("harmless words about bicycles", encoding="utf-8")
    link = shared / "link.txt"
    link.symlink_to(shared / "inside.txt")
    index.add_root("notes", shared)
    assert index_collection(index, "notes").indexed == 2

    outside = tmp_path / "secret.txt"
    outside.write_text(f"{SECRET}", encoding="utf-8")
    link.unlink()
    link.symlink_to(outside)
    report = index_collection(index, "notes")
    assert [Path(b.path).name for b in report.bad] == ["link.txt"]
    cid = index.collection_id("notes")
    assert not index.search_fts([cid], "hunter2", 5)
    assert index.check_consistency() == []


def test_an_explicit_root_that_is_a_link_is_still_read(
    index: KnowledgeIndex, tmp_path: Path
) -> None:
    # The user chose this very file: following their link is what they asked for.
    real = tmp_path / "real.txt"
    real.write_text("words the user chose about kites", encoding="utf-8")
    chosen = tmp_path / "elsewhere" / "chosen.txt"
    chosen.parent.mkdir()
    chosen.symlink_to(real)
    index.add_root("one", chosen)
    assert index_collection(index, "one").indexed == 1


def test_a_file_swapped_for_a_fifo_after_its_check_never_blocks(tmp_path: Path) -> None:
    import threading

    from app.core.knowledge.extract import ExtractionError, read_bounded

    class SwappedAfterStat(type(tmp_path)):  # type: ignore[misc]
        """A path whose file becomes a FIFO right after it was checked (the race)."""

        def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
            result = super().stat(follow_symlinks=follow_symlinks)
            self.unlink()
            os.mkfifo(self)
            return result

    path = tmp_path / "notes.txt"
    path.write_text("plain words", encoding="utf-8")
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        try:
            outcome.append(read_bounded(SwappedAfterStat(path), 1 << 20))
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)  # hang protection only: the refusal is immediate
    try:
        assert not reader.is_alive(), "read_bounded blocked opening a FIFO"
        [result] = outcome
        assert isinstance(result, ExtractionError) and result.reason == "unreadable"
    finally:
        if reader.is_alive():  # free the blocked open so the thread can end
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_folder_nested_deeper_than_the_recursion_limit_is_indexed(
    index: KnowledgeIndex, tmp_path: Path
) -> None:
    import contextlib
    import sys

    depth = sys.getrecursionlimit() + 100
    root = tmp_path / "deep"
    root.mkdir()
    # Built through directory descriptors: the full path is long, each step is not.
    fds = [os.open(root, os.O_RDONLY)]
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        leaf = os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fds[-1])
        os.write(leaf, b"words at the very bottom about lighthouses")
        os.close(leaf)

        index.add_root("deep", root)
        report = index_collection(index, "deep")
        assert report.indexed == 1 and not report.bad
        assert index.search_fts([index.collection_id("deep")], "lighthouses", 5)
    finally:
        # Removed bottom-up here: a recursive rmtree would hit the same limit.
        with contextlib.suppress(FileNotFoundError):
            os.unlink("bottom.txt", dir_fd=fds[-1])
        os.close(fds.pop())
        while fds:
            parent = fds.pop()
            with contextlib.suppress(FileNotFoundError):
                os.rmdir("d", dir_fd=parent)
            os.close(parent)
