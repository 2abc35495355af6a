"""The network log: every request Hearth's one network gateway made, and nothing else."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.catalog import format_bytes


class NetworkLogDialog(QDialog):
    """A read-only table of the gateway's log, with a Clear button."""

    def __init__(self, gateway: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gateway = gateway
        self.setWindowTitle(self.tr("Network log"))
        self.setAccessibleName(self.tr("Network log"))
        self.resize(760, 420)
        intro = QLabel(
            self.tr(
                "Every network request Hearth made is listed here. All network access goes "
                "through this one place, so nothing else left this computer."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 6, self)
        self.table.setAccessibleName(self.tr("Requests"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Time"),
                self.tr("Host"),
                self.tr("Path"),
                self.tr("Received"),
                self.tr("Sent"),
                self.tr("Result"),
            ]
        )
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.empty_label = QLabel(self.tr("No network requests have been made."), self)
        self.clear_button = QPushButton(self.tr("Clear log"), self)
        self.clear_button.setAccessibleName(self.tr("Clear the network log"))
        self.clear_button.clicked.connect(self.clear)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        entries = list(self.gateway.log_entries())
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(reversed(entries)):  # newest first
            values = (
                entry.time,
                entry.host,
                entry.path,
                format_bytes(entry.bytes_in),
                format_bytes(entry.bytes_out),
                entry.result if entry.status is None else f"{entry.status} {entry.result}",
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(str(value)))
        self.empty_label.setVisible(not entries)
        self.table.setVisible(bool(entries))

    def clear(self) -> None:
        self.gateway.clear_log()
        self.reload()
