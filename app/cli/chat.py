"""``python -m app chat``: one chat turn in the terminal, saved exactly as the app saves it.

    python -m app chat [--model PATH] [--no-think] [--continue ID] [--max-tokens N]
                       [--seed N] "prompt"

The answer streams to stdout and the reasoning to stderr (``--no-think`` hides it).
The turn goes into the chat store like a turn in the app: the question and an empty
streaming answer are written at once, the answer is saved at most once a second while
it streams, and finished with its provenance and stats. Ctrl+C stops the answer and
keeps it, marked interrupted; a second Ctrl+C quits at once.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from app.cli.chats import resolve_conversation
from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    ContextTrimmed,
    ReasoningClosed,
    ReasoningDelta,
    SamplingParams,
    TurnEvent,
    TurnFinished,
    TurnRequest,
)
from app.core.errors import HearthError
from app.core.logsetup import configure_logging
from app.core.paths import app_paths
from app.core.settings import Settings, load_settings
from app.core.store import ChatStore, MessageState, ModelInfoLike, StoredMessage, build_provenance

log = logging.getLogger(__name__)

#: The streamed answer is saved at most this often (a kill loses at most this much).
SAVE_INTERVAL_S = 1.0
EXIT_INTERRUPTED = 130
#: The clock that paces streaming saves (tests replace it).
clock: Callable[[], float] = time.monotonic


class EngineLike(Protocol):
    """What the chat command needs from ``app.core.engine.Engine``."""

    @property
    def info(self) -> ModelInfoLike: ...

    def stream_turn(self, request: TurnRequest, control: TurnControl) -> Iterator[TurnEvent]: ...

    def close(self) -> None: ...


def load_engine(model: Path, settings: Settings) -> EngineLike:
    """Load the model (tests replace this with a scripted engine)."""
    from app.core.engine import Engine

    engine: EngineLike = Engine.load(
        model, n_ctx=settings.effective_context(), n_threads=settings.effective_threads()
    )
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
    conversation_id: str | None = None
    history: list[StoredMessage] = []
    overrides: dict[str, Any] = {}
    if args.continue_id:
        conversation_id = resolve_conversation(store, args.continue_id).id
        history = store.active_path(conversation_id)
        overrides = store.conversation_settings(conversation_id)
    params = _sampling(settings.sampling, overrides, args)
    system_prompt = overrides.get("system_prompt", settings.system_prompt)
    # Load first: a model that fails to load leaves no empty chat behind.
    engine = load_engine(model, settings)
    try:
        if conversation_id is None:
            conversation_id = store.create_conversation().id
        parent = history[-1].id if history else None
        question, answer = store.start_turn(conversation_id, parent, prompt)
        request = TurnRequest(
            messages=(*_as_chat(history), ChatMessage("user", question.content)),
            params=params,
            system_prompt=system_prompt if isinstance(system_prompt, str) else "",
        )
        return _stream(store, engine, request, answer, show_reasoning=not args.no_think)
    finally:
        engine.close()


def _as_chat(history: list[StoredMessage]) -> list[ChatMessage]:
    # An answer that failed before writing anything carries nothing for the model.
    return [
        ChatMessage(m.role, m.content, m.reasoning)
        for m in history
        if not (m.role == "assistant" and not m.content and not m.reasoning)
    ]


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
        if self.in_reasoning:
            self.end_reasoning()
        self._write(sys.stdout, text)
        self.answer_ends_with_newline = text.endswith("\n")

    def note(self, text: str) -> None:
        self._write(sys.stderr, f"\n[{text}]\n")

    def _write(self, stream: Any, text: str) -> None:
        if self.closed and stream is sys.stdout:
            return
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


def _stream(
    store: ChatStore,
    engine: EngineLike,
    request: TurnRequest,
    answer: StoredMessage,
    *,
    show_reasoning: bool,
) -> int:
    control = TurnControl()
    out = _Output(show_reasoning)
    reasoning_parts: list[str] = []
    answer_parts: list[str] = []
    finished: TurnFinished | None = None
    save_warned = False
    last_save = -float("inf")
    unsaved = False

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        control.cancel()

    previous = _install_sigint(on_sigint)
    try:
        for event in engine.stream_turn(request, control):
            if isinstance(event, ReasoningDelta):
                reasoning_parts.append(event.text)
                out.reasoning(event.text)
                unsaved = True
            elif isinstance(event, AnswerDelta):
                answer_parts.append(event.text)
                out.answer(event.text)
                unsaved = True
            elif isinstance(event, ReasoningClosed):
                out.end_reasoning(_CLOSE_NOTES.get(event.reason, ""))
            elif isinstance(event, ContextTrimmed):
                out.note(f"the {event.dropped} oldest messages were left out to fit the context")
            elif isinstance(event, TurnFinished):
                finished = event
            if out.closed:
                control.cancel()
            now = clock()
            if unsaved and now - last_save >= SAVE_INTERVAL_S:
                last_save, unsaved = now, False
                try:
                    store.save_streaming(answer.id, "".join(answer_parts), "".join(reasoning_parts))
                except HearthError as exc:
                    # Keep answering: the final save below may still work, and says so if not.
                    if not save_warned:
                        out.note(f"not saved: {exc}")
                        save_warned = True
    except KeyboardInterrupt:
        _finish(store, answer, answer_parts, reasoning_parts, "interrupted", request, engine, None)
        out.note("stopped")
        return EXIT_INTERRUPTED
    except HearthError as exc:
        log.error("chat turn failed: %s (%s)", exc, exc.detail)
        _finish(
            store,
            answer,
            answer_parts,
            reasoning_parts,
            "error",
            request,
            engine,
            None,
            error=str(exc),
        )
        print(f"\nhearth: {exc}", file=sys.stderr)
        return 1
    finally:
        _restore_sigint(previous)
    if not out.answer_ends_with_newline:
        out.answer("\n")
    reason = finished.reason if finished else "cancelled"
    state: MessageState = "interrupted" if reason == "cancelled" else "complete"
    _finish(store, answer, answer_parts, reasoning_parts, state, request, engine, finished)
    stats = finished.stats if finished else None
    if stats is not None:
        print(
            f"[chat {answer.conversation_id} · {stats.generated_tokens} tokens · "
            f"{stats.tokens_per_s:.1f} tok/s · {reason}]",
            file=sys.stderr,
        )
    return EXIT_INTERRUPTED if state == "interrupted" and not out.closed else 0


def _finish(
    store: ChatStore,
    answer: StoredMessage,
    answer_parts: list[str],
    reasoning_parts: list[str],
    state: MessageState,
    request: TurnRequest,
    engine: EngineLike,
    finished: TurnFinished | None,
    *,
    error: str = "",
) -> None:
    provenance = build_provenance(
        engine.info,
        request.params,
        finished.stats if finished else None,
        finish_reason=finished.reason if finished else ("cancelled" if not error else ""),
        error=error,
    )
    store.finish_message(
        answer.id,
        content="".join(answer_parts),
        reasoning="".join(reasoning_parts),
        state=state,
        provenance=provenance,
    )


def _install_sigint(handler: Any) -> Any:
    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        return None


def _restore_sigint(previous: Any) -> None:
    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, previous)
