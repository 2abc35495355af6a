"""Saved remote engines, API keys, presets and "Test connection"."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.engines.registry import (
    LOCAL_CHOICE,
    PRESETS,
    EngineRegistry,
    SecretStore,
    new_engine_config,
    parse_choice,
    probe,
    remote_choice,
    remote_engine_factory,
)
from app.core.engines.remote import RemoteEndpoint, RemoteEngine, RemoteEngineError
from app.core.engines.remote import normalize_base_url as norm
from app.core.network import NetworkGateway
from tests.support.fake_openai import FakeOpenAI
from tests.support.keyrings import MemoryKeyring

Factory = Callable[..., FakeOpenAI]


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("192.168.1.20:8080", "http://192.168.1.20:8080/v1"),
        ("http://gpu.lan:8000/v1/", "http://gpu.lan:8000/v1"),
        ("https://api.example.com/v1/chat/completions", "https://api.example.com/v1"),
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
        ("  http://[::1]:1234/v1/models ", "http://[::1]:1234/v1"),
        ("http://host/openai/v1", "http://host/openai/v1"),
    ],
)
def test_the_address_a_user_types_becomes_the_api_root(typed: str, meant: str) -> None:
    assert norm(typed) == meant


@pytest.mark.parametrize(
    "typed", ["", "ftp://host/v1", "http://", "http://host:99999/v1", "http://me:pw@host/v1"]
)
def test_unusable_addresses_are_sentences(typed: str) -> None:
    with pytest.raises(RemoteEngineError) as caught:
        norm(typed)
    assert caught.value.kind == "bad_url"
    assert str(caught.value).endswith(".")


def test_presets_cover_the_usual_servers() -> None:
    labels = {p.label: p.base_url for p in PRESETS}
    assert labels["llama.cpp server"] == "http://127.0.0.1:8080/v1"
    assert labels["vLLM"] == "http://127.0.0.1:8000/v1"
    assert labels["Ollama"] == "http://127.0.0.1:11434/v1"
    assert labels["LM Studio"] == "http://127.0.0.1:1234/v1"
    assert "Another Hearth" in labels


def test_choices_name_local_or_a_remote_model() -> None:
    assert parse_choice(LOCAL_CHOICE) is None
    assert parse_choice(remote_choice("abc", "qwen:7b")) == ("abc", "qwen:7b")


# --- the saved list and keys ------------------------------------------------------------------


def test_engines_are_saved_privately_and_the_key_goes_to_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    registry = EngineRegistry.in_config_dir(tmp_path)
    config = new_engine_config("GPU box", "gpu.lan:8000", model="r1-32b", server_kind="vllm")
    saved = registry.save(config, api_key="sk-secret-1")
    assert saved.has_key and saved.base_url == "http://gpu.lan:8000/v1"

    path = tmp_path / "engines.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "sk-secret-1" not in path.read_text(encoding="utf-8")
    assert memory_keyring.saved == {("Hearth", f"engine:{saved.id}"): "sk-secret-1"}
    assert not (tmp_path / "engine-keys.json").exists()

    again = EngineRegistry.in_config_dir(tmp_path)
    assert again.engines() == [saved]
    endpoint = again.endpoint(saved.id)
    assert endpoint.api_key == "sk-secret-1"
    assert "sk-secret-1" not in repr(endpoint)
    assert again.choices() == [(remote_choice(saved.id, "r1-32b"), "r1-32b — GPU box")]

    # None keeps the key, "" removes it.
    again.save(saved, api_key=None)
    assert again.api_key(saved.id) == "sk-secret-1"
    again.save(saved, api_key="")
    assert again.api_key(saved.id) == ""
    assert not again.get(saved.id).has_key  # type: ignore[union-attr]
    again.remove(saved.id)
    assert again.engines() == []
    assert memory_keyring.saved == {}


def test_without_a_keyring_keys_go_to_a_private_file_and_that_is_said_once(
    tmp_path: Path, no_keyring: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore(tmp_path / "engine-keys.json")
    store.set("engine:a", "sk-file-key")
    assert not store.uses_keyring
    assert store.get("engine:a") == "sk-file-key"
    key_file = tmp_path / "engine-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    warning = store.take_warning()
    assert "no keyring" in warning and str(key_file) in warning
    assert store.take_warning() == ""
    assert "sk-file-key" not in caplog.text
    store.delete("engine:a")
    assert json.loads(key_file.read_text(encoding="utf-8")) == {}


def test_a_broken_saved_list_is_survived(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    (tmp_path / "engines.json").write_text(
        json.dumps(
            {
                "version": 1,
                "engines": [
                    {"id": "ok1", "name": "A", "base_url": "http://a:1/v1", "read_timeout": "x"},
                    {"id": "bad", "name": "B", "base_url": "ftp://nope"},
                    "junk",
                ],
            }
        ),
        encoding="utf-8",
    )
    registry = EngineRegistry.in_config_dir(tmp_path)
    (only,) = registry.engines()
    assert only.id == "ok1" and only.read_timeout == 120.0
    (tmp_path / "engines.json").write_text("{not json", encoding="utf-8")
    assert EngineRegistry.in_config_dir(tmp_path).engines() == []


def test_timeouts_are_clamped(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    config = new_engine_config("x", "http://a:1", connect_timeout=0, read_timeout=10**9)
    assert config.connect_timeout == 1.0 and config.read_timeout == 3600.0


# --- Test connection -----------------------------------------------------------------------------


def test_test_connection_says_what_answered(
    fake_openai_factory: Factory, gateway: NetworkGateway
) -> None:
    server = fake_openai_factory(models=("r1-7b", "r1-32b"), owned_by="llamacpp")
    endpoint = RemoteEndpoint("GPU box", server.base_url)
    report = probe(gateway, endpoint)
    assert report.models == ("r1-7b", "r1-32b")
    assert report.server_kind == "llama.cpp"
    assert report.latency_ms > 0
    sentence = report.sentence()
    assert sentence.startswith(f"llama.cpp server answered at 127.0.0.1:{server.port} in ")
    assert sentence.endswith("ms, with 2 models: r1-7b, r1-32b.")
    (entry,) = gateway.log_entries()
    assert (entry.method, entry.path, entry.result) == ("GET", "/v1/models", "ok")


@pytest.mark.parametrize(
    ("owned_by", "kind"),
    [("vllm", "vllm"), ("library", "ollama"), ("hearth", "hearth"), ("someone", "")],
)
def test_the_server_kind_is_recognised(
    fake_openai_factory: Factory, gateway: NetworkGateway, owned_by: str, kind: str
) -> None:
    server = fake_openai_factory(owned_by=owned_by)
    assert probe(gateway, RemoteEndpoint("x", server.base_url)).server_kind == kind


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        ({"api_key": "right"}, "auth"),
        ({"html": True}, "not_openai"),
        ({"status": 503, "retry_after": "20"}, "unavailable"),
    ],
)
def test_test_connection_faults_are_sentences(
    fake_openai_factory: Factory, gateway: NetworkGateway, script: dict[str, object], kind: str
) -> None:
    server = fake_openai_factory(**script)
    with pytest.raises(RemoteEngineError) as caught:
        probe(gateway, RemoteEndpoint("GPU box", server.base_url))
    assert caught.value.kind == kind


def test_a_path_that_is_not_an_api(fake_openai: FakeOpenAI, gateway: NetworkGateway) -> None:
    wrong = fake_openai.base_url.replace("/v1", "/nothing-here")
    with pytest.raises(RemoteEngineError) as caught:
        probe(gateway, RemoteEndpoint("GPU box", wrong))
    assert caught.value.kind == "not_openai"
    assert "usually ends in /v1" in str(caught.value)


def test_offline_blocks_test_connection_and_loading_a_far_engine(gateway: NetworkGateway) -> None:
    gateway.set_offline(True)
    far = RemoteEndpoint("Lab", "http://10.1.2.3:8000/v1", "m")
    with pytest.raises(RemoteEngineError) as caught:
        probe(gateway, far)
    assert caught.value.kind == "offline"
    with pytest.raises(RemoteEngineError) as loading:
        remote_engine_factory(gateway, far)(CancelToken())
    assert "Hearth is offline" in str(loading.value)
    near = RemoteEndpoint("Here", "http://127.0.0.1:9/v1", "m")
    assert isinstance(remote_engine_factory(gateway, near)(CancelToken()), RemoteEngine)
