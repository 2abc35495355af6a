"""The window survives kill -9: the streamed answer is on disk up to about a second before.

The real app (``python -m app``, offscreen) starts in a subprocess with the tiny model and,
through the test-only ``HEARTH_TEST_AUTOSEND`` hook in ``app/main.py``, sends one question
as soon as the model has loaded. While the answer streams, the test watches the database
through a read-only connection until the answer row has grown over several saves, kills
the process with SIGKILL, and checks:

- the database is intact and the answer row holds at least every text seen before the kill,
  last saved within about a second of it (``updated``);
- opening the store again (as the next start does) keeps the chat and the text and marks
  the answer ``interrupted``.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.chat import SamplingParams
from app.core.paths import AppPaths
from app.core.settings import Settings, save_settings
from app.core.store import ChatStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90.0
PROMPT = "Tell me a very long story about the sea."
#: Saves happen at most once a second while text streams; allow for a busy machine.
FRESHNESS_S = 2.5

Row = tuple[str, str, str, float]  # id, state, reasoning + content, updated


def _answer_row(db: Path) -> Row | None:
    """The assistant row through a read-only connection; None if not there yet."""
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute(
            "SELECT id, state, reasoning || content, updated FROM messages "
            "WHERE role = 'assistant' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    except sqlite3.Error:
        return None  # not created yet, or mid-creation
    finally:
        conn.close()
    return (str(row[0]), str(row[1]), str(row[2]), float(row[3])) if row else None


def _start_app(model: Path, data: Path, stderr: Path, *, autosend: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HEARTH_DATA_DIR": str(data)}
    env.pop("HEARTH_TEST_AUTOSEND", None)
    if autosend:
        env["HEARTH_TEST_AUTOSEND"] = PROMPT
    command = [sys.executable, "-m", "app", "--data-dir", str(data), "--model", str(model)]
    with stderr.open("ab") as err:
        return subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err
        )


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait(timeout=30)


def test_a_streaming_answer_survives_kill_minus_9(
    tiny_model_f32: Path, isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    data = Path(os.environ["HEARTH_DATA_DIR"])
    db = isolated_app_dirs.database
    # A long answer: the kill must land mid-stream, even on a fast machine.
    sampling = SamplingParams(max_tokens=100_000, temperature=0.8, seed=11, loop_guard=False)
    save_settings(
        isolated_app_dirs.settings_file,
        Settings(sampling=sampling, context_length=32768, threads=2, last_model=""),
    )
    log = tmp_path / "app-stderr.txt"
    why = f"(app stderr: {log})"
    child = _start_app(tiny_model_f32, data, log, autosend=True)
    seen: list[Row] = []
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        # Wait for three different saved texts: the row grows while the answer streams.
        while len({r[2] for r in seen}) < 3:
            if time.monotonic() > deadline:
                pytest.fail(f"the answer did not grow within {STARTUP_TIMEOUT_S:.0f} s {why}")
            try:
                code = child.wait(timeout=0.05)  # the pause between polls; wakes on exit
                pytest.fail(f"the app exited ({code}) before the kill {why}")
            except subprocess.TimeoutExpired:
                pass
            row = _answer_row(db)
            if row is not None:
                assert row[1] == "streaming", f"the answer ended before the kill: {row[1]} {why}"
                if row[2]:
                    seen.append(row)
        killed_at = time.time()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        _stop(child)
    assert child.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    after = _answer_row(db)
    assert after is not None
    answer_id, state, text, updated = after
    assert state == "streaming"  # nobody finished it: the process died
    for _id, _state, earlier, _updated in seen:
        assert text.startswith(earlier), "a save lost text that was already on disk"
    assert len(text) >= len(seen[-1][2]) > len(seen[0][2]) > 0
    assert killed_at - updated <= FRESHNESS_S, (
        f"the last save was {killed_at - updated:.1f} s before the kill {why}"
    )

    # The next start marks the answer interrupted and keeps every character.
    with ChatStore.open(db) as store:
        assert store.report.interrupted_marked == 1
        message = store.get_message(answer_id)
        assert message.state == "interrupted"
        assert message.reasoning + message.content == text
        [conversation] = store.list_conversations()
        question = store.get_message(message.parent_id or "")
        assert (question.role, question.content) == ("user", PROMPT)
        assert conversation.id == message.conversation_id
