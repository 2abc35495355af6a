"""The network gateway: offline means offline, every request is logged, TLS is verified,
and a download touches only the hosts it must (issue 8, "The proof")."""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import shutil
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.downloads import Source, download_file, part_path
from app.core.errors import OfflineError
from app.core.network import (
    OFFLINE_MESSAGE,
    NetworkError,
    NetworkGateway,
    NetworkLogEntry,
)
from app.core.paths import AppPaths
from tests.support.mirror import LocalMirror, SocketTrap

REPO = "unsloth/Test-Model-GGUF"
FILENAME = "Test-Model-Q4_K_M.gguf"
APP_DIR = Path(__file__).resolve().parents[2] / "app"


@pytest.fixture
def log_path(isolated_app_dirs: AppPaths) -> Path:
    return isolated_app_dirs.network_log


@pytest.fixture
def gateway(log_path: Path) -> Iterator[NetworkGateway]:
    gw = NetworkGateway(log_path=log_path)
    yield gw
    gw.close()


@pytest.fixture
def mirror(local_mirror: LocalMirror, gguf_payload: bytes) -> LocalMirror:
    local_mirror.add_file(REPO, FILENAME, gguf_payload)
    return local_mirror


# --- offline means offline -----------------------------------------------------------------


def test_offline_refuses_everything_without_touching_a_socket(
    socket_trap: SocketTrap, log_path: Path
) -> None:
    gateway = NetworkGateway(log_path=log_path, offline=True)
    url = "https://huggingface.co/unsloth/x/resolve/main/x.gguf?token=secret"

    with pytest.raises(OfflineError) as caught:
        gateway.request("HEAD", url)
    assert str(caught.value) == OFFLINE_MESSAGE
    with pytest.raises(OfflineError), gateway.stream(url):
        pass

    assert socket_trap.calls == []
    entries = gateway.log_entries()
    assert [(e.method, e.host, e.path, e.result) for e in entries] == [
        ("HEAD", "huggingface.co", "/unsloth/x/resolve/main/x.gguf", "refused: offline"),
        ("GET", "huggingface.co", "/unsloth/x/resolve/main/x.gguf", "refused: offline"),
    ]
    assert all(e.status is None and e.bytes_in == 0 and e.bytes_out == 0 for e in entries)


def test_offline_download_makes_zero_socket_calls(
    socket_trap: SocketTrap, log_path: Path, isolated_app_dirs: AppPaths
) -> None:
    gateway = NetworkGateway(log_path=log_path, offline=True)
    dest = isolated_app_dirs.models / FILENAME
    sources = [
        Source("Hugging Face", "https://huggingface.co/u/r/resolve/main/f.gguf", "huggingface"),
        Source("ModelScope", "https://modelscope.cn/api/v1/models/u/r/repo?FilePath=f.gguf"),
    ]
    with pytest.raises(OfflineError, match="Hearth is offline"):
        download_file(
            sources,
            dest,
            gateway=gateway,
            expected_size=1000,
            expected_sha256=None,
            progress=lambda _p: None,
            cancel=CancelToken(),
            disk_margin_bytes=0,
        )
    assert socket_trap.calls == []
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_hearth_offline_env_forces_offline(
    monkeypatch: pytest.MonkeyPatch, socket_trap: SocketTrap, log_path: Path
) -> None:
    gateway = NetworkGateway(log_path=log_path, offline=False)
    assert gateway.offline is False
    monkeypatch.setenv("HEARTH_OFFLINE", "1")
    assert gateway.offline is True
    gateway.set_offline(False)
    assert gateway.offline is True  # cannot be turned off while the variable is set
    with pytest.raises(OfflineError):
        gateway.request("GET", "https://example.org/")
    assert socket_trap.calls == []


def test_offline_switch_turns_on_and_off(
    gateway: NetworkGateway, mirror: LocalMirror, socket_trap: SocketTrap
) -> None:
    socket_trap.allow("127.0.0.1")
    gateway.set_offline(True)
    with pytest.raises(OfflineError):
        gateway.request("HEAD", mirror.hf_url(REPO, FILENAME))
    assert mirror.requests_seen == 0
    gateway.set_offline(False)
    assert gateway.request("HEAD", mirror.hf_url(REPO, FILENAME)).status == 200
    assert mirror.requests_seen == 1


# --- the log ---------------------------------------------------------------------------------


def test_log_records_host_path_bytes_and_result_but_no_query(
    gateway: NetworkGateway, mirror: LocalMirror, gguf_payload: bytes, log_path: Path
) -> None:
    url = mirror.modelscope_url(REPO, FILENAME) + "&token=SECRET-TOKEN"
    with gateway.stream(url) as response:
        received = sum(len(piece) for piece in response.iter_bytes())
    assert received == len(gguf_payload)

    (entry,) = gateway.log_entries()
    assert entry.method == "GET"
    assert entry.host == mirror.netloc
    assert entry.path == f"/api/v1/models/{REPO}/repo"
    assert entry.status == 200
    assert entry.bytes_in == len(gguf_payload)
    assert entry.bytes_out > len(entry.path)
    assert entry.result == "ok"
    text = log_path.read_text()
    assert "SECRET-TOKEN" not in text
    assert "FilePath" not in text and "?" not in text


def test_log_counts_bytes_as_streamed_when_a_stream_stops_early(
    gateway: NetworkGateway, mirror: LocalMirror
) -> None:
    with gateway.stream(mirror.hf_url(REPO, FILENAME)) as response:
        pieces = response.iter_bytes()
        first = next(pieces)
        # Logged at headers time, before the body is read.
        assert gateway.log_entries()[0].result == "in progress"
    (entry,) = gateway.log_entries()
    assert len(first) <= entry.bytes_in < 3_000_000
    assert entry.result == "ok"


def test_log_marks_http_errors_and_transport_errors(
    gateway: NetworkGateway, mirror: LocalMirror, local_mirror_factory: Callable[..., LocalMirror]
) -> None:
    response = gateway.request("GET", mirror.hf_url(REPO, "missing.gguf"))
    assert response.status == 404

    closed = local_mirror_factory()
    dead_url = closed.hf_url(REPO, FILENAME)
    closed.close()
    with pytest.raises(NetworkError) as caught:
        gateway.request("GET", dead_url)
    assert caught.value.kind == "connect"

    mirror.reset_after(100_000)
    with (
        pytest.raises(NetworkError) as dropped,
        gateway.stream(mirror.hf_url(REPO, FILENAME)) as stream,
    ):
        for _ in stream.iter_bytes():
            pass
    assert dropped.value.kind == "reset"

    results = [(e.status, e.result) for e in gateway.log_entries()]
    assert results == [
        (404, "error: HTTP 404"),
        (None, "error: could not connect"),
        (200, "error: connection dropped"),
    ]
    assert gateway.log_entries()[2].bytes_in == 100_000


def test_log_says_when_a_body_was_abandoned_or_cancelled(
    gateway: NetworkGateway, mirror: LocalMirror
) -> None:
    class NotWantedError(Exception):
        pass

    with pytest.raises(NotWantedError), gateway.stream(mirror.hf_url(REPO, FILENAME)):
        raise NotWantedError

    mirror.stall_after(200_000, seconds=60)
    with (
        pytest.raises(NetworkError) as caught,
        gateway.stream(mirror.hf_url(REPO, FILENAME)) as stream,
    ):
        # What a cancel does: another thread unblocks the read stuck in the stall.
        def abort_once_stalled() -> None:
            if mirror.stalled.wait(10):
                stream.abort()

        aborter = threading.Thread(target=abort_once_stalled)
        aborter.start()
        for _ in stream.iter_bytes():
            pass
    aborter.join()
    assert caught.value.kind == "cancelled"

    assert [e.result for e in gateway.log_entries()] == ["error: stopped early", "error: stopped"]


def test_redirects_are_logged_with_every_host(
    gateway: NetworkGateway,
    mirror: LocalMirror,
    local_mirror_factory: Callable[..., LocalMirror],
    gguf_payload: bytes,
) -> None:
    cdn = local_mirror_factory()
    cdn.add_file(REPO, FILENAME, gguf_payload)
    mirror.redirect_to(cdn.base_url)

    with gateway.stream(mirror.hf_url(REPO, FILENAME)) as response:
        assert response.final_url.startswith(cdn.base_url)
        body = b"".join(response.iter_bytes())
    assert body == gguf_payload

    hops = [(e.host, e.status) for e in gateway.log_entries()]
    assert hops == [(mirror.netloc, 302), (cdn.netloc, 200)]


def test_metadata_request_can_stop_at_the_first_hop(
    gateway: NetworkGateway,
    mirror: LocalMirror,
    local_mirror_factory: Callable[..., LocalMirror],
    gguf_payload: bytes,
) -> None:
    cdn = local_mirror_factory()
    mirror.redirect_to(cdn.base_url)
    response = gateway.request("HEAD", mirror.hf_url(REPO, FILENAME), follow_redirects=False)
    assert response.status == 302
    sha = hashlib.sha256(gguf_payload).hexdigest()
    assert response.headers["x-linked-etag"] == f'"{sha}"'
    assert response.headers["X-Linked-Size"] == str(len(gguf_payload))
    assert cdn.requests_seen == 0


def test_log_file_is_private_and_clearable(
    gateway: NetworkGateway, mirror: LocalMirror, log_path: Path
) -> None:
    gateway.request("HEAD", mirror.hf_url(REPO, FILENAME))
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert {line["result"] for line in lines} <= {"in progress", "ok"}

    gateway.clear_log()
    assert gateway.log_entries() == []
    assert log_path.read_text() == ""

    gateway.request("HEAD", mirror.hf_url(REPO, FILENAME))
    assert len(gateway.log_entries()) == 1
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600


def test_log_survives_a_restart_and_shows_interrupted_transfers(
    log_path: Path, mirror: LocalMirror
) -> None:
    first = NetworkGateway(log_path=log_path)
    first.request("HEAD", mirror.hf_url(REPO, FILENAME))
    first.close()
    # A process that died mid-download leaves only its "in progress" line.
    interrupted = {
        "id": "dead-process",
        "time": "2026-01-01T00:00:00.000+00:00",
        "method": "GET",
        "host": "huggingface.co",
        "path": "/x.gguf",
        "status": 206,
        "bytes_in": 0,
        "bytes_out": 120,
        "result": "in progress",
    }
    with log_path.open("a") as handle:
        handle.write(json.dumps(interrupted) + "\n")

    second = NetworkGateway(log_path=log_path)
    entries = second.log_entries()
    assert [e.result for e in entries] == ["ok", "error: interrupted"]
    assert entries[1] == NetworkLogEntry(
        "2026-01-01T00:00:00.000+00:00",
        "GET",
        "huggingface.co",
        "/x.gguf",
        206,
        0,
        120,
        "error: interrupted",
    )
    second.close()


def test_gateway_without_a_log_file_keeps_the_log_in_memory(mirror: LocalMirror) -> None:
    gateway = NetworkGateway(log_path=None)
    gateway.request("HEAD", mirror.hf_url(REPO, FILENAME))
    assert [e.result for e in gateway.log_entries()] == ["ok"]
    gateway.clear_log()
    assert gateway.log_entries() == []
    gateway.close()


# --- TLS ---------------------------------------------------------------------------------------


def test_there_is_no_way_to_turn_tls_verification_off() -> None:
    for function in (
        NetworkGateway.__init__,
        NetworkGateway.request,
        NetworkGateway.stream,
        download_file,
    ):
        names = set(inspect.signature(function).parameters)
        assert not names & {"verify", "insecure", "verify_tls", "ssl", "tls"}, function


NEEDS_OPENSSL = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificate"
)


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    openssl = shutil.which("openssl")
    assert openssl is not None, "tests using this fixture are marked NEEDS_OPENSSL"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@NEEDS_OPENSSL
def test_an_untrusted_certificate_is_refused(
    local_mirror_factory: Callable[..., LocalMirror],
    self_signed_cert: tuple[str, str],
    gguf_payload: bytes,
    isolated_app_dirs: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    tls_mirror = local_mirror_factory(tls=self_signed_cert)
    tls_mirror.add_file(REPO, FILENAME, gguf_payload)
    gateway = NetworkGateway(log_path=isolated_app_dirs.network_log)

    with pytest.raises(NetworkError) as caught:
        gateway.request("HEAD", tls_mirror.hf_url(REPO, FILENAME))
    assert caught.value.kind == "tls"
    assert "certificate" in str(caught.value)
    assert tls_mirror.requests_seen == 0
    gateway.close()


@NEEDS_OPENSSL
def test_a_trusted_certificate_works_and_https_to_http_redirects_are_refused(
    local_mirror_factory: Callable[..., LocalMirror],
    self_signed_cert: tuple[str, str],
    gguf_payload: bytes,
    isolated_app_dirs: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Trusting the test CA the standard way proves verification is real, not just failing.
    monkeypatch.setenv("SSL_CERT_FILE", self_signed_cert[0])
    tls_mirror = local_mirror_factory(tls=self_signed_cert)
    tls_mirror.add_file(REPO, FILENAME, gguf_payload)
    plain = local_mirror_factory()
    plain.add_file(REPO, FILENAME, gguf_payload)
    gateway = NetworkGateway(log_path=isolated_app_dirs.network_log)

    assert gateway.request("HEAD", tls_mirror.hf_url(REPO, FILENAME)).status == 200

    tls_mirror.redirect_to(plain.base_url)
    with pytest.raises(NetworkError) as caught, gateway.stream(tls_mirror.hf_url(REPO, FILENAME)):
        pass
    assert caught.value.kind == "redirect"
    assert plain.requests_seen == 0
    gateway.close()


# --- downloads touch only what they must ------------------------------------------------------


def test_download_contacts_only_the_mirror_and_the_log_matches(
    socket_trap: SocketTrap,
    gateway: NetworkGateway,
    mirror: LocalMirror,
    local_mirror_factory: Callable[..., LocalMirror],
    gguf_payload: bytes,
    isolated_app_dirs: AppPaths,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    socket_trap.allow("127.0.0.1")
    second = local_mirror_factory()
    second.add_file(REPO, FILENAME, gguf_payload)
    dest = isolated_app_dirs.models / FILENAME

    download_file(
        [Source("A", mirror.hf_url(REPO, FILENAME)), Source("B", second.hf_url(REPO, FILENAME))],
        dest,
        gateway=gateway,
        expected_size=len(gguf_payload),
        expected_sha256=hashlib.sha256(gguf_payload).hexdigest(),
        progress=lambda _p: None,
        cancel=CancelToken(),
        disk_margin_bytes=0,
    )

    assert dest.read_bytes() == gguf_payload
    assert all(call.allowed for call in socket_trap.calls), socket_trap.calls
    assert {call.host for call in socket_trap.calls} == {"127.0.0.1"}
    assert socket_trap.connected == {mirror.netloc, second.netloc}
    entries = gateway.log_entries()
    assert {e.host for e in entries} == socket_trap.connected
    assert all(e.result == "ok" for e in entries)
    # Every request either mirror saw is in the log, and nothing else is.
    assert len(entries) == mirror.requests_seen + second.requests_seen
    assert sum(e.bytes_in for e in entries) == mirror.bytes_served + second.bytes_served


# --- one gateway ------------------------------------------------------------------------------

from tests.test_architecture import LOCAL_SOCKET_ONLY  # noqa: E402

HTTP_CLIENTS = {
    "httpx",
    "httpx2",
    "httpcore",
    "requests",
    "urllib3",
    "aiohttp",
    "http.client",
    "urllib.request",
    "socket",
    "ssl",
    "websocket",
    "websockets",
    "pycurl",
}


def test_only_the_gateway_imports_an_http_client() -> None:
    offenders = []
    for path in APP_DIR.rglob("*.py"):
        if path == APP_DIR / "core" / "network.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name == "socket" and path in LOCAL_SOCKET_ONLY:
                    continue  # AF_UNIX only; tests/test_architecture.py checks that
                if any(name == c or name.startswith(c + ".") for c in HTTP_CLIENTS):
                    offenders.append(f"{path.relative_to(APP_DIR.parent)}: {name}")
    assert offenders == []
