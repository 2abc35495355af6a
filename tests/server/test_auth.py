"""The token file, constant-time comparison, and the Host and Origin rules."""

from __future__ import annotations

import hmac
import stat
from pathlib import Path

import pytest

from app.core.paths import AppPaths
from app.server import auth


def test_token_is_made_on_first_use_private_and_then_reused(isolated_app_dirs: AppPaths) -> None:
    config = isolated_app_dirs.config
    path = auth.token_path(config)
    assert not path.exists()
    token = auth.load_or_create_token(config)
    assert len(token) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.load_or_create_token(config) == token


def test_a_damaged_token_file_is_replaced(isolated_app_dirs: AppPaths) -> None:
    path = auth.token_path(isolated_app_dirs.config)
    path.write_text("short\n")
    token = auth.load_or_create_token(isolated_app_dirs.config)
    assert token != "short" and path.read_text().strip() == token


def test_a_too_open_token_file_is_made_private(isolated_app_dirs: AppPaths) -> None:
    token = auth.load_or_create_token(isolated_app_dirs.config)
    path = auth.token_path(isolated_app_dirs.config)
    path.chmod(0o644)
    assert auth.load_or_create_token(isolated_app_dirs.config) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_token_invalidates_the_old(tmp_path: Path) -> None:
    old = auth.load_or_create_token(tmp_path)
    new = auth.new_token(tmp_path)
    assert new != old and auth.load_or_create_token(tmp_path) == new


def test_token_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert auth.token_matches("Bearer secret-token", "secret-token")
    assert auth.token_matches("bearer   secret-token ", "secret-token")
    assert not auth.token_matches("Bearer secret-tokem", "secret-token")
    assert calls and all(isinstance(a, bytes) for a, _ in calls)


@pytest.mark.parametrize("header", [None, "", "secret-token", "Basic secret-token", "Bearer "])
def test_missing_or_malformed_authorization_is_refused(header: str | None) -> None:
    assert not auth.token_matches(header, "secret-token")


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("LOCALHOST", True),
        ("[::1]:8765", True),
        ("127.0.0.2:1", True),
        ("evil.example:8765", False),
        ("192.168.1.10:8765", False),
        ("127.0.0.1.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_a_loopback_server_answers_loopback_names_only(header: str | None, ok: bool) -> None:
    assert auth.host_allowed(header, bound_host="127.0.0.1") is ok


def test_a_remote_server_accepts_any_host_name() -> None:
    assert auth.host_allowed("my-box.lan:8765", bound_host="0.0.0.0")
    assert not auth.host_allowed(None, bound_host="0.0.0.0")


def test_origins() -> None:
    allowed = auth.parse_origins("http://localhost:3000, https://Notes.example/ bad-origin")
    assert allowed == frozenset({"http://localhost:3000", "https://notes.example"})
    host = "127.0.0.1:8765"
    assert auth.origin_allowed(None, host, frozenset())  # programs send no Origin
    assert auth.origin_allowed("http://127.0.0.1:8765", host, frozenset())  # our own page
    assert not auth.origin_allowed("https://evil.example", host, frozenset())
    assert not auth.origin_allowed("null", host, frozenset())
    assert auth.origin_allowed("https://notes.example", host, allowed)
    assert auth.origin_allowed("https://anything.example", host, frozenset({"*"}))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert auth.is_loopback_host(host) is loopback
