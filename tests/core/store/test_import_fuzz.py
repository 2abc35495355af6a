"""Fuzzing the chat JSON import (issue 17): whatever the file holds, the import ends in a
bounded time with a result or a HearthError, and the store can still list, search and
export everything it holds."""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import HearthError
from app.core.export import export_text
from app.core.store import ChatStore, import_data, import_file

#: Hang protection per example; a case takes milliseconds (roomy for a busy machine).
CASE_CEILING_S = 30.0

FUZZ_SETTINGS = settings(
    max_examples=100,
    deadline=timedelta(seconds=CASE_CEILING_S),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Values a crafted file might put anywhere: odd numbers, odd text, wrong types.
odd_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, -1.0, 0.0, 253_402_300_800.0, 1.7e9]),
)
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=20),
    st.sampled_from(
        [
            "",
            "\x00",
            "\ud800",
            "a\udfffb",
            "2024-05-01T10:00:00Z",
            "+275760-09-13T00:00:00",
            "9999-12-31T23:59:59.999999+00:00",
            "0001-01-01T00:00:00-23:59",
            "../../etc/passwd",
            "user",
            "assistant",
            "streaming",
            "complete",
            "finished",
            "x" * 600,
        ]
    ),
)
scalars = st.one_of(st.none(), st.booleans(), odd_numbers, odd_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.one_of(st.sampled_from(["a", "b", "c", "q", "m1"]), odd_text, json_values)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {}
    fields = {
        "id": ids,
        "parent": st.one_of(st.none(), ids),
        "role": st.one_of(st.sampled_from(["user", "assistant", "system"]), json_values),
        "content": st.one_of(odd_text, json_values),
        "reasoning": st.one_of(odd_text, json_values),
        "state": st.one_of(
            st.sampled_from(
                [
                    "finished",
                    "stopped",
                    "length",
                    "failed",
                    "interrupted",
                    "streaming",
                    "complete",
                    "error",
                ]
            ),
            json_values,
        ),
        "created": st.one_of(odd_numbers, odd_text, json_values),
        "updated": st.one_of(odd_numbers, odd_text, json_values),
        "provenance": json_values,
    }
    for name, strategy in fields.items():
        if draw(st.booleans()):
            message[name] = draw(strategy)
    return message


@st.composite
def conversations(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    conversation: dict[str, Any] = {"messages": draw(st.lists(messages(), max_size=5))}
    fields = {
        "id": ids,
        "title": st.one_of(odd_text, json_values),
        "created": st.one_of(odd_numbers, odd_text),
        "updated": st.one_of(odd_numbers, odd_text),
        "pinned": json_values,
        "settings": json_values,
        "active_leaf": ids,
    }
    for name, strategy in fields.items():
        if draw(st.booleans()):
            conversation[name] = draw(strategy)
    return conversation


documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "version": st.one_of(st.just(1), json_values),
            "conversations": st.lists(conversations(), max_size=3),
        }
    ),
)


@pytest.fixture(scope="module")
def fuzz_store() -> Iterator[ChatStore]:
    # One store for all examples (Hypothesis reruns the test body, not the fixtures).
    with tempfile.TemporaryDirectory(prefix="hearth-fuzz-") as tmp:
        store = ChatStore.open(Path(tmp) / "chats.sqlite3")
        conversation = store.create_conversation("Existing chat")
        store.add_message(conversation.id, None, "user", "wombat question")
        yield store
        store.close()


def _still_usable(store: ChatStore) -> None:
    summaries = store.list_conversations()
    assert any(s.title == "Existing chat" for s in summaries)
    assert store.search("wombat")
    for summary in summaries:
        store.active_path(summary.id)
    for fmt in ("md", "html", "json"):
        export_text(store, None, fmt)  # type: ignore[arg-type]


@FUZZ_SETTINGS
@given(document=documents)
def test_fuzzed_documents_import_or_are_refused(fuzz_store: ChatStore, document: Any) -> None:
    started = time.monotonic()
    with contextlib.suppress(HearthError):
        import_data(fuzz_store, document, on_conflict="copy")
    assert time.monotonic() - started < CASE_CEILING_S
    _still_usable(fuzz_store)


@FUZZ_SETTINGS
@given(document=documents)
def test_fuzzed_files_import_or_are_refused(fuzz_store: ChatStore, document: Any) -> None:
    # Through a file: json.dumps writes NaN/Infinity, escaped surrogates and NUL as they
    # would appear in a crafted file.
    with tempfile.TemporaryDirectory(prefix="hearth-fuzz-file-") as tmp:
        path = Path(tmp) / "chats.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        with contextlib.suppress(HearthError):
            import_file(fuzz_store, path, on_conflict="copy")
    _still_usable(fuzz_store)


@FUZZ_SETTINGS
@given(raw=st.binary(max_size=300))
def test_fuzzed_bytes_are_refused_or_imported(fuzz_store: ChatStore, raw: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="hearth-fuzz-bytes-") as tmp:
        path = Path(tmp) / "chats.json"
        path.write_bytes(raw)
        with contextlib.suppress(HearthError):
            import_file(fuzz_store, path)
    _still_usable(fuzz_store)
