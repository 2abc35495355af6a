"""Light and dark themes: a Fusion palette plus one style sheet with colour slots.

``system`` follows the OS colour scheme (Qt's style hints) and switches live.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.core.paths import resource_path


@dataclass(frozen=True, slots=True)
class Colors:
    window: str
    surface: str
    text: str
    muted: str
    accent: str
    user_bubble: str
    assistant_bubble: str
    border: str
    reasoning: str


LIGHT = Colors(
    window="#f7f6f3",
    surface="#ffffff",
    text="#1d1b20",
    muted="#6b6770",
    accent="#c8561b",
    user_bubble="#efe9e1",
    assistant_bubble="#ffffff",
    border="#e2ddd5",
    reasoning="#6b6770",
)
DARK = Colors(
    window="#1c1a21",
    surface="#25222b",
    text="#ece9f1",
    muted="#a29dab",
    accent="#ff9a4d",
    user_bubble="#332d3d",
    assistant_bubble="#25222b",
    border="#3a3542",
    reasoning="#a29dab",
)


def system_prefers_dark(app: QApplication) -> bool:
    hints = app.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return bool(app.palette().window().color().lightness() < 128)


def resolve_dark(app: QApplication, theme: str) -> bool:
    if theme == "dark":
        return True
    if theme == "light":
        return False
    return system_prefers_dark(app)


def _palette(colors: Colors) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    palette.setColor(role.Window, QColor(colors.window))
    palette.setColor(role.WindowText, QColor(colors.text))
    palette.setColor(role.Base, QColor(colors.surface))
    palette.setColor(role.AlternateBase, QColor(colors.window))
    palette.setColor(role.Text, QColor(colors.text))
    palette.setColor(role.Button, QColor(colors.surface))
    palette.setColor(role.ButtonText, QColor(colors.text))
    palette.setColor(role.Highlight, QColor(colors.accent))
    palette.setColor(role.HighlightedText, QColor("#ffffff"))
    palette.setColor(role.ToolTipBase, QColor(colors.surface))
    palette.setColor(role.ToolTipText, QColor(colors.text))
    palette.setColor(role.PlaceholderText, QColor(colors.muted))
    palette.setColor(role.Link, QColor(colors.accent))
    return palette


def style_sheet(colors: Colors) -> str:
    template = resource_path("styles", "hearth.qss").read_text(encoding="utf-8")
    for name in Colors.__dataclass_fields__:
        template = template.replace("{" + name + "}", getattr(colors, name))
    return template


def apply_theme(app: QApplication, theme: str) -> bool:
    """Apply ``system``/``light``/``dark``; returns True when the result is dark."""
    dark = resolve_dark(app, theme)
    colors = DARK if dark else LIGHT
    app.setStyle("Fusion")
    app.setPalette(_palette(colors))
    app.setStyleSheet(style_sheet(colors))
    return dark
