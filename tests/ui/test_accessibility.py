"""Every control a person can reach has a name a screen reader can say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.catalog import load_catalog
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.store import ChatStore
from app.ui.main_window import MainWindow
from app.ui.model_panel import ModelPanel
from app.ui.settings_dialog import SettingsDialog
from app.workers.downloads import DownloadWorker
from app.workers.inference import InferenceClient

INTERACTIVE = (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
)


def is_internal_part(widget: QWidget) -> bool:
    """Sub-widgets Qt builds inside a named control (a spin box's line edit, a combo box's
    popup list, a table's header, the menu bar's overflow button): the control names them."""
    if isinstance(widget, QHeaderView) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, QAbstractSpinBox | QComboBox | QMenuBar) or type(
            parent
        ).__name__.startswith("QComboBox"):
            return True
        parent = parent.parent()
    return False


def unnamed_controls(root: QWidget) -> list[str]:
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE):
            continue
        if is_internal_part(widget):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text.replace("&", "").strip()):
            missing.append(
                f"{type(widget).__name__} {widget.objectName()!r} in "
                f"{type(widget.parent()).__name__}"
            )
    return missing


@pytest.fixture
def window(qtbot: QtBot, isolated_app_dirs: AppPaths) -> Iterator[MainWindow]:
    store = ChatStore.open(isolated_app_dirs.database)
    gateway = NetworkGateway(log_path=isolated_app_dirs.network_log)
    worker = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    window = MainWindow(settings=Settings(), store=store, client=InferenceClient(), gateway=gateway)
    window.attach_model_panel(
        ModelPanel(
            catalog=load_catalog(),
            settings=Settings(),
            gateway=gateway,
            models_dir=isolated_app_dirs.models,
            worker=worker,
        )
    )
    qtbot.addWidget(window)
    yield window
    window.close()
    worker.shutdown(timeout_ms=5000)
    gateway.close()
    store.close()


def test_main_window_and_model_manager_controls_are_named(window: MainWindow) -> None:
    window.show_model_manager()
    assert unnamed_controls(window) == []


def test_settings_dialog_controls_are_named(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), chat_open=True)
    qtbot.addWidget(dialog)
    assert unnamed_controls(dialog) == []


def test_the_checker_notices_an_unnamed_control(qtbot: QtBot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    QLineEdit(root)
    assert len(unnamed_controls(root)) == 1


def test_text_size_follows_ctrl_plus_and_minus(window: MainWindow) -> None:
    start = window.chat_view.font().pointSizeF()
    window.zoom(1)
    window.zoom(1)
    assert window.chat_view.font().pointSizeF() == pytest.approx(start + 2)
    assert window.input.font().pointSizeF() == pytest.approx(start + 2)
    window.zoom(-1)
    assert window.settings.font_point_size == pytest.approx(start + 1)
