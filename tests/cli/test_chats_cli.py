"""``python -m app chats …`` and ``python -m app chat …`` (with a scripted engine)."""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import sqlite3
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.__main__ import apply_global_options
from app.cli import chat as chat_cli
from app.cli import chats as chats_cli
from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ReasoningClosed,
    ReasoningDelta,
    TurnEvent,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.engines.base import EngineInfo
from app.core.errors import GenerationError, ModelLoadError
from app.core.paths import AppPaths
from app.core.settings import Settings, save_settings
from app.core.store import ChatStore


def run_cli(argv: list[str]) -> int:
    """Parse like ``python -m app`` (same global options) and run one of our commands."""
    parser = argparse.ArgumentParser(prog="hearth")
    parser.add_argument("--model")
    parser.add_argument("--data-dir")
    parser.add_argument("--catalog")
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--debug", action="store_true")
    subparsers = parser.add_subparsers(dest="command")
    chats_cli.add_parser(subparsers)
    chat_cli.add_parser(subparsers)
    args = parser.parse_args(argv)
    apply_global_options(args)
    module = chats_cli if args.command == "chats" else chat_cli
    return int(module.run(args))


@pytest.fixture(autouse=True)
def _drop_log_handlers() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_hearth", False)]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def two_chats(isolated_app_dirs: AppPaths) -> dict[str, str]:
    with ChatStore.open() as store:
        first = store.create_conversation()
        q = store.add_message(first.id, None, "user", "鸡兔同笼怎么算？")
        store.add_message(first.id, q.id, "assistant", "列方程组。", reasoning="设鸡x只")
        second = store.create_conversation("Quicksort")
        store.add_message(second.id, None, "user", "Write quicksort in Python")
        return {"first": first.id, "second": second.id}


# --- chats -----------------------------------------------------------------------------


def test_list_shows_every_chat(
    two_chats: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chats", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(two_chats["second"]) and lines[0].endswith("Quicksort")
    assert lines[1].startswith(two_chats["first"]) and lines[1].endswith("鸡兔同笼怎么算？")


def test_list_of_an_empty_store(
    isolated_app_dirs: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chats", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "No chats yet" in captured.err


def test_show_accepts_a_unique_prefix(
    two_chats: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chats", "show", two_chats["first"][:8]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# 鸡兔同笼怎么算？") and "列方程组。" in out and "<details>" in out


def test_unknown_id_is_an_error_with_a_sentence(
    two_chats: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chats", "show", "zzzz"]) == 1
    assert "No chat has the id 'zzzz'" in capsys.readouterr().err


def test_export_json_to_stdout_and_html_to_a_private_file(
    two_chats: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chats", "export", two_chats["second"], "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in data["conversations"]] == [two_chats["second"]]
    target = tmp_path / "all.html"
    assert run_cli(["chats", "export", "--all", "--format", "html", "-o", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    assert "Quicksort" in page and "鸡兔同笼" in page
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert run_cli(["chats", "export", "--format", "md"]) == 2
    assert run_cli(["chats", "export", two_chats["first"], "--all"]) == 2


def test_import_then_search(
    two_chats: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "backup.json"
    assert run_cli(["chats", "export", "--all", "--format", "json", "-o", str(exported)]) == 0
    other = tmp_path / "elsewhere"
    capsys.readouterr()
    assert run_cli(["--data-dir", str(other), "chats", "import", str(exported)]) == 0
    assert "Imported 2 conversations (3 messages)" in capsys.readouterr().out
    assert run_cli(["--data-dir", str(other), "chats", "search", "兔同"]) == 0
    out = capsys.readouterr().out
    assert "«兔同»" in out and two_chats["first"] in out
    assert run_cli(["--data-dir", str(other), "chats", "search", "设鸡x"]) == 0
    assert "[reasoning]" in capsys.readouterr().out
    assert run_cli(["--data-dir", str(other), "chats", "search", "nothing-like-this"]) == 0
    assert "No matches" in capsys.readouterr().err
    assert run_cli(["--data-dir", str(other), "chats", "import", str(tmp_path / "missing")]) == 1


# --- chat (headless) -------------------------------------------------------------------


@dataclass(frozen=True)
class FakeInfo:
    path: Path
    file_name: str
    size_bytes: int
    quant: str = "Q4_K_M"
    name: str = "Fake R1"


@dataclass
class ScriptedEngine:
    """Replays events; ``hook(index, control)`` runs before each one."""

    model: Path
    events: list[TurnEvent]
    hook: Callable[[int, TurnControl], None] | None = None
    requests: list[TurnRequest] = field(default_factory=list)
    closed: bool = False

    @property
    def info(self) -> FakeInfo:
        return FakeInfo(self.model, self.model.name, self.model.stat().st_size)

    @property
    def engine_info(self) -> EngineInfo:
        info = self.info
        return EngineInfo(
            name=info.name,
            model_id=info.file_name,
            details={
                "file_name": info.file_name,
                "path": str(info.path),
                "size_bytes": info.size_bytes,
                "quant": info.quant,
            },
        )

    def count_tokens(self, request: TurnRequest) -> int:
        return sum(len(m.content.split()) for m in request.messages)

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]:
        self.requests.append(request)
        for index, event in enumerate(self.events):
            if self.hook is not None:
                self.hook(index, control)
            if control.cancelled:
                yield TurnFinished("stopped", TurnStats(generated_tokens=index, seed=5))
                return
            yield event

    def close(self) -> None:
        self.closed = True


STATS = TurnStats(prompt_tokens=9, generated_tokens=6, ttft_ms=12.0, tokens_per_s=42.0, seed=1234)


def _script() -> list[TurnEvent]:
    return [
        ReasoningDelta("Let me "),
        ReasoningDelta("think."),
        ReasoningClosed("model"),
        AnswerDelta("Twenty-three "),
        AnswerDelta("chickens, "),
        AnswerDelta("twelve rabbits."),
        TurnFinished("finished", STATS),
    ]


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "fake-r1.gguf"
    path.write_bytes(b"GGUF" + bytes(100))
    return path


@dataclass
class EngineFactory:
    """Stands in for ``load_engine``: records each engine and what it should replay."""

    events: Callable[[], list[TurnEvent]] = _script
    hook: Callable[[int, TurnControl], None] | None = None
    loaded: list[ScriptedEngine] = field(default_factory=list)

    def __call__(self, model: Path, settings: Settings) -> ScriptedEngine:
        engine = ScriptedEngine(model, self.events(), self.hook)
        self.loaded.append(engine)
        return engine


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> EngineFactory:
    factory = EngineFactory()
    monkeypatch.setattr(chat_cli, "load_engine", factory)
    return factory


def test_chat_streams_and_saves_like_the_app(
    model_file: Path, engines: EngineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chat", "--model", str(model_file), "--seed", "7", "How many?"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "Twenty-three chickens, twelve rabbits.\n"
    assert "Let me think." in captured.err
    [engine] = engines.loaded
    assert engine.closed
    [request] = engine.requests
    assert [(m.role, m.content) for m in request.messages] == [("user", "How many?")]
    assert request.params.seed == 7
    with ChatStore.open() as store:
        [summary] = store.list_conversations()
        assert summary.title == "How many?"
        question, answer = store.active_path(summary.id)
        assert (question.role, question.content) == ("user", "How many?")
        assert answer.state == "finished"
        assert answer.content == "Twenty-three chickens, twelve rabbits."
        assert answer.reasoning == "Let me think."
        provenance = answer.provenance
        assert provenance["model"]["file"] == "fake-r1.gguf"
        assert provenance["model"]["quant"] == "Q4_K_M"
        assert provenance["model"]["size"] == model_file.stat().st_size
        assert provenance["model"]["fingerprint"].startswith("fp1:")
        assert provenance["sampling"]["seed"] == 1234  # the seed the engine reports
        assert provenance["stats"]["tokens_per_s"] == 42.0
        assert provenance["finish_reason"] == "finished"
    assert summary.id in captured.err


def test_no_think_hides_the_reasoning(
    model_file: Path, engines: EngineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chat", "--model", str(model_file), "--no-think", "Q"]) == 0
    captured = capsys.readouterr()
    assert "think" not in captured.err
    assert captured.out == "Twenty-three chickens, twelve rabbits.\n"


def test_continue_adds_a_turn_with_the_history(
    model_file: Path, engines: EngineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chat", "--model", str(model_file), "First question"]) == 0
    with ChatStore.open() as store:
        [summary] = store.list_conversations()
    assert (
        run_cli(
            [
                "chat",
                "--model",
                str(model_file),
                "--continue",
                summary.id[:6],
                "--max-tokens",
                "64",
                "Second question",
            ]
        )
        == 0
    )
    request = engines.loaded[-1].requests[0]
    assert [(m.role, m.content) for m in request.messages] == [
        ("user", "First question"),
        ("assistant", "Twenty-three chickens, twelve rabbits."),
        ("user", "Second question"),
    ]
    assert request.messages[1].reasoning == "Let me think."
    assert request.params.max_tokens == 64
    with ChatStore.open() as store:
        assert len(store.list_conversations()) == 1
        path = store.active_path(summary.id)
        assert [m.content for m in path][::2] == ["First question", "Second question"]


def test_streaming_saves_happen_at_most_once_a_second(
    model_file: Path,
    engines: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    isolated_app_dirs: AppPaths,
) -> None:
    now = [100.0]
    monkeypatch.setattr(chat_cli, "clock", lambda: now[0])
    seen_in_db: list[tuple[str, str]] = []

    def hook(index: int, _control: TurnControl) -> None:
        now[0] += 0.3  # each token arrives 0.3 s after the previous one
        if index == 8:
            # Another reader (e.g. the app) sees the partial answer while it streams.
            conn = sqlite3.connect(f"file:{isolated_app_dirs.database}?mode=ro", uri=True)
            seen_in_db.extend(
                conn.execute("SELECT state, content FROM messages WHERE role = 'assistant'")
            )
            conn.close()

    def twelve_words() -> list[TurnEvent]:
        return [*(AnswerDelta(f"w{i} ") for i in range(12)), TurnFinished("finished", STATS)]

    engines.events = twelve_words
    engines.hook = hook
    saves: list[tuple[float, str]] = []
    original = ChatStore.save_streaming

    def spy(self: ChatStore, message_id: str, content: str, reasoning: str) -> bool:
        saves.append((now[0], content))
        return original(self, message_id, content, reasoning)

    monkeypatch.setattr(ChatStore, "save_streaming", spy)
    assert run_cli(["chat", "--model", str(model_file), "go"]) == 0
    times = [t for t, _ in saves]
    # 12 tokens, one each 0.3 s: saved with the 1st, 5th and 9th (the end is a final save).
    assert len(saves) == 3
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert saves[0][1] == "w0 "  # the first text is saved at once
    assert seen_in_db and seen_in_db[0][0] == "streaming" and seen_in_db[0][1].startswith("w0 ")


def test_ctrl_c_keeps_the_partial_answer_as_stopped(
    model_file: Path, engines: EngineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    def press_ctrl_c(index: int, control: TurnControl) -> None:
        if index == 4:
            os.kill(os.getpid(), signal.SIGINT)
            # The engine runs on the host thread; the handler runs on the main thread.
            control.wait(10.0)

    engines.hook = press_ctrl_c
    assert run_cli(["chat", "--model", str(model_file), "Q"]) == chat_cli.EXIT_INTERRUPTED
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with ChatStore.open() as store:
        [summary] = store.list_conversations()
        answer = store.active_path(summary.id)[-1]
        assert answer.state == "stopped"
        assert answer.content == "Twenty-three "
        assert answer.provenance["finish_reason"] == "stopped"


def test_a_generation_error_is_saved_as_error(
    model_file: Path, engines: EngineFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(index: int, _control: TurnControl) -> None:
        if index == 5:
            raise GenerationError("llama.cpp failed while generating; try again.")

    engines.hook = fail
    assert run_cli(["chat", "--model", str(model_file), "Q"]) == 1
    assert "llama.cpp failed while generating" in capsys.readouterr().err
    with ChatStore.open() as store:
        [summary] = store.list_conversations()
        answer = store.active_path(summary.id)[-1]
        assert answer.state == "failed"
        assert answer.content == "Twenty-three chickens, "
        assert "llama.cpp failed" in answer.provenance["error"]


def test_the_model_comes_from_settings_when_not_given(
    model_file: Path, engines: EngineFactory, isolated_app_dirs: AppPaths
) -> None:
    save_settings(isolated_app_dirs.settings_file, Settings(last_model=str(model_file)))
    assert run_cli(["chat", "hello"]) == 0
    assert engines.loaded[0].model == model_file


def test_without_a_model_it_says_what_to_do(
    engines: EngineFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["chat", "hello"]) == 2
    assert "--model" in capsys.readouterr().err
    assert run_cli(["chat", "--model", str(tmp_path / "missing.gguf"), "hello"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert engines.loaded == []
    with ChatStore.open() as store:
        assert store.list_conversations() == []


def test_chat_with_stdin_prompt(
    model_file: Path,
    engines: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("from a pipe\n"))
    assert run_cli(["chat", "--model", str(model_file)]) == 0
    assert engines.loaded[0].requests[0].messages[-1].content == "from a pipe\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("   "))
    assert run_cli(["chat", "--model", str(model_file), "-"]) == 2


def test_a_model_that_fails_to_load_leaves_no_empty_chat(
    model_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(model: Path, settings: Settings) -> ScriptedEngine:
        raise ModelLoadError("This file is not a GGUF model. Choose another file.")

    monkeypatch.setattr(chat_cli, "load_engine", refuse)
    assert run_cli(["chat", "--model", str(model_file), "hello"]) == 1
    assert "not a GGUF model" in capsys.readouterr().err
    with ChatStore.open() as store:
        assert store.list_conversations() == []


def test_chat_text_cannot_drive_the_terminal(
    isolated_app_dirs: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    # A chat from someone else (imported) may hold escape sequences: clear screen, a fake
    # window title, a one-byte CSI (U+009B). Reading it in the terminal shows them inert.
    hostile = "evil\x1b[2J\x1b]0;owned\x07title\x9b31m"
    with ChatStore.open() as store:
        chat = store.create_conversation(hostile)
        store.add_message(chat.id, None, "user", f"body {hostile}\nsecond line")
    for argv in (["chats", "list"], ["chats", "show", chat.id], ["chats", "search", "evil"]):
        assert run_cli(argv) == 0
        captured = capsys.readouterr()
        out = captured.out + captured.err
        assert "evil" in out and "title" in out, argv
        assert not any(ch in out for ch in "\x1b\x07\x9b"), (argv, out)
    assert run_cli(["chats", "show", chat.id]) == 0
    assert "second line" in capsys.readouterr().out
    # Export is data: it is written unchanged (JSON escapes the controls itself).
    assert run_cli(["chats", "export", chat.id, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["conversations"][0]["title"] == hostile
