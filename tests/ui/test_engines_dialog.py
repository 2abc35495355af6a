"""Settings › Engines and the per-chat engine picker, against the fake OpenAI server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.engines.registry import (
    LOCAL_CHOICE,
    ChatEngineChoices,
    EngineRegistry,
    new_engine_config,
    remote_choice,
)
from app.core.network import NetworkGateway
from app.ui.engines_dialog import ChatEngines, EnginePicker, EnginesPage
from tests.support.fake_openai import FakeOpenAI
from tests.support.keyrings import MemoryKeyring

Factory = Callable[..., FakeOpenAI]


@pytest.fixture
def registry(tmp_path: Path, memory_keyring: MemoryKeyring) -> EngineRegistry:
    return EngineRegistry.in_config_dir(tmp_path / "config")


def test_test_connection_lists_models_and_save_keeps_the_key_in_the_keyring(
    qtbot: QtBot,
    fake_openai_factory: Factory,
    registry: EngineRegistry,
    gateway: NetworkGateway,
    memory_keyring: MemoryKeyring,
) -> None:
    server = fake_openai_factory(models=("r1-7b", "r1-32b"), owned_by="vllm", api_key="sk-ui")
    page = EnginesPage(registry, gateway)
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("vllm"))
    page._on_preset(page.kind.currentIndex())
    assert page.address.text() == "http://127.0.0.1:8000/v1"
    page.name.setText("GPU box")
    page.address.setText(server.base_url)
    page.api_key.setText("sk-ui")

    with qtbot.waitSignal(page.test_finished, timeout=10_000) as signal:
        page.test_connection()
    assert signal.args is not None
    assert signal.args[0].startswith("vLLM answered at 127.0.0.1:")
    assert [page.model.itemText(i) for i in range(page.model.count())] == ["r1-7b", "r1-32b"]
    assert page.model.currentText() == "r1-7b"

    saved = page.save_current()
    assert saved is not None and saved.has_key and saved.server_kind == "vllm"
    assert saved.models == ("r1-7b", "r1-32b")
    assert memory_keyring.saved == {("Hearth", f"engine:{saved.id}"): "sk-ui"}
    assert page.api_key.text() == ""
    assert page.engine_list.count() == 1
    assert registry.choices()[0] == (remote_choice(saved.id, "r1-7b"), "r1-7b — GPU box")


def test_a_failed_test_says_why(
    qtbot: QtBot, fake_openai_factory: Factory, registry: EngineRegistry, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(html=True)
    page = EnginesPage(registry, gateway)
    qtbot.addWidget(page)
    page.address.setText(server.base_url)
    with qtbot.waitSignal(page.test_finished, timeout=10_000) as signal:
        page.test_connection()
    assert signal.args is not None and "web page" in signal.args[0]
    assert page.test_button.isEnabled()

    page.address.setText("ftp://nowhere")
    with qtbot.waitSignal(page.test_finished, timeout=1000) as bad:
        page.test_connection()
    assert bad.args is not None and "not a web address" in bad.args[0]


def test_remove_forgets_the_engine_and_its_key(
    qtbot: QtBot,
    registry: EngineRegistry,
    gateway: NetworkGateway,
    memory_keyring: MemoryKeyring,
) -> None:
    saved = registry.save(new_engine_config("Box", "http://10.0.0.5:8000"), api_key="k")
    page = EnginesPage(registry, gateway)
    qtbot.addWidget(page)
    page.engine_list.setCurrentRow(0)
    assert page.name.text() == "Box"
    assert "keyring" in page.api_key.placeholderText()
    with qtbot.waitSignal(page.engines_changed):
        page.remove_selected()
    assert registry.get(saved.id) is None
    assert memory_keyring.saved == {}


def test_the_picker_says_where_answers_come_from_before_sending(
    qtbot: QtBot, registry: EngineRegistry, gateway: NetworkGateway
) -> None:
    far = registry.save(new_engine_config("GPU box", "http://10.0.0.5:8000", model="r1-32b"))
    near = registry.save(new_engine_config("Ollama", "http://127.0.0.1:11434", model="qwen"))
    picker = EnginePicker(registry, gateway)
    qtbot.addWidget(picker)
    assert picker.choice == LOCAL_CHOICE
    assert picker.where.text() == "Answers come from this computer."
    assert not picker.leaves_this_computer

    with qtbot.waitSignal(picker.choice_changed) as changed:
        picker.combo.setCurrentIndex(picker.combo.findData(remote_choice(far.id, "r1-32b")))
        picker.combo.activated.emit(picker.combo.currentIndex())
    assert changed.args == [remote_choice(far.id, "r1-32b")]
    assert picker.leaves_this_computer
    assert "leaves this computer" in picker.where.text()
    assert "GPU box (10.0.0.5:8000)" in picker.where.text()

    picker.set_choice(remote_choice(near.id, "qwen"))
    assert not picker.leaves_this_computer
    assert picker.where.text() == "Answers come from Ollama (127.0.0.1:11434), on this computer."

    gateway.set_offline(True)
    picker.set_choice(remote_choice(far.id, "r1-32b"))
    assert "Offline mode is on, so GPU box (10.0.0.5:8000) cannot be used" in picker.where.text()

    registry.remove(far.id)
    picker.refresh()
    assert picker.choice == LOCAL_CHOICE


class FakeClient(QObject):
    model_loaded = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []

    def load_engine(self, factory: object, *, label: str = "") -> int:
        self.loaded.append(label)
        return len(self.loaded)


def test_each_chat_keeps_its_engine(
    qtbot: QtBot, registry: EngineRegistry, gateway: NetworkGateway, tmp_path: Path
) -> None:
    far = registry.save(new_engine_config("GPU box", "http://10.0.0.5:8000", model="r1-32b"))
    config_dir = tmp_path / "config"
    client = FakeClient()
    local_loads: list[str] = []
    open_chat = {"id": ""}
    parent = QWidget()
    qtbot.addWidget(parent)
    engines = ChatEngines(
        client=client,
        gateway=gateway,
        config_dir=config_dir,
        load_local=local_loads.append,
        local_model=lambda: "/models/tiny.gguf",
        current_chat=lambda: open_chat["id"],
        parent=parent,
    )
    remote = remote_choice(far.id, "r1-32b")
    message_box = QPlainTextEdit(parent)
    message_box.setPlaceholderText("Message Hearth…")
    send = QPushButton("Send", parent)
    engines.mark_input(message_box, send)

    # A new chat: choosing the GPU box loads it, and the chat keeps it once it has an id.
    engines.chat_opened("")
    engines.picker.set_choice(remote)
    engines.choose(remote)
    assert client.loaded == ["r1-32b — GPU box"]
    # Before anything is sent, the message box says where it goes.
    assert message_box.placeholderText() == (
        "Message for GPU box (10.0.0.5:8000). It leaves this computer when you send it."
    )
    assert send.toolTip() == "Send to GPU box (10.0.0.5:8000)"
    open_chat["id"] = "chat-a"
    engines.chat_opened("chat-a")
    assert engines.memory.get("chat-a") == remote

    # Another, older chat uses the local model: opening it switches back.
    open_chat["id"] = "chat-b"
    engines.chat_opened("chat-b")
    assert local_loads == ["/models/tiny.gguf"]
    assert engines.picker.choice == LOCAL_CHOICE
    assert message_box.placeholderText() == "Message Hearth…"

    # Back to the first chat: its engine again, mid-conversation history untouched.
    open_chat["id"] = "chat-a"
    engines.chat_opened("chat-a")
    assert client.loaded == ["r1-32b — GPU box", "r1-32b — GPU box"]
    assert engines.picker.choice == remote
    assert ChatEngineChoices(config_dir / "chat-engines.json").get("chat-a") == remote


def test_settings_has_an_engines_page_when_given_the_registry(
    qtbot: QtBot, registry: EngineRegistry, gateway: NetworkGateway
) -> None:
    from app.core.settings import Settings
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), engines=registry, gateway=gateway)
    qtbot.addWidget(dialog)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Engines" in titles
    assert isinstance(dialog.engines_page, EnginesPage)
    plain = SettingsDialog(Settings())
    qtbot.addWidget(plain)
    assert plain.engines_page is None
