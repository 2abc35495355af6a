"""Show user and model data as the literal text it is, never as markup.

Qt guesses: a label, tooltip or message box whose text *looks* like HTML is rendered as
rich text. A model name from GGUF metadata, a chat title or a file name can then inject
markup and images (``<img src=…>`` even loads local files). Labels that can show such data
are set to plain text; tooltips and message boxes, which have no such switch for every
case, get text that Qt renders literally.

The one place that renders Markdown on purpose (an answer, ``app/ui/render``) builds its
HTML from escaped text and does not use these helpers.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain_labels(*labels: QLabel) -> None:
    """Make each label show its text literally, whatever it will be set to."""
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that Qt shows literally.

    Text that Qt would take for markup is escaped inside an explicit rich-text wrapper
    (pre-wrap keeps its line breaks); anything else is returned unchanged, so ordinary
    tooltips keep Qt's plain-text look.
    """
    if not QtGui.mightBeRichText(text):
        return text
    return f'<qt><p style="white-space:pre-wrap">{html.escape(text)}</p></qt>'


def plain_message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
    default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton,
) -> QMessageBox:
    """A message box (not yet shown) whose text is plain, unlike the static helpers'."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    return box


class PlainLabel(QLabel):
    """A label that shows its text, and its tooltip, literally."""

    def __init__(self, text_or_parent: str | QWidget | None = None, parent: QWidget | None = None):
        if isinstance(text_or_parent, str):
            super().__init__(text_or_parent, parent)
        else:
            super().__init__(text_or_parent)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def setToolTip(self, text: str) -> None:
        super().setToolTip(plain_tooltip(text))
