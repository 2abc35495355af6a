"""Teacher mode: prompt files (good and bad lines), the resumable ledger, the vote filter,
and asking the tiny local model through the host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.chat import SamplingParams
from app.core.dataset import DatasetError, read_records
from app.core.dataset_generate import (
    LEDGER_NAME,
    HostSampler,
    Ledger,
    Prompt,
    PromptFileError,
    Sample,
    generate_dataset,
    keep,
    read_prompts,
)
from app.core.host import EngineHost
from tests.support.models import TINY_N_CTX, TINY_THREADS


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_plain_prompts_one_per_line(tmp_path: Path) -> None:
    path = write(tmp_path / "p.txt", "first\n\n  second prompt  \n第三个问题\n".encode())
    prompts = list(read_prompts(path))
    assert [p.line for p in prompts] == [1, 3, 4]
    assert [p.messages[-1].content for p in prompts] == ["first", "second prompt", "第三个问题"]
    assert len({p.key for p in prompts}) == 3


def test_jsonl_prompts_with_messages_and_system(tmp_path: Path) -> None:
    lines = [
        {"prompt": "2+2?", "system": "Be brief."},
        {
            "messages": [
                {"role": "system", "content": "You are a tutor."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "and 3+3?"},
            ]
        },
    ]
    path = write(tmp_path / "p.jsonl", "".join(json.dumps(x) + "\n" for x in lines).encode())
    first, second = read_prompts(path)
    assert first.system == "Be brief." and first.messages[0].content == "2+2?"
    assert second.system == "You are a tutor."
    assert [m.role for m in second.messages] == ["user", "assistant", "user"]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"{not json", "not valid JSON"),
        (b'["a list"]', "not valid JSON"),  # a JSONL file: a line that is no object
        (b'{"prompt": 7}', "neither"),
        (b'{"prompt": "  "}', "empty"),
        (
            b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", '
            b'"content": "a"}]}',
            "last message",
        ),
        (b'{"messages": [{"role": "robot", "content": "q"}]}', "role"),
        (b"\xff\xfe broken", "not UTF-8"),
        (b'{"prompt": "' + b"x" * 200_001 + b'"}', "longer than"),
    ],
)
def test_bad_lines_are_named_and_skipped_or_stop(tmp_path: Path, line: bytes, why: str) -> None:
    path = write(tmp_path / "p.jsonl", b'{"prompt": "good"}\n' + line + b'\n{"prompt": "ok"}\n')
    warnings: list[str] = []
    prompts = list(read_prompts(path, warn=warnings.append))
    assert [p.messages[-1].content for p in prompts] == ["good", "ok"]
    [warning] = warnings
    assert warning.startswith("Line 2 of p.jsonl") and (why in warning or "object" in warning)
    with pytest.raises(PromptFileError, match=r"Line 2 of p\.jsonl"):
        list(read_prompts(path, on_bad_line="stop"))


def test_a_missing_prompt_file_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="cannot be read"):
        list(read_prompts(tmp_path / "nope.txt"))


def test_the_vote_keeps_only_a_strict_majority() -> None:
    def s(answer: str, state: str = "finished") -> Sample:
        return Sample("", answer, state)  # type: ignore[arg-type]

    kept, verdict = keep([s("\\boxed{4}"), s("\\boxed{4.0}"), s("\\boxed{5}")], vote=True)
    assert kept == [0, 1] and verdict == "2 of 3 say 4"
    assert keep([s("\\boxed{4}"), s("\\boxed{5}")], vote=True) == ([], "")
    assert keep([s("\\boxed{4}"), s("\\boxed{4}", "length")], vote=True) == ([], "")
    assert keep([s("a"), s("b", "length"), s("c")], vote=False) == ([0, 2], "")


def test_the_ledger_cuts_a_torn_line_and_refuses_other_settings(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_NAME
    ledger = Ledger(path, {"samples": 2, "vote": False})
    prompt = Prompt(1, "k1", ())
    ledger.record(prompt, [{"exchanges": [["q", "r", "a"]], "system": "", "metadata": {}}])
    ledger.close()
    with path.open("ab") as handle:
        handle.write(b'{"key": "k2", "records": [')  # killed mid-write
    again = Ledger(path, {"samples": 2, "vote": False})
    assert again.done == {"k1"}
    again.record(Prompt(2, "k2", ()), [])
    again.close()
    assert [e["key"] for e in Ledger(path, {"samples": 2, "vote": False}).entries()] == [
        "k1",
        "k2",
    ]
    with pytest.raises(DatasetError, match="other settings"):
        Ledger(path, {"samples": 4, "vote": True})


def test_a_failed_prompt_stops_the_run_and_a_rerun_resumes(tmp_path: Path) -> None:
    prompts = write(tmp_path / "p.txt", b"one\ntwo\nthree\n")
    asked: list[str] = []

    def flaky(prompt: Prompt, k: int, cancel: CancelToken) -> list[Sample]:
        text = prompt.messages[-1].content
        asked.append(text)
        if text == "two" and asked.count("two") == 1:
            raise DatasetError("the server went away")
        return [Sample("thinking", f"answer to {text}", "finished")] * k

    with pytest.raises(DatasetError):
        generate_dataset(prompts, tmp_path / "out", flaky)
    assert not (tmp_path / "out" / "hearth-openai.jsonl").exists()
    summary = generate_dataset(prompts, tmp_path / "out", flaky)
    assert asked == ["one", "two", "two", "three"]
    assert (summary.asked, summary.resumed) == (2, 1)
    records = list(read_records(summary.dataset.path))
    assert [r["messages"][1]["content"] for r in records] == [
        "answer to one",
        "answer to two",
        "answer to three",
    ]
    assert records[0]["messages"][1]["reasoning_content"] == "thinking"


def test_tiny_local_model_answers_through_the_host(tmp_path: Path, tiny_model_f32: Path) -> None:
    from app.core.engines.llama import LlamaEngine

    prompts = write(tmp_path / "p.jsonl", b'{"prompt": "What is 2+2?"}\n')
    engine = LlamaEngine.load(tiny_model_f32, n_ctx=TINY_N_CTX, n_threads=TINY_THREADS)
    host = EngineHost(engine)
    try:
        sampler = HostSampler(host, SamplingParams(max_tokens=8, seed=1))
        summary = generate_dataset(
            prompts, tmp_path / "out", sampler, samples=3, engine=host.engine_info
        )
    finally:
        assert host.close(10)
    # A random model's eight tokens rarely finish; whatever finished is kept (and only that).
    ledger = (tmp_path / "out" / LEDGER_NAME).read_text().splitlines()
    assert len(ledger) == 2
    entry = json.loads(ledger[1])
    assert entry["provenance"]["engine"]["kind"] == "local"
    assert summary.asked == 1
    assert summary.dataset.records <= len(entry["records"]) <= 3
    assert all(r["metadata"]["state"] == "finished" for r in entry["records"])
