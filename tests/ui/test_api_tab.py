"""Settings › Local API, and the window's status bar while the API serves."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace

import httpx
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.core.host import EngineHost
from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.store import ChatStore
from app.server.auth import token_path
from app.server.switch import LocalApi
from app.ui.api_tab import ApiTab
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from app.workers.inference import InferenceClient
from tests.server.conftest import MODEL_ID, ScriptedEngine


def test_the_tab_starts_off_and_makes_no_token(qtbot: QtBot, isolated_app_dirs: AppPaths) -> None:
    tab = ApiTab(Settings(), isolated_app_dirs.config)
    qtbot.addWidget(tab)
    assert not tab.enabled.isChecked()
    assert tab.token.text() == "" and not tab.copy_token.isEnabled()
    assert not token_path(isolated_app_dirs.config).exists()


def test_switching_on_shows_a_token_to_copy(qtbot: QtBot, isolated_app_dirs: AppPaths) -> None:
    tab = ApiTab(Settings(), isolated_app_dirs.config)
    qtbot.addWidget(tab)
    tab.enabled.setChecked(True)
    token = token_path(isolated_app_dirs.config).read_text().strip()
    assert tab.token.text() == token
    assert tab.token.echoMode() == tab.token.EchoMode.Password
    tab.show_token.setChecked(True)
    assert tab.token.echoMode() == tab.token.EchoMode.Normal
    tab.copy_token.click()
    clipboard = QGuiApplication.clipboard()
    assert clipboard is not None and clipboard.text() == token


def test_the_dialog_returns_the_api_settings(qtbot: QtBot, isolated_app_dirs: AppPaths) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.api_tab.enabled.setChecked(True)
    dialog.api_tab.port.setValue(9100)
    dialog.api_tab.save_chats.setChecked(True)
    dialog.api_tab.origins.setText("http://localhost:3000,  https://notes.example")
    result = dialog.result_settings()
    assert (result.api_enabled, result.api_port, result.api_save_chats) == (True, 9100, True)
    assert result.api_allowed_origins == "http://localhost:3000 https://notes.example"


def test_the_status_bar_shows_the_address_and_running_requests(
    qtbot: QtBot, isolated_app_dirs: AppPaths, store: ChatStore
) -> None:
    gate = threading.Event()
    host = EngineHost(ScriptedEngine(gate=gate))
    client = InferenceClient(host=host)
    window = MainWindow(settings=Settings(), store=store, client=client)
    qtbot.addWidget(window)
    api = LocalApi(host, isolated_app_dirs.config)
    api.add_activity_listener(window.api_activity)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    worker: threading.Thread | None = None
    try:
        address = api.apply(replace(Settings(), api_enabled=True, api_port=port))
        window.show_api_address(address)
        assert window.api_label.isVisibleTo(window)
        assert window.api_label.text() == f"API: {address}"
        token = token_path(isolated_app_dirs.config).read_text().strip()
        body = {"model": MODEL_ID, "messages": [{"role": "user", "content": "hi"}]}
        worker = threading.Thread(
            target=httpx.post,
            args=(f"{address}/v1/chat/completions",),
            kwargs={"json": body, "headers": {"Authorization": f"Bearer {token}"}, "timeout": 10},
        )
        worker.start()
        qtbot.waitUntil(lambda: "API request running" in window.api_label.text(), timeout=10000)
        gate.set()
        qtbot.waitUntil(lambda: window.api_label.text() == f"API: {address}", timeout=10000)
        window.show_api_address("")
        assert not window.api_label.isVisibleTo(window)
    finally:
        gate.set()
        if worker is not None:
            worker.join(10)
        assert api.stop()
        client.shutdown(timeout_ms=2000)
        host.close(5.0)
