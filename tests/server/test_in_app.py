"""The window's Local API, end to end: the real app (offscreen) serves its loaded model, and
quitting closes the port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from app.core.paths import AppPaths
from app.server.auth import token_path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[str], deadline_s: float) -> bool:
    pause = threading.Event()
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=2).json().get("model_loaded"):
                return True
        except (httpx.HTTPError, ValueError):
            pass
        pause.wait(0.2)
    return False


def test_the_app_serves_its_model_and_quitting_closes_the_port(
    isolated_app_dirs: AppPaths, tiny_model_f32: Path
) -> None:
    port = free_port()
    isolated_app_dirs.settings_file.write_text(
        json.dumps({"version": 1, "api_enabled": True, "api_port": port, "context_length": 4096})
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--model", str(tiny_model_f32)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_for_health(url, process, 60), "the app did not serve its model"
        token = token_path(isolated_app_dirs.config).read_text().strip()
        response = httpx.post(
            f"{url}/v1/chat/completions",
            json={
                "model": tiny_model_f32.name,
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 4,
                "seed": 1,
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["usage"]["completion_tokens"] > 0
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        closed = False
    except OSError:
        closed = True
    assert closed, "the port is still open after the app quit"
    log_text = (isolated_app_dirs.logs / "hearth.log").read_text()
    assert "api: serving on" in log_text and "api: stopped serving" in log_text
