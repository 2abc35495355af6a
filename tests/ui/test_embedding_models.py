"""The model manager's embedding section: listed apart, downloaded like chat models, chosen
for the Library ("Use for Library"), never offered for chat; imports filed by architecture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.core.catalog import Catalog
from app.core.knowledge.bertgguf import write_tiny_bert_gguf
from app.core.knowledge.embed import embedding_model_in_use
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings, save_settings
from app.core.tinymodel import write_tiny_qwen2_gguf
from app.ui.model_panel import ModelPanel, ModelTableModel
from app.workers.downloads import DownloadWorker
from tests.core.test_catalog_embedding import (
    CHAT_FILE,
    CHAT_ID,
    CHAT_REPO,
    EMBED_FILE,
    EMBED_ID,
    EMBED_REPO,
    write_embedding_catalog,
)
from tests.support.mirror import LocalMirror, MirrorFile

WAIT_MS = 30_000


@pytest.fixture
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert_gguf(tmp_path_factory.mktemp("bert") / "tiny-bert.gguf")


@pytest.fixture
def served(local_mirror: LocalMirror, tiny_bert: Path) -> MirrorFile:
    return local_mirror.add_file(EMBED_REPO, EMBED_FILE, tiny_bert.read_bytes())


@pytest.fixture
def catalog(tmp_path: Path, local_mirror: LocalMirror, served: MirrorFile) -> Catalog:
    chat = local_mirror.add_file(
        CHAT_REPO, CHAT_FILE, write_tiny_qwen2_gguf(tmp_path / "chat.gguf").read_bytes()
    )
    return write_embedding_catalog(tmp_path / "catalog.json", local_mirror, chat, served)


@pytest.fixture
def worker(
    qtbot: QtBot, gateway: NetworkGateway, isolated_app_dirs: AppPaths
) -> Iterator[DownloadWorker]:
    worker = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    yield worker
    assert worker.shutdown(timeout_ms=10_000)


@pytest.fixture
def panel(
    qtbot: QtBot,
    catalog: Catalog,
    gateway: NetworkGateway,
    worker: DownloadWorker,
    isolated_app_dirs: AppPaths,
) -> ModelPanel:
    panel = ModelPanel(
        catalog=catalog,
        settings=Settings(context_length=4096),
        gateway=gateway,
        models_dir=isolated_app_dirs.models,
        worker=worker,
    )
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    settle(qtbot, panel)
    # What the window does with "Use for Library": keep the settings and save them.
    panel.settings_changed.connect(
        lambda settings: save_settings(isolated_app_dirs.settings_file, settings)
    )
    return panel


def settle(qtbot: QtBot, panel: ModelPanel) -> None:
    qtbot.waitUntil(lambda: not panel.is_listing, timeout=WAIT_MS)


def click(qtbot: QtBot, button: QPushButton) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[no-untyped-call]


def keys(model: ModelTableModel) -> list[str]:
    return [row.key for row in model.rows]


def state(model: ModelTableModel, key: str) -> str:
    index = model.row_of(key)
    assert index >= 0, f"no row {key}"
    return str(model.index(index, ModelTableModel.STATE).data())


def import_copy(qtbot: QtBot, panel: ModelPanel, path: Path) -> None:
    assert panel.offer_import(path)
    qtbot.waitUntil(lambda: not panel.import_bar.isHidden(), timeout=WAIT_MS)
    with qtbot.waitSignal(panel.worker.imported, timeout=WAIT_MS):
        click(qtbot, panel.import_copy_button)


# --- tests ---------------------------------------------------------------------------------


def test_embedding_models_have_their_own_section_and_are_not_chat_models(
    panel: ModelPanel,
) -> None:
    section = panel.embedding
    assert "used by the Library for meaning search" in section.title_label.text()
    assert keys(panel.table_model) == [CHAT_ID]
    assert keys(section.table_model) == [EMBED_ID]
    assert state(section.table_model, EMBED_ID) == "Not downloaded"
    assert section.in_use_label.text().endswith("full-text search only.")
    assert panel.select_model(EMBED_ID)
    assert panel.selected_key() == EMBED_ID
    # One selection across both tables.
    assert not panel.table.selectionModel().hasSelection()
    assert panel.download_button.isEnabled()
    assert not panel.use_button.isEnabled()
    details = section.details_label.text()
    assert "checksum not published" in details
    assert "Hugging Face" in details and "ModelScope" in details


def test_an_embedding_model_downloads_through_faults_and_is_used_by_the_library(
    qtbot: QtBot,
    panel: ModelPanel,
    local_mirror: LocalMirror,
    served: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    section = panel.embedding
    # One answer is a 503, and a body is cut short: failover and resume. The two speed
    # probes (64 KiB bodies, shorter than the cut) take the first two of the cut's budget.
    local_mirror.status(503, times=1)
    local_mirror.reset_after(100_000, times=3)
    assert panel.select_model(EMBED_ID)
    with qtbot.waitSignal(panel.worker.finished, timeout=WAIT_MS):
        click(qtbot, panel.download_button)
    dest = isolated_app_dirs.models / EMBED_FILE
    assert dest.read_bytes() == served.data
    # The faults were met: the bytes came in more than one GET (the first was cut short).
    gets = [
        r for r in local_mirror.requests if r.method == "GET" and EMBED_FILE in r.path + r.query
    ]
    assert len(gets) >= 2
    assert any(r.status == 503 for r in local_mirror.requests)
    qtbot.waitUntil(lambda: state(section.table_model, EMBED_ID).startswith("Installed"))
    # The only embedding model installed: the Library uses it without being asked.
    assert state(section.table_model, EMBED_ID) == "Installed · used by the Library"
    assert "Tiny embedding" in section.in_use_label.text()
    assert panel.selected_key() == EMBED_ID
    assert not panel.use_button.isEnabled()  # never loaded for chat
    assert panel.delete_button.isEnabled()
    found = embedding_model_in_use(isolated_app_dirs.models, catalog=panel.catalog)
    assert found is not None and found.path == dest


def test_use_for_library_changes_the_setting_the_indexer_reads(
    qtbot: QtBot,
    panel: ModelPanel,
    tiny_bert: Path,
    tmp_path: Path,
    isolated_app_dirs: AppPaths,
) -> None:
    section = panel.embedding
    first = tmp_path / "own" / "a-first-bert.gguf"
    second = tmp_path / "own" / "b-second-bert.gguf"
    first.parent.mkdir()
    first.write_bytes(tiny_bert.read_bytes())
    second.write_bytes(tiny_bert.read_bytes())
    import_copy(qtbot, panel, first)
    import_copy(qtbot, panel, second)
    settle(qtbot, panel)
    assert keys(section.table_model) == [
        EMBED_ID,
        "file:a-first-bert.gguf",
        "file:b-second-bert.gguf",
    ]
    assert state(section.table_model, "file:a-first-bert.gguf").endswith("used by the Library")
    chosen = embedding_model_in_use(isolated_app_dirs.models, catalog=panel.catalog)
    assert chosen is not None and chosen.file == "a-first-bert.gguf"

    assert panel.select_model("file:b-second-bert.gguf")
    assert not panel.use_button.isEnabled()
    with qtbot.waitSignal(panel.settings_changed, timeout=5000) as changed:
        click(qtbot, section.use_button)
    assert changed.args[0].embedding_model == "b-second-bert.gguf"
    assert panel.settings.embedding_model == "b-second-bert.gguf"
    assert state(section.table_model, "file:b-second-bert.gguf").endswith("used by the Library")
    assert not state(section.table_model, "file:a-first-bert.gguf").endswith("the Library")
    assert not section.use_button.isEnabled()  # it is the one in use now
    # The Library reads the saved setting.
    chosen = embedding_model_in_use(isolated_app_dirs.models, catalog=panel.catalog)
    assert chosen is not None and (chosen.file, chosen.chosen) == ("b-second-bert.gguf", True)


def test_an_imported_bert_is_an_embedding_model_and_a_qwen_a_chat_model(
    qtbot: QtBot, panel: ModelPanel, tiny_bert: Path, tmp_path: Path
) -> None:
    section = panel.embedding
    bert = tmp_path / "own" / "my-bert.gguf"
    bert.parent.mkdir()
    bert.write_bytes(tiny_bert.read_bytes())
    import_copy(qtbot, panel, bert)
    # The question before the copy said what it is.
    assert "bert" in panel.import_label.text()
    assert "an embedding model for the Library" in panel.import_label.text()
    assert "Imported my-bert.gguf" in panel.message_label.text()
    assert "file:my-bert.gguf" in keys(section.table_model)
    assert "file:my-bert.gguf" not in keys(panel.table_model)
    assert panel.selected_key() == "file:my-bert.gguf"
    assert not panel.use_button.isEnabled()

    qwen = write_tiny_qwen2_gguf(tmp_path / "own" / "my-qwen.gguf")
    import_copy(qtbot, panel, qwen)
    assert "embedding model" not in panel.import_label.text()
    assert "file:my-qwen.gguf" in keys(panel.table_model)
    assert "file:my-qwen.gguf" not in keys(section.table_model)
    assert panel.selected_key() == "file:my-qwen.gguf"
    assert panel.use_button.isEnabled()
    assert not section.use_button.isEnabled()  # a chat model never serves the Library
