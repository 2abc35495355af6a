"""The small texts under an answer: its stats line and the provenance tooltip.

Their strings keep the ``ChatController`` translation context, where their translations live.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.core.chat import TurnStats


def describe_stats(stats: TurnStats, created: float | None = None) -> str:
    """The small line under an answer: speed, first-token latency, size, time."""
    parts = []
    if stats.tokens_per_s:
        parts.append(
            QCoreApplication.translate("ChatController", "%1 tok/s").replace(
                "%1", f"{stats.tokens_per_s:.1f}"
            )
        )
    if stats.ttft_ms:
        parts.append(
            QCoreApplication.translate("ChatController", "first token %1 s").replace(
                "%1", f"{stats.ttft_ms / 1000:.2f}"
            )
        )
    if stats.generated_tokens:
        parts.append(
            QCoreApplication.translate(
                "ChatController", "%n token(s)", None, stats.generated_tokens
            )
        )
    if created:
        parts.append(time.strftime("%H:%M", time.localtime(created)))
    return " · ".join(parts)


def provenance_tooltip(provenance: Mapping[str, Any]) -> str:
    """Model, quant and sampling of an answer, for the tooltip on its stats line."""
    model = provenance.get("model") or {}
    sampling = provenance.get("sampling") or {}
    lines = []
    if model:
        lines.append(f"{model.get('file', '')} ({model.get('quant', '')})")
    if sampling:
        lines.append(
            "temperature {t} · top-p {p} · top-k {k} · seed {s}".format(
                t=sampling.get("temperature"),
                p=sampling.get("top_p"),
                k=sampling.get("top_k"),
                s=sampling.get("seed"),
            )
        )
    return "\n".join(lines)
