"""Settings › Local API: the switch, the port, the token (with Copy), saving and origins.

The token is made only when the API is first switched on (or already exists); it is shown
hidden, with *Show* and *Copy*.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.core.errors import HearthError
from app.core.settings import Settings
from app.server.auth import load_or_create_token, token_path


class ApiTab(QWidget):
    """The Local API page of the settings dialog."""

    def __init__(self, settings: Settings, config_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self._config_dir = config_dir
        form = QFormLayout(self)
        self.enabled = QCheckBox(self.tr("Serve the loaded model to other programs"), self)
        self.enabled.setChecked(settings.api_enabled)
        self.enabled.setAccessibleName(self.tr("Local API"))
        self.port = QSpinBox(self)
        self.port.setRange(1024, 65535)
        self.port.setValue(settings.api_port)
        self.port.setAccessibleName(self.tr("Port"))
        self.token = QLineEdit(self)
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName(self.tr("Access token"))
        self.show_token = QPushButton(self.tr("Show"), self)
        self.show_token.setCheckable(True)
        self.show_token.toggled.connect(self._toggle_visible)
        self.copy_token = QPushButton(self.tr("Copy"), self)
        self.copy_token.setAccessibleName(self.tr("Copy the access token"))
        self.copy_token.clicked.connect(self._copy)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.show_token)
        token_row.addWidget(self.copy_token)
        self.save_chats = QCheckBox(self.tr("Save API chats to the chat list"), self)
        self.save_chats.setChecked(settings.api_save_chats)
        self.origins = QLineEdit(settings.api_allowed_origins, self)
        self.origins.setPlaceholderText("http://localhost:3000")
        self.origins.setAccessibleName(self.tr("Allowed web origins"))
        note = QLabel(
            self.tr(
                "Programs on this computer can use the model through an OpenAI-compatible "
                "API at http://127.0.0.1:<port>/v1 with the token above; a chat page opens "
                "at http://127.0.0.1:<port>/. Nothing is reachable from other computers. "
                "Web sites can use it only if you list their origin below."
            ),
            self,
        )
        note.setWordWrap(True)
        form.addRow(self.enabled)
        form.addRow(self.tr("Port:"), self.port)
        form.addRow(self.tr("Token:"), token_row)
        form.addRow(self.save_chats)
        form.addRow(self.tr("Allowed web origins:"), self.origins)
        form.addRow(note)
        self.enabled.toggled.connect(self._refresh_token)
        self._refresh_token()

    def _refresh_token(self) -> None:
        exists = token_path(self._config_dir).exists()
        if self.enabled.isChecked() or exists:
            try:
                self.token.setText(load_or_create_token(self._config_dir))
                self.token.setPlaceholderText("")
            except HearthError as exc:  # e.g. the disk is full: say so in the field
                self.token.clear()
                self.token.setPlaceholderText(str(exc))
        else:
            self.token.clear()
            self.token.setPlaceholderText(self.tr("Made when you turn the API on"))
        self.copy_token.setEnabled(bool(self.token.text()))
        self.show_token.setEnabled(bool(self.token.text()))

    def _toggle_visible(self, visible: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password
        self.token.setEchoMode(mode)
        self.show_token.setText(self.tr("Hide") if visible else self.tr("Show"))

    def _copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and self.token.text():
            clipboard.setText(self.token.text())

    def values(self) -> dict[str, Any]:
        """The api_* settings as chosen here."""
        return {
            "api_enabled": self.enabled.isChecked(),
            "api_port": self.port.value(),
            "api_save_chats": self.save_chats.isChecked(),
            "api_allowed_origins": " ".join(self.origins.text().replace(",", " ").split()),
        }
