"""Closing the app never aborts, whatever the engine is doing: exit code 0, no Qt abort.

The real app (``python -m app``, offscreen) runs in a subprocess with a tiny model whose
chat template is hostile, so the engine is busy inside a template render when the app is
told to close (SIGTERM, as at log-out; the app closes its window as the user would):

- during a turn: the template runs away only on real conversations (it passes the load
  check), so the turn's render spends its whole 2 s budget; SIGTERM lands in it;
- during a load: the template runs away on every conversation, so the load-time check
  spends its budget while the model loads.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.chat import SamplingParams
from app.core.paths import AppPaths
from app.core.settings import Settings, save_settings
from app.core.template import BUILTIN_R1_TEMPLATE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90.0
EXIT_TIMEOUT_S = 30.0
# 2^60 macro calls: hours without the render budget.
RUNAWAY = (
    "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"
)
# The load check renders three R1 rows; a first question is one row.
RUNAWAY_ON_A_FIRST_QUESTION = (
    "{% if messages|length < 3 %}" + RUNAWAY + "{% endif %}" + BUILTIN_R1_TEMPLATE
)
RUNAWAY_ALWAYS = RUNAWAY + BUILTIN_R1_TEMPLATE
BAD_EXIT_SIGNS = ("Traceback", "Fatal Python error", "QThread: Destroyed", "Aborted", "abort")


def _tiny_model_with_template(path: Path, template: str) -> Path:
    from app.core import tinymodel

    shape = tinymodel.Qwen2Shape(
        hidden=256,
        layers=2,
        heads=4,
        kv_heads=2,
        ffn=512,
        context_length=tinymodel.TINY_CONTEXT_LENGTH,
    )
    tinymodel._write_qwen2_gguf(
        path,
        shape=shape,
        vocab=tinymodel.build_vocabulary(),
        dtype=np.float32,
        chat_template=template,
        name="Hearth tiny Qwen2 (hostile template)",
        seed=0,
    )
    return path


def _start(model: Path, data: Path, stderr: Path, *, autosend: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HEARTH_DATA_DIR": str(data)}
    env.pop("HEARTH_TEST_AUTOSEND", None)
    if autosend:
        env["HEARTH_TEST_AUTOSEND"] = "Hello there."
    command = [sys.executable, "-m", "app", "--data-dir", str(data), "--model", str(model)]
    with stderr.open("ab") as err:
        return subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err
        )


def _assistant_row_exists(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2.0)
        try:
            row = conn.execute("SELECT 1 FROM messages WHERE role = 'assistant'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None


def _wait_for(child: subprocess.Popen[bytes], condition: object, why: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting: {why}")
        try:
            code = child.wait(timeout=0.05)  # the pause between polls; wakes on exit
            pytest.fail(f"the app exited ({code}) too early: {why}")
        except subprocess.TimeoutExpired:
            pass


def _terminate_and_check(child: subprocess.Popen[bytes], stderr: Path) -> float:
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    try:
        code = child.wait(timeout=EXIT_TIMEOUT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    seconds = time.monotonic() - started
    text = stderr.read_text(encoding="utf-8", errors="replace")
    assert code == 0, f"exit code {code}; stderr:\n{text[-3000:]}"
    for sign in BAD_EXIT_SIGNS:
        assert sign not in text, f"{sign!r} in stderr:\n{text[-3000:]}"
    return seconds


def _log_text(paths: AppPaths) -> str:
    log = paths.logs / "hearth.log"
    return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""


def test_quitting_during_a_runaway_template_render_exits_cleanly(
    isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    model = _tiny_model_with_template(tmp_path / "hostile-turn.gguf", RUNAWAY_ON_A_FIRST_QUESTION)
    save_settings(
        isolated_app_dirs.settings_file,
        Settings(sampling=SamplingParams(max_tokens=100_000, seed=3), threads=2),
    )
    stderr = tmp_path / "stderr.txt"
    child = _start(model, Path(os.environ["HEARTH_DATA_DIR"]), stderr, autosend=True)
    try:
        # The assistant row appears as the turn is submitted: the render starts right then.
        _wait_for(
            child,
            lambda: _assistant_row_exists(isolated_app_dirs.database),
            "the question was never sent",
        )
    except BaseException:
        child.kill()
        child.wait(timeout=30)
        raise
    seconds = _terminate_and_check(child, stderr)
    assert seconds < EXIT_TIMEOUT_S
    assert "chat template" in _log_text(isolated_app_dirs)


def test_quitting_while_a_model_loads_exits_cleanly(
    isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    model = _tiny_model_with_template(tmp_path / "hostile-load.gguf", RUNAWAY_ALWAYS)
    save_settings(isolated_app_dirs.settings_file, Settings(threads=2))
    stderr = tmp_path / "stderr.txt"
    child = _start(model, Path(os.environ["HEARTH_DATA_DIR"]), stderr, autosend=False)
    try:
        # Logged just after the window started the load (calibration, then the template
        # check that spends 2 s): the signal lands while the host thread loads.
        _wait_for(
            child,
            lambda: "listening on" in _log_text(isolated_app_dirs),
            "the window never came up",
        )
    except BaseException:
        child.kill()
        child.wait(timeout=30)
        raise
    seconds = _terminate_and_check(child, stderr)
    assert seconds < EXIT_TIMEOUT_S
