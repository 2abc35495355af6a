"""The real main window for UI tests: made with the real worker and store, and a tiny model."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.settings import Settings
from app.core.store import ChatStore
from app.ui.chat_view import AssistantMessageWidget
from app.ui.main_window import MainWindow
from app.workers.inference import InferenceClient


def make_window(
    qtbot: QtBot, store: ChatStore, params: SamplingParams, *, context_length: int = 2048
) -> MainWindow:
    settings = Settings(sampling=params, context_length=context_length, threads=2)
    window = MainWindow(settings=settings, store=store, client=InferenceClient())
    qtbot.addWidget(window)
    window.show()
    return window


def load_tiny(qtbot: QtBot, window: MainWindow, model: Path) -> None:
    with qtbot.waitSignal(window.client.model_loaded, timeout=60000):
        window.load_model(str(model))


def assistant_widgets(window: MainWindow) -> list[AssistantMessageWidget]:
    return [w for w in window.chat_view.messages if isinstance(w, AssistantMessageWidget)]
