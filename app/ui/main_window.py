"""The main window: conversation list, chat, input, status bar.

The window is thin: the chat logic lives in :class:`~app.ui.controller.ChatController`
and inference in the worker. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.chat import TurnStats
from app.core.settings import Settings
from app.ui.chat_input import ChatInput
from app.ui.chat_view import ChatView
from app.ui.controller import ChatController
from app.workers.inference import InferenceClient

log = logging.getLogger(__name__)


class ModelBanner(QWidget):
    """Shown while no model is loaded: says so and offers the ways to get one."""

    open_requested = Signal()
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open model file…"), self)
        self.open_button.setAccessibleName(self.tr("Open model file"))
        self.manage_button = QPushButton(self.tr("Download a model…"), self)
        self.manage_button.setAccessibleName(self.tr("Open the model manager"))
        self.open_button.clicked.connect(self.open_requested)
        self.manage_button.clicked.connect(self.manage_requested)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.manage_button)
        self.show_no_model()

    def show_no_model(self) -> None:
        self.label.setText(self.tr("No model is loaded. Open a GGUF file or download one."))
        self.open_button.setVisible(True)
        self.manage_button.setVisible(True)
        self.setVisible(True)

    def show_loading(self, name: str) -> None:
        self.label.setText(self.tr("Loading %1…").replace("%1", name))
        self.open_button.setVisible(False)
        self.manage_button.setVisible(False)
        self.setVisible(True)

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.open_button.setVisible(True)
        self.manage_button.setVisible(True)
        self.setVisible(True)


class MessageBar(QWidget):
    """A dismissible inline message: errors are shown here, never in a blocking dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Message"))
        self.close_button = QPushButton(self.tr("Dismiss"), self)
        self.close_button.setAccessibleName(self.tr("Dismiss message"))
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button)
        self.setVisible(False)

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(True)


class MainWindow(QMainWindow):
    """Hearth's window. ``store`` and ``client`` are created by the composition root."""

    settings_changed = Signal(object)

    def __init__(
        self,
        *,
        settings: Settings,
        store: Any,
        client: InferenceClient,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.client = client
        self.setWindowTitle("Hearth")
        self.resize(QSize(1100, 760))
        self.setAccessibleName("Hearth")

        # --- chat column ---
        self.banner = ModelBanner(self)
        self.message_bar = MessageBar(self)
        self.chat_view = ChatView(self)
        self.prefill_bar = QProgressBar(self)
        self.prefill_bar.setObjectName("prefillBar")
        self.prefill_bar.setMaximumHeight(6)
        self.prefill_bar.setTextVisible(False)
        self.prefill_bar.setVisible(False)
        self.prefill_bar.setAccessibleName(self.tr("Reading the prompt"))
        self.input = ChatInput(self)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setAccessibleName(self.tr("Send message"))
        self.send_button.setDefault(True)
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setAccessibleName(self.tr("Stop generating"))
        self.stop_button.setToolTip(self.tr("Stop generating (Esc)"))
        self.stop_button.setVisible(False)
        self.answer_now_button = QPushButton(self.tr("Answer now"), self)
        self.answer_now_button.setAccessibleName(self.tr("Stop thinking and answer now"))
        self.answer_now_button.setToolTip(self.tr("Stop thinking and answer now"))
        self.answer_now_button.setVisible(False)

        input_row = QHBoxLayout()
        input_row.setContentsMargins(12, 6, 12, 12)
        input_row.addWidget(self.input, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.answer_now_button)
        buttons.addStretch(1)
        input_row.addLayout(buttons)

        chat_column = QWidget(self)
        column = QVBoxLayout(chat_column)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.message_bar)
        column.addWidget(self.chat_view, 1)
        column.addWidget(self.prefill_bar)
        column.addLayout(input_row)

        # Pages of the right side: chat, or the model manager when it is opened.
        self.pages = QStackedWidget(self)
        self.pages.addWidget(chat_column)
        self.chat_page = chat_column

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.sidebar_slot = QWidget(self)
        self.sidebar_slot.setObjectName("sidebarSlot")
        self.sidebar_slot.setLayout(QVBoxLayout())
        self.sidebar_slot.layout().setContentsMargins(0, 0, 0, 0)
        self.sidebar_slot.setMinimumWidth(200)
        self.splitter.addWidget(self.sidebar_slot)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 840])
        self.setCentralWidget(self.splitter)

        # --- status bar ---
        self.model_label = QLabel(self)
        self.model_label.setObjectName("statusModel")
        self.speed_label = QLabel(self)
        self.speed_label.setObjectName("statusSpeed")
        self.speed_label.setAccessibleName(self.tr("Speed of the last answer"))
        self.statusBar().addWidget(self.model_label, 1)
        self.statusBar().addPermanentWidget(self.speed_label)

        # --- controller ---
        self.controller = ChatController(
            store=store, client=client, view=self.chat_view, settings=settings, parent=self
        )
        self.input.submitted.connect(self.send_message)
        self.send_button.clicked.connect(lambda: self.send_message(self.input.toPlainText()))
        self.stop_button.clicked.connect(self.controller.stop)
        self.answer_now_button.clicked.connect(self.controller.answer_now)
        self.chat_view.example_chosen.connect(self._use_example)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.link_activated.connect(self._open_link)
        self.controller.generation_started.connect(self._on_generation_started)
        self.controller.generation_finished.connect(self._on_generation_finished)
        self.controller.error.connect(self.show_error)
        self.controller.reasoning_state.connect(self._on_reasoning_state)
        self.banner.open_requested.connect(self.choose_model_file)
        self.banner.manage_requested.connect(self.show_model_manager)
        client.model_loading.connect(self._on_model_loading)
        client.model_loaded.connect(self._on_model_loaded)
        client.model_load_failed.connect(self._on_model_load_failed)
        client.prompt_progressed.connect(self._on_prompt_progress)

        self._build_menus()
        stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        stop_shortcut.activated.connect(self.controller.stop)
        self._update_model_label()

    # --- menus ---
    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu(self.tr("&File"))
        self.new_chat_action = QAction(self.tr("&New chat"), self)
        self.new_chat_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_chat_action.triggered.connect(self.new_chat)
        self.open_model_action = QAction(self.tr("&Open model file…"), self)
        self.open_model_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_model_action.triggered.connect(self.choose_model_file)
        self.models_action = QAction(self.tr("&Models…"), self)
        self.models_action.setShortcut(QKeySequence("Ctrl+M"))
        self.models_action.triggered.connect(self.show_model_manager)
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.new_chat_action, self.open_model_action, self.models_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.file_menu = file_menu
        self.help_menu = menu_bar.addMenu(self.tr("&Help"))

    # --- actions ---
    def send_message(self, text: str) -> None:
        if self.controller.send(text):
            self.input.clear()

    def new_chat(self) -> None:
        self.show_chat()
        self.controller.new_conversation()
        self.input.setFocus()

    def edit_message(self, message_id: str) -> None:
        message = self.store.get_message(message_id)
        if message is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, self.tr("Edit message"), self.tr("Edit your message and send it again:"),
            message.content,
        )
        if ok and text.strip():
            self.controller.edit(message_id, text)

    def choose_model_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Open model file"), str(Path.home()),
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.load_model(path)

    def load_model(self, path: str) -> None:
        self.client.load_model(
            path,
            n_ctx=self.settings.effective_context(),
            n_threads=self.settings.effective_threads(),
        )

    def show_model_manager(self) -> None:
        """Overridden by the composition root once the model panel is attached."""

    def show_chat(self) -> None:
        self.pages.setCurrentWidget(self.chat_page)

    def show_error(self, message: str) -> None:
        if message:
            log.info("shown to the user: %s", message)
            self.message_bar.show_message(message)

    def _use_example(self, text: str) -> None:
        self.input.setPlainText(text)
        self.input.setFocus()

    def _open_link(self, url: QUrl) -> None:
        answer = QMessageBox.question(
            self, self.tr("Open link"),
            self.tr("Open this link in your browser?\n%1").replace("%1", url.toString()),
        )
        if answer == QMessageBox.StandardButton.Yes:
            QDesktopServices.openUrl(url)

    # --- state ---
    def _on_generation_started(self) -> None:
        self.send_button.setVisible(False)
        self.stop_button.setVisible(True)
        self.speed_label.setText(self.tr("Generating…"))

    def _on_generation_finished(self, reason: str, stats: TurnStats) -> None:
        self.send_button.setVisible(True)
        self.stop_button.setVisible(False)
        self.answer_now_button.setVisible(False)
        self.prefill_bar.setVisible(False)
        if stats.generated_tokens:
            self.speed_label.setText(
                self.tr("%1 tok/s · first token %2 s")
                .replace("%1", f"{stats.tokens_per_s:.1f}")
                .replace("%2", f"{stats.ttft_ms / 1000:.2f}")
            )
        elif reason == "cancelled":
            self.speed_label.setText(self.tr("Stopped"))
        else:
            self.speed_label.clear()

    def _on_reasoning_state(self, thinking: bool) -> None:
        self.answer_now_button.setVisible(thinking and self.controller.is_generating)

    def _on_prompt_progress(self, done: int, total: int) -> None:
        # Only worth showing when the prompt takes a while (several batches).
        if total <= 512:
            self.prefill_bar.setVisible(False)
            return
        self.prefill_bar.setMaximum(total)
        self.prefill_bar.setValue(done)
        self.prefill_bar.setVisible(done < total)

    def _on_model_loading(self, path: str) -> None:
        self.banner.show_loading(Path(path).name)
        self.model_label.setText(self.tr("Loading…"))

    def _on_model_loaded(self, info: Any, warning: str) -> None:
        self.banner.setVisible(False)
        self._update_model_label()
        if warning:
            self.statusBar().showMessage(warning, 15000)
        self.settings_changed.emit(self.settings)

    def _on_model_load_failed(self, message: str) -> None:
        if not message:
            self.banner.show_no_model()
        else:
            self.banner.show_error(message)
        self._update_model_label()

    def _update_model_label(self) -> None:
        info = self.client.model_info
        if info is None:
            self.model_label.setText(self.tr("No model loaded"))
        else:
            self.model_label.setText(f"{info.name} · {info.quant} · ctx {info.n_ctx}")

    def closeEvent(self, event: QCloseEvent) -> None:
        # Save the live answer, then stop the worker; the app exits within a second.
        self.controller.shutdown()
        self.client.shutdown(timeout_ms=1000)
        event.accept()
