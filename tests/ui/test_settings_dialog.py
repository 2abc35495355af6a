"""Settings dialog: round trip, per-chat overrides, validation; offline switch; network log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.core.chat import SamplingParams
from app.core.errors import OfflineError
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings, load_settings, save_settings
from app.core.store import ChatStore
from app.ui.main_window import MainWindow
from app.ui.network_log import NetworkLogDialog
from app.ui.settings_dialog import SettingsDialog, apply_overrides, sampling_overrides
from app.workers.inference import InferenceClient


def test_dialog_round_trips_every_field(qtbot: QtBot, isolated_app_dirs: AppPaths) -> None:
    original = Settings(
        threads=3,
        context_length=8192,
        sampling=SamplingParams(temperature=0.7, top_k=20, seed=42, thinking_budget=1024),
        system_prompt="Be brief.",
        theme="dark",
        language="zh_CN",
        source_preference="modelscope",
        custom_hf_endpoint="https://mirror.example.org",
        offline=True,
    )
    dialog = SettingsDialog(original)
    qtbot.addWidget(dialog)
    result = dialog.result_settings()
    assert result == original
    save_settings(isolated_app_dirs.settings_file, result)
    assert load_settings(isolated_app_dirs.settings_file) == original


def test_edits_come_back_as_new_settings(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.temperature.setValue(1.1)
    dialog.random_seed.setChecked(False)
    dialog.seed.setValue(7)
    dialog.budget_enabled.setChecked(True)
    dialog.budget.setValue(512)
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    result = dialog.result_settings()
    assert result.sampling.temperature == pytest.approx(1.1)
    assert result.sampling.seed == 7
    assert result.sampling.thinking_budget == 512
    assert result.theme == "light"
    dialog._restore_sampling_defaults()
    assert dialog.result_settings().sampling == SamplingParams()


def test_a_plain_http_mirror_is_refused_with_a_reason(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.endpoint.setText("http://insecure.example.org")
    dialog._accept_if_valid()
    assert dialog.error_label.isVisibleTo(dialog)
    assert "https" in dialog.error_label.text()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted


def test_per_chat_overrides_keep_global_sampling(qtbot: QtBot) -> None:
    base = Settings()
    dialog = SettingsDialog(base, chat_open=True)
    qtbot.addWidget(dialog)
    dialog.for_this_chat.setChecked(True)
    dialog.temperature.setValue(0.2)
    assert dialog.result_settings().sampling == base.sampling
    overrides = dialog.chat_overrides()
    assert overrides == {"temperature": 0.2}
    assert apply_overrides(base.sampling, overrides).temperature == 0.2
    assert sampling_overrides(base.sampling, base.sampling) == {}
    assert apply_overrides(base.sampling, {"nonsense": 1}) == base.sampling


@pytest.fixture
def window(qtbot: QtBot, isolated_app_dirs: AppPaths) -> Iterator[MainWindow]:
    store = ChatStore.open(isolated_app_dirs.database)
    gateway = NetworkGateway(log_path=isolated_app_dirs.network_log)
    window = MainWindow(settings=Settings(), store=store, client=InferenceClient(), gateway=gateway)
    qtbot.addWidget(window)
    yield window
    window.close()
    gateway.close()
    store.close()


def test_offline_switch_in_the_status_bar_reaches_the_gateway(
    qtbot: QtBot, window: MainWindow
) -> None:
    saved: list[Settings] = []
    window.settings_changed.connect(saved.append)
    window.offline_button.click()
    assert window.gateway.offline
    assert window.settings.offline
    assert saved[-1].offline
    assert window.offline_button.text() == "Offline"
    with pytest.raises(OfflineError):
        window.gateway.request("GET", "https://huggingface.co/api/models")
    window.offline_button.click()
    assert not window.gateway.offline


def test_settings_dialog_from_the_window_applies_and_saves(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.open_settings()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.offline.setChecked(True)
    dialog.max_tokens.setValue(123)
    with qtbot.waitSignal(window.settings_changed) as changed:
        dialog.accept()
    assert changed.args[0].offline
    assert window.controller.settings.sampling.max_tokens == 123
    assert window.gateway.offline


def test_network_log_lists_requests_and_clears(qtbot: QtBot, window: MainWindow) -> None:
    window.gateway.set_offline(True)
    with pytest.raises(OfflineError):
        window.gateway.request("GET", "https://huggingface.co/api/models?secret=1")
    dialog = NetworkLogDialog(window.gateway)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 1).text() == "huggingface.co"
    assert "secret" not in dialog.table.item(0, 2).text()
    dialog.clear()
    assert dialog.table.rowCount() == 0
    assert dialog.empty_label.isVisibleTo(dialog)


@pytest.mark.parametrize(("flash", "cache"), [("off", "f16"), ("auto", "f16"), ("on", "q8_0")])
def test_flash_attention_and_cache_type_round_trip(
    qtbot: QtBot, isolated_app_dirs: AppPaths, flash: str, cache: str
) -> None:
    original = Settings(flash_attention=flash, kv_cache_type=cache)  # type: ignore[arg-type]
    dialog = SettingsDialog(original)
    qtbot.addWidget(dialog)
    assert dialog.result_settings() == original
    save_settings(isolated_app_dirs.settings_file, original)
    assert load_settings(isolated_app_dirs.settings_file) == original


def test_a_quantized_cache_turns_flash_attention_on_and_shows_its_ram(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(flash_attention="off", context_length=8192))
    qtbot.addWidget(dialog)
    assert dialog.flash_attention.isEnabled()
    # 28 KiB per token (the reference shape) x 8192 tokens = 224 MB at f16.
    assert "224 MB" in dialog.kv_cache.itemText(dialog.kv_cache.findData("f16"))
    assert "119 MB" in dialog.kv_cache.itemText(dialog.kv_cache.findData("q8_0"))
    dialog.kv_cache.setCurrentIndex(dialog.kv_cache.findData("q4_0"))
    assert not dialog.flash_attention.isEnabled()
    result = dialog.result_settings()
    assert (result.flash_attention, result.kv_cache_type) == ("on", "q4_0")
    assert "flash attention" in dialog.kv_note.text()
    dialog.kv_cache.setCurrentIndex(dialog.kv_cache.findData("f16"))
    assert dialog.flash_attention.isEnabled()
