"""Hearth's privacy claims, proved (issue 8, "The proof"; issue 4, permissions and logs).

One real session (the module fixture ``session``) is driven through
:class:`app.main.Application` the way ``run_gui`` builds it, with a socket trap installed
before anything is constructed, a common 022 umask (so private modes cannot come from a
strict umask by luck), and HOME / XDG directories redirected to tmp. The session starts
the app, accepts the settings, loads the tiny model from a file, chats three turns,
regenerates, switches chats through the sidebar, searches, finds in the chat, exports,
opens the network log and the About dialog, and closes. The tests then check what it saw
and what it left on disk:

- silence: the trap saw zero calls and the gateway logged nothing;
- files are private: every app directory 0700, every file in them 0600, exports 0600;
- logs hold no chat text, and only debug logging lets it in.

Separately: importing the app and ``huggingface_hub`` in a fresh interpreter touches no
socket and sets the guards first; offline mode (from the settings, the status bar after a
restart, or ``HEARTH_OFFLINE=1``) refuses a download from the model panel, the restarted
app's gateway and the CLI without a socket call, with the one message; the log file stays
0600 when it rotates.

Not repeated here, because tests/core/test_network.py proves them already:

- "Downloads touch only what they must" (trap allowing only 127.0.0.1, a download from
  two local mirrors, the hosts contacted are the mirrors' and the network log matches the
  trap): ``test_download_contacts_only_the_mirror_and_the_log_matches``;
- the network log file is 0600 (also after clearing): ``test_log_file_is_private_and_clearable``;
- the gateway and ``download_file`` refuse offline without a socket call:
  ``test_offline_refuses_everything_without_touching_a_socket``,
  ``test_offline_download_makes_zero_socket_calls``, ``test_hearth_offline_env_forces_offline``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLabel
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.downloads import part_path
from app.core.logsetup import configure_logging
from app.core.network import OFFLINE_MESSAGE, NetworkGateway, NetworkLogEntry
from app.core.paths import ENV_DATA_DIR, AppPaths, app_paths
from app.core.settings import Settings, save_settings
from app.core.store import ChatStore
from tests.support.mirror import SocketTrap, TrappedCall

REPO_ROOT = Path(__file__).resolve().parents[2]
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

#: Generous: two shared cores, several agents; a turn of the tiny model is far quicker.
LOAD_MS = 60_000
TURN_MS = 60_000

#: The chat texts of the session. Each carries a token found nowhere else, so a hit in a
#: file can only be a leak of chat text.
FIRST_CHAT_PROMPTS = (
    "zebra-quartz-4711: what is a hearth?",
    "mango-helix-2208: and what does a chimney do?",
    # Typed through an input method (QTest can only type ASCII): CJK must not leak either.
    "violet-anchor-9153 鸡兔同笼 灶台-5520",
)
SECOND_CHAT_PROMPT = "copper-lantern-6620: a second chat"
SEARCH_QUERY = "quartz-4711"
FIND_QUERY = "helix-2208"
MARKERS = (
    "zebra-quartz-4711",
    "mango-helix-2208",
    "violet-anchor-9153",
    "灶台-5520",
    "copper-lantern-6620",
    SEARCH_QUERY,
    FIND_QUERY,
    *FIRST_CHAT_PROMPTS,
    SECOND_CHAT_PROMPT,
)
#: Short answers, so five turns stay quick; greedy, so the run is reproducible.
SESSION_SETTINGS = Settings(
    sampling=SamplingParams(max_tokens=24, temperature=0.0, seed=3),
    context_length=4096,
    threads=2,
    theme="light",
    language="en",
)


# --- the session -------------------------------------------------------------------------


@dataclass
class SessionRecord:
    """What the session saw, and where it left its files."""

    paths: AppPaths
    home: Path
    log_file: Path
    exports: list[Path] = field(default_factory=list)
    trap_calls: list[TrappedCall] = field(default_factory=list)
    #: Whether the trap was still catching calls when the session ended (a control).
    trap_was_live: bool = False
    network_log: list[NetworkLogEntry] = field(default_factory=list)
    network_log_rows_shown: int = -1
    #: Modes of chats.sqlite3-wal / -shm seen while the store was open.
    sidecar_modes: dict[str, int] = field(default_factory=dict)
    #: Answer and reasoning texts the model produced (chat text too).
    model_texts: list[str] = field(default_factory=list)
    first_chat_user_texts: list[str] = field(default_factory=list)
    conversation_count: int = 0
    about_text: str = ""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Undo configure_logging: its handlers, the root level and the content switch."""
    root = logging.getLogger()
    content = logging.getLogger("hearth.content")
    handlers, level, disabled = list(root.handlers), root.level, content.disabled
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        content.disabled = disabled


@contextlib.contextmanager
def restored_qt_app(app: QApplication) -> Iterator[None]:
    """Application themes and names the shared QApplication; put it back for other tests."""
    names = (app.applicationName(), app.applicationVersion(), app.organizationName())
    style_name, style_sheet = app.style().name(), app.styleSheet()
    palette, icon = QPalette(app.palette()), app.windowIcon()
    try:
        yield
    finally:
        for translator in getattr(app, "_hearth_translators", []):
            app.removeTranslator(translator)
        app.setStyleSheet(style_sheet)
        app.setStyle(style_name)
        app.setPalette(palette)
        app.setWindowIcon(icon)
        app.setApplicationName(names[0])
        app.setApplicationVersion(names[1])
        app.setOrganizationName(names[2])


def _redirect_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Anything Qt or a library writes for the user lands in tmp, where it is scanned."""
    monkeypatch.setenv("HOME", str(home))
    for variable, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(variable, str(home / sub))


@pytest.fixture(scope="module")
def session(
    request: pytest.FixtureRequest,
    qapp: QApplication,
    tiny_model_f32: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> SessionRecord:
    """Drive one whole session through app.main.Application; everything is undone after.

    The model file is created (by the session fixture) before the trap goes in; from the
    trap on, nothing the app does may reach for the network.
    """
    root = tmp_path_factory.mktemp("privacy-session")
    qtbot = QtBot(request)
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        umask(0o022),
        restored_logging(),
        restored_qt_app(qapp),
    ):
        trap = SocketTrap()
        trap.install(monkeypatch)  # first: before any app object exists
        home = root / "home"
        _redirect_home(monkeypatch, home)
        monkeypatch.setenv(ENV_DATA_DIR, str(root / "hearth"))
        for variable in ("HEARTH_OFFLINE", "HEARTH_CATALOG"):
            monkeypatch.delenv(variable, raising=False)
        # "Open model file…" answers with the tiny model, as a person picking it would.
        monkeypatch.setattr(
            QFileDialog, "getOpenFileName", lambda *_args: (str(tiny_model_f32), "")
        )
        record = _drive_session(qtbot, monkeypatch, trap, root, tiny_model_f32)
    return record


def _drive_session(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    trap: SocketTrap,
    root: Path,
    model: Path,
) -> SessionRecord:
    from app.main import Application
    from app.ui.about_dialog import AboutDialog
    from app.ui.chat_view import AssistantMessageWidget, UserMessageWidget
    from app.ui.network_log import NetworkLogDialog

    # As run_gui does: directories, then logging, then the app.
    paths = app_paths().ensure()
    log_file = configure_logging(paths.logs, debug=False)
    record = SessionRecord(paths=paths, home=root / "home", log_file=log_file)
    assert not paths.settings_file.exists()
    hearth = Application(paths, SESSION_SETTINGS)
    hearth.start()
    window = hearth.window
    controller = window.controller
    sidebar = window.sidebar
    assert window.isVisible()

    # --- settings: open and accept ---
    window.settings_action.trigger()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    button_box = dialog.findChild(QDialogButtonBox)
    assert button_box is not None
    ok_button = button_box.button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(window.settings_changed, timeout=5000):
        qtbot.mouseClick(ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    # --- load the model from a file (the banner's "Open model file…") ---
    with qtbot.waitSignal(hearth.client.model_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(window.banner.open_button, Qt.MouseButton.LeftButton)
    assert hearth.client.model_info is not None

    def send(text: str) -> None:
        window.input.setFocus()
        if text.isascii():
            qtbot.keyClicks(window.input, text)
        else:
            window.input.insertPlainText(text)  # what an input method commits
        with qtbot.waitSignal(controller.generation_finished, timeout=TURN_MS) as finished:
            qtbot.keyClick(window.input, Qt.Key.Key_Return)
        assert finished.args[0] in ("finished", "length"), finished.args

    def assistants() -> list[AssistantMessageWidget]:
        return [w for w in window.chat_view.messages if isinstance(w, AssistantMessageWidget)]

    # --- three turns, then regenerate the last answer ---
    for prompt in FIRST_CHAT_PROMPTS:
        send(prompt)
    first_id = controller.conversation_id
    assert len(assistants()) == 3
    with qtbot.waitSignal(controller.generation_finished, timeout=TURN_MS):
        qtbot.mouseClick(assistants()[-1].regenerate_button, Qt.MouseButton.LeftButton)
    assert assistants()[-1].branch_label.text() == "2/2"

    # --- switch chats: a new one with one message, then back to the first via the sidebar ---
    with qtbot.waitSignal(controller.conversation_changed, timeout=5000):
        qtbot.mouseClick(sidebar.new_chat_button, Qt.MouseButton.LeftButton)
    send(SECOND_CHAT_PROMPT)
    second_id = controller.conversation_id
    assert second_id and second_id != first_id
    row = sidebar.list_view.visualRect(sidebar.model.index_of(first_id))
    with qtbot.waitSignal(sidebar.conversation_selected, timeout=5000) as picked:
        qtbot.mouseClick(sidebar.list_view.viewport(), Qt.MouseButton.LeftButton, pos=row.center())
    assert picked.args == [first_id]
    assert controller.conversation_id == first_id
    record.first_chat_user_texts = [
        w.text for w in window.chat_view.messages if isinstance(w, UserMessageWidget)
    ]

    # --- search all chats, open the hit; then find inside the chat ---
    sidebar.search_box.setFocus()
    qtbot.keyClicks(sidebar.search_box, SEARCH_QUERY)
    qtbot.waitUntil(
        lambda: (
            sidebar.searching
            and not sidebar._search_timer.isActive()
            and sidebar.results_model.rowCount() > 0
        ),
        timeout=5000,
    )
    hits = [
        sidebar.results_model.hit(sidebar.results_model.index(i, 0))
        for i in range(sidebar.results_model.rowCount())
    ]
    assert {hit.conversation_id for hit in hits if hit is not None} == {first_id}
    with qtbot.waitSignal(sidebar.open_message, timeout=5000):
        qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Return)
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)
    assert not sidebar.searching
    window.find_bar.open_bar()
    qtbot.keyClicks(window.find_bar.field, FIND_QUERY)
    qtbot.waitUntil(lambda: window.find_bar.match_count >= 1, timeout=5000)
    window.find_bar.close_bar()

    # --- export: one chat as Markdown and HTML, every chat as JSON (File menu) ---
    export_dir = root / "exports"
    chosen = iter([export_dir / "first.md", export_dir / "first.html", export_dir / "all.json"])
    monkeypatch.setattr(sidebar, "get_save_file_name", lambda *_args: (str(next(chosen)), ""))
    for _format in ("md", "html"):
        # Exports are written off the GUI thread; "Saved to …" says when.
        with qtbot.waitSignal(sidebar.status_message, timeout=10_000):
            written = sidebar.export_conversation(first_id)
        assert written is not None
        record.exports.append(written)
    assert sidebar.export_all_action in window.file_menu.actions()
    with qtbot.waitSignal(sidebar.status_message, timeout=10_000):
        sidebar.export_all_action.trigger()
    record.exports.append(export_dir / "all.json")
    assert all(path.is_file() for path in record.exports), record.exports

    # --- the network log and the About dialog, from the Help menu ---
    def help_action(text: str) -> None:
        [action] = [a for a in window.help_menu.actions() if text in a.text().replace("&", "")]
        action.trigger()

    help_action("Network log")
    log_dialog = window.findChild(NetworkLogDialog)
    assert log_dialog is not None and log_dialog.isVisible()
    record.network_log_rows_shown = log_dialog.table.rowCount()
    assert log_dialog.empty_label.isVisibleTo(log_dialog)
    log_dialog.reject()
    help_action("About")
    about = window.findChild(AboutDialog)
    assert about is not None and about.isVisible()
    record.about_text = " ".join(label.text() for label in about.findChildren(QLabel))
    about.reject()

    # --- what the session left, seen while the store is still open ---
    for sidecar in (paths.database.with_name(paths.database.name + s) for s in ("-wal", "-shm")):
        if sidecar.exists():
            record.sidecar_modes[sidecar.name] = stat.S_IMODE(sidecar.stat().st_mode)
    conversations = hearth.store.list_conversations()
    record.conversation_count = len(conversations)
    for conversation in conversations:
        for message in hearth.store.messages(conversation.id):
            if message.role == "assistant":
                record.model_texts += [t for t in (message.content, message.reasoning) if t]
    record.network_log = hearth.gateway.log_entries()

    # --- close, then the shutdown run_gui does once the event loop returns ---
    window.close()
    assert not window.isVisible()
    hearth.shutdown()

    record.trap_calls = trap.calls
    # Control: the trap is still in place, so "zero calls" above means something.
    with contextlib.suppress(OSError):
        socket.getaddrinfo("example.invalid", 443)
    record.trap_was_live = len(trap.calls) == len(record.trap_calls) + 1
    return record


# --- 1. a whole session, no network -------------------------------------------------------


def test_a_whole_session_makes_no_network_call(session: SessionRecord) -> None:
    # The session really happened: two chats, the first shown with its three questions.
    assert session.conversation_count == 2
    assert session.first_chat_user_texts == list(FIRST_CHAT_PROMPTS)
    assert session.trap_was_live
    assert session.trap_calls == []
    assert session.network_log == []
    assert session.network_log_rows_shown == 0
    log_file = session.paths.network_log
    assert not log_file.exists() or log_file.read_text(encoding="utf-8") == ""


def test_the_about_dialog_says_nothing_is_sent(session: SessionRecord) -> None:
    assert "No telemetry" in session.about_text


# --- 2. importing the app touches no socket and sets the guards first -----------------------

IMPORT_PROBE = textwrap.dedent(
    """
    import errno, json, os, socket, sys

    GUARDS = ("HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_XET")
    calls = []

    def refused(kind, target):
        calls.append(f"{kind} {target!r}")
        return OSError(errno.ENETUNREACH, "socket trap: " + kind)

    def connect(self, address):
        raise refused("connect", address)

    def connect_ex(self, address):
        raise refused("connect_ex", address)

    def create_connection(address, *args, **kwargs):
        raise refused("create_connection", address)

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "socket trap")

    def gethostbyname(host):
        calls.append(f"gethostbyname {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "socket trap")

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname

    class GuardWatch:
        # Notes the environment at the moment huggingface_hub is first imported.
        seen = None

        def find_spec(self, name, path=None, target=None):
            if name == "huggingface_hub" and GuardWatch.seen is None:
                GuardWatch.seen = {key: os.environ.get(key) for key in GUARDS}
            return None

    sys.meta_path.insert(0, GuardWatch())

    import app.core, app.__main__, app.main, app.core.catalog
    import app.core.network, app.core.downloads, app.workers.inference, app.ui.main_window
    import huggingface_hub
    from huggingface_hub import constants
    import llama_cpp

    print(json.dumps({
        "calls": calls,
        "env_at_hf_import": GuardWatch.seen,
        "telemetry_disabled": constants.HF_HUB_DISABLE_TELEMETRY,
        "xet_disabled": constants.HF_HUB_DISABLE_XET,
    }))
    """
)


def test_importing_the_app_and_huggingface_hub_touches_no_socket_and_sets_the_guards_first(
    tmp_path: Path,
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HF_") and key not in ("DO_NOT_TRACK", "PYTHONPATH")
    }
    env.update({ENV_DATA_DIR: str(tmp_path / "hearth"), "QT_QPA_PLATFORM": "offscreen"})
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["calls"] == []
    assert report["env_at_hf_import"] == {
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }
    assert report["telemetry_disabled"] is True
    assert report["xet_disabled"] is True


# --- 3. offline means offline --------------------------------------------------------------


@pytest.fixture
def restore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's --offline / --catalog set these directly; make sure they are undone."""
    for name in ("HEARTH_OFFLINE", "HEARTH_CATALOG"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def trap(monkeypatch: pytest.MonkeyPatch) -> SocketTrap:
    """Records and refuses every network attempt (nothing is allowed)."""
    socket_trap = SocketTrap()
    socket_trap.install(monkeypatch)
    return socket_trap


@pytest.mark.parametrize("switch", ["settings", "HEARTH_OFFLINE=1"])
def test_offline_model_panel_download_makes_no_socket_call_and_says_so(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    restore_env: None,
    trap: SocketTrap,
    isolated_app_dirs: AppPaths,
    switch: str,
) -> None:
    from app.core.catalog import load_catalog
    from app.ui.model_panel import ModelPanel
    from app.workers.downloads import DownloadWorker

    settings = Settings(context_length=4096, offline=switch == "settings")
    if switch == "HEARTH_OFFLINE=1":
        monkeypatch.setenv("HEARTH_OFFLINE", "1")
    # The built-in catalog: real internet hosts, so any attempt would be a real one.
    catalog = load_catalog()
    gateway = NetworkGateway(log_path=isolated_app_dirs.network_log, offline=settings.offline)
    assert gateway.offline
    worker = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    try:
        panel = ModelPanel(
            catalog=catalog,
            settings=settings,
            gateway=gateway,
            models_dir=isolated_app_dirs.models,
            worker=worker,
        )
        qtbot.addWidget(panel)
        panel.resize(900, 600)
        panel.show()
        assert not panel.offline_label.isHidden()
        entry = catalog.default_entry
        assert entry is not None and panel.selected_key() == entry.id
        with qtbot.waitSignal(worker.failed, timeout=30_000) as failed:
            qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
        assert failed.args[1] == OFFLINE_MESSAGE
        assert panel.message_label.text() == OFFLINE_MESSAGE
        assert not panel.message_box.isHidden()
        assert trap.calls == []
        assert not part_path(isolated_app_dirs.models / entry.file).exists()
        results = {e.result for e in gateway.log_entries()}
        assert results <= {"refused: offline"}
    finally:
        assert worker.shutdown(timeout_ms=10_000)
        gateway.close()


@pytest.mark.parametrize("switch", ["--offline", "HEARTH_OFFLINE=1", "remembered setting"])
@pytest.mark.parametrize("what", ["catalog model", "explicit URL"])
def test_offline_cli_download_makes_no_socket_call_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
    restore_env: None,
    trap: SocketTrap,
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
    switch: str,
    what: str,
) -> None:
    from app.__main__ import main

    argv: list[str] = []
    if switch == "--offline":
        argv.append("--offline")
    elif switch == "HEARTH_OFFLINE=1":
        monkeypatch.setenv("HEARTH_OFFLINE", "1")
    else:
        save_settings(isolated_app_dirs.settings_file, Settings(offline=True))
    if what == "catalog model":
        argv += ["models", "download", "Q4_K_M"]
        name = "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"
    else:
        name = "model.gguf"
        argv += [
            "models",
            "download",
            "--url",
            "https://huggingface.co/unsloth/x-GGUF/resolve/main/model.gguf",
            "--sha256",
            "0" * 64,
            "--name",
            name,
        ]
    with restored_logging():
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines()[-1] == OFFLINE_MESSAGE
    assert "Traceback" not in err
    assert trap.calls == []
    assert not (isolated_app_dirs.models / name).exists()
    assert not part_path(isolated_app_dirs.models / name).exists()


def test_offline_from_the_status_bar_survives_a_restart_and_the_app_then_refuses_downloads(
    qtbot: QtBot,
    qapp: QApplication,
    trap: SocketTrap,
    isolated_app_dirs: AppPaths,
) -> None:
    from app.core.cancel import CancelToken
    from app.core.catalog import load_catalog
    from app.core.downloads import download_file
    from app.core.errors import OfflineError
    from app.core.settings import load_settings
    from app.main import Application

    paths = isolated_app_dirs
    with restored_qt_app(qapp), umask(0o022):
        first = Application(paths, load_settings(paths.settings_file))
        first.start()
        assert not first.gateway.offline
        assert not first.window.offline_button.isChecked()
        with qtbot.waitSignal(first.window.settings_changed, timeout=5000):
            qtbot.mouseClick(first.window.offline_button, Qt.MouseButton.LeftButton)
        assert first.gateway.offline
        first.window.close()
        first.shutdown()

        # A restart, as run_gui does it: the settings file decides.
        again = Application(paths, load_settings(paths.settings_file))
        again.start()
        try:
            assert again.gateway.offline
            assert again.window.offline_button.isChecked()
            catalog = load_catalog()
            entry = catalog.default_entry
            assert entry is not None
            dest = paths.models / entry.file
            with pytest.raises(OfflineError) as refused:
                download_file(
                    catalog.sources_for(entry),
                    dest,
                    gateway=again.gateway,
                    expected_size=entry.size if entry.size_exact else None,
                    expected_sha256=entry.sha256,
                    progress=lambda _progress: None,
                    cancel=CancelToken(),
                    disk_margin_bytes=0,
                )
            entries = again.gateway.log_entries()
        finally:
            again.window.close()
            again.shutdown()
    assert str(refused.value) == OFFLINE_MESSAGE
    assert trap.calls == []
    assert not dest.exists() and not part_path(dest).exists()
    # The refusal is on the record, in a private file.
    assert entries and {e.result for e in entries} == {"refused: offline"}
    assert os.name != "posix" or _mode(paths.network_log) == 0o600


# --- 5. files are private -------------------------------------------------------------------


@POSIX_ONLY
def test_every_app_directory_is_0700_and_every_file_in_them_0600(
    session: SessionRecord,
) -> None:
    paths = session.paths
    app_dirs = (paths.data, paths.config, paths.cache, paths.logs, paths.models)
    assert {d: oct(_mode(d)) for d in app_dirs} == {d: "0o700" for d in app_dirs}
    # The files the claims name, each present after this session.
    named = (paths.database, paths.settings_file, session.log_file)
    assert {f: oct(_mode(f)) for f in named} == {f: "0o600" for f in named}
    assert {name: oct(mode) for name, mode in session.sidecar_modes.items()} == {
        name: "0o600" for name in session.sidecar_modes
    }
    # And nothing else either: every directory and file the session left in them.
    loose = {}
    for top in app_dirs:
        for path in top.rglob("*"):
            wanted = 0o700 if path.is_dir() else 0o600
            if _mode(path) != wanted:
                loose[str(path)] = oct(_mode(path))
    assert loose == {}


@POSIX_ONLY
def test_exported_files_are_0600(session: SessionRecord) -> None:
    assert len(session.exports) == 3
    assert {str(p): oct(_mode(p)) for p in session.exports} == {
        str(p): "0o600" for p in session.exports
    }


@POSIX_ONLY
def test_the_log_stays_0600_when_it_rotates(tmp_path: Path) -> None:
    """The rotating handler makes a new hearth.log once the old one is full."""
    logs = tmp_path / "logs"
    with umask(0o022), restored_logging():
        log_file = configure_logging(logs, to_stderr=False)
        [handler] = [
            h
            for h in logging.getLogger().handlers
            if isinstance(h, logging.handlers.RotatingFileHandler) and getattr(h, "_hearth", False)
        ]
        # Straight to the file handler: 2 MB of lines are not worth pytest's log capture.
        line = logging.makeLogRecord({"name": "tests.privacy", "msg": "x" * 1000})
        # Past the 2 MB limit once: hearth.log is rolled over to hearth.log.1 and reopened.
        while not (logs / "hearth.log.1").exists():
            handler.handle(line)
        handler.handle(logging.makeLogRecord({"msg": "after the rollover"}))
        files = sorted(logs.iterdir())
    assert log_file in files and len(files) >= 2
    assert {p.name: oct(_mode(p)) for p in files} == {p.name: "0o600" for p in files}


# --- 6. logs hold no chat text --------------------------------------------------------------


def _spellings(text: str) -> set[bytes]:
    """How ``text`` would look in a file: raw UTF-8, repr-escaped or JSON-escaped."""
    return {
        text.encode("utf-8"),
        repr(text)[1:-1].encode("utf-8"),
        json.dumps(text)[1:-1].encode("utf-8"),
        json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8"),
    }


def _chat_texts(session: SessionRecord) -> set[str]:
    """The prompts and markers, plus the opening of every answer long enough to be unique."""
    texts = set(MARKERS)
    for text in session.model_texts:
        opening = text.strip()[:40]
        if len(opening) >= 16:
            texts.add(opening)
    return texts


def _leaks(files: list[Path], texts: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in files:
        content = path.read_bytes()
        hits = sorted(t for t in texts if any(s in content for s in _spellings(t)))
        if hits:
            found[str(path)] = hits
    return found


def test_logs_and_app_files_hold_no_chat_text(session: SessionRecord) -> None:
    texts = _chat_texts(session)
    # Control: the exports do hold the chats, so the scan below can see chat text.
    exported = b"".join(path.read_bytes() for path in session.exports)
    assert all(any(s in exported for s in _spellings(m)) for m in MARKERS[:5])
    # The log was written during the session (the scan is not of an empty file).
    assert session.log_file.stat().st_size > 0

    paths = session.paths
    database_files = {
        paths.database,
        paths.database.with_name(paths.database.name + "-wal"),
        paths.database.with_name(paths.database.name + "-shm"),
        paths.database.with_name(paths.database.name + "-journal"),
    }
    app_files = [
        path
        for top in (paths.data, paths.config, paths.cache, paths.logs, paths.models)
        for path in top.rglob("*")
        if path.is_file() and path not in database_files
    ]
    assert session.log_file in app_files
    assert _leaks(app_files, texts) == {}
    # Nor anything Qt or a library wrote for the user outside Hearth's directories.
    home_files = [path for path in session.home.rglob("*") if path.is_file()]
    assert _leaks(home_files, texts) == {}


def test_only_debug_logging_lets_chat_text_into_the_log(tmp_path: Path) -> None:
    quiet, loud = "ember-sparrow-3141 quiet", "ember-sparrow-2718 loud"
    logs = tmp_path / "logs"
    store = ChatStore.open(tmp_path / "data" / "chats.sqlite3")
    try:
        with restored_logging():
            log_file = configure_logging(logs, debug=False, to_stderr=False)
            conversation = store.create_conversation(title="")
            # The store's content logging, and the content logger used directly, even at
            # WARNING: both silent while debug logging is off.
            question = store.add_message(conversation.id, None, "user", quiet)
            logging.getLogger("hearth.content").warning("text: %s", quiet)
            logging.getLogger("app").info("a line that is not chat text")
            for handler in logging.getLogger().handlers:
                handler.flush()
            off = log_file.read_text(encoding="utf-8")

            configure_logging(logs, debug=True, to_stderr=False)
            store.add_message(conversation.id, question.id, "assistant", loud)
            for handler in logging.getLogger().handlers:
                handler.flush()
            on = log_file.read_text(encoding="utf-8")
    finally:
        store.close()
    assert "a line that is not chat text" in off
    assert quiet not in off
    assert loud in on
    assert quiet not in on
