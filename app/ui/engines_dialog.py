"""Settings › Engines, and the per-chat engine picker.

:class:`EnginesPage` edits the saved remote engines: a preset (llama.cpp server, vLLM,
Ollama, LM Studio, another Hearth) fills in the usual address; *Test connection* asks the
server for its models (off the GUI thread) and says what answered; *Save* writes the engine
at once (its API key goes to the system keyring, never to the settings file).

:class:`EnginePicker` sits above a chat: it offers the local model and every remote
engine's models, says where answers come from, and, whenever a remote engine is chosen,
says *before anything is sent* that the words will leave this computer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.engines.registry import (
    LOCAL_CHOICE,
    PRESETS,
    ChatEngineChoices,
    ConnectionReport,
    EngineConfig,
    EngineRegistry,
    new_engine_config,
    parse_choice,
    preset,
    probe,
    remote_engine_factory,
)
from app.core.engines.remote import RemoteEngineError
from app.core.errors import HearthError
from app.core.network import NetworkGateway
from app.ui.errors_i18n import error_text
from app.ui.plain import plain_tooltip
from app.workers.tasks import TaskRunner


def _plain_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    # Server names, addresses and messages come from outside: never rich text.
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class EnginesPage(QWidget):
    """The Engines page of the settings dialog."""

    #: Emitted after an engine was saved or removed.
    engines_changed = Signal()
    #: A "Test connection" finished (the sentence shown); for tests and accessibility.
    test_finished = Signal(str)

    def __init__(
        self,
        registry: EngineRegistry,
        gateway: NetworkGateway,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._registry = registry
        self._gateway = gateway
        self._runner = runner or TaskRunner(parent=self)
        self._editing: EngineConfig | None = None
        self._test_task: str | None = None
        self._tested_kind = ""
        self._tested_n_ctx: dict[str, int] = {}

        self.engine_list = QListWidget(self)
        self.engine_list.setAccessibleName(self.tr("Remote engines"))
        self.engine_list.currentItemChanged.connect(self._on_selected)
        self.add_button = QPushButton(self.tr("Add"), self)
        self.add_button.clicked.connect(self.start_new)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.engine_list, 1)
        left.addLayout(list_buttons)

        self.kind = QComboBox(self)
        for item in PRESETS:
            self.kind.addItem(self._preset_label(item.kind, item.label), item.kind)
        self.kind.setAccessibleName(self.tr("Server kind"))
        self.kind.activated.connect(self._on_preset)
        self.name = QLineEdit(self)
        self.name.setAccessibleName(self.tr("Name"))
        self.name.setPlaceholderText(self.tr("GPU server"))
        self.address = QLineEdit(self)
        self.address.setAccessibleName(self.tr("Address"))
        self.address.setPlaceholderText("http://192.168.1.20:8080/v1")
        self.api_key = QLineEdit(self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setAccessibleName(self.tr("API key"))
        self.ca_file = QLineEdit(self)
        self.ca_file.setAccessibleName(self.tr("CA certificate file"))
        self.ca_file.setPlaceholderText(self.tr("Only for a server with its own certificates"))
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.connect_timeout = QDoubleSpinBox(self)
        self.connect_timeout.setRange(1, 600)
        self.connect_timeout.setSuffix(" s")
        self.connect_timeout.setAccessibleName(self.tr("Connect timeout"))
        self.read_timeout = QDoubleSpinBox(self)
        self.read_timeout.setRange(1, 3600)
        self.read_timeout.setSuffix(" s")
        self.read_timeout.setAccessibleName(self.tr("Read timeout"))
        self.model = QComboBox(self)
        self.model.setEditable(True)
        self.model.setAccessibleName(self.tr("Model"))
        self.test_button = QPushButton(self.tr("Test connection"), self)
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("Save engine"), self)
        self.save_button.clicked.connect(self.save_current)
        self.status = _plain_label(self)
        self.status.setObjectName("engineStatus")
        self.status.setAccessibleName(self.tr("Connection status"))

        form = QFormLayout()
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Address"), self.address)
        form.addRow(self.tr("API key"), self.api_key)
        form.addRow(self.tr("CA file"), ca_row)
        form.addRow(self.tr("Connect timeout"), self.connect_timeout)
        form.addRow(self.tr("Read timeout"), self.read_timeout)
        form.addRow(self.tr("Model"), self.model)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(actions)
        right.addWidget(self.status)
        right.addStretch(1)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)
        self._reload_list()
        self.start_new()

    # --- list ------------------------------------------------------------------------------

    def _reload_list(self, select: str | None = None) -> None:
        self.engine_list.blockSignals(True)
        self.engine_list.clear()
        for config in self._registry.engines():
            item = QListWidgetItem(f"{config.name} — {config.host}", self.engine_list)
            item.setData(Qt.ItemDataRole.UserRole, config.id)
            if config.id == select:
                self.engine_list.setCurrentItem(item)
        self.engine_list.blockSignals(False)
        self.remove_button.setEnabled(self.engine_list.currentItem() is not None)

    def _on_selected(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        self.remove_button.setEnabled(item is not None)
        if item is None:
            return
        config = self._registry.get(str(item.data(Qt.ItemDataRole.UserRole)))
        if config is not None:
            self.edit(config)

    def start_new(self) -> None:
        """Empty form for a new engine (llama.cpp server preset)."""
        self._editing = None
        self.engine_list.clearSelection()
        self.engine_list.setCurrentRow(-1)
        self.kind.setCurrentIndex(0)
        self._fill(PRESETS[0].kind, "", PRESETS[0].base_url, "", 10.0, 120.0, [], "")
        self.api_key.setPlaceholderText(self.tr("Optional"))
        self.status.setText("")

    def edit(self, config: EngineConfig) -> None:
        self._editing = config
        index = self.kind.findData(config.server_kind)
        self.kind.setCurrentIndex(index if index >= 0 else self.kind.count() - 1)
        models = list(config.models) or ([config.model] if config.model else [])
        self._fill(
            config.server_kind,
            config.name,
            config.base_url,
            config.ca_file,
            config.connect_timeout,
            config.read_timeout,
            models,
            config.model,
        )
        self.api_key.setPlaceholderText(
            self.tr("Saved in the keyring (type to replace)")
            if config.has_key
            else self.tr("Optional")
        )
        self.status.setText("")

    def _fill(
        self,
        kind: str,
        name: str,
        address: str,
        ca_file: str,
        connect_timeout: float,
        read_timeout: float,
        models: list[str],
        model: str,
    ) -> None:
        self._tested_kind = kind
        self._tested_n_ctx = {}
        self.name.setText(name)
        self.address.setText(address)
        self.api_key.clear()
        self.ca_file.setText(ca_file)
        self.connect_timeout.setValue(connect_timeout)
        self.read_timeout.setValue(read_timeout)
        self.model.clear()
        self.model.addItems(models)
        self.model.setEditText(model)

    def _on_preset(self, index: int) -> None:
        chosen = preset(str(self.kind.itemData(index)))
        if chosen is None:
            return
        self._tested_kind = chosen.kind
        if chosen.kind and (not self.address.text().strip() or self._is_preset_address()):
            self.address.setText(chosen.base_url)
        if not self.name.text().strip() and chosen.kind:
            self.name.setText(self._preset_label(chosen.kind, chosen.label))

    def _preset_label(self, kind: str, label: str) -> str:
        # Product names stay as they are; only our own words are translated.
        ours = {
            "llama.cpp": self.tr("llama.cpp server"),
            "hearth": self.tr("Another Hearth"),
            "": self.tr("Other OpenAI-compatible server"),
        }
        return ours.get(kind, label)

    def _is_preset_address(self) -> bool:
        return self.address.text().strip() in {p.base_url for p in PRESETS}

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("CA certificate"),
            "",
            self.tr("Certificates (*.pem *.crt);;All files (*)"),
        )
        if path:
            self.ca_file.setText(path)

    # --- actions ---------------------------------------------------------------------------

    def current_config(self) -> EngineConfig:
        """The form as a config; raises RemoteEngineError for an unusable address."""
        base = self._editing
        values: dict[str, Any] = {
            "model": self.model.currentText().strip(),
            "server_kind": self._tested_kind,
            "ca_file": self.ca_file.text().strip(),
            "connect_timeout": self.connect_timeout.value(),
            "read_timeout": self.read_timeout.value(),
            "models": tuple(self.model.itemText(i) for i in range(self.model.count())),
        }
        model = values["model"]
        if model in self._tested_n_ctx:
            values["n_ctx"] = self._tested_n_ctx[model]
        if base is None:
            return new_engine_config(self.name.text(), self.address.text(), **values)
        return replace(
            base,
            name=self.name.text() or base.name,
            base_url=self.address.text(),
            **values,
        )

    def test_connection(self) -> None:
        try:
            config = self.current_config()
        except RemoteEngineError as exc:
            self._show_status(str(exc))
            return
        typed_key = self.api_key.text().strip()
        key = typed_key or (
            self._registry.api_key(config.id) if self._editing and config.has_key else ""
        )
        endpoint = config.endpoint(key)
        self.test_button.setEnabled(False)
        self.status.setText(self.tr("Asking %1 …").replace("%1", endpoint.host))
        self._test_task = self._runner.submit(
            lambda cancel, _progress: probe(self._gateway, endpoint, cancel=cancel),
            name="engine-test",
            on_finished=self._on_tested,
            on_failed=self._on_test_failed,
            on_cancelled=lambda: self.test_button.setEnabled(True),
        )

    def _on_tested(self, report: ConnectionReport) -> None:
        self.test_button.setEnabled(True)
        self._tested_kind = report.server_kind or self._tested_kind
        self._tested_n_ctx = dict(report.n_ctx)
        chosen = self.model.currentText().strip()
        self.model.clear()
        self.model.addItems(list(report.models))
        if chosen in report.models or (chosen and not report.models):
            self.model.setEditText(chosen)
        elif report.models:
            self.model.setCurrentIndex(0)
        index = self.kind.findData(self._tested_kind)
        if index >= 0 and self._tested_kind:
            self.kind.setCurrentIndex(index)
        self._show_status(report.sentence())

    def _on_test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self._show_status(message)

    def _show_status(self, text: str) -> None:
        self.status.setText(error_text(text))
        self.test_finished.emit(text)

    def save_current(self) -> EngineConfig | None:
        try:
            config = self.current_config()
            key = self.api_key.text().strip()
            saved = self._registry.save(config, api_key=key if key else None)
        except HearthError as exc:
            self._show_status(str(exc))
            return None
        self._editing = saved
        self.api_key.clear()
        if saved.has_key:
            self.api_key.setPlaceholderText(self.tr("Saved in the keyring (type to replace)"))
        warning = self._registry.secrets.take_warning()
        self.status.setText(warning or self.tr("Saved."))
        self._reload_list(select=saved.id)
        self.engines_changed.emit()
        return saved

    def remove_selected(self) -> None:
        item = self.engine_list.currentItem()
        if item is None:
            return
        self._registry.remove(str(item.data(Qt.ItemDataRole.UserRole)))
        self._reload_list()
        self.start_new()
        self.engines_changed.emit()


class EnginePicker(QWidget):
    """Chooses the engine of the open chat and says where its answers come from."""

    #: The chosen choice string (``local`` or ``remote:<id>:<model>``).
    choice_changed = Signal(str)
    #: Whether what is sent now leaves this computer, and the engine's "name (host)".
    destination_changed = Signal(bool, str)

    def __init__(
        self, registry: EngineRegistry, gateway: NetworkGateway, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._registry = registry
        self._gateway = gateway
        self.combo = QComboBox(self)
        self.combo.setAccessibleName(self.tr("Engine for this chat"))
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.activated.connect(self._on_activated)
        self.where = _plain_label(self)
        self.where.setObjectName("engineWhere")
        self.where.setAccessibleName(self.tr("Where answers come from"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(QLabel(self.tr("Engine:"), self))
        layout.addWidget(self.combo)
        layout.addWidget(self.where, 1)
        self.refresh()

    @property
    def choice(self) -> str:
        data = self.combo.currentData()
        return str(data) if data else LOCAL_CHOICE

    @property
    def leaves_this_computer(self) -> bool:
        """True when the chosen engine is on another machine (what is sent leaves it)."""
        parsed = parse_choice(self.choice)
        if parsed is None:
            return False
        config = self._registry.get(parsed[0])
        return config is not None and not config.is_loopback

    def refresh(self) -> None:
        """Re-read the engines (after Settings › Engines changed them)."""
        current = self.choice if self.combo.count() else LOCAL_CHOICE
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(self.tr("Local model (this computer)"), LOCAL_CHOICE)
        for choice, label in self._registry.choices():
            self.combo.addItem(label, choice)
        self.combo.blockSignals(False)
        self.set_choice(current)
        self.setVisible(self.combo.count() > 1)

    def set_choice(self, choice: str) -> None:
        index = self.combo.findData(choice)
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.update_where()

    def _on_activated(self, _index: int) -> None:
        self.update_where()
        self.choice_changed.emit(self.choice)

    def update_where(self) -> None:
        """The sentence beside the picker; also called when offline mode changes."""
        parsed = parse_choice(self.choice)
        config = self._registry.get(parsed[0]) if parsed else None
        if parsed is None or config is None:
            self.where.setText(self.tr("Answers come from this computer."))
            self.where.setProperty("leaves", False)
            self.destination_changed.emit(False, "")
            return
        if self._gateway.offline and not config.is_loopback:
            text = self.tr(
                "Offline mode is on, so %1 (%2) cannot be used. Turn off offline mode, or pick "
                "the local model."
            )
        elif config.is_loopback:
            text = self.tr("Answers come from %1 (%2), on this computer.")
        else:
            text = self.tr(
                "Answers come from %1 (%2). What you send in this chat leaves this computer."
            )
        self.where.setText(text.replace("%1", config.name).replace("%2", config.host))
        self.where.setProperty("leaves", not config.is_loopback)
        self.destination_changed.emit(not config.is_loopback, f"{config.name} ({config.host})")


class ChatEngines(QObject):
    """Keeps each chat on its engine: the picker, the per-chat memory, and the switch.

    Choosing an engine remembers it for the open chat (a new chat inherits the engine in
    use) and swaps the host's engine; opening a chat swaps back to that chat's engine. The
    history is the store's, so a chat keeps it whichever engine answers next.
    """

    #: A sentence for the user (an engine that was removed, say).
    error = Signal(str)

    def __init__(
        self,
        *,
        client: Any,
        gateway: NetworkGateway,
        config_dir: Path,
        load_local: Callable[[str], None],
        local_model: Callable[[], str],
        current_chat: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._gateway = gateway
        self._load_local = load_local
        self._local_model = local_model
        self._current_chat = current_chat
        self.registry = EngineRegistry.in_config_dir(config_dir)
        self.memory = ChatEngineChoices(Path(config_dir) / "chat-engines.json")
        self.picker = EnginePicker(self.registry, gateway, parent)
        self.picker.choice_changed.connect(self.choose)
        #: What the host runs, as far as this object switched it.
        self.active = LOCAL_CHOICE
        self._new_chat_choice: str | None = None
        client.model_loaded.connect(self._on_model_loaded)

    def _on_model_loaded(self, info: Any, _warning: str) -> None:
        if getattr(info, "kind", "local") == "remote" or self.active == LOCAL_CHOICE:
            return
        # A local model was opened by hand: the open chat now uses it.
        self.active = LOCAL_CHOICE
        chat_id = self._current_chat()
        if chat_id:
            self.memory.set(chat_id, LOCAL_CHOICE)
        self.picker.set_choice(LOCAL_CHOICE)

    def choose(self, choice: str) -> None:
        """The user picked ``choice`` for the open chat (or for the next new one)."""
        chat_id = self._current_chat()
        if chat_id:
            self.memory.set(chat_id, choice)
        else:
            self._new_chat_choice = choice
        self.switch(choice)

    def chat_opened(self, chat_id: str | None) -> None:
        """The window opened ``chat_id`` (None or "" for a new, empty chat)."""
        if not chat_id:
            self._new_chat_choice = self.picker.choice
            return
        if self._new_chat_choice is not None:
            # The new chat just got its id: it keeps the engine chosen for it.
            self.memory.set(chat_id, self._new_chat_choice)
            self._new_chat_choice = None
        choice = self.memory.get(chat_id)
        if parse_choice(choice) is not None and self.picker.combo.findData(choice) < 0:
            choice = LOCAL_CHOICE  # its engine was removed
        self.picker.set_choice(choice)
        self.switch(choice)

    def switch(self, choice: str) -> None:
        if choice == self.active:
            return
        parsed = parse_choice(choice)
        if parsed is None:
            path = self._local_model()
            self.active = LOCAL_CHOICE
            if path:
                self._load_local(path)
            return
        engine_id, model = parsed
        try:
            endpoint = self.registry.endpoint(engine_id, model)
        except HearthError as exc:
            self.error.emit(str(exc))
            return
        self.active = choice
        self._client.load_engine(
            remote_engine_factory(self._gateway, endpoint), label=f"{model} — {endpoint.name}"
        )

    def refresh(self) -> None:
        self.picker.refresh()

    def mark_input(self, text_input: Any, send_button: Any) -> None:
        """Keep the message box and Send saying where a message goes, before it is sent."""
        local_placeholder = text_input.placeholderText()
        local_tip = send_button.toolTip()

        def show(leaves: bool, where: str) -> None:
            if leaves:
                text_input.setPlaceholderText(
                    self.tr("Message for %1. It leaves this computer when you send it.").replace(
                        "%1", where
                    )
                )
                send_button.setToolTip(plain_tooltip(self.tr("Send to %1").replace("%1", where)))
            else:
                text_input.setPlaceholderText(local_placeholder)
                send_button.setToolTip(local_tip)

        self.picker.destination_changed.connect(show)
        self.picker.update_where()


__all__ = ["ChatEngines", "EnginePicker", "EnginesPage"]
