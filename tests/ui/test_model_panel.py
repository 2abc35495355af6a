"""The model manager panel with qtbot, driving real downloads from the local mirror."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QTableView, QWidget
from pytestqt.qtbot import QtBot

from app.core import catalog as catalog_module
from app.core.catalog import Catalog
from app.core.downloads import DownloadProgress, part_path
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.tinymodel import write_tiny_qwen2_gguf
from app.ui.model_panel import ModelPanel, ModelTableModel
from app.workers.downloads import DownloadWorker
from tests.support.mirror import LocalMirror, MirrorFile, make_gguf_payload
from tests.workers.test_downloads_worker import FILE_A, ID_A, REPO, SIZE, write_catalog

MIB = 1024 * 1024
WAIT_MS = 30_000


@pytest.fixture
def served(local_mirror: LocalMirror) -> MirrorFile:
    return local_mirror.add_file(REPO, FILE_A, make_gguf_payload(SIZE, seed=3))


@pytest.fixture
def catalog(tmp_path: Path, local_mirror: LocalMirror, served: MirrorFile) -> Catalog:
    return write_catalog(tmp_path / "catalog.json", local_mirror, [(ID_A, "Q4_K_M", served)])


@pytest.fixture
def worker(
    qtbot: QtBot, gateway: NetworkGateway, isolated_app_dirs: AppPaths
) -> Iterator[DownloadWorker]:
    worker = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    yield worker
    assert worker.shutdown(timeout_ms=10_000)


def make_panel(
    qtbot: QtBot,
    catalog: Catalog,
    gateway: NetworkGateway,
    worker: DownloadWorker,
    models_dir: Path,
) -> ModelPanel:
    panel = ModelPanel(
        catalog=catalog,
        settings=Settings(context_length=4096),
        gateway=gateway,
        models_dir=models_dir,
        worker=worker,
    )
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    settle(qtbot, panel)
    return panel


def settle(qtbot: QtBot, panel: ModelPanel) -> None:
    """Wait until the models folder's listing (a task off the GUI thread) is applied."""
    qtbot.waitUntil(lambda: not panel.is_listing, timeout=WAIT_MS)


def offer(qtbot: QtBot, panel: ModelPanel, path: Path) -> None:
    """Offer a file for import and wait for its check (off the GUI thread) to end."""
    assert panel.offer_import(path)
    qtbot.waitUntil(lambda: not panel.imports.busy() or not panel.import_bar.isHidden())


@pytest.fixture
def panel(
    qtbot: QtBot,
    catalog: Catalog,
    gateway: NetworkGateway,
    worker: DownloadWorker,
    isolated_app_dirs: AppPaths,
) -> ModelPanel:
    return make_panel(qtbot, catalog, gateway, worker, isolated_app_dirs.models)


def cell(panel: ModelPanel, key: str, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> str:
    row = panel.table_model.row_of(key)
    assert row >= 0, f"no row {key}"
    return str(panel.table_model.index(row, column).data(role))


def state(panel: ModelPanel, key: str = ID_A) -> str:
    return cell(panel, key, ModelTableModel.STATE)


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]


def part_size(path: Path) -> int:
    partial = part_path(path)
    return partial.stat().st_size if partial.exists() else 0


def download(qtbot: QtBot, panel: ModelPanel) -> None:
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT_MS):
        click(qtbot, panel.download_button)


def start_stalled(
    qtbot: QtBot, panel: ModelPanel, mirror: LocalMirror, dest: Path, *, button: QPushButton
) -> None:
    """Click ``button``; the mirror stalls every body after 1 MiB (the probes end before)."""
    mirror.stall_after(MIB, seconds=60, times=None)
    click(qtbot, button)
    qtbot.waitUntil(lambda: mirror.stalled.is_set() and part_size(dest) > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: state(panel).startswith("Downloading"), timeout=WAIT_MS)


# --- tests -------------------------------------------------------------------------------


def test_opens_with_the_default_model_selected_and_every_control_named(
    panel: ModelPanel,
) -> None:
    assert panel.selected_key() == ID_A
    assert state(panel) == "Not downloaded"
    assert "(recommended)" in cell(panel, ID_A, ModelTableModel.NAME)
    assert cell(panel, ID_A, ModelTableModel.QUANT) == "Q4_K_M"
    assert panel.download_button.isEnabled()
    for button in (panel.use_button, panel.pause_button, panel.resume_button):
        assert not button.isEnabled()
    controls: list[QWidget] = [
        *panel.findChildren(QPushButton),
        *panel.findChildren(QLabel),
        *panel.findChildren(QProgressBar),
        *panel.findChildren(QTableView),
    ]
    unnamed = [w.objectName() or repr(w) for w in controls if not w.accessibleName()]
    assert unnamed == []


def test_download_shows_moving_progress_then_installed_and_use_emits_the_path(
    qtbot: QtBot,
    panel: ModelPanel,
    local_mirror: LocalMirror,
    served: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    # About a second for the file, so progress has time to move.
    local_mirror.slow_drip(2 * MIB)
    bar_values: list[int] = []
    details: list[str] = []

    def on_progress(key: str, progress: DownloadProgress) -> None:
        # Connected after the panel, so the panel has already shown this progress.
        if key == ID_A and progress.phase == "downloading":
            bar_values.append(panel.progress_bar.value())
            details.append(panel.progress_label.text())

    panel.worker.progressed.connect(on_progress)
    download(qtbot, panel)
    assert len(bar_values) >= 3
    assert bar_values == sorted(bar_values) and bar_values[-1] > bar_values[0]
    assert any("/s" in text and "from " in text for text in details)

    dest = isolated_app_dirs.models / FILE_A
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == served.sha256
    assert state(panel) == "Installed"
    assert panel.progress_box.isHidden()
    assert "downloaded and verified" in panel.message_label.text()
    with qtbot.waitSignal(panel.use_model_requested, timeout=5000) as used:
        click(qtbot, panel.use_button)
    assert used.args == [str(dest)]


def test_pause_then_resume_completes_with_the_right_bytes(
    qtbot: QtBot,
    panel: ModelPanel,
    local_mirror: LocalMirror,
    served: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, panel, local_mirror, dest, button=panel.download_button)
    assert panel.pause_button.isEnabled() and panel.cancel_button.isEnabled()
    assert not panel.progress_box.isHidden()
    with qtbot.waitSignal(panel.worker.paused, timeout=WAIT_MS):
        click(qtbot, panel.pause_button)
        # Until the worker confirms, the row says so (unless it already has).
        assert state(panel) == "Pausing…" or not panel.worker.is_active(ID_A)
        assert not panel.pause_button.isEnabled()
    assert state(panel).startswith("Paused at")
    assert panel.resume_button.isEnabled() and not panel.download_button.isEnabled()
    kept = part_size(dest)
    assert kept > 0

    local_mirror.clear_faults()
    local_mirror.reset_counters()
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT_MS):
        click(qtbot, panel.resume_button)
    assert f"bytes={kept}-" in local_mirror.ranges_asked
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == served.sha256
    assert state(panel) == "Installed"
    assert panel.use_button.isEnabled() and panel.delete_button.isEnabled()


def test_cancel_removes_the_part(
    qtbot: QtBot, panel: ModelPanel, local_mirror: LocalMirror, isolated_app_dirs: AppPaths
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, panel, local_mirror, dest, button=panel.download_button)
    with qtbot.waitSignal(panel.worker.cancelled, timeout=WAIT_MS):
        click(qtbot, panel.cancel_button)
    assert not part_path(dest).exists() and not dest.exists()
    assert state(panel) == "Not downloaded"
    assert panel.download_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_downloads_go_on_while_the_panel_is_hidden(
    qtbot: QtBot, panel: ModelPanel, isolated_app_dirs: AppPaths
) -> None:
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT_MS):
        click(qtbot, panel.download_button)
        panel.hide()
    assert (isolated_app_dirs.models / FILE_A).is_file()
    panel.show()
    assert state(panel) == "Installed"


def test_offline_mode_says_so_and_downloads_nothing(
    qtbot: QtBot,
    catalog: Catalog,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
) -> None:
    offline_gateway = NetworkGateway(log_path=None, offline=True)
    worker_offline = DownloadWorker(gateway=offline_gateway, models_dir=isolated_app_dirs.models)
    try:
        panel = make_panel(
            qtbot, catalog, offline_gateway, worker_offline, isolated_app_dirs.models
        )
        assert not panel.offline_label.isHidden()
        local_mirror.reset_counters()
        with qtbot.waitSignal(worker_offline.failed, timeout=WAIT_MS):
            click(qtbot, panel.download_button)
        assert panel.message_label.text().startswith("Hearth is offline")
        assert not panel.message_box.isHidden()
        assert state(panel).startswith("Failed: Hearth is offline")
        assert local_mirror.requests_seen == 0
        assert not part_path(isolated_app_dirs.models / FILE_A).exists()
        assert {e.result for e in offline_gateway.log_entries()} == {"refused: offline"}
    finally:
        assert worker_offline.shutdown(timeout_ms=10_000)
        offline_gateway.close()


def test_import_a_valid_gguf_by_copy(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path, isolated_app_dirs: AppPaths
) -> None:
    source = write_tiny_qwen2_gguf(tmp_path / "own" / "tiny-own.gguf")
    offer(qtbot, panel, source)
    assert not panel.import_bar.isHidden()
    assert "tiny-own.gguf" in panel.import_label.text() and "qwen2" in panel.import_label.text()
    with qtbot.waitSignal(panel.worker.imported, timeout=WAIT_MS):
        click(qtbot, panel.import_copy_button)
    key = "file:tiny-own.gguf"
    assert panel.selected_key() == key
    assert state(panel, key) == "Installed"
    assert cell(panel, key, ModelTableModel.QUANT) == "F32"
    assert (isolated_app_dirs.models / "tiny-own.gguf").read_bytes() == source.read_bytes()
    assert "Imported tiny-own.gguf" in panel.message_label.text()
    assert panel.import_bar.isHidden()
    with qtbot.waitSignal(panel.use_model_requested, timeout=5000) as used:
        click(qtbot, panel.use_button)
    assert used.args == [str(isolated_app_dirs.models / "tiny-own.gguf")]


def test_import_in_place_then_delete_only_forgets_it(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path
) -> None:
    source = write_tiny_qwen2_gguf(tmp_path / "own" / "kept.gguf")
    offer(qtbot, panel, source)
    click(qtbot, panel.import_in_place_button)
    key = "file:kept.gguf"
    qtbot.waitUntil(lambda: panel.table_model.row_of(key) >= 0, timeout=WAIT_MS)
    assert state(panel, key) == "Installed (used where it is)"
    assert panel.selected_key() == key
    click(qtbot, panel.delete_button)
    assert not panel.delete_bar.isHidden()
    assert "stays where it is" in panel.delete_label.text()
    click(qtbot, panel.delete_confirm_button)
    assert panel.table_model.row_of(key) < 0
    assert source.is_file()


def test_a_bad_file_is_refused_inline_and_nothing_is_added(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path, isolated_app_dirs: AppPaths
) -> None:
    before = [r.key for r in panel.table_model.rows]
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello, not a model")
    offer(qtbot, panel, bogus)
    assert "is not a GGUF model file" in panel.message_label.text()
    assert not panel.message_box.isHidden()
    assert panel.import_bar.isHidden()
    assert [r.key for r in panel.table_model.rows] == before
    assert sorted(p.name for p in isolated_app_dirs.models.iterdir()) == []


def test_dropping_a_gguf_offers_to_import_it(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path
) -> None:
    source = write_tiny_qwen2_gguf(tmp_path / "dropped.gguf")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(source))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    panel.dropEvent(event)
    assert event.isAccepted()
    qtbot.waitUntil(lambda: not panel.import_bar.isHidden(), timeout=WAIT_MS)
    assert "dropped.gguf" in panel.import_label.text()
    panel.import_cancel_button.click()
    assert panel.import_bar.isHidden()
    assert panel.table_model.row_of("file:dropped.gguf") < 0


def test_delete_a_downloaded_model(
    qtbot: QtBot, panel: ModelPanel, isolated_app_dirs: AppPaths
) -> None:
    download(qtbot, panel)
    dest = isolated_app_dirs.models / FILE_A
    click(qtbot, panel.delete_button)
    click(qtbot, panel.delete_keep_button)
    assert dest.is_file() and panel.delete_bar.isHidden()
    click(qtbot, panel.delete_button)
    click(qtbot, panel.delete_confirm_button)
    assert not dest.exists()
    assert state(panel) == "Not downloaded"
    assert panel.download_button.isEnabled() and not panel.use_button.isEnabled()


def test_verify_reports_inline(qtbot: QtBot, panel: ModelPanel) -> None:
    download(qtbot, panel)
    with qtbot.waitSignal(panel.worker.verified, timeout=WAIT_MS):
        click(qtbot, panel.verify_button)
    assert "intact" in panel.message_label.text()
    assert state(panel) == "Installed"


def test_fit_badge_says_too_big_on_a_small_machine(
    qtbot: QtBot,
    catalog: Catalog,
    gateway: NetworkGateway,
    worker: DownloadWorker,
    isolated_app_dirs: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 256 MiB of RAM: the runtime overhead alone does not fit.
    monkeypatch.setattr(catalog_module, "machine_ram", lambda: (256 * MIB, 128 * MIB))
    panel = make_panel(qtbot, catalog, gateway, worker, isolated_app_dirs.models)
    assert cell(panel, ID_A, ModelTableModel.FIT) == "Too big for this machine"
    tooltip = cell(panel, ID_A, ModelTableModel.FIT, Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("Too big for this computer")


def test_fit_badge_says_fits_on_a_big_machine(
    qtbot: QtBot,
    catalog: Catalog,
    gateway: NetworkGateway,
    worker: DownloadWorker,
    isolated_app_dirs: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_module, "machine_ram", lambda: (64 * 1024 * MIB, 32 * 1024 * MIB))
    panel = make_panel(qtbot, catalog, gateway, worker, isolated_app_dirs.models)
    assert cell(panel, ID_A, ModelTableModel.FIT) == "Fits"


def test_back_button_asks_to_go_back(qtbot: QtBot, panel: ModelPanel) -> None:
    with qtbot.waitSignal(panel.back_requested, timeout=5000):
        click(qtbot, panel.back_button)


# --- off the GUI thread (issue 12 item 7, issue 17 item 2) -------------------------------------


def test_import_check_runs_off_the_gui_thread(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from app.ui import model_import as panel_module

    release = threading.Event()
    threads: list[threading.Thread] = []
    real = panel_module.validate_import

    def slow_check(path: Path) -> object:
        threads.append(threading.current_thread())
        release.wait(10)
        return real(path)

    monkeypatch.setattr(panel_module, "validate_import", slow_check)
    source = write_tiny_qwen2_gguf(tmp_path / "slow.gguf")
    assert panel.offer_import(source)  # returns while the header is still being read
    qtbot.waitUntil(lambda: bool(threads), timeout=WAIT_MS)
    assert panel.import_bar.isHidden()
    assert threads[0] is not threading.main_thread()
    release.set()
    qtbot.waitUntil(lambda: not panel.import_bar.isHidden(), timeout=WAIT_MS)
    assert "slow.gguf" in panel.import_label.text()


@pytest.mark.parametrize(
    ("name", "said"), [("model.bin", "not named like a GGUF"), (".hidden.gguf", "hidden file")]
)
def test_odd_names_are_refused_in_the_panel(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path, name: str, said: str
) -> None:
    source = write_tiny_qwen2_gguf(tmp_path / "ok.gguf")
    odd = source.rename(tmp_path / name)
    offer(qtbot, panel, odd)
    qtbot.waitUntil(lambda: said in panel.message_label.text(), timeout=WAIT_MS)
    assert panel.import_bar.isHidden()


def test_a_fifo_offered_for_import_is_refused_without_blocking(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path
) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    offer(qtbot, panel, fifo)
    qtbot.waitUntil(lambda: "not a regular file" in panel.message_label.text(), timeout=WAIT_MS)


def test_the_models_folder_is_listed_off_the_gui_thread(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from app.ui import model_rows as panel_module

    threads: list[threading.Thread] = []
    real = panel_module.list_installed

    def listing(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(panel_module, "list_installed", listing)
    write_tiny_qwen2_gguf(panel.models_dir / "found-here.gguf")
    with qtbot.waitSignal(panel.listing_done, timeout=WAIT_MS):
        panel.refresh()
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert panel.table_model.row_of("file:found-here.gguf") >= 0


def test_markup_in_a_model_name_or_path_is_shown_as_text(
    qtbot: QtBot, panel: ModelPanel, tmp_path: Path
) -> None:
    from tests.core.test_models import write_test_gguf

    source = write_test_gguf(tmp_path / "own" / "x<b>y.gguf", name="<img src=x><b>Bold</b>")
    offer(qtbot, panel, source)
    click(qtbot, panel.import_in_place_button)
    key = "file:x<b>y.gguf"
    qtbot.waitUntil(lambda: panel.table_model.row_of(key) >= 0, timeout=WAIT_MS)
    assert cell(panel, key, ModelTableModel.NAME).startswith("<img src=x><b>Bold</b>")
    tooltip = cell(panel, key, ModelTableModel.NAME, Qt.ItemDataRole.ToolTipRole)
    assert "x&lt;b&gt;y.gguf" in tooltip
    for label in (panel.message_label, panel.import_label, panel.delete_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert "x<b>y.gguf" in panel.message_label.text()
