"""Entry point: ``python -m app`` starts the GUI; subcommands give the CLI.

python -m app [--model PATH] [--data-dir DIR]      the desktop app
python -m app --self-test [--model PATH]           headless smoke test (also frozen)
python -m app --version
python -m app chat | chats | models | bench | serve | dataset | docs ...  see ``--help`` of each
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Guards against libraries that phone home must be set before anything imports them.
import app.core  # noqa: F401
from app import APP_NAME

if TYPE_CHECKING:
    from app.core.instance import HolderKind

SUBCOMMANDS = ("chat", "chats", "models", "bench", "serve", "dataset", "docs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth", description=f"{APP_NAME}: offline chat.")
    parser.add_argument("--model", metavar="PATH", help="GGUF model file to load")
    parser.add_argument("--data-dir", metavar="DIR", help="keep every app directory under DIR")
    parser.add_argument("--catalog", metavar="FILE", help="use another model catalog file")
    parser.add_argument("--offline", action="store_true", help="refuse all network access")
    parser.add_argument("--debug", action="store_true", help="verbose logs (may include chat text)")
    parser.add_argument("--self-test", action="store_true", help="headless smoke test, then exit")
    parser.add_argument("--version", action="store_true", help="print version and build info")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"app.cli.{name}")
        module.add_parser(subparsers)
    return parser


def apply_global_options(args: argparse.Namespace) -> None:
    """Options that act through the environment so every layer sees them."""
    if args.data_dir:
        os.environ["HEARTH_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.catalog:
        os.environ["HEARTH_CATALOG"] = str(Path(args.catalog).resolve())
    if args.offline:
        os.environ["HEARTH_OFFLINE"] = "1"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    apply_global_options(args)
    from app.core.errors import HearthError

    try:
        return _dispatch(args)
    except HearthError as exc:
        # E.g. a data folder that cannot be created or made private: a sentence, not a
        # traceback (the CLI and the GUI's start both end up here).
        print(f"hearth: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.version:
        from app.cli.info import print_version

        return print_version()
    if args.self_test:
        from app.cli.selftest import run_self_test

        return run_self_test(model=args.model)
    if args.command:
        module = importlib.import_module(f"app.cli.{args.command}")
        return _run_command(module, args)
    # Before Qt: a missing system library becomes one sentence with the install line,
    # not Qt's abort ("could not load the Qt platform plugin xcb").
    from app.preflight import EXIT_MISSING_LIBRARIES, gui_preflight

    problem = gui_preflight()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_MISSING_LIBRARIES
    from app.main import run_gui

    return run_gui(args)


def writer_kind(args: argparse.Namespace) -> HolderKind | None:
    """The commands that write chats, and so must own the data folder while they run.

    Read-only ones and ``models`` (own per-file locks) take nothing; see app.core.instance.
    """
    if args.command == "chat":
        return "chat"
    if args.command == "chats" and getattr(args, "chats_action", None) == "import":
        return "import"
    if args.command == "serve" and not getattr(args, "print_token", False):
        return "serve"
    return None


def _run_command(module: Any, args: argparse.Namespace) -> int:
    kind = writer_kind(args)
    if kind is None:
        return int(module.run(args))
    from app.core.instance import DataDirBusyError, hold_data_dir
    from app.core.paths import app_paths

    try:
        with hold_data_dir(app_paths().ensure().data, kind):
            return int(module.run(args))
    except DataDirBusyError as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
