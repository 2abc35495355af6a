"""Settings: versioned JSON round trip, forgiving reads, defaults from the machine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core.chat import SamplingParams
from app.core.settings import (
    MAX_CONTEXT,
    MIN_CONTEXT,
    SETTINGS_VERSION,
    Settings,
    default_context,
    default_threads,
    load_settings,
    save_settings,
    settings_from_dict,
    settings_to_dict,
)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    settings = Settings(
        threads=4,
        context_length=16384,
        sampling=SamplingParams(temperature=0.3, seed=9, thinking_budget=700, loop_guard=False),
        system_prompt="用中文回答。",
        theme="dark",
        language="zh_CN",
        source_preference="modelscope",
        custom_hf_endpoint="https://hf-mirror.com",
        offline=True,
        last_model="/models/a.gguf",
        font_point_size=13.5,
    )
    path = tmp_path / "settings.json"
    save_settings(path, settings)
    assert load_settings(path) == settings
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["version"] == SETTINGS_VERSION
    assert "用中文回答" in path.read_text(encoding="utf-8")
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.json") == Settings()


def test_corrupt_file_is_moved_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ not json", encoding="utf-8")
    assert load_settings(path) == Settings()
    kept = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == "{ not json"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("theme", "purple"),
        ("threads", "four"),
        ("threads", True),
        ("offline", "yes"),
        ("language", 3),
        ("font_point_size", "big"),
        ("sampling", {"temperature": "hot", "seed": "x", "thinking_budget": 1.5}),
    ],
)
def test_bad_values_fall_back_to_defaults(key: str, value: object) -> None:
    settings = settings_from_dict({"version": 1, key: value, "system_prompt": "kept"})
    assert settings.system_prompt == "kept"
    defaults = settings_to_dict(Settings())
    assert settings_to_dict(settings)[key] == defaults[key]


def test_unknown_keys_and_newer_versions_are_read_as_far_as_known(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 99, "theme": "light", "future": 1}), encoding="utf-8")
    assert load_settings(path).theme == "light"


def test_context_is_clamped_and_automatic_defaults_are_sane() -> None:
    assert settings_from_dict({"context_length": 10}).context_length == MIN_CONTEXT
    assert settings_from_dict({"context_length": 10**9}).context_length == MAX_CONTEXT
    assert default_context(available_bytes=0) == MIN_CONTEXT
    assert default_context(available_bytes=2 * 1024**3) == 16384
    assert default_context(available_bytes=64 * 1024**3) == MAX_CONTEXT
    assert 1 <= default_threads() <= 8
    assert Settings(threads=3).effective_threads() == 3
    assert Settings().effective_threads() == default_threads()


# --- hostile settings files: Hearth always starts, with defaults for what it cannot use ---


def test_a_settings_file_that_is_not_utf8_is_moved_aside(tmp_path: Path) -> None:
    from app.core.settings import Settings, load_settings

    path = tmp_path / "settings.json"
    path.write_bytes(b'{"system_prompt": "\xff\xfe caf\xe9"}')
    assert load_settings(path) == Settings()
    assert not path.exists()
    aside = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b'{"system_prompt"')


@pytest.mark.parametrize(
    "text",
    [
        '{"system_prompt": "\\ud800 lone surrogate"}',
        '{"last_model": "/models/a\\u0000b.gguf"}',
        '{"custom_hf_endpoint": "\\udfff"}',
    ],
)
def test_text_no_widget_or_file_can_hold_falls_back_to_its_default(
    tmp_path: Path, text: str
) -> None:
    from app.core.settings import Settings, load_settings, save_settings

    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    assert settings == Settings()
    save_settings(path, settings)  # and what was read can be written back
    assert load_settings(path) == Settings()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # nested too deep for the JSON parser
        '{"threads": ' + "9" * 10_000 + "}",  # an integer too long to convert
        '{"sampling": {"temperature": NaN, "top_p": Infinity, "seed": ' + "1" * 30 + "}}",
        '{"threads": 100000000, "font_point_size": 1e308, "context_length": -5}',
    ],
    ids=["deep", "long-int", "non-finite", "out-of-range"],
)
def test_absurd_values_never_raise(tmp_path: Path, text: str) -> None:
    from app.core.settings import Settings, load_settings

    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path)
    defaults = Settings()
    assert settings.threads == defaults.threads
    assert settings.font_point_size == defaults.font_point_size
    assert settings.sampling.temperature == defaults.sampling.temperature
    assert settings.sampling.seed == defaults.sampling.seed


def test_a_huge_settings_file_is_not_read(tmp_path: Path) -> None:
    from app.core.settings import MAX_SETTINGS_BYTES, Settings, load_settings

    path = tmp_path / "settings.json"
    path.write_text('{"system_prompt": "' + "x" * MAX_SETTINGS_BYTES + '"}', encoding="utf-8")
    assert load_settings(path) == Settings()


def test_a_settings_file_that_cannot_be_moved_aside_still_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.settings import Settings, load_settings

    path = tmp_path / "settings.json"
    path.write_bytes(b"\xff not json")

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", refuse)
    assert load_settings(path) == Settings()


def test_saving_to_an_unwritable_place_is_a_sentence(tmp_path: Path) -> None:
    from app.core.errors import SettingsError
    from app.core.settings import Settings, save_settings

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        save_settings(blocker / "settings.json", Settings())
    assert "could not save your settings" in str(caught.value)
