"""What a turn records of its engine and sends of its history (session and vote alike)."""

from __future__ import annotations

from pathlib import Path

from app.core.chat import ChatMessage
from app.core.engines.base import EngineInfo
from app.core.store import StoredMessage
from app.core.turn_record import engine_history, engine_record, model_record


def message(id_: str, role: str, content: str, reasoning: str = "") -> StoredMessage:
    return StoredMessage(
        id=id_,
        conversation_id="c",
        parent_id=None,
        role=role,  # type: ignore[arg-type]
        content=content,
        reasoning=reasoning,
        state="finished",
        created=0.0,
        updated=0.0,
    )


def test_the_history_leaves_out_empty_answers_and_keeps_ids_in_step() -> None:
    path = [
        message("q1", "user", "Hi"),
        message("a1", "assistant", ""),  # failed before writing anything
        message("q2", "user", "Again"),
        message("a2", "assistant", "Hello", "think"),
    ]
    messages, ids = engine_history(path)
    assert ids == ("q1", "q2", "a2")
    assert messages == (
        ChatMessage("user", "Hi"),
        ChatMessage("user", "Again"),
        ChatMessage("assistant", "Hello", "think"),
    )


def test_the_engine_record_copies_only_the_details_asked_for() -> None:
    info = EngineInfo(
        name="Tiny",
        model_id="tiny.gguf",
        details={"flash_attn": True, "path": "/m/tiny.gguf", "quant": "F32"},
    )
    assert engine_record(info) == {
        "kind": "local",
        "name": "Tiny",
        "model_id": "tiny.gguf",
        "location": "this computer",
    }
    with_details = engine_record(info, detail_keys=("flash_attn", "kv_cache_type"))
    assert with_details["flash_attn"] is True
    assert "kv_cache_type" not in with_details and "path" not in with_details


def test_a_remote_engine_has_no_model_file() -> None:
    assert model_record(None) is None
    record = model_record(EngineInfo(name="qwen", kind="remote", model_id="qwen2.5:7b"))
    assert record is not None
    assert record.file_name == "qwen2.5:7b"
    assert not record.path.exists() and record.path == Path("/nonexistent-model")
    local = model_record(EngineInfo(name="Tiny", details={"path": "/m/t.gguf", "size_bytes": 7}))
    assert local is not None and local.path == Path("/m/t.gguf") and local.size_bytes == 7
