"""The model manager's section for embedding models: the models the Library uses for
meaning search (vectors), listed apart from the chat models and never offered for chat.

The section is a table (the panel's row model, so downloads, pause, resume, cancel, verify
and delete work as for chat models, through the panel's shared buttons), a line about the
selected entry (size, sources, whether the publisher gives a checksum), which model the
Library uses now, and "Use for Library", which sets ``embedding_model`` in the settings.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import format_bytes
from app.core.downloads import Source
from app.ui.model_rows import ModelRow, ModelTableModel, RowTexts, model_table_view


class EmbeddingSection(QWidget):
    """The embedding models' table and their own controls; the panel drives it."""

    def __init__(self, texts: RowTexts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingSection")
        self.title_label = QLabel(
            self.tr("Embedding models — used by the Library for meaning search"), self
        )
        self.title_label.setObjectName("embeddingTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setAccessibleName(self.tr("Embedding models"))

        self.table_model = ModelTableModel(texts, self)
        self.table = model_table_view(
            self.table_model,
            self,
            object_name="embeddingTable",
            accessible_name=self.tr("Embedding models for the Library"),
        )

        # Catalog facts and model names are shown as written, never as markup.
        self.details_label = QLabel(self, textFormat=Qt.TextFormat.PlainText)
        self.details_label.setObjectName("embeddingDetails")
        self.details_label.setWordWrap(True)
        self.details_label.setAccessibleName(self.tr("Size, sources and checksum"))
        self.in_use_label = QLabel(self, textFormat=Qt.TextFormat.PlainText)
        self.in_use_label.setObjectName("embeddingInUse")
        self.in_use_label.setWordWrap(True)
        self.in_use_label.setAccessibleName(self.tr("Embedding model the Library uses"))
        self.use_button = QPushButton(self.tr("Use for Library"), self)
        self.use_button.setAccessibleName(self.tr("Use the selected model for the Library"))
        self.use_button.setToolTip(
            self.tr("The Library's meaning search will use this model (it is never used to chat)")
        )

        bottom = QHBoxLayout()
        bottom.addWidget(self.in_use_label, 1)
        bottom.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details_label)
        layout.addLayout(bottom)

    def show_in_use(self, row: ModelRow | None) -> None:
        if row is None:
            self.in_use_label.setText(
                self.tr("The Library uses no embedding model: full-text search only.")
            )
        else:
            self.in_use_label.setText(self.tr("The Library uses %1.").replace("%1", row.name))

    def show_details(self, row: ModelRow | None, sources: Sequence[Source]) -> None:
        """Size, where it comes from, and whether its checksum is published, for ``row``."""
        if row is None or row.role != "embedding":
            self.details_label.clear()
            return
        size = format_bytes(row.size)
        parts = [size if row.size_exact else f"~{size}"]
        if row.entry is not None:
            names = ", ".join(dict.fromkeys(s.name for s in sources))
            if names:
                parts.append(self.tr("from %1").replace("%1", names))
            parts.append(
                self.tr("sha256 published")
                if row.entry.checksum_published
                else self.tr(
                    "checksum not published: the download checks the sha256 the sources "
                    "report, the size and the GGUF header"
                )
            )
        elif row.installed is not None:
            parts.append(str(row.installed.path))
        self.details_label.setText(" · ".join(parts))
