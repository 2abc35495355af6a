"""``python -m app dataset``: export from the store, and teacher generation against a fake
OpenAI server (bad lines, Retry-After, vote, and resuming after a kill)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.__main__ import main
from app.core.dataset import read_records
from app.core.dataset_generate import LEDGER_NAME
from app.core.engines.registry import EngineRegistry, new_engine_config
from app.core.paths import AppPaths
from app.core.store import ChatStore
from tests.support.fake_openai import FakeOpenAI, RecordedRequest, Script

ROOT = Path(__file__).resolve().parents[2]


def add_engine(paths: AppPaths, server: FakeOpenAI, name: str = "teacher") -> None:
    registry = EngineRegistry.in_config_dir(paths.config)
    registry.save(new_engine_config(name, server.base_url, model="fake-r1"))


def asked(request: RecordedRequest) -> str:
    assert request.body is not None
    return str(request.body["messages"][-1]["content"])


def write_prompts(path: Path, prompts: list[str]) -> Path:
    path.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in prompts), encoding="utf-8")
    return path


def test_export_writes_dataset_and_card(
    isolated_app_dirs: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ChatStore.open() as store:
        conversation = store.create_conversation("t")
        q = store.add_message(conversation.id, None, "user", "2+2?")
        a = store.add_message(conversation.id, q.id, "assistant", "4", "Two twos.")
        store.set_rating(a.id, "good")
        other = store.create_conversation("u")
        store.add_message(other.id, None, "user", "unrated")
    out = tmp_path / "ds"
    code = main(["dataset", "export", "--format", "sharegpt", "--good-only", "--out", str(out)])
    assert code == 0
    [record] = list(read_records(out / "hearth-sharegpt.jsonl"))
    assert record["conversations"][1]["value"] == "<think>\nTwo twos.\n</think>\n\n4"
    assert (out / "README.md").is_file()
    assert "1 records" in capsys.readouterr().out
    code = main(["dataset", "export", "--chat", conversation.id[:8], "--out", str(tmp_path / "b")])
    assert code == 0
    assert len(list(read_records(tmp_path / "b" / "hearth-openai.jsonl"))) == 1


def test_export_rejects_a_bad_date() -> None:
    with pytest.raises(SystemExit):
        main(["dataset", "export", "--since", "yesterday-ish", "--out", "x"])


def test_generate_skips_or_stops_on_bad_lines(
    isolated_app_dirs: AppPaths,
    tmp_path: Path,
    fake_openai: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_engine(isolated_app_dirs, fake_openai)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        '{"prompt": "first"}\nnot json at all\n{"messages": [{"role": "user", "content": "2nd"}]}\n'
        '{"prompt": 42}\n',
        encoding="utf-8",
    )
    out = tmp_path / "stop"
    base = ["dataset", "generate", "--prompts", str(prompts), "--engine", "teacher"]
    assert main([*base, "--on-bad-line", "stop", "--out", str(out)]) == 1
    assert "Line 2 of prompts.jsonl" in capsys.readouterr().err
    assert not (out / "hearth-openai.jsonl").exists()

    out = tmp_path / "skip"
    assert main([*base, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Line 2 of prompts.jsonl" in err and "Line 4 of prompts.jsonl" in err
    records = list(read_records(out / "hearth-openai.jsonl"))
    assert [r["messages"][0]["content"] for r in records] == ["first", "2nd"]
    assert records[0]["messages"][1]["reasoning_content"] == "Let me think. Two plus two is four."
    assert records[0]["metadata"]["source"] == "hearth-teacher"
    assert "fake-r1" in (out / "README.md").read_text()


def test_plain_prompt_file_with_votes(
    isolated_app_dirs: AppPaths, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script.answer = ("So the answer is \\boxed{4}.",)
    add_engine(isolated_app_dirs, fake_openai)
    prompts = tmp_path / "plain.txt"
    prompts.write_text("what is 2+2\n\nand 1+3\n", encoding="utf-8")
    out = tmp_path / "vote"
    code = main(
        [
            "dataset",
            "generate",
            "--prompts",
            str(prompts),
            "--engine",
            "teacher",
            "--samples",
            "3",
            "--vote",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert len(fake_openai.chat_requests) == 6
    records = list(read_records(out / "hearth-openai.jsonl"))
    # Three identical samples per prompt: one record each after deduplication.
    assert [r["metadata"]["vote"] for r in records] == ["3 of 3 say 4"] * 2


def test_generate_honours_retry_after(
    isolated_app_dirs: AppPaths,
    tmp_path: Path,
    fake_openai_factory: Callable[..., FakeOpenAI],
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = fake_openai_factory(status=429, status_times=3, retry_after="0")
    add_engine(isolated_app_dirs, server)
    prompts = write_prompts(tmp_path / "p.jsonl", ["busy?"])
    out = tmp_path / "out"
    code = main(
        ["dataset", "generate", "--prompts", str(prompts), "--engine", "teacher", "--out", str(out)]
    )
    assert code == 0
    assert "Waiting 0 s before asking again" in capsys.readouterr().err
    assert len(list(read_records(out / "hearth-openai.jsonl"))) == 1


def test_unknown_engine_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = write_prompts(tmp_path / "p.jsonl", ["x"])
    base = ["dataset", "generate", "--prompts", str(prompts), "--engine", "nope"]
    assert main([*base, "--out", str(tmp_path / "o")]) == 1
    assert "no remote engine named “nope”" in capsys.readouterr().err


class StallingServer(FakeOpenAI):
    """Answers the first ``answer_first`` chat requests, then stalls every later one."""

    answer_first = 2

    def _record(self, record: RecordedRequest) -> None:
        super()._record(record)
        if len(self.chat_requests) > self.answer_first:
            self.script.stall_before_headers = True


def test_a_killed_run_resumes_without_asking_a_finished_prompt_again(
    isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    server = StallingServer(Script())
    try:
        add_engine(isolated_app_dirs, server)
        names = [f"prompt {i}" for i in range(5)]
        prompts = write_prompts(tmp_path / "p.jsonl", names)
        out = tmp_path / "out"
        command = [
            sys.executable,
            "-m",
            "app",
            "dataset",
            "generate",
            "--prompts",
            str(prompts),
            "--engine",
            "teacher",
            "--out",
            str(out),
        ]
        env = dict(os.environ)
        first = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            assert server.stalled.wait(60), "the run never reached its third prompt"
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        ledger = (out / LEDGER_NAME).read_text(encoding="utf-8").splitlines()
        assert len(ledger) == 3  # the settings line and two finished prompts
        assert not (out / "hearth-openai.jsonl").exists()
        answered = {asked(r) for r in server.chat_requests[:2]}
        assert answered == {"prompt 0", "prompt 1"}

        seen_before = len(server.chat_requests)
        server.answer_first = 1_000
        server.script.stall_before_headers = False
        second = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 0, second.stderr
        again = [asked(r) for r in server.chat_requests[seen_before:]]
        assert sorted(again) == ["prompt 2", "prompt 3", "prompt 4"]
        assert "2 from an earlier run" in second.stdout
        records = list(read_records(out / "hearth-openai.jsonl"))
        assert sorted(r["messages"][0]["content"] for r in records) == names
    finally:
        server.close()
