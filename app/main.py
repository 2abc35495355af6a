"""Composition root: QApplication, paths, settings, store, workers, window, shutdown order.

Start-up does no network access and no model work on the GUI thread: the window is
shown first, and a remembered model is loaded by the worker afterwards.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from app import APP_NAME, __version__
from app.core.logsetup import configure_logging
from app.core.paths import AppPaths, app_paths, resource_path
from app.core.settings import Settings, load_settings, save_settings

log = logging.getLogger(__name__)

#: Seconds the engine host's thread gets, after the window closed, to finish what it runs.
HOST_GRACE_S = 3.0


class Application:
    """Owns the long-lived objects and tears them down in the right order."""

    def __init__(self, paths: AppPaths, settings: Settings, *, model: str | None = None) -> None:
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QApplication

        from app.ui import i18n, theme

        self.paths = paths
        self.settings = settings
        self.qt_app = QApplication.instance() or QApplication(sys.argv[:1])
        self.qt_app.setApplicationName(APP_NAME)
        self.qt_app.setApplicationVersion(__version__)
        self.qt_app.setOrganizationName(APP_NAME)
        # Wayland matches the window to hearth.desktop (and its icon) by this name.
        self.qt_app.setDesktopFileName("hearth")
        self.qt_app.setWindowIcon(QIcon(str(resource_path("icons", "hearth.svg"))))
        self.translators = i18n.install_translators(self.qt_app, settings.language)
        self.dark = theme.apply_theme(self.qt_app, settings.theme)

        self.store, self.store_message = self._open_store()

        from app.core.network import NetworkGateway
        from app.workers.inference import InferenceClient

        # Nothing goes online at start-up: the gateway only acts when asked to download.
        self.gateway = NetworkGateway(log_path=paths.network_log, offline=settings.offline)
        self.client = InferenceClient()
        from app.ui.main_window import MainWindow

        self.window = MainWindow(
            settings=settings, store=self.store, client=self.client, gateway=self.gateway
        )
        from app.ui import render

        self.window.chat_view.set_theme(render.theme_for(self.dark))
        self.downloads, self.model_panel_error = self._attach_model_panel()
        self.window.settings_changed.connect(self._save_settings)
        from app.server.switch import LocalApi

        # Settings › Local API: a server in its own thread on this window's host and model.
        self.local_api = LocalApi(
            self.client.host, paths.config, store=self.store, record=self.gateway.record
        )
        self.local_api.add_activity_listener(self.window.api_activity)
        self._initial_model = model or settings.last_model or self._bundled_model()

    def _open_store(self) -> tuple[Any, str]:
        from app.core.store import ChatStore, NewerStoreError

        try:
            store = ChatStore.open(self.paths.database)
        except NewerStoreError as exc:
            # Never write to a database a newer Hearth made; show it read-only instead.
            log.warning("chat store is from a newer version: %s", exc.detail or exc)
            return ChatStore.open(self.paths.database, read_only=True), str(exc)
        return store, store.report.message

    def _attach_model_panel(self) -> tuple[Any, str]:
        """The model manager page and its download worker (downloads outlive the page)."""
        from app.core.catalog import load_catalog
        from app.core.errors import HearthError
        from app.ui.model_panel import ModelPanel
        from app.workers.downloads import DownloadWorker

        worker = DownloadWorker(gateway=self.gateway, models_dir=self.paths.models)
        try:
            catalog = load_catalog()
        except HearthError as exc:
            # A broken user catalog must not keep the app from starting; say what is wrong.
            log.warning("catalog: %s", exc)
            return worker, str(exc)
        panel = ModelPanel(
            catalog=catalog,
            settings=self.settings,
            gateway=self.gateway,
            models_dir=self.paths.models,
            worker=worker,
        )
        self.window.attach_model_panel(panel)
        return worker, ""

    @staticmethod
    def _bundled_model() -> str | None:
        """An air-gapped install carries its model inside the bundle: use it in place."""
        from app.core.paths import bundled_models

        models = bundled_models()
        return str(models[0]) if models else None

    def _save_settings(self, settings: Settings) -> None:
        """The window changed a setting (model, zoom, dialog): persist it atomically."""
        self.settings = settings
        try:
            save_settings(self.paths.settings_file, settings)
        except Exception:
            log.exception("could not save settings")
        self._apply_local_api(settings)

    def _apply_local_api(self, settings: Settings) -> None:
        """Start, move or stop the local API to match the settings; show its address."""
        from app.core.errors import HearthError

        try:
            address = self.local_api.apply(settings)
        except HearthError as exc:
            log.warning("local API: %s (%s)", exc, exc.detail)
            self.window.show_error(str(exc))
            address = ""
        self.window.show_api_address(address)

    def start(self) -> None:
        self.window.show()
        from PySide6.QtCore import QTimer

        # After the first paint: starting the server loads Starlette and uvicorn.
        QTimer.singleShot(0, lambda: self._apply_local_api(self.settings))
        for message in (self.store_message, self.model_panel_error):
            if message:
                self.window.show_error(message)
        if self._initial_model:
            if Path(self._initial_model).exists():
                self._autosend_for_tests()
                self.window.load_model(self._initial_model)
            else:
                self.window.banner.show_error(
                    self.window.tr("The model file %1 no longer exists. Open another one.").replace(
                        "%1", self._initial_model
                    )
                )
        else:
            # First run: open on the model manager with the default model selected.
            self.window.show_model_manager()

    def _autosend_for_tests(self) -> None:
        """Test-only: ``HEARTH_TEST_AUTOSEND=text`` sends ``text`` once the model has loaded,
        so a subprocess test can stream a real GUI answer (tests/e2e/test_gui_kill.py)."""
        prompt = os.environ.get("HEARTH_TEST_AUTOSEND", "")
        if not prompt:
            return
        sent: list[bool] = []

        def send(*_args: object) -> None:
            if not sent:
                sent.append(True)
                self.window.controller.send(prompt)

        self.client.model_loaded.connect(send)

    def shutdown(self) -> bool:
        """Tear down in order; False if the engine host's thread is still busy after it.

        Stop generation first (the window may already have), then downloads (their .part
        files are kept for the next start), then the network and the store. The local API
        goes before all of them: its streams end with an error event, its port closes.
        """
        self.local_api.stop()
        self.client.shutdown(timeout_ms=1000)
        self.downloads.shutdown(timeout_ms=5000)
        self.gateway.close()
        close = getattr(self.store, "close", None)
        if callable(close):
            close()
        # A render or load that was running when we quit has had its cancel; a template
        # render ends within its 2 s budget. Whatever the host thread still does after
        # this grace cannot touch the closed store: the caller exits without it.
        return bool(self.client.host.close(timeout=HOST_GRACE_S))


def freeze_startup_objects() -> None:
    """Keep the cyclic GC off the ~100,000 objects of start-up (modules, Qt wrappers), which
    live as long as the app. Otherwise each full collection walks them all: 60-100 ms holding
    the GIL, on whichever thread it falls, which froze the window (the heartbeat's ~98 ms
    ticks, issue 19). Frozen, a full collection takes ~5-15 ms. In run_gui only: a test
    process that builds Applications must not freeze its own garbage."""
    import gc

    gc.freeze()


def run_gui(args: argparse.Namespace) -> int:
    from app.core.errors import HearthError

    try:
        paths = app_paths().ensure()
    except HearthError as exc:
        # Nothing is set up yet (the log folder may be the problem): say it on stderr and,
        # for someone who double-clicked, in a box.
        sys.stderr.write(f"hearth: {exc}\n")
        _show_start_error(str(exc))
        return 2
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)))
    close_on_signals = _CloseOnSignals()
    from app.core.instance import DataDirBusyError, DataDirLock

    # One writer per data folder: a second launch brings the first window forward and
    # exits (app.core.instance). The kernel drops the lock if this process dies.
    data_lock = DataDirLock(paths.data, "app")
    try:
        data_lock.acquire()
    except DataDirBusyError as busy:
        from app.ui.single_instance import hand_over

        return hand_over(paths.data, busy)
    settings = load_settings(paths.settings_file)
    if os.environ.get("HEARTH_OFFLINE") == "1":
        from dataclasses import replace

        settings = replace(settings, offline=True)
    log.info("Hearth %s starting (data in %s)", __version__, paths.data)
    try:
        app = Application(paths, settings, model=getattr(args, "model", None))
    except HearthError as exc:
        # E.g. an unusable data directory: say so with the path, then exit.
        log.error("start-up failed: %s (%s)", exc, exc.detail)
        sys.stderr.write(f"hearth: {exc}\n")
        _show_start_error(str(exc))
        data_lock.release()
        return 2
    app.start()
    freeze_startup_objects()
    from app.ui.single_instance import ActivationServer

    activation = ActivationServer(paths.data, app.window)
    activation.listen()
    close_on_signals.attach(app)
    code = app.qt_app.exec()
    activation.close()
    stopped = app.shutdown()
    data_lock.release()  # last: the store is closed
    if not stopped:
        # The engine thread is still inside llama.cpp (a model load ignores cancel):
        # letting the interpreter finalize around it can abort the process. Everything
        # of ours is closed and saved, so leave now, with the window's exit code.
        log.warning("the engine thread is still busy at exit; leaving without waiting")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    return int(code)


class _CloseOnSignals:
    """SIGTERM (log-out, ``kill``) and Ctrl+C close the window as the user would.

    The window's close saves the live answer and stops the engine; Qt then quits and
    :func:`run_gui` shuts down in order. Installed before anything starts, so a signal
    during start-up is remembered and acted on once the window exists. Python runs signal
    handlers only when it gets control, so a timer wakes it a few times a second.
    """

    def __init__(self) -> None:
        self.requested = False
        self._app: Application | None = None
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        log.info("signal %d: closing the window", signum)
        self.requested = True
        if self._app is not None:
            self._close_soon(self._app)

    @staticmethod
    def _close_soon(app: Application) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, app.window.close)

    def attach(self, app: Application) -> None:
        from PySide6.QtCore import QTimer

        self._app = app
        wake = QTimer(app.qt_app)
        wake.setInterval(200)
        wake.timeout.connect(lambda: None)
        wake.start()
        if self.requested:
            self._close_soon(app)


def _show_start_error(message: str) -> None:
    """The start-up failure in a box (plain text: it may quote a path); none when headless."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.ui.plain import plain_message_box
    from app.ui.single_instance import HEADLESS_PLATFORMS

    _qt = QApplication.instance() or QApplication(sys.argv[:1])
    if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
        return  # tests and CI: nobody would click the box away
    plain_message_box(None, QMessageBox.Icon.Critical, APP_NAME, message).exec()
