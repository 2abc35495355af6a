"""The Settings switch: off by default; on serves; off (or quitting) closes the port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from app.core.errors import HearthError
from app.core.host import EngineHost
from app.core.paths import AppPaths
from app.core.settings import Settings, load_settings, save_settings
from app.server.auth import load_or_create_token, token_path
from app.server.switch import LocalApi
from tests.server.conftest import MODEL_ID, ScriptedEngine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


@pytest.fixture
def host() -> Iterator[EngineHost]:
    engine_host = EngineHost(ScriptedEngine())
    yield engine_host
    assert engine_host.close(5.0)


def test_the_api_is_off_by_default(isolated_app_dirs: AppPaths, host: EngineHost) -> None:
    settings = load_settings(isolated_app_dirs.settings_file)
    assert settings.api_enabled is False and settings.api_save_chats is False
    api = LocalApi(host, isolated_app_dirs.config)
    assert api.apply(settings) == ""
    assert not token_path(isolated_app_dirs.config).exists()  # no token until it is used


def test_the_api_settings_round_trip(isolated_app_dirs: AppPaths) -> None:
    chosen = replace(
        Settings(),
        api_enabled=True,
        api_port=9123,
        api_save_chats=True,
        api_allowed_origins="http://localhost:3000",
    )
    save_settings(isolated_app_dirs.settings_file, chosen)
    assert load_settings(isolated_app_dirs.settings_file) == chosen


def test_a_bad_port_in_the_file_falls_back(isolated_app_dirs: AppPaths) -> None:
    isolated_app_dirs.settings_file.write_text('{"api_port": 80, "api_enabled": "yes"}')
    settings = load_settings(isolated_app_dirs.settings_file)
    assert settings.api_port == Settings().api_port and settings.api_enabled is False


def test_switching_on_serves_and_off_closes_the_port(
    isolated_app_dirs: AppPaths, host: EngineHost
) -> None:
    port = free_port()
    api = LocalApi(host, isolated_app_dirs.config)
    on = replace(Settings(), api_enabled=True, api_port=port)
    address = api.apply(on)
    assert address == f"http://127.0.0.1:{port}"
    token = load_or_create_token(isolated_app_dirs.config)
    models = httpx.get(
        f"{address}/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert models.json()["data"][0]["id"] == MODEL_ID
    assert api.apply(on) == address  # unchanged settings: the same server keeps running
    server = api.server
    assert api.apply(replace(on, api_enabled=False)) == ""
    assert server is not None and not server.running
    assert port_is_closed(port)


def test_changing_the_port_moves_the_server(isolated_app_dirs: AppPaths, host: EngineHost) -> None:
    first, second = free_port(), free_port()
    api = LocalApi(host, isolated_app_dirs.config)
    api.apply(replace(Settings(), api_enabled=True, api_port=first))
    assert api.apply(replace(Settings(), api_enabled=True, api_port=second)).endswith(f":{second}")
    assert port_is_closed(first)
    assert api.stop()
    assert port_is_closed(second)


def test_a_taken_port_is_a_clear_error_and_nothing_runs(
    isolated_app_dirs: AppPaths, host: EngineHost
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        api = LocalApi(host, isolated_app_dirs.config)
        with pytest.raises(HearthError) as info:
            api.apply(replace(Settings(), api_enabled=True, api_port=port))
        assert str(port) in str(info.value)
        assert api.address == "" and api.server is None
