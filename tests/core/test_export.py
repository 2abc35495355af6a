"""Export (Markdown, HTML, JSON) and JSON import, including the lossless round trip."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.cancel import CancelToken
from app.core.chat import END_STATES
from app.core.errors import CancelledError
from app.core.export import (
    EXPORT_VERSION,
    ChatImportError,
    ExportFormat,
    export_data,
    export_file,
    export_text,
    import_data,
    import_file,
    iso_time,
    parse_time,
)
from app.core.store import ChatStore

FIXED_NOW = 1_750_000_000.25


@pytest.fixture
def store(isolated_app_dirs: Any) -> Iterator[ChatStore]:
    chat_store = ChatStore.open()
    yield chat_store
    chat_store.close()


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "other" / "chats.sqlite3")
    yield chat_store
    chat_store.close()


def _populate(store: ChatStore) -> dict[str, str]:
    """Two chats with branches, odd text, provenance, settings and every message state."""
    math = store.create_conversation("鸡兔同笼", settings={"system_prompt": "用中文回答"})
    q = store.add_message(math.id, None, "user", "鸡兔同笼，35个头94只脚？")
    a1 = store.add_message(
        math.id,
        q.id,
        "assistant",
        "**鸡23只，兔12只。**\n\n$$x+y=35$$",
        reasoning="设鸡x只 </details> <b>not bold</b>",
        provenance={
            "model": {"file": "r1.gguf", "quant": "Q4_K_M"},
            "stats": {"tokens_per_s": 21.5, "seed": 3},
        },
    )
    a2 = store.add_message(math.id, q.id, "assistant", "regenerated", state="interrupted")
    store.set_active_leaf(math.id, a1.id)
    store.set_pinned(math.id, True)
    odd = store.create_conversation("<script>alert('x')</script> & “quotes”")
    q2 = store.add_message(odd.id, None, "user", "emoji 👩‍👩‍👧 RTL שלום ctrl \x00\x1b nul")
    store.add_message(
        odd.id,
        q2.id,
        "assistant",
        "<a href='javascript:alert(1)'>x</a> [link](javascript:alert(1))",
        state="error",
        provenance={"error": "boom"},
    )
    store.add_message(odd.id, None, "system", "system note <img src=x onerror=alert(1)>")
    return {"math": math.id, "odd": odd.id, "a1": a1.id, "a2": a2.id}


def test_json_round_trip_is_identical(store: ChatStore, empty_store: ChatStore) -> None:
    _populate(store)
    first = export_text(store, None, "json", now=FIXED_NOW)
    result = import_data(empty_store, json.loads(first))
    assert (result.imported_conversations, result.imported_messages) == (2, 6)
    assert result.problems == () and result.skipped == ()
    second = export_text(empty_store, None, "json", now=FIXED_NOW)
    assert second == first


def test_json_shape_is_documented_and_versioned(store: ChatStore) -> None:
    ids = _populate(store)
    data = export_data(store, [ids["math"]], now=FIXED_NOW)
    assert data["version"] == EXPORT_VERSION and data["app"] == "Hearth"
    assert data["exported"] == "2025-06-15T15:06:40.250000+00:00"
    [conversation] = data["conversations"]
    assert set(conversation) >= {"id", "title", "created", "updated", "messages"}
    assert conversation["pinned"] is True
    assert conversation["settings"] == {"system_prompt": "用中文回答"}
    assert conversation["active_leaf"] == ids["a1"]
    for message in conversation["messages"]:
        assert set(message) >= {
            "id",
            "parent",
            "role",
            "content",
            "reasoning",
            "state",
            "created",
            "provenance",
        }
        assert parse_time(message["created"]) is not None
    states = {m["state"] for m in conversation["messages"]}
    assert states == {"finished", "interrupted"}
    a1 = next(m for m in conversation["messages"] if m["id"] == ids["a1"])
    assert a1["provenance"]["model"]["quant"] == "Q4_K_M"


def test_iso_times_survive_a_round_trip() -> None:
    for stamp in (0.0, 1_700_000_000.123456, 1_800_000_000.999999, 1_750_000_000.0000004):
        text = iso_time(stamp)
        assert text.endswith("+00:00")
        again = parse_time(text)
        assert again is not None and iso_time(again) == text
    assert parse_time("2024-01-01T00:00:00Z") == parse_time("2024-01-01T00:00:00")
    assert parse_time("yesterday") is None and parse_time(True) is None


def test_importing_twice_skips_and_copy_duplicates(store: ChatStore) -> None:
    _populate(store)
    data = export_data(store)
    again = import_data(store, data)
    assert again.imported_conversations == 0 and len(again.skipped) == 2
    assert "Skipped 2" in again.message
    copies = import_data(store, data, on_conflict="copy")
    assert copies.imported_conversations == 2 and copies.reidentified == 2
    assert len(store.list_conversations()) == 4
    assert store.count_messages() == 12
    for summary in store.list_conversations():
        store.active_path(summary.id)


def test_message_id_conflicts_give_the_conversation_new_message_ids(store: ChatStore) -> None:
    ids = _populate(store)
    data = export_data(store, [ids["math"]])
    data["conversations"][0]["id"] = "a-brand-new-conversation-id"
    result = import_data(store, data)
    assert result.imported_conversations == 1 and result.reidentified == 1
    path = store.active_path("a-brand-new-conversation-id")
    assert [m.content for m in path] == [
        "鸡兔同笼，35个头94只脚？",
        "**鸡23只，兔12只。**\n\n$$x+y=35$$",
    ]
    assert ids["a1"] not in {m.id for m in path}


def test_imported_streaming_answers_are_interrupted(store: ChatStore) -> None:
    data = {
        "version": 1,
        "conversations": [
            {
                "id": "c",
                "title": "t",
                "created": "2024-05-01T10:00:00+00:00",
                "updated": "2024-05-01T10:00:00+00:00",
                "messages": [
                    {"id": "u", "parent": None, "role": "user", "content": "q"},
                    {
                        "id": "s",
                        "parent": "u",
                        "role": "assistant",
                        "content": "half",
                        "state": "streaming",
                    },
                ],
            }
        ],
    }
    import_data(store, data)
    assert store.get_message("s").state == "interrupted"
    assert store.get_message("u").created == parse_time("2024-05-01T10:00:00+00:00")


def test_damaged_trees_are_repaired(store: ChatStore) -> None:
    data = {
        "version": 1,
        "conversations": [
            {
                "id": "c",
                "title": "broken",
                "messages": [
                    {"id": "a", "parent": "b", "role": "user", "content": "cycle a"},
                    {"id": "b", "parent": "a", "role": "assistant", "content": "cycle b"},
                    {"id": "o", "parent": "missing", "role": "user", "content": "orphan"},
                ],
            },
        ],
    }
    result = import_data(store, data)
    assert result.imported_conversations == 1 and result.imported_messages == 3
    assert len(result.problems) == 1 and "2 messages" in result.problems[0]
    assert store.get_message("o").parent_id is None
    roots = [m for m in store.messages("c") if m.parent_id is None]
    assert {m.id for m in roots} >= {"o"} and len(roots) == 2
    for summary in store.list_conversations():
        store.active_path(summary.id)


def test_every_end_state_and_old_state_names_survive_import(store: ChatStore) -> None:
    messages: list[dict[str, Any]] = [{"id": "q", "role": "user", "content": "q"}]
    expected = {"q": "finished"}
    cases = [
        *((state, None, state) for state in END_STATES),
        ("complete", "stop", "finished"),
        ("complete", "length", "length"),
        ("interrupted", "cancelled", "stopped"),
        ("error", None, "failed"),
        ("streaming", None, "interrupted"),
    ]
    for index, (state, reason, new) in enumerate(cases):
        message_id = f"a{index}"
        provenance = {"finish_reason": reason} if reason else {}
        messages.append(
            {
                "id": message_id,
                "parent": "q",
                "role": "assistant",
                "content": state,
                "state": state,
                "provenance": provenance,
            }
        )
        expected[message_id] = new
    import_data(store, {"version": 1, "conversations": [{"id": "c", "messages": messages}]})
    assert {m.id: m.state for m in store.messages("c")} == expected
    exported = export_data(store, ["c"])["conversations"][0]["messages"]
    assert {m["id"]: m["state"] for m in exported} == expected


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        ("not json at all", "not valid JSON"),
        ('{"version": 99, "conversations": []}', "newer version"),
        ('{"conversations": []}', "no version"),
        ('{"version": 1}', "no list of conversations"),
        ("[1, 2]", "no list of conversations"),
    ],
)
def test_unusable_import_files_are_refused_with_a_sentence(
    store: ChatStore, tmp_path: Path, payload: str, needle: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(ChatImportError, match=needle):
        import_file(store, path)
    assert store.list_conversations() == []


def test_missing_import_file_is_named(store: ChatStore, tmp_path: Path) -> None:
    with pytest.raises(ChatImportError, match=r"nope\.json"):
        import_file(store, tmp_path / "nope.json")


def test_markdown_has_reasoning_in_details_and_the_shown_branch(store: ChatStore) -> None:
    ids = _populate(store)
    text = export_text(store, [ids["math"]], "md")
    assert text.startswith("# 鸡兔同笼\n")
    assert "<details>\n<summary>Reasoning</summary>\n\n设鸡x只 &lt;/details> <b>" in text
    assert "**鸡23只，兔12只。**" in text and "regenerated" not in text
    assert "r1.gguf · Q4_K_M · 21.5 tok/s" in text
    assert "1 more messages are on other branches" in text
    everything = export_text(store, None, "md")
    assert "\n---\n" in everything and "system note" in everything


def test_html_is_standalone_and_escapes_everything(store: ChatStore) -> None:
    ids = _populate(store)
    page = export_text(store, None, "html")
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "default-src 'none'" in page and "<style>" in page
    assert "<link" not in page and 'src="http' not in page
    assert "<details><summary>Reasoning</summary>" in page
    assert "<strong>鸡23只，兔12只。</strong>" in page
    single = export_text(store, [ids["odd"]], "html")
    assert "<title>&lt;script&gt;" in single


def test_export_files_are_private_and_written_whole(store: ChatStore, tmp_path: Path) -> None:
    _populate(store)
    target = tmp_path / "out" / "chats.json"
    formats: tuple[ExportFormat, ...] = ("json", "md", "html")
    for fmt in formats:
        path = export_file(store, None, fmt, target.with_suffix(f".{fmt}"), now=FIXED_NOW)
        expected = export_text(store, None, fmt, now=FIXED_NOW)
        assert path.read_text(encoding="utf-8") == expected
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "chats.html",
        "chats.json",
        "chats.md",
    ]


def test_export_of_an_unknown_id_says_so(store: ChatStore) -> None:
    from app.core.store import NotFoundError

    with pytest.raises(NotFoundError):
        export_text(store, ["nope"], "json")


def test_html_drops_remote_images_and_keeps_embedded_ones(store: ChatStore) -> None:
    conversation = store.create_conversation("images")
    pixel = "data:image/png;base64,iVBORw0KGgo="
    store.add_message(
        conversation.id,
        None,
        "assistant",
        "![tracker](https://evil.example/t.png?id=1) ![local](file:///etc/passwd) "
        "![ref][r] ![](//cdn.example/x.gif) ![dot](" + pixel + ")\n\n[r]: http://x.example/y.png",
    )
    page = export_text(store, [conversation.id], "html")
    assert "evil.example" not in page and "x.example" not in page
    # markdown-it refuses file: links outright, so that one stays plain text.
    assert 'src="file' not in page and "cdn.example" not in page
    assert "[tracker]" in page and "[ref]" in page and "[image]" in page
    assert page.count("<img") == 1 and f'<img src="{pixel}" alt="dot">' in page
    # Markdown keeps the text as written (it loads nothing by itself).
    assert "https://evil.example/t.png" in export_text(store, [conversation.id], "md")


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_export_reports_progress_and_can_be_cancelled(store: ChatStore, fmt: ExportFormat) -> None:
    for index in range(3):
        store.create_conversation(f"chat {index}")
    seen: list[tuple[int, int]] = []
    export_text(store, None, fmt, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    cancel = CancelToken()

    def stop_after_first(done: int, _total: int) -> None:
        if done == 1:
            cancel.cancel()

    with pytest.raises(CancelledError):
        export_text(store, None, fmt, cancel=cancel, progress=stop_after_first)
