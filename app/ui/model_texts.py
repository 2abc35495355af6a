"""The model manager's texts: column titles and cell texts of its tables, translated.

Split from :mod:`app.ui.model_panel` (which was near its size limit); the texts keep the
panel's translation context ("ModelPanel"), so existing translations still apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication

from app.core.catalog import FitVerdict, format_bytes
from app.core.settings import Settings
from app.ui.model_rows import ModelRow, ModelTableModel


class PanelTexts:
    """What the tables show (:class:`~app.ui.model_rows.RowTexts`); the settings say the
    context length the memory estimate assumes."""

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self._settings = settings

    def column_titles(self) -> list[str]:
        return [
            QCoreApplication.translate("ModelPanel", "Model"),
            QCoreApplication.translate("ModelPanel", "Quant"),
            QCoreApplication.translate("ModelPanel", "Size"),
            QCoreApplication.translate("ModelPanel", "Memory needed"),
            QCoreApplication.translate("ModelPanel", "Fits here?"),
            QCoreApplication.translate("ModelPanel", "State"),
        ]

    def fit_text(self, verdict: FitVerdict) -> str:
        if verdict.fit == "fits":
            return QCoreApplication.translate("ModelPanel", "Fits")
        if verdict.fit == "tight":
            return QCoreApplication.translate("ModelPanel", "Tight")
        return QCoreApplication.translate("ModelPanel", "Too big for this machine")

    def state_text(self, row: ModelRow) -> str:
        percent = row.percent
        # Rounded down, as the progress bar does: never "100%" before the file is complete.
        number = str(math.floor(percent)) if percent is not None else ""
        state = row.state
        if state == "absent":
            return QCoreApplication.translate("ModelPanel", "Not downloaded")
        if state == "partial":
            return QCoreApplication.translate("ModelPanel", "Paused at %1%").replace(
                "%1", number or "0"
            )
        if state == "checking":
            return QCoreApplication.translate("ModelPanel", "Checking…")
        if state == "downloading":
            return QCoreApplication.translate("ModelPanel", "Downloading %1%").replace(
                "%1", number or "0"
            )
        if state == "pausing":
            return QCoreApplication.translate("ModelPanel", "Pausing…")
        if state == "cancelling":
            return QCoreApplication.translate("ModelPanel", "Cancelling…")
        if state == "verifying":
            return (
                QCoreApplication.translate("ModelPanel", "Verifying %1%").replace("%1", number)
                if number
                else QCoreApplication.translate("ModelPanel", "Verifying…")
            )
        if state in ("installed", "registered"):
            text = (
                QCoreApplication.translate("ModelPanel", "Installed")
                if state == "installed"
                else QCoreApplication.translate("ModelPanel", "Installed (used where it is)")
            )
            if row.in_use:
                return QCoreApplication.translate("ModelPanel", "%1 · used by the Library").replace(
                    "%1", text
                )
            return text
        if state == "missing":
            return QCoreApplication.translate("ModelPanel", "Missing: the file is gone")
        if state == "damaged":
            return QCoreApplication.translate("ModelPanel", "Damaged: delete and download again")
        return QCoreApplication.translate("ModelPanel", "Failed: %1").replace("%1", row.reason)

    def cell_text(self, row: ModelRow, column: int) -> str:
        if column == ModelTableModel.NAME:
            if row.entry is not None and row.entry.default:
                return QCoreApplication.translate("ModelPanel", "%1 (recommended)").replace(
                    "%1", row.name
                )
            return row.name
        if column == ModelTableModel.QUANT:
            return row.quant or "?"
        if column == ModelTableModel.SIZE:
            size = format_bytes(row.size)
            return size if row.size_exact else f"~{size}"
        if column == ModelTableModel.RAM:
            return format_bytes(row.ram_need)
        if column == ModelTableModel.FIT:
            return self.fit_text(row.fit)
        return self.state_text(row)

    def cell_tooltip(self, row: ModelRow, column: int) -> str | None:
        if column == ModelTableModel.FIT:
            return row.fit.message
        if column == ModelTableModel.RAM and row.role == "embedding":
            return QCoreApplication.translate(
                "ModelPanel", "Estimated for the Library's batches of passages"
            )
        if column == ModelTableModel.RAM:
            return QCoreApplication.translate(
                "ModelPanel", "Estimated at %1 tokens of context"
            ).replace("%1", str(self._settings().effective_context()))
        if column == ModelTableModel.STATE and row.reason:
            return row.reason
        if column == ModelTableModel.NAME:
            if row.entry is not None and row.entry.description:
                return row.entry.description
            if row.installed is not None:
                return str(row.installed.path)
        return None
