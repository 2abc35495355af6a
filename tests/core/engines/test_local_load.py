"""One set of load options for every front end, built from the settings (LocalLoad)."""

from __future__ import annotations

from pathlib import Path

from app.cli import chat as chat_cli
from app.core.engines.local_load import CALIBRATION_FILE_NAME, LocalLoad
from app.core.host import EngineHost, ModelLoaded
from app.core.paths import AppPaths
from app.core.settings import Settings, settings_from_dict
from tests.support.models import TINY_N_CTX


def _paths(root: Path) -> AppPaths:
    return AppPaths(
        data=root / "data",
        config=root / "config",
        cache=root / "cache",
        logs=root / "logs",
        models=root / "models",
    )


def test_the_settings_choices_become_the_load_options(tmp_path: Path) -> None:
    settings = Settings(
        threads=3,
        prompt_threads=5,
        context_length=8192,
        flash_attention="on",
        kv_cache_type="q8_0",
    )
    options = LocalLoad.from_settings(settings, _paths(tmp_path))
    assert options == LocalLoad(
        n_ctx=8192,
        n_threads=3,
        n_threads_batch=5,
        flash_attn="on",
        cache_type="q8_0",
        calibration_file=tmp_path / "cache" / CALIBRATION_FILE_NAME,
    )


def test_prompt_threads_follow_the_threads_unless_set_apart() -> None:
    assert Settings(threads=3).effective_prompt_threads() == 3
    assert Settings(threads=3, prompt_threads=1).effective_prompt_threads() == 1
    joined = LocalLoad(n_ctx=4096, n_threads=3, n_threads_batch=3)
    assert joined.overriding(n_threads=6).n_threads_batch == 6
    apart = LocalLoad(n_ctx=4096, n_threads=3, n_threads_batch=1)
    assert apart.overriding(n_threads=6) == LocalLoad(n_ctx=4096, n_threads=6, n_threads_batch=1)
    assert apart.overriding() == apart
    assert apart.overriding(n_ctx=2048).n_ctx == 2048


def test_a_bad_prompt_thread_count_in_the_file_is_ignored() -> None:
    assert settings_from_dict({"prompt_threads": 100000}).prompt_threads == 0
    assert settings_from_dict({"prompt_threads": -2}).prompt_threads == 0
    assert settings_from_dict({"prompt_threads": 4}).prompt_threads == 4


def test_a_load_applies_every_option_and_records_it(tiny_model_f32: Path) -> None:
    options = LocalLoad(
        n_ctx=TINY_N_CTX, n_threads=2, n_threads_batch=1, flash_attn="on", cache_type="f16"
    )
    engine = options.load(tiny_model_f32)
    try:
        details = engine.engine_info.details
        assert details["n_threads"] == 2
        assert details["n_threads_batch"] == 1
        assert details["flash_attn"] is True
        assert details["flash_attn_choice"] == "setting"
        assert details["kv_cache_type"] == "f16"
    finally:
        engine.close()


def test_the_host_loads_with_the_options_it_is_given(tiny_model_f32: Path) -> None:
    host = EngineHost()
    try:
        events: list[object] = []
        options = LocalLoad(n_ctx=TINY_N_CTX, n_threads=2, n_threads_batch=1, flash_attn="on")
        job = host.load_local(
            tiny_model_f32, options=options, sink=lambda _job, event: events.append(event)
        )
        assert job.wait(60)
        [loaded] = [event for event in events if isinstance(event, ModelLoaded)]
        assert loaded.info.details["n_threads_batch"] == 1
        assert loaded.info.details["flash_attn"] is True
    finally:
        assert host.close(30)


def test_the_cli_chat_loads_with_the_windows_choices(
    tiny_model_f32: Path,
) -> None:
    settings = Settings(threads=2, prompt_threads=1, context_length=2048, flash_attention="on")
    engine = chat_cli.load_engine(tiny_model_f32, settings)
    try:
        details = engine.engine_info.details
        assert details["n_threads_batch"] == 1
        assert details["flash_attn"] is True
    finally:
        engine.close()
