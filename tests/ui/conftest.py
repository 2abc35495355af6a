"""Fixtures shared by the UI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from app.ui import i18n


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[QApplication]:
    """The app with the zh_CN translators installed; English and the locale restored after."""
    previous_locale = QLocale()
    installed = i18n.install_translators(qapp, "zh_CN")
    assert installed, "hearth_zh_CN.qm did not load"
    yield qapp
    for translator in installed:
        qapp.removeTranslator(translator)
    qapp._hearth_translators = []  # type: ignore[attr-defined]
    QLocale.setDefault(previous_locale)
