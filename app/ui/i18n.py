"""UI language: Qt translators for Hearth's strings and Qt's own dialogs.

``system`` follows the OS locale; Simplified Chinese (zh_CN) and English are shipped.
Sources are ``resources/i18n/hearth_<lang>.ts``; the compiled ``.qm`` sits beside them.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from app.core.paths import resource_path

log = logging.getLogger(__name__)

SUPPORTED = ("zh_CN", "en")


def resolve_language(setting: str) -> str:
    """Map a settings value to a shipped language code."""
    if setting in SUPPORTED:
        return setting
    name = QLocale.system().name()  # e.g. "zh_CN", "zh_TW", "en_GB"
    if name.startswith("zh"):
        return "zh_CN"
    return "en"


def install_translators(app: QApplication, setting: str) -> list[QTranslator]:
    """Install translators for ``setting``; returns them so the caller keeps them alive."""
    for old in getattr(app, "_hearth_translators", []):
        app.removeTranslator(old)
    language = resolve_language(setting)
    installed: list[QTranslator] = []
    # English has a file too: it holds only the plural forms ("1 token" / "2 tokens").
    ours = QTranslator(app)
    if ours.load(str(resource_path("i18n", f"hearth_{language}.qm"))):
        app.installTranslator(ours)
        installed.append(ours)
    else:
        log.warning("no translation file for %s", language)
    if language != "en":
        qt_own = QTranslator(app)
        qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_own.load(f"qtbase_{language}", qt_dir):
            app.installTranslator(qt_own)
            installed.append(qt_own)
    app._hearth_translators = installed  # type: ignore[attr-defined]
    QLocale.setDefault(QLocale(language))
    return installed
