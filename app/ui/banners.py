"""The window's inline bars: the no-model banner and the dismissible message bar.

Both show names and error sentences as plain text (never markup).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.ui.plain import PlainLabel


class ModelBanner(QWidget):
    """Shown while no model is loaded: says so and offers the ways to get one."""

    open_requested = Signal()
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = PlainLabel(self)  # model names and errors: never markup
        self.label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open model file…"), self)
        self.open_button.setAccessibleName(self.tr("Open model file"))
        self.manage_button = QPushButton(self.tr("Download a model…"), self)
        self.manage_button.setAccessibleName(self.tr("Open the model manager"))
        self.open_button.clicked.connect(self.open_requested)
        self.manage_button.clicked.connect(self.manage_requested)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.manage_button)
        self.show_no_model()

    def show_no_model(self) -> None:
        self.label.setText(self.tr("No model is loaded. Open a GGUF file or download one."))
        self.open_button.setVisible(True)
        self.manage_button.setVisible(True)
        self.setVisible(True)

    def show_loading(self, name: str) -> None:
        self.label.setText(self.tr("Loading %1…").replace("%1", name))
        self.open_button.setVisible(False)
        self.manage_button.setVisible(False)
        self.setVisible(True)

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.open_button.setVisible(True)
        self.manage_button.setVisible(True)
        self.setVisible(True)


class MessageBar(QWidget):
    """A dismissible inline message: errors are shown here, never in a blocking dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        self.label = PlainLabel(self)  # error sentences may quote names: never markup
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Message"))
        self.close_button = QPushButton(self.tr("Dismiss"), self)
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.setVisible(False)

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(True)
