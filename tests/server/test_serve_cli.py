"""``python -m app serve`` as a real process: headless, loopback by default, clean on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from app.core.paths import AppPaths
from app.server.auth import token_path

ROOT = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_serve_command_imports_no_qt_and_nothing_heavy_before_it_runs(
    isolated_app_dirs: AppPaths,
) -> None:
    code = (
        "import sys\n"
        "from app.__main__ import main\n"
        "code = main(['serve', '--host', '10.1.2.3', '--model', 'x.gguf'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'starlette', 'uvicorn', 'llama_cpp'))\n"
        "print(code, heavy)\n"
    )
    result = run_python(code, dict(os.environ))
    assert result.stdout.strip() == "2 []", result.stderr
    assert "--allow-remote" in result.stderr


def test_print_token_makes_and_prints_the_token(isolated_app_dirs: AppPaths) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--print-token"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == token_path(isolated_app_dirs.config).read_text().strip()


def test_a_missing_model_is_a_clear_error(isolated_app_dirs: AppPaths) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--model", "no-such-model", "--port", "0"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "no-such-model" in result.stderr and "Traceback" not in result.stderr


class ServeProcess:
    def __init__(self, model: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "app", "serve", "--model", str(model), "--port", "0"),
                *("--ctx", "2048", "--threads", "2", *extra),
            ],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.output.append(line)
            self.lines.put(line)

    def address(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=60)
            except queue.Empty:
                pytest.fail(f"serve did not start: {''.join(self.output)}")
            match = re.search(r"at (http://127\.0\.0\.1:\d+)/v1", line)
            if match:
                return match.group(1)


@pytest.fixture
def serve(tiny_model_f32: Path) -> Iterator[ServeProcess]:
    process = ServeProcess(tiny_model_f32)
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait(10)


def test_serve_answers_and_stops_cleanly_on_sigterm(
    serve: ServeProcess, isolated_app_dirs: AppPaths
) -> None:
    url = serve.address()
    assert httpx.get(f"{url}/health", timeout=30).json()["model_loaded"] is True
    token = token_path(isolated_app_dirs.config).read_text().strip()
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0)
    result = client.chat.completions.create(
        model="tiny-f32", messages=[{"role": "user", "content": "hi"}], max_tokens=8, seed=1
    )
    assert result.usage is not None and result.usage.completion_tokens > 0

    # A stream in flight when SIGTERM arrives ends with an error event.
    body = {
        "model": "tiny-f32",
        "messages": [{"role": "user", "content": "Tell me a long story."}],
        "max_tokens": 2000,
        "stream": True,
        "seed": 5,
    }
    data: list[str] = []
    with (
        httpx.Client(timeout=30) as http,
        http.stream(
            "POST", f"{url}{CHAT}", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        lines = response.iter_lines()
        next(lines)
        serve.proc.send_signal(signal.SIGTERM)
        data = [line for line in lines if line.startswith("data: ")]
    assert serve.proc.wait(60) == 0, "".join(serve.output)
    if data and data[-1] != "data: [DONE]":  # it may have finished before the signal landed
        error = json.loads(data[-1].removeprefix("data: "))["error"]
        assert error["code"] == "server_shutting_down"
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    log_text = (isolated_app_dirs.logs / "hearth.log").read_text()
    assert "api: serving on" in log_text and "api: stopped serving" in log_text
    assert "Tell me a long story" not in log_text
    network_log = isolated_app_dirs.network_log.read_text()
    assert '"method": "START"' in network_log and '"method": "STOP"' in network_log
    assert CHAT in network_log
