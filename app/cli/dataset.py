"""``python -m app dataset``: training data from your chats, or from a teacher model.

    python -m app dataset export [--all | --chat ID … | --search Q]
        --format openai|sharegpt|alpaca [--good-only] [--finished-only] [--model NAME]
        [--since DATE] [--until DATE] --out DIR
    python -m app dataset generate --prompts FILE --engine NAME|local --samples K --out DIR
        [--vote] [--on-bad-line skip|stop] [--format …] [--max-tokens N] [--temperature T]

``generate`` resumes a killed run when given the same ``--out`` folder: prompts already
answered there are not asked again. See docs/DISTILL.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, cast

from app.core.cancel import CancelToken
from app.core.dataset import (
    DATASET_FORMATS,
    ChatSelection,
    DatasetFilter,
    DatasetFormat,
    DatasetSummary,
    export_dataset,
)
from app.core.errors import CancelledError, HearthError
from app.core.logsetup import configure_logging
from app.core.paths import app_paths

EXIT_INTERRUPTED = 130


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dataset",
        help="export chats as training data, or generate it with a teacher model",
        description="Distillation datasets (see docs/DISTILL.md).",
    )
    actions = parser.add_subparsers(dest="dataset_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write chats as a training dataset")
    chosen = export.add_mutually_exclusive_group()
    chosen.add_argument("--all", action="store_true", help="every chat (the default)")
    chosen.add_argument(
        "--chat", action="append", metavar="ID", help="this chat (id or unique prefix); repeatable"
    )
    chosen.add_argument("--search", metavar="Q", help="the chats a search finds")
    _add_format(export)
    export.add_argument("--good-only", action="store_true", help="only answers rated good")
    export.add_argument(
        "--finished-only", action="store_true", help="only answers that ended on their own"
    )
    export.add_argument("--model", dest="dataset_model", metavar="NAME", help="only this model")
    export.add_argument("--since", type=_date, metavar="DATE", help="answers from this day on")
    export.add_argument("--until", type=_date, metavar="DATE", help="answers before this day")
    export.add_argument("--out", required=True, metavar="DIR", help="the output folder")

    generate = actions.add_parser("generate", help="answer a prompt file with a teacher model")
    generate.add_argument("--prompts", required=True, metavar="FILE", help="JSONL or plain lines")
    generate.add_argument(
        "--engine",
        required=True,
        metavar="NAME",
        help="a remote engine's name (as set up in the app) or 'local' for the local model",
    )
    generate.add_argument("--samples", type=_positive, default=1, metavar="K")
    generate.add_argument(
        "--vote", action="store_true", help="keep only answers a majority of samples agree on"
    )
    generate.add_argument("--on-bad-line", choices=("skip", "stop"), default="skip")
    generate.add_argument("--max-tokens", type=_positive, metavar="N")
    generate.add_argument("--temperature", type=float, metavar="T")
    generate.add_argument("--local-model", metavar="PATH", help="GGUF file for --engine local")
    _add_format(generate)
    generate.add_argument("--out", required=True, metavar="DIR", help="the output folder")


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        dest="dataset_format",
        choices=DATASET_FORMATS,
        default="openai",
        help="openai (messages + reasoning_content), sharegpt (<think> tags) or alpaca",
    )


def _date(text: str) -> float:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-31") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)), to_stderr=False)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, _on_sigint(cancel))
    try:
        if args.dataset_action == "export":
            return _export(args, cancel)
        return _generate(args, cancel)
    except CancelledError:
        print("\nhearth: stopped; no dataset file was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except HearthError as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, previous)


def _on_sigint(cancel: CancelToken) -> Any:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    return handler


class _Progress:
    """One status line on stderr, rewritten at most once per percent."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != self._shown or done == total:
            self._shown = percent
            end = "\n" if done >= total else ""
            print(f"\r{self.what}: {done}/{total} ({percent}%)", end=end, file=sys.stderr)


def _export(args: argparse.Namespace, cancel: CancelToken) -> int:
    from app.cli.chats import resolve_conversation
    from app.core.store import ChatStore

    with ChatStore.open() as store:
        ids = tuple(resolve_conversation(store, c).id for c in args.chat or ())
        summary = export_dataset(
            store,
            Path(args.out),
            fmt=cast(DatasetFormat, args.dataset_format),
            selection=ChatSelection(chat_ids=ids, search=args.search or ""),
            filters=DatasetFilter(
                good_only=args.good_only,
                finished_only=args.finished_only,
                model=args.dataset_model or "",
                since=args.since,
                until=args.until,
            ),
            cancel=cancel,
            progress=_Progress("chats"),
        )
    _report(summary)
    return 0


def _report(summary: DatasetSummary) -> None:
    print(
        f"{summary.records} records ({summary.duplicates} duplicates removed) "
        f"written to {summary.path}; card: {summary.card_path}"
    )


def _generate(args: argparse.Namespace, cancel: CancelToken) -> int:
    from app.core.chat import SamplingParams
    from app.core.dataset_generate import HostSampler, generate_dataset
    from app.core.host import EngineHost, JobFailed

    def warn(text: str) -> None:
        print(f"\nhearth: {text}", file=sys.stderr)

    factory = _engine_factory(args)
    host = EngineHost(name="dataset-engine-host")
    try:
        job = host.load(factory, origin="cli")
        job.wait()
        loaded = job.result
        if isinstance(loaded, JobFailed):
            raise loaded.error
        params = SamplingParams()
        if args.max_tokens:
            params = _replace(params, max_tokens=args.max_tokens)
        if args.temperature is not None:
            params = _replace(params, temperature=args.temperature)
        result = generate_dataset(
            Path(args.prompts),
            Path(args.out),
            HostSampler(host, params, warn=warn),
            samples=args.samples,
            vote=args.vote,
            fmt=cast(DatasetFormat, args.dataset_format),
            engine=host.engine_info,
            on_bad_line=args.on_bad_line,
            warn=warn,
            cancel=cancel,
            progress=_Progress("prompts"),
        )
    finally:
        host.close(timeout=5.0)
    print(
        f"{result.prompts} prompts ({result.asked} asked now, {result.resumed} from an earlier "
        f"run, {len(result.skipped_lines)} bad lines skipped"
        + (f", {result.no_majority} without a majority" if args.vote else "")
        + ")."
    )
    _report(result.dataset)
    return 0


def _replace(params: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(params, **changes)


def _engine_factory(args: argparse.Namespace) -> Any:
    """The host's load factory for ``--engine``: a saved remote engine, or the local model."""
    paths = app_paths()
    if args.engine == "local":
        from app.core.engines.local_load import LocalLoad
        from app.core.settings import load_settings

        settings = load_settings(paths.settings_file)
        model_text = args.local_model or getattr(args, "model", None) or settings.last_model
        if not model_text or not Path(model_text).expanduser().is_file():
            raise HearthError(
                "No local model to use. Pass --local-model PATH, or load a model in the app once."
            )
        model = Path(model_text).expanduser()

        options = LocalLoad.from_settings(settings, paths)

        def local(cancel: CancelToken) -> Any:
            return options.load(model, cancel)

        return local
    from app.core.engines.registry import EngineRegistry, remote_engine_factory
    from app.core.network import NetworkGateway
    from app.core.settings import load_settings

    registry = EngineRegistry.in_config_dir(paths.config)
    wanted = args.engine.casefold()
    matches = [c for c in registry.engines() if wanted in (c.name.casefold(), c.id.casefold())]
    if not matches:
        names = ", ".join(c.name for c in registry.engines()) or "none yet"
        raise HearthError(
            f"There is no remote engine named “{args.engine}” (configured: {names}). "
            "Add it in the app under Engines, or use --engine local."
        )
    config = matches[0]
    settings = load_settings(paths.settings_file)
    gateway = NetworkGateway(log_path=paths.network_log, offline=settings.offline)
    return remote_engine_factory(gateway, registry.endpoint(config.id))
