"""The provenance tooltip on an answer's stats line (model, quant, sampling, seed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
