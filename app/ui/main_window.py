"""The main window: conversation list, chat, input, status bar.

The window is thin: the chat logic lives in :class:`~app.ui.controller.ChatController`
and inference in the worker. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.chat import TurnStats
from app.core.settings import Settings
from app.core.store import ChatOps
from app.ui.about_dialog import AboutDialog
from app.ui.attachments import install_drop_and_paste
from app.ui.banners import MessageBar, ModelBanner
from app.ui.chat_input import ChatInput
from app.ui.chat_view import ChatView
from app.ui.controller import ChatController
from app.ui.errors_i18n import error_text
from app.ui.find_bar import FindBar
from app.ui.network_log import NetworkLogDialog
from app.ui.plain import PlainLabel, plain_message_box
from app.ui.settings_dialog import SettingsDialog
from app.ui.sidebar import Sidebar
from app.workers.inference import InferenceClient

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Hearth's window. ``store`` and ``client`` are created by the composition root."""

    settings_changed = Signal(object)
    #: API requests in flight (waiting or running), from the server thread; see api_activity.
    _api_activity_changed = Signal(int)

    def __init__(
        self,
        *,
        settings: Settings,
        store: Any,
        client: InferenceClient,
        gateway: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.client = client
        self.gateway = gateway
        self.settings_dialog: SettingsDialog | None = None
        self.model_panel: Any = None
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
        # Per chat: the local model or a remote engine (Settings › Engines), and where the
        # answers come from; hidden while no remote engine is set up.
        self.engines: Any = None
        if gateway is not None:
            from app.core.paths import app_paths
            from app.ui.engines_dialog import ChatEngines

            self.engines = ChatEngines(
                client=client,
                gateway=gateway,
                config_dir=app_paths().config,
                load_local=self.load_model,
                local_model=lambda: self.settings.last_model,
                current_chat=lambda: self.controller.conversation_id,
                parent=chat_column,
            )
            column.addWidget(self.engines.picker)
        column.addWidget(self.message_bar)
        self.find_bar = FindBar(self.chat_view, chat_column)
        column.addWidget(self.find_bar)
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
        self.sidebar = Sidebar(store, self.sidebar_slot)
        self.sidebar_slot.layout().addWidget(self.sidebar)
        self.splitter.addWidget(self.sidebar_slot)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 840])
        self.setCentralWidget(self.splitter)

        # --- status bar ---
        self.model_label = PlainLabel(self)  # a model's name comes from its file
        self.model_label.setObjectName("statusModel")
        self.speed_label = PlainLabel(self)
        self.speed_label.setObjectName("statusSpeed")
        self.speed_label.setAccessibleName(self.tr("Speed of the last answer"))
        self.context_meter = QProgressBar(self)
        self.context_meter.setObjectName("contextMeter")
        self.context_meter.setMaximumWidth(160)
        self.context_meter.setMaximumHeight(16)
        self.context_meter.setFormat(self.tr("context %p%"))
        self.context_meter.setAccessibleName(self.tr("Context used"))
        self.context_meter.setVisible(False)
        self.offline_button = QToolButton(self)
        self.offline_button.setObjectName("offlineToggle")
        self.offline_button.setCheckable(True)
        self.offline_button.setAutoRaise(True)
        self.offline_button.setAccessibleName(self.tr("Offline mode"))
        self.offline_button.toggled.connect(self.set_offline)
        self.statusBar().addWidget(self.model_label, 1)
        self.statusBar().addPermanentWidget(self.offline_button)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.statusBar().addPermanentWidget(self.context_meter)
        # The local API (Settings › Local API): its address, and when an API request runs.
        self.api_label = PlainLabel(self)
        self.api_label.setObjectName("statusApi")
        self.api_label.setAccessibleName(self.tr("Local API"))
        self.api_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.api_label)
        self._api_address = ""
        self._api_requests = 0
        self._api_activity_changed.connect(self._on_api_activity)

        # --- controller ---
        self.controller = ChatController(
            store=store, client=client, view=self.chat_view, settings=settings, parent=self
        )
        # Files and the Library (issue 15): attachments above the input, Sources under the chat.
        from app.ui.library_panel import ChatKnowledge

        self.knowledge = ChatKnowledge(
            self,
            store=store,
            controller=self.controller,
            max_file_mb=settings.library_max_file_mb,
        )
        self.knowledge.error.connect(self.show_error)
        self.knowledge.limit_changed.connect(self._library_limit_changed)
        self.knowledge.set_embedding_model(settings.embedding_model)
        column.insertWidget(column.indexOf(self.prefill_bar), self.knowledge.sources)
        column.insertWidget(column.indexOf(self.prefill_bar) + 1, self.knowledge.bar)
        install_drop_and_paste(self.input, self.knowledge.bar)
        self.input.submitted.connect(self.send_message)
        self.send_button.clicked.connect(lambda: self.send_message(self.input.toPlainText()))
        self.stop_button.clicked.connect(self.controller.stop)
        self.answer_now_button.clicked.connect(self.controller.answer_now)
        self.chat_view.example_chosen.connect(self._use_example)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.link_activated.connect(self._open_link)
        self.chat_view.citation_activated.connect(self._open_citation)
        self.controller.generation_started.connect(self._on_generation_started)
        self.controller.generation_finished.connect(self._on_generation_finished)
        self.controller.error.connect(self.show_error)
        self.controller.reasoning_state.connect(self._on_reasoning_state)
        self.controller.context_used.connect(self.show_context_use)
        self.controller.summary_started.connect(
            lambda: self.message_bar.show_message(self.tr("Summarising this chat…"))
        )
        self.controller.summary_finished.connect(self._on_summary_finished)
        self.controller.conversation_changed.connect(lambda _id: self.context_meter.hide())
        if self.engines is not None:
            self.controller.conversation_changed.connect(self.engines.chat_opened)
            self.engines.error.connect(self.show_error)
            self.engines.mark_input(self.input, self.send_button)
        self.banner.open_requested.connect(self.choose_model_file)
        self.banner.manage_requested.connect(self.show_model_manager)
        client.model_loading.connect(self._on_model_loading)
        client.model_loaded.connect(self._on_model_loaded)
        client.model_load_failed.connect(self._on_model_load_failed)
        self.controller.prompt_progressed.connect(self._on_prompt_progress)

        self._build_menus()
        zoom_in = QShortcut(QKeySequence.StandardKey.ZoomIn, self)
        zoom_in.activated.connect(lambda: self.zoom(1))
        zoom_in_equal = QShortcut(QKeySequence("Ctrl+="), self)
        zoom_in_equal.activated.connect(lambda: self.zoom(1))
        zoom_out = QShortcut(QKeySequence.StandardKey.ZoomOut, self)
        zoom_out.activated.connect(lambda: self.zoom(-1))
        self._apply_font_size()
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.conversation_selected.connect(self.open_conversation)
        self.sidebar.open_message.connect(self.open_message)
        self.sidebar.conversation_deleted.connect(self._on_conversation_deleted)
        self.sidebar.error.connect(self.show_error)
        self.sidebar.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.controller.conversations_changed.connect(self.sidebar.refresh)
        self.controller.conversation_changed.connect(self.sidebar.select_conversation)
        self.controller.conversation_changed.connect(lambda _id: self.find_bar.refresh())
        search_shortcut = QShortcut(QKeySequence("Ctrl+K"), self)
        search_shortcut.activated.connect(self.sidebar.focus_search)
        find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        find_shortcut.activated.connect(self.find_bar.open_bar)
        stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        stop_shortcut.activated.connect(self.controller.stop)
        self._update_model_label()
        self._sync_offline()

    # --- menus ---
    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        menu_bar.setAccessibleName(self.tr("Menu bar"))
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
        self.summarise_action = QAction(self.tr("&Summarise and continue in a new chat"), self)
        self.summarise_action.triggered.connect(self.controller.summarise_and_continue)
        self.library_action = QAction(self.tr("&Library…"), self)
        self.library_action.setShortcut(QKeySequence("Ctrl+L"))
        self.library_action.triggered.connect(self.knowledge.show_library)
        for action in (self.new_chat_action, self.open_model_action, self.models_action):
            file_menu.addAction(action)
        file_menu.addAction(self.library_action)
        file_menu.addAction(self.summarise_action)
        # Ask ×4: four samples of the typed question and a majority vote (app/ui/vote_view.py).
        self.ask_votes_action = QAction(self.tr("Ask ×&4 (majority vote)"), self)
        self.ask_votes_action.setShortcut(QKeySequence("Ctrl+Shift+Return"))
        self.ask_votes_action.triggered.connect(self.ask_votes)
        file_menu.addAction(self.ask_votes_action)
        file_menu.addSeparator()
        file_menu.addAction(self.sidebar.export_all_action)
        # Distillation data from the chats (app/ui/dataset_dialog.py).
        self.dataset_action = QAction(self.tr("Export &dataset…"), self)
        self.dataset_action.triggered.connect(self.show_dataset_export)
        file_menu.addAction(self.dataset_action)
        file_menu.addAction(self.sidebar.import_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.file_menu = file_menu
        view_menu = menu_bar.addMenu(self.tr("&View"))
        self.settings_action = QAction(self.tr("&Settings…"), self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        zoom_in = QAction(self.tr("Larger text"), self)
        zoom_in.triggered.connect(lambda: self.zoom(1))
        zoom_out = QAction(self.tr("Smaller text"), self)
        zoom_out.triggered.connect(lambda: self.zoom(-1))
        view_menu.addAction(self.settings_action)
        view_menu.addSeparator()
        view_menu.addAction(zoom_in)
        view_menu.addAction(zoom_out)
        self.view_menu = view_menu
        self.help_menu = menu_bar.addMenu(self.tr("&Help"))
        network_log = QAction(self.tr("&Network log…"), self)
        network_log.triggered.connect(self.show_network_log)
        about = QAction(self.tr("&About Hearth"), self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        self.help_menu.addAction(network_log)
        self.help_menu.addAction(about)

    # --- actions ---
    def send_message(self, text: str) -> None:
        if self.knowledge.bar.is_busy:
            self.show_error(self.tr("Still reading the attached files; send again in a moment."))
            return
        if self.knowledge.is_retrieving:
            self.show_error(self.tr("Still searching your Library; send again in a moment."))
            return

        def send_with(attachments: list[Any], sources: list[Any]) -> None:
            if self.controller.send(text, attachments=attachments, sources=sources):
                # Keep anything typed while the Library was searched.
                if self.input.toPlainText() == text:
                    self.input.clear()
                self.knowledge.sent()

        # The search runs off the GUI thread: the first one loads the embedding model and
        # the collection's vectors.
        self.knowledge.prepare_async(text, send_with)

    def ask_votes(self) -> None:
        """Ask the typed question four times; the tally shows above the answers."""
        if self.controller.ask_votes(self.input.toPlainText(), 4):
            self.input.clear()

    def show_dataset_export(self) -> None:
        from app.ui.dataset_dialog import DatasetDialog

        dialog = DatasetDialog(
            self.store, current_chat_id=self.controller.conversation_id, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def new_chat(self) -> None:
        self.show_chat()
        self.controller.new_conversation()
        self.input.setFocus()

    def open_conversation(self, conversation_id: str) -> None:
        self.show_chat()
        if conversation_id != self.controller.conversation_id:
            self.controller.open_conversation(conversation_id)

    def open_message(self, conversation_id: str, message_id: str) -> None:
        """Open a search result: its conversation, on the branch holding the message."""
        streaming_here = self.controller.streaming_conversation_id == conversation_id
        if message_id and not streaming_here:
            ChatOps.for_store(self.store).switch_branch(message_id)
        self.show_chat()
        self.controller.open_conversation(conversation_id)
        if message_id:
            QTimer.singleShot(0, lambda: self.chat_view.scroll_to_message(message_id))

    def _on_conversation_deleted(self, conversation_id: str) -> None:
        if self.controller.streaming_conversation_id == conversation_id:
            self.controller.stop()
        if self.controller.conversation_id == conversation_id:
            self.new_chat()

    def edit_message(self, message_id: str) -> None:
        """Edit a question in a dialog: the question alone as text, its files as chips that
        stay with it (× drops one); Send starts the new branch."""
        from app.core.knowledge.context import split_user_content, stored_attachments
        from app.ui.attachments import EditMessageDialog

        message = self.store.get_message(message_id)
        if message is None:
            return
        # The question without its file blocks (and without Library sources, which are
        # retrieved again for the edited question).
        _files, question = split_user_content(message.content)
        attachments = stored_attachments(message.content, message.provenance)
        dialog = EditMessageDialog(question, attachments, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def send() -> None:
            text = dialog.text()
            attachments = dialog.attachments()
            if not text.strip():
                return

            def edit_with(sources: list[Any]) -> None:
                self.controller.edit(message_id, text, attachments=attachments, sources=sources)

            # The Library is searched off the GUI thread, as for a new question.
            if not self.knowledge.search_async(text, edit_with):
                self.show_error(self.tr("Still searching your Library; send again in a moment."))

        dialog.accepted.connect(send)
        self.edit_dialog = dialog
        dialog.open()

    def choose_model_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Open model file"),
            str(Path.home()),
            self.tr("GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.load_model(path)

    def load_model(self, path: str) -> None:
        from app.core.engines.local_load import LocalLoad
        from app.core.paths import app_paths

        self.client.load_model(path, options=LocalLoad.from_settings(self.settings, app_paths()))

    def attach_model_panel(self, panel: Any) -> None:
        """Add the model manager (built by the composition root) as a page."""
        self.model_panel = panel
        self.pages.addWidget(panel)
        panel.back_requested.connect(self.show_chat)
        panel.use_model_requested.connect(self._use_model)
        # "Use for Library" changes the embedding_model setting: apply and save it.
        panel.settings_changed.connect(self.apply_settings)

    def _use_model(self, path: str) -> None:
        self.load_model(path)
        self.show_chat()

    def show_model_manager(self) -> None:
        if self.model_panel is not None:
            self.model_panel.set_settings(self.settings)
            self.pages.setCurrentWidget(self.model_panel)

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            chat_overrides=self.controller.chat_overrides(),
            chat_open=bool(self.controller.conversation_id),
            engines=self.engines.registry if self.engines is not None else None,
            gateway=self.gateway,
            model_path=getattr(self.client.model_info, "path", None),
            parent=self,
        )
        if dialog.engines_page is not None and self.engines is not None:
            dialog.engines_page.engines_changed.connect(self.engines.refresh)
        dialog.network_log_requested.connect(self.show_network_log)
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        self.settings_dialog = dialog
        dialog.open()

    def _settings_accepted(self, dialog: SettingsDialog) -> None:
        if self.controller.conversation_id:
            self.controller.set_chat_overrides(dialog.chat_overrides())
        self.apply_settings(dialog.result_settings())

    def apply_settings(self, settings: Settings) -> None:
        """Take new settings: theme and offline mode apply at once, the rest on next use."""
        from app.ui import render, theme

        old = self.settings
        self.settings = settings
        self.controller.apply_settings(settings)
        self._sync_offline()
        if self.model_panel is not None:
            self.model_panel.set_settings(settings)
        if settings.theme != old.theme:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                dark = theme.apply_theme(app, settings.theme)
                self.chat_view.set_theme(render.theme_for(dark))
        self._apply_font_size()
        self.knowledge.set_max_file_mb(settings.library_max_file_mb)
        self.knowledge.set_embedding_model(settings.embedding_model)
        self.settings_changed.emit(settings)

    def _library_limit_changed(self, mb: int) -> None:
        """The Library's size limit changed: keep it in the settings (saved at once)."""
        from dataclasses import replace

        self.settings = replace(self.settings, library_max_file_mb=mb)
        self.controller.apply_settings(self.settings)
        self.settings_changed.emit(self.settings)

    def set_offline(self, offline: bool) -> None:
        if (
            offline == self.settings.offline
            and self.gateway is not None
            and (self.gateway.offline == offline)
        ):
            self._sync_offline()
            return
        from dataclasses import replace

        self.apply_settings(replace(self.settings, offline=offline))

    def _sync_offline(self) -> None:
        if self.gateway is not None:
            self.gateway.set_offline(self.settings.offline)
        if getattr(self, "engines", None) is not None:
            self.engines.picker.update_where()
        offline = self.gateway.offline if self.gateway is not None else self.settings.offline
        self.offline_button.blockSignals(True)
        self.offline_button.setChecked(offline)
        self.offline_button.blockSignals(False)
        self.offline_button.setText(self.tr("Offline") if offline else self.tr("Online"))
        self.offline_button.setToolTip(
            self.tr(
                "Offline mode is on: Hearth will not use the network. Click to allow downloads."
            )
            if offline
            else self.tr("Hearth may use the network only to download models. Click to go offline.")
        )

    def show_network_log(self) -> None:
        if self.gateway is None:
            return
        dialog = NetworkLogDialog(self.gateway, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_about(self) -> None:
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_chat(self) -> None:
        self.pages.setCurrentWidget(self.chat_page)
        self.input.setFocus()

    def show_error(self, message: str) -> None:
        if message:
            log.info("shown to the user: %s", message)
            # Core errors arrive as English sentences; shown in the UI language.
            self.message_bar.show_message(error_text(message))

    #: The context meter warns from this share of the window on.
    CONTEXT_WARNING = 0.8

    def show_api_address(self, address: str) -> None:
        """Show the local API's address in the status bar ("" hides it)."""
        self._api_address = address
        self._update_api_label()

    def api_activity(self, requests: int) -> None:
        """The number of API requests in flight changed. Safe from any thread (the server's
        own): the signal queues it to the window's thread."""
        self._api_activity_changed.emit(requests)

    def _on_api_activity(self, requests: int) -> None:
        self._api_requests = requests
        self._update_api_label()

    def _update_api_label(self) -> None:
        address = self._api_address
        self.api_label.setVisible(bool(address))
        if not address:
            return
        if self._api_requests:
            text = self.tr("API request running · %1").replace("%1", address)
        else:
            text = self.tr("API: %1").replace("%1", address)
        self.api_label.setText(text)
        self.api_label.setToolTip(
            self.tr(
                "Other programs can use the loaded model at %1/v1 (Settings › Local API)."
            ).replace("%1", address)
        )

    def show_context_use(self, used: int, n_ctx: int) -> None:
        if n_ctx <= 0:
            self.context_meter.setVisible(False)
            return
        self.context_meter.setMaximum(n_ctx)
        self.context_meter.setValue(min(used, n_ctx))
        self.context_meter.setToolTip(
            self.tr("%1 of %2 tokens of context used")
            .replace("%1", str(used))
            .replace("%2", str(n_ctx))
        )
        warn = used >= self.CONTEXT_WARNING * n_ctx
        self.context_meter.setProperty("warning", warn)
        self.context_meter.style().unpolish(self.context_meter)
        self.context_meter.style().polish(self.context_meter)
        self.context_meter.setVisible(True)
        if warn:
            self.show_error(
                self.tr(
                    "This chat has used %1% of the model's context. Older messages will be "
                    "left out of the next answers. Use File › Summarise and continue to carry "
                    "on in a new chat."
                ).replace("%1", str(round(100 * used / n_ctx)))
            )

    def _on_summary_finished(self, conversation_id: str) -> None:
        if conversation_id:
            self.message_bar.show_message(
                self.tr("This new chat starts from a summary of the earlier one.")
            )
        else:
            self.message_bar.hide()

    def zoom(self, step: int) -> None:
        """Ctrl+= / Ctrl+- : chat text size, remembered in the settings."""
        from dataclasses import replace

        current = self.settings.font_point_size or float(self.font().pointSizeF())
        size = max(7.0, min(32.0, current + step))
        self.settings = replace(self.settings, font_point_size=size)
        self._apply_font_size()
        self.settings_changed.emit(self.settings)

    def _apply_font_size(self) -> None:
        size = self.settings.font_point_size
        if size <= 0:
            return
        for widget in (self.chat_view, self.input):
            font = widget.font()
            font.setPointSizeF(size)
            widget.setFont(font)

    def _use_example(self, text: str) -> None:
        self.input.setPlainText(text)
        self.input.setFocus()

    def _open_citation(self, message_id: str, number: int) -> None:
        """An answer's [n]: its sources in the Sources block, entry n in the viewer."""
        widget = self.chat_view.message(message_id)
        sources = getattr(widget, "sources", None)
        if sources:
            self.knowledge.sources.show_citation(
                sources, number, tokens=getattr(widget, "source_tokens", 0)
            )

    def _open_link(self, url: QUrl) -> None:
        # The link comes from model output: the question shows it as literal text.
        box = plain_message_box(
            self,
            QMessageBox.Icon.Question,
            self.tr("Open link"),
            self.tr("Open this link in your browser?\n%1").replace("%1", url.toString()),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if box.exec() == QMessageBox.StandardButton.Yes:
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
        elif reason == "stopped":
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
        from dataclasses import replace

        self.banner.setVisible(False)
        self._update_model_label()
        if warning:
            self.show_error(warning)
        path = getattr(info, "path", None)  # a remote engine has none
        if path is not None and self.settings.last_model != str(path):
            self.settings = replace(self.settings, last_model=str(path))
            self.settings_changed.emit(self.settings)

    def _on_model_load_failed(self, message: str) -> None:
        if not message:
            self.banner.show_no_model()
        else:
            self.banner.show_error(error_text(message))
        self._update_model_label()

    def _update_model_label(self) -> None:
        info = self.client.model_info
        if info is None:
            self.model_label.setText(self.tr("No model loaded"))
        elif getattr(info, "kind", "local") == "remote":
            self.model_label.setText(
                self.tr("%1 · on %2").replace("%1", info.name).replace("%2", info.location)
            )
        else:
            self.model_label.setText(
                self.tr("%1 · %2 · context %3 tokens")
                .replace("%1", info.name)
                .replace("%2", info.quant)
                .replace("%3", str(info.n_ctx))
            )

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        # Ready to type the moment the window appears.
        if self.pages.currentWidget() is self.chat_page:
            self.input.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Save the live answer, then stop the worker; the app exits within a second.
        self.controller.shutdown()
        self.client.shutdown(timeout_ms=1000)
        # Indexing stops between files (the index stays whole and resumes next time).
        self.knowledge.shutdown()
        # A running export or import is cancelled (an export writes nothing partial).
        self.sidebar.tasks.shutdown(timeout_ms=5000)
        event.accept()
