"""What a turn keeps of its engine and history: shared by the chat session and the vote.

Both write answers to the store the same way; keeping these helpers in one place means a
voted answer and a normal answer carry the same provenance and see the same history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.chat import ChatMessage
from app.core.engines.base import EngineInfo
from app.core.store import StoredMessage

__all__ = ["EngineModel", "engine_history", "engine_record", "model_record"]


@dataclass(frozen=True, slots=True)
class EngineModel:
    """An :class:`EngineInfo` seen as the store's ``ModelInfoLike`` (for provenance)."""

    path: Path
    file_name: str
    size_bytes: int
    quant: str
    name: str


def model_record(info: EngineInfo | None) -> EngineModel | None:
    if info is None:
        return None
    details = info.details
    raw_path = details.get("path")
    size = details.get("size_bytes", 0)
    return EngineModel(
        # No path (a remote engine): a path that is no file, so no fingerprint is made.
        path=Path(str(raw_path)) if raw_path else Path("/nonexistent-model"),
        file_name=str(details.get("file_name") or info.model_id),
        size_bytes=size if isinstance(size, int) else 0,
        quant=str(details.get("quant", "")),
        name=info.name,
    )


def engine_record(info: EngineInfo, *, detail_keys: Iterable[str] = ()) -> dict[str, Any]:
    """The provenance's ``engine`` entry; ``detail_keys`` copies those details that exist."""
    record: dict[str, Any] = {
        "kind": info.kind,
        "name": info.name,
        "model_id": info.model_id,
        "location": info.location,
    }
    record.update({key: info.details[key] for key in detail_keys if key in info.details})
    return record


def engine_history(
    path: Iterable[StoredMessage],
) -> tuple[tuple[ChatMessage, ...], tuple[str, ...]]:
    """The messages of ``path`` the model sees, with their ids in step."""
    messages: list[ChatMessage] = []
    ids: list[str] = []
    for message in path:
        # An answer that failed before writing anything carries nothing for the model.
        if message.role == "assistant" and not message.content and not message.reasoning:
            continue
        messages.append(ChatMessage(message.role, message.content, message.reasoning))
        ids.append(message.id)
    return tuple(messages), tuple(ids)
