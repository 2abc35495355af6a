"""Crash campaign: ``python -m app chat`` is killed with SIGKILL mid-answer, 30+ times.

Each round starts a real child process streaming from the tiny model into one shared data
directory (odd rounds add a turn to the previous chat with ``--continue``). Once the
child's answer row holds streamed text, the parent waits a random extra moment, takes a
snapshot of every row, and kills the child. Then:

- ``PRAGMA integrity_check`` is ``ok``;
- every row of the snapshot is still there: finished rows unchanged, the killed answer
  holding at least the text it had (saves only ever grow it);
- re-opening the store marks the killed answer ``interrupted`` (and only it).

Set ``HEARTH_CAMPAIGN_SEED`` to replay a failing run; the seed is in every failure message.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.paths import AppPaths
from app.core.store import ChatStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]

ROUNDS = 30
#: The kill lands this long (at most) after the first streamed text was saved.
MAX_EXTRA_S = 1.2
STARTUP_TIMEOUT_S = 90.0
REPO_ROOT = Path(__file__).resolve().parents[2]

Snapshot = dict[str, tuple[str, str, str]]


def _read(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows from the live database through a read-only connection; [] if not readable yet."""
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []  # not created yet, or mid-creation
    finally:
        conn.close()


def _wait_for_streamed_text(db: Path, child: subprocess.Popen[bytes], why: str) -> str:
    """The id of the child's streaming answer, once it holds text; fails if the child ends."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        rows = _read(
            db,
            "SELECT id FROM messages WHERE state = 'streaming' AND writer_pid = ? "
            "AND length(content) + length(reasoning) > 0",
            (child.pid,),
        )
        if rows:
            return str(rows[0][0])
        try:
            code = child.wait(timeout=0.05)  # the pause between polls; wakes if it exits
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"the chat process exited ({code}) before streaming; {why}")
    pytest.fail(f"no streamed text within {STARTUP_TIMEOUT_S:.0f} s; {why}")


def _snapshot(db: Path) -> Snapshot:
    rows = _read(db, "SELECT id, state, content, reasoning FROM messages")
    return {str(r[0]): (str(r[1]), str(r[2]), str(r[3])) for r in rows}


def _integrity(db: Path) -> str:
    # A plain read-write connection, as any opener would use (it replays the WAL).
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_at_random_moments_loses_nothing_committed(
    tiny_model_q: Path, isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    seed = int(os.environ.get("HEARTH_CAMPAIGN_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    db = isolated_app_dirs.database
    env = {**os.environ, "HEARTH_DATA_DIR": os.environ["HEARTH_DATA_DIR"]}
    child_log = tmp_path / "child-stderr.txt"
    conversation: str | None = None
    started = time.monotonic()
    kill_delays: list[float] = []

    for round_no in range(ROUNDS):
        why = f"round {round_no}, seed {seed} (stderr: {child_log})"
        command = [
            sys.executable,
            "-m",
            "app",
            "chat",
            "--model",
            str(tiny_model_q),
            "--max-tokens",
            "100000",
            "--seed",
            str(round_no),
        ]
        if conversation is not None and round_no % 2 == 1:
            command += ["--continue", conversation]
        command.append(f"Round {round_no}: 鸡兔同笼，共35个头，94只脚。Explain step by step.")
        with child_log.open("wb") as stderr:
            child = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr
            )
        try:
            killed_id = _wait_for_streamed_text(db, child, why)
            # Vary the kill point: sometimes at once, usually mid-way between two saves.
            extra = 0.0 if rng.random() < 0.15 else rng.uniform(0.0, MAX_EXTRA_S)
            kill_delays.append(extra)
            try:
                code = child.wait(timeout=extra)
                pytest.fail(f"the chat process ended by itself ({code}); {why}")
            except subprocess.TimeoutExpired:
                pass
            before = _snapshot(db)
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)

        assert child.returncode == -signal.SIGKILL, why
        assert _integrity(db) == "ok", why
        after = _snapshot(db)
        assert killed_id in before, why
        for message_id, (state, content, reasoning) in before.items():
            assert message_id in after, f"message {message_id} lost; {why}"
            _, now_content, now_reasoning = after[message_id]
            if state == "streaming":
                # Saved text only grows; the kill may have come after one more save.
                assert now_content.startswith(content), why
                assert now_reasoning.startswith(reasoning), why
            else:
                assert after[message_id] == (state, content, reasoning), why

        with ChatStore.open(db) as store:
            assert store.report.interrupted_marked == 1, why
            killed = store.get_message(killed_id)
            assert killed.state == "interrupted", why
            assert killed.content + killed.reasoning, why
            assert (
                store.connection.execute(
                    "SELECT count(*) FROM messages WHERE state = 'streaming'"
                ).fetchone()[0]
                == 0
            ), why
            conversation = killed.conversation_id

    elapsed = time.monotonic() - started
    with ChatStore.open(db) as store:
        assert store.count_messages() == 2 * ROUNDS
        assert store.report.interrupted_marked == 0
    logging.getLogger(__name__).info(
        "crash campaign: %d kills in %.1f s, seed %d, extra delays %.2f..%.2f s",
        ROUNDS,
        elapsed,
        seed,
        min(kill_delays),
        max(kill_delays),
    )
