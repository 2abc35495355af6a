"""The generic task runner: plain fn(cancel, progress) off the GUI thread, reported by signals."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.core.cancel import CancelToken, ProgressCallback
from app.core.errors import HearthError
from app.workers.tasks import TaskRunner

WAIT_MS = 10_000


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(timeout_ms=10_000)


def test_result_comes_back_with_the_task_id_from_another_thread(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    threads: list[threading.Thread] = []
    results: list[object] = []

    def work(cancel: CancelToken, progress: ProgressCallback) -> int:
        threads.append(threading.current_thread())
        return 42

    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as finished:
        task_id = runner.submit(work, name="answer", on_finished=results.append)
    assert finished.args == [task_id, 42]
    qtbot.waitUntil(lambda: results == [42], timeout=WAIT_MS)
    assert threads and threads[0] is not threading.main_thread()
    assert not runner.is_running(task_id)


def test_progress_is_reported_and_the_last_value_always_arrives(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    seen: list[tuple[int, int]] = []
    callbacks: list[tuple[int, int]] = []
    runner.progressed.connect(lambda _id, done, total: seen.append((done, total)))

    def work(cancel: CancelToken, progress: ProgressCallback) -> None:
        for step in range(1, 1001):
            progress(step * 3_000_000, 3_000_000_000)  # byte counts past 2**31

    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        runner.submit(work, on_progress=lambda d, t: callbacks.append((d, t)))
    qtbot.waitUntil(lambda: bool(callbacks) and callbacks[-1] == seen[-1], timeout=WAIT_MS)
    assert seen[-1] == (3_000_000_000, 3_000_000_000)
    assert len(seen) < 1000  # throttled
    assert seen == sorted(seen)


def test_cancel_ends_a_running_task_as_cancelled(qtbot: QtBot, runner: TaskRunner) -> None:
    running = threading.Event()
    outcomes: list[str] = []

    def work(cancel: CancelToken, progress: ProgressCallback) -> str:
        running.set()
        while not cancel.wait(0.05):
            pass
        cancel.raise_if_cancelled()
        return "not reached"

    task_id = runner.submit(work, name="slow", on_cancelled=lambda: outcomes.append("cancelled"))
    assert task_id is not None
    assert running.wait(10)
    assert runner.is_running(task_id)
    with qtbot.waitSignal(runner.cancelled, timeout=WAIT_MS) as cancelled:
        assert runner.cancel(task_id)
    assert cancelled.args == [task_id]
    qtbot.waitUntil(lambda: outcomes == ["cancelled"], timeout=WAIT_MS)
    assert not runner.cancel(task_id)  # no longer running


def test_a_hearth_error_is_reported_as_its_sentence(qtbot: QtBot, runner: TaskRunner) -> None:
    def work(cancel: CancelToken, progress: ProgressCallback) -> None:
        raise HearthError("The file is not a chat export.", detail="line 3")

    messages: list[str] = []
    with qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed:
        task_id = runner.submit(work, on_failed=messages.append)
    assert failed.args == [task_id, "The file is not a chat export."]
    qtbot.waitUntil(lambda: messages == ["The file is not a chat export."], timeout=WAIT_MS)


def test_an_unexpected_exception_is_a_sentence_and_a_logged_traceback(
    qtbot: QtBot, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def work(cancel: CancelToken, progress: ProgressCallback) -> None:
        raise ValueError("boom")

    terminal: list[str] = []
    runner.finished.connect(lambda *_: terminal.append("finished"))
    runner.cancelled.connect(lambda *_: terminal.append("cancelled"))
    with (
        caplog.at_level(logging.ERROR, logger="app.workers.tasks"),
        qtbot.waitSignal(runner.failed, timeout=WAIT_MS) as failed,
    ):
        runner.submit(work, name="buggy")
    assert "unexpected error (ValueError)" in failed.args[1]
    assert "boom" not in failed.args[1]
    assert any(r.exc_info for r in caplog.records)
    assert terminal == []


def test_shutdown_cancels_running_tasks_and_refuses_new_ones(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    running = threading.Event()

    def work(cancel: CancelToken, progress: ProgressCallback) -> None:
        running.set()
        while not cancel.wait(0.05):
            pass
        cancel.raise_if_cancelled()

    with qtbot.waitSignal(runner.cancelled, timeout=WAIT_MS):
        runner.submit(work)
        assert running.wait(10)
        assert runner.shutdown(timeout_ms=10_000)
    assert runner.submit(work) is None
    assert runner.running() == []
