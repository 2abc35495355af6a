"""Editing a question that carried files: the new branch carries the same files."""

from __future__ import annotations

from collections.abc import Callable

from app.core.knowledge.context import Attachment, split_user_content, stored_attachments
from app.core.knowledge.index import StoredChunk
from tests.core.test_session import Rig, answer_script, rig_factory  # noqa: F401

LEASE = Attachment("lease.txt", "/tmp/lease.txt", 30, "ab" * 32, "text", "Rent: 4500 per month.")
PETS = Attachment("pets.md", "/tmp/pets.md", 22, "cd" * 32, "markdown", "# Pets\n\nCats only.")


def r1(name: str, body: str) -> str:
    return f"[file name]: {name}\n[file content begin]\n{body}\n[file content end]\n"


def test_an_edit_keeps_the_files_of_the_question(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    rig.session.ask("What is the rent?", attachments=[LEASE, PETS])
    rig.events.wait_end()
    original = rig.store.active_path(rig.session.conversation_id)[0]

    rig.session.edit(original.id, "What is the rent per year?")
    rig.events.wait_end(2)
    assert rig.engine is not None
    sent = rig.engine.requests[1].messages[-1].content
    # R1's file format, the files in their order, then the new question.
    assert sent == (
        r1("lease.txt", "Rent: 4500 per month.")
        + "\n"
        + r1("pets.md", "# Pets\n\nCats only.")
        + "\nWhat is the rent per year?"
    )
    edited = rig.store.active_path(rig.session.conversation_id)[0]
    assert edited.id != original.id and edited.parent_id == original.parent_id
    assert edited.content == sent
    # The same rows: name, size, hash, kind (and the text) as the original's.
    assert edited.provenance["attachments"] == original.provenance["attachments"]
    assert stored_attachments(edited.content, edited.provenance) == stored_attachments(
        original.content, original.provenance
    )
    assert split_user_content(edited.content)[1] == "What is the rent per year?"


def test_an_edit_can_drop_one_file(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    rig.session.ask("What is the rent?", attachments=[LEASE, PETS])
    rig.events.wait_end()
    original = rig.store.active_path(rig.session.conversation_id)[0]
    kept = [a for a in stored_attachments(original.content, original.provenance)]
    assert [a.name for a in kept] == ["lease.txt", "pets.md"]

    rig.session.edit(original.id, "Are dogs allowed?", attachments=[kept[1]])
    rig.events.wait_end(2)
    edited = rig.store.active_path(rig.session.conversation_id)[0]
    files, question = split_user_content(edited.content)
    assert files == [("pets.md", "# Pets\n\nCats only.")] and question == "Are dogs allowed?"
    [record] = edited.provenance["attachments"]
    assert record["name"] == "pets.md" and record["sha256"] == "cd" * 32
    assert record["size"] == 22

    # Dropping every file sends the question alone, with no provenance of files.
    rig.session.edit(edited.id, "Are dogs allowed at all?", attachments=[])
    rig.events.wait_end(3)
    last = rig.store.active_path(rig.session.conversation_id)[0]
    assert last.content == "Are dogs allowed at all?"
    assert not (last.provenance or {}).get("attachments")


def test_an_edit_of_a_plain_question_stays_plain(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    rig.session.ask("Hello")
    rig.events.wait_end()
    original = rig.store.active_path(rig.session.conversation_id)[0]
    rig.session.edit(original.id, "Hello again")
    rig.events.wait_end(2)
    assert rig.store.active_path(rig.session.conversation_id)[0].content == "Hello again"


def test_sources_are_not_taken_for_attachments() -> None:
    chunk = StoredChunk(7, 2, "/notes/hearth.md", 1, "Sweep once a year.", "", None, 9, 12, "n")
    from app.core.knowledge.context import prepare_user_input

    prepared = prepare_user_input(
        "When?", attachments=[LEASE], sources=[chunk], n_ctx=4096, reserve_answer=256
    )
    [only] = stored_attachments(prepared.content, prepared.provenance)
    assert only == Attachment("lease.txt", "", 30, "ab" * 32, "text", "Rent: 4500 per month.")
    assert stored_attachments("plain question", {}) == []


def test_a_shortened_file_stays_marked_shortened_after_an_edit(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    text = "\n\n".join(f"Paragraph {i} about roses." for i in range(3000))
    text += "\n\nThe deposit is two months of rent."
    big = Attachment("big.txt", "/tmp/big.txt", len(text), "ef" * 32, "text", text)
    rig.session.ask("How much is the deposit?", attachments=[big])
    rig.events.wait_end()
    original = rig.store.active_path(rig.session.conversation_id)[0]
    [record] = original.provenance["attachments"]
    assert record["shortened"] is True
    rig.session.edit(original.id, "And the deposit?")
    rig.events.wait_end(2)
    edited = rig.store.active_path(rig.session.conversation_id)[0]
    [again] = edited.provenance["attachments"]
    assert again["shortened"] is True and again["sha256"] == "ef" * 32
    assert again["size"] == len(text)
