"""``python -m app chat``: one chat turn in the terminal, saved exactly as the app saves it.

    python -m app chat [--model PATH] [--no-think] [--continue ID] [--max-tokens N]
                       [--seed N] "prompt"

The answer streams to stdout and the reasoning to stderr (``--no-think`` hides it).
The turn goes into the chat store like a turn in the app: the question and an empty
streaming answer are written at once, the answer is saved at most once a second while
it streams, and finished with its provenance and stats. It drives the same
:class:`~app.core.session.ChatSession` and :class:`~app.core.host.EngineHost` as the window.
Ctrl+C stops the answer and keeps it, marked ``stopped``; a second Ctrl+C quits at once,
keeping it marked ``interrupted``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import queue
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from app.cli.chats import resolve_conversation
from app.cli.term import for_terminal
from app.core.chat import SamplingParams
from app.core.engines.base import Engine
from app.core.errors import HearthError
from app.core.host import EngineHost
from app.core.logsetup import configure_logging
from app.core.paths import app_paths
from app.core.session import (
    ChatSession,
    HistoryTrimmed,
    ReasoningEnded,
    SessionEvent,
    TextAppended,
    TurnEnded,
    TurnOptions,
)
from app.core.settings import Settings, load_settings
from app.core.store import ChatStore

log = logging.getLogger(__name__)

#: The streamed answer is saved at most this often (a kill loses at most this much).
SAVE_INTERVAL_S = 1.0
EXIT_INTERRUPTED = 130
#: The clock that paces streaming saves (tests replace it).
clock: Callable[[], float] = time.monotonic


def load_engine(model: Path, settings: Settings) -> Engine:
    """Load the model (tests replace this with a scripted engine)."""
    from app.core.engines.local_load import LocalLoad
    from app.core.paths import app_paths

    # The same attention, KV and thread choices as the window (Settings › Model).
    engine: Engine = LocalLoad.from_settings(settings, app_paths()).load(model)
    return engine


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="ask one question in the terminal; the chat is saved like in the app",
        description="Stream one answer to stdout (reasoning to stderr) and save the chat.",
    )
    parser.add_argument("prompt", nargs="?", help='the question; omit it or give "-" to read stdin')
    parser.add_argument("--model", dest="chat_model", metavar="PATH", help="GGUF model file")
    parser.add_argument("--no-think", action="store_true", help="do not print the reasoning")
    parser.add_argument(
        "--continue", dest="continue_id", metavar="ID", help="add a turn to this saved chat"
    )
    parser.add_argument("--max-tokens", type=int, metavar="N", help="new tokens at most")
    parser.add_argument("--seed", type=int, metavar="N", help="fixed sampling seed")


def run(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)), to_stderr=False)
    settings = load_settings(paths.settings_file)
    prompt = args.prompt
    if prompt is None or prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip():
        print("hearth: the prompt is empty.", file=sys.stderr)
        return 2
    model_text = args.chat_model or getattr(args, "model", None) or settings.last_model
    if not model_text:
        print(
            "hearth: no model chosen. Pass --model PATH, or load a model in the app once.",
            file=sys.stderr,
        )
        return 2
    model = Path(model_text).expanduser()
    if not model.is_file():
        print(f"hearth: the model file {model} does not exist.", file=sys.stderr)
        return 2
    try:
        with ChatStore.open() as store:
            if store.report.message:
                print(store.report.message, file=sys.stderr)
            return _chat(store, args, settings, model, prompt)
    except HearthError as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # while loading the model: nothing was saved yet
        print("\nhearth: stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _chat(
    store: ChatStore, args: argparse.Namespace, settings: Settings, model: Path, prompt: str
) -> int:
    conversation_id = ""
    overrides: dict[str, Any] = {}
    if args.continue_id:
        conversation_id = resolve_conversation(store, args.continue_id).id
        overrides = store.conversation_settings(conversation_id)
    system_prompt = overrides.get("system_prompt", settings.system_prompt)
    options = TurnOptions(
        params=_sampling(settings.sampling, overrides, args),
        system_prompt=system_prompt if isinstance(system_prompt, str) else "",
    )
    # Load first: a model that fails to load leaves no empty chat behind.
    engine = load_engine(model, settings)
    host = EngineHost(engine, name="cli-engine-host")
    try:
        events: queue.SimpleQueue[SessionEvent] = queue.SimpleQueue()
        session = ChatSession(
            store,
            host,
            conversation_id=conversation_id,
            options=lambda _conversation: options,
            listener=events.put,
            origin="cli",
            clock=lambda: clock(),
            save_interval=SAVE_INTERVAL_S,
        )
        return _stream(session, events, prompt, show_reasoning=not args.no_think)
    finally:
        host.close(timeout=5.0)


def _sampling(
    base: SamplingParams, overrides: dict[str, Any], args: argparse.Namespace
) -> SamplingParams:
    """Settings, then the chat's own overrides, then the command line."""
    changes: dict[str, Any] = {}
    chat_sampling = overrides.get("sampling")
    if isinstance(chat_sampling, dict):
        for item in dataclasses.fields(SamplingParams):
            value = chat_sampling.get(item.name)
            default = getattr(base, item.name)
            if value is not None and type(value) is type(default):
                changes[item.name] = value
    if args.max_tokens is not None:
        changes["max_tokens"] = max(1, args.max_tokens)
    if args.seed is not None:
        changes["seed"] = args.seed
    return dataclasses.replace(base, **changes)


class _Output:
    """Writes the stream to the terminal; notices when stdout goes away (``| head``)."""

    def __init__(self, show_reasoning: bool) -> None:
        self.show_reasoning = show_reasoning
        self.closed = False
        self.in_reasoning = False
        self.answer_ends_with_newline = True

    def reasoning(self, text: str) -> None:
        if self.show_reasoning:
            self.in_reasoning = True
            self._write(sys.stderr, text)

    def end_reasoning(self, note: str = "") -> None:
        if self.show_reasoning and self.in_reasoning:
            self._write(sys.stderr, f"\n[{note}]\n\n" if note else "\n\n")
        self.in_reasoning = False

    def answer(self, text: str) -> None:
        # The reasoning was closed by the session's ReasoningEnded, which always comes first.
        self._write(sys.stdout, text)
        self.answer_ends_with_newline = text.endswith("\n")

    def note(self, text: str) -> None:
        self._write(sys.stderr, f"\n[{text}]\n")

    def _write(self, stream: Any, text: str) -> None:
        if self.closed and stream is sys.stdout:
            return
        text = for_terminal(text)  # model output: no escape sequences reach the terminal
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            self.closed = True
        except UnicodeEncodeError:
            stream.write(text.encode("ascii", "replace").decode("ascii"))


_CLOSE_NOTES = {
    "budget": "thinking budget reached; answering now",
    "answer_now": "answering now",
    "loop": "the reasoning was repeating itself; answering now",
}

#: How often the main thread wakes while it waits for events (Ctrl+C lands between waits).
_POLL_S = 0.1


def _stream(
    session: ChatSession,
    events: queue.SimpleQueue[SessionEvent],
    prompt: str,
    *,
    show_reasoning: bool,
) -> int:
    """Ask, then print the session's events until the turn ends (on the main thread)."""
    out = _Output(show_reasoning)
    stopped_by_user = False

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopped_by_user
        if stopped_by_user:
            raise KeyboardInterrupt
        stopped_by_user = True
        session.stop()

    previous = _install_sigint(on_sigint)
    try:
        session.ask(prompt)
        while True:
            try:
                event = events.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if isinstance(event, TextAppended):
                if event.reasoning:
                    out.reasoning(event.reasoning)
                if event.answer:
                    out.answer(event.answer)
                if out.closed:  # stdout went away (``| head``): nobody reads the rest
                    session.stop()
            elif isinstance(event, ReasoningEnded):
                out.end_reasoning(_CLOSE_NOTES.get(event.reason, ""))
            elif isinstance(event, HistoryTrimmed):
                out.note(f"the {event.dropped} oldest messages were left out to fit the context")
            elif isinstance(event, TurnEnded):
                return _ended(out, event, stopped_by_user=stopped_by_user)
    except KeyboardInterrupt:
        # A second Ctrl+C: keep what arrived, marked interrupted, and quit at once.
        session.close()
        out.note("stopped")
        return EXIT_INTERRUPTED
    finally:
        _restore_sigint(previous)


def _ended(out: _Output, event: TurnEnded, *, stopped_by_user: bool) -> int:
    if event.state == "failed":
        log.error("chat turn failed: %s", event.error)
        print(f"\nhearth: {event.error}", file=sys.stderr)
        return 1
    if not out.answer_ends_with_newline:
        out.answer("\n")
    if event.state == "stopped" and stopped_by_user:
        out.note("stopped")
    stats = event.stats
    print(
        f"[chat {event.conversation_id} · {stats.generated_tokens} tokens · "
        f"{stats.tokens_per_s:.1f} tok/s · {event.state}]",
        file=sys.stderr,
    )
    if event.state in ("stopped", "interrupted") and not out.closed:
        return EXIT_INTERRUPTED
    return 0


def _install_sigint(handler: Any) -> Any:
    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        return None


def _restore_sigint(previous: Any) -> None:
    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, previous)
