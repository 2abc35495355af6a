"""Attachments and sources through ChatSession: R1 file format, stored, provenance."""

from __future__ import annotations

from collections.abc import Callable

from app.core.knowledge.context import Attachment, split_user_content
from app.core.knowledge.index import StoredChunk
from tests.core.test_session import Rig, answer_script, rig_factory  # noqa: F401

LEASE = Attachment("lease.txt", "/tmp/lease.txt", 30, "ab" * 32, "text", "Rent: 4500 per month.")


def test_an_attachment_goes_into_the_user_message_in_r1_format(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    rig.session.ask("What is the rent?", attachments=[LEASE])
    ended = rig.events.wait_end()
    assert ended.state == "finished"
    assert rig.engine is not None
    [request] = rig.engine.requests
    user = request.messages[-1]
    assert user.role == "user"
    assert user.content == (
        "[file name]: lease.txt\n[file content begin]\nRent: 4500 per month.\n"
        "[file content end]\n\nWhat is the rent?"
    )
    # No system prompt is added for files (the chat's own setting is untouched).
    assert request.system_prompt == "Be brief."
    path = rig.store.active_path(rig.session.conversation_id)
    question = path[0]
    assert question.content == user.content
    [record] = question.provenance["attachments"]
    assert record == {
        "name": "lease.txt",
        "size": 30,
        "sha256": "ab" * 32,
        "kind": "text",
        "shortened": False,
    }
    assert split_user_content(question.content) == (
        [("lease.txt", "Rent: 4500 per month.")],
        "What is the rent?",
    )
    # Regenerate sends the very same input (read back from the store).
    rig.session.regenerate(path[1].id)
    rig.events.wait_end(2)
    assert rig.engine.requests[1].messages[-1].content == user.content


def test_sources_are_numbered_and_recorded_as_provenance_of_the_answer(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    chunk = StoredChunk(
        7, 2, "/notes/hearth.md", 1, "Sweep once a year.", "Chimney", None, 9, 12, "notes"
    )
    rig.session.ask("How often should I sweep?", sources=[chunk])
    ended = rig.events.wait_end()
    assert ended.message is not None
    [source] = ended.message.provenance["sources"]
    assert source["n"] == 1 and source["chunk_id"] == 7 and source["line_start"] == 9
    assert source["path"] == "/notes/hearth.md" and source["collection"] == "notes"
    assert ended.message.provenance["source_tokens"] > 0
    assert rig.engine is not None
    content = rig.engine.requests[0].messages[-1].content
    assert "[file name]: [1] hearth.md (line 9)" in content and "[1], [2]" in content
    files, question = split_user_content(content)
    assert question == "How often should I sweep?" and len(files) == 1


def test_a_huge_attachment_is_cut_to_fit_the_context(
    rig_factory: Callable[..., Rig],  # noqa: F811
) -> None:
    rig = rig_factory(answer_script())
    text = "\n\n".join(f"Paragraph {i} about roses." for i in range(3000))
    text += "\n\nThe deposit is two months of rent."
    big = Attachment("big.txt", "/tmp/big.txt", len(text), "cd" * 32, "text", text)
    rig.session.ask("How much is the deposit?", attachments=[big])
    rig.events.wait_end()
    question = rig.store.active_path(rig.session.conversation_id)[0]
    assert question.provenance["attachments"][0]["shortened"] is True
    assert "deposit is two months" in question.content
    # The scripted engine has a 2048-token context: the sources stay well inside it.
    from app.core.knowledge.chunk import estimate_tokens

    assert estimate_tokens(question.content) < 2048 - 256
