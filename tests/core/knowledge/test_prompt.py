"""R1's file format, whole-or-relevant attachments, numbered sources and the budget."""

from __future__ import annotations

from app.core.knowledge.chunk import chunk_text, estimate_tokens
from app.core.knowledge.index import StoredChunk
from app.core.knowledge.prompt import (
    AttachedText,
    build_user_content,
    file_block,
    fit_text,
    rank_chunks,
    source_budget,
)


def chunk(i: int, text: str, page: int | None = None) -> StoredChunk:
    return StoredChunk(i, 1, f"/docs/file{i}.md", 0, text, "", page, 3 if page is None else 0, 4)


def test_r1_file_format() -> None:
    built = build_user_content(
        "What is the rent?", attachments=[AttachedText("lease.txt", "Rent: 4500.")], budget=1000
    )
    assert built.content == (
        "[file name]: lease.txt\n[file content begin]\nRent: 4500.\n[file content end]\n"
        "\nWhat is the rent?"
    )
    assert built.source_tokens == estimate_tokens(file_block("lease.txt", "Rent: 4500."))
    assert built.shortened == ()


def test_a_large_attachment_keeps_only_relevant_chunks_in_order() -> None:
    filler = "\n\n".join(f"Paragraph {i} talks about gardening and roses." for i in range(300))
    text = filler + "\n\nThe deposit is two months of rent.\n\n" + filler
    built = build_user_content(
        "How much is the deposit?", attachments=[AttachedText("big.txt", text)], budget=400
    )
    assert built.shortened == ("big.txt",)
    assert "deposit is two months" in built.content
    assert estimate_tokens(built.content) <= 400 + estimate_tokens("How much is the deposit?") + 8
    assert built.content.endswith("How much is the deposit?")


def test_fit_text_whole_when_it_fits() -> None:
    assert fit_text("short", "q", 100, estimate_tokens) == ("short", False)


def test_rank_chunks_prefers_matching_terms() -> None:
    chunks = chunk_text("# A\n\napples and pears\n\n# B\n\n押金为两个月租金\n\n# C\n\nnothing here")
    order = rank_chunks(chunks, "押金是多少")
    assert "押金" in chunks[order[0]].text


def test_sources_are_numbered_and_cited_in_the_questions_language() -> None:
    sources = [chunk(1, "Sweep once a year."), chunk(2, "Page text.", page=4)]
    built = build_user_content("How often to sweep?", sources=sources, budget=1000)
    assert "[file name]: [1] file1.md (line 3)" in built.content
    assert "[file name]: [2] file2.md (p. 4)" in built.content
    assert "[1], [2]" in built.content
    zh = build_user_content("多久清扫一次烟囱？", sources=sources, budget=1000)
    assert "[1]、[2]" in zh.content


def test_sources_beyond_the_budget_are_dropped() -> None:
    sources = [chunk(i, "word " * 200) for i in range(10)]
    built = build_user_content("q", sources=sources, budget=250)
    assert built.dropped_sources >= 8
    assert built.source_tokens <= 250


def test_budget_leaves_room_for_the_answer() -> None:
    assert source_budget(4096, 1000, 50) == 4096 - 1000 - 50 - 1024 - 32
    assert source_budget(32768, 0, 10) == 32768 - 10 - 2048 - 32
    assert source_budget(512, 600, 10) == 0
    assert source_budget(4096, 0, 0, reserve_answer=3000) == 4096 - 3000 - 32


def test_prepare_fitted_shrinks_until_the_models_tokenizer_says_it_fits() -> None:
    from app.core.knowledge.context import Attachment, prepare_fitted

    # A tokenizer four times hungrier than the estimate (like a byte-level BPE on CJK).
    def measure(content: str) -> int:
        return 4 * estimate_tokens(content)

    sources = [chunk(i, f"Passage {i} " + "word " * 120) for i in range(8)]
    note = Attachment("a.txt", "/a.txt", 10, "0" * 64, "text", "Short note.")
    prepared = prepare_fitted(
        "q?", attachments=[note], sources=sources, n_ctx=2048, reserve_answer=256,
        measure=measure,
    )  # fmt: skip
    assert measure(prepared.content) <= 2048 - 256
    assert "Short note." in prepared.content and "[file name]: [1]" in prepared.content


def test_prepare_fitted_without_a_tokenizer_bounds_by_bytes() -> None:
    from app.core.knowledge.context import prepare_fitted

    sources = [chunk(i, "灶台的烟道连接屋顶的烟囱。" * 40) for i in range(8)]
    prepared = prepare_fitted(
        "烟囱？", sources=sources, n_ctx=2048, reserve_answer=256, measure=lambda _c: None
    )
    assert len(prepared.content.encode("utf-8")) <= 2048 - 256


def test_a_file_that_cannot_fit_at_all_is_left_out_not_sent_empty() -> None:
    built = build_user_content("q", attachments=[AttachedText("big.txt", "word " * 5000)], budget=5)
    assert "[file name]" not in built.content and built.shortened == ("big.txt",)
