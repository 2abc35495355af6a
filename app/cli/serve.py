"""``python -m app serve``: the local model as an OpenAI-compatible API and a web page.

    python -m app serve [--host 127.0.0.1] [--port 8765] [--model ID_OR_PATH]
                        [--threads N] [--ctx N] [--allow-remote] [--save-chats]
                        [--allow-origin URL ...] [--print-token]

Headless: no Qt is imported, and the heavy imports happen only after the arguments are
read. It loads the model through the same engine host as the app, serves until SIGINT or
SIGTERM, then ends running streams with an error event, closes the socket and joins every
thread. Exit codes: 0 stopped cleanly, 1 failure (reason on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_PORT = 8765


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the model to other programs (OpenAI-compatible API and a web page)",
        description=(
            "Serve a local model over an OpenAI-compatible HTTP API, with a small chat page "
            "at '/'. Loopback only unless --allow-remote; every API request needs the token."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=None, help=f"port (default: settings, else {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--model", dest="serve_model", metavar="ID_OR_PATH", help="installed model name or GGUF"
    )
    parser.add_argument("--threads", type=int, metavar="N", help="llama.cpp threads")
    parser.add_argument("--ctx", type=int, metavar="N", help="context length in tokens")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than loopback (the token is then the only protection)",
    )
    parser.add_argument(
        "--save-chats", action="store_true", help="keep API chats in the app's chat list"
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="a web origin allowed to call the API from a browser (CORS); repeatable",
    )
    parser.add_argument(
        "--print-token", action="store_true", help="print the API token (made if needed) and exit"
    )


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"hearth: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    from app.core.logsetup import configure_logging
    from app.core.paths import app_paths
    from app.core.settings import load_settings
    from app.server.auth import is_loopback_host, load_or_create_token, token_path

    paths = app_paths().ensure()
    if args.print_token:
        print(load_or_create_token(paths.config))
        return EXIT_OK
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)))
    settings = load_settings(paths.settings_file)
    if not is_loopback_host(args.host) and not args.allow_remote:
        return _fail(
            f"--host {args.host} would open the API to other computers. Add --allow-remote "
            "if you mean it (every request then needs the token).",
            EXIT_USAGE,
        )
    # --port 0 asks the system for a free port (tests, scripts that read the address).
    port = args.port
    if port is None:
        port = int(getattr(settings, "api_port", 0) or 0) or DEFAULT_PORT
    if not 0 <= port <= 65535:
        return _fail("--port must be between 0 and 65535.", EXIT_USAGE)
    model_text = args.serve_model or getattr(args, "model", None) or settings.last_model
    if not model_text:
        return _fail("no model chosen. Pass --model NAME_OR_PATH, or load one in the app.", 2)

    from app.core.errors import HearthError

    try:
        model = _resolve_model(model_text)
        token = load_or_create_token(paths.config)
    except HearthError as exc:
        return _fail(str(exc))
    from app.core.engines.local_load import LocalLoad
    from app.server.service import Service, ServiceOptions

    # The window's attention, KV and thread choices, with --ctx/--threads on top.
    load = LocalLoad.from_settings(settings, paths).overriding(
        n_ctx=args.ctx or 0, n_threads=args.threads or 0
    )
    options = ServiceOptions(
        host=args.host,
        port=port,
        model=model,
        n_ctx=load.n_ctx,
        n_threads=load.n_threads,
        load=load,
        token=token,
        allowed_origins=" ".join(
            [str(getattr(settings, "api_allowed_origins", "")), *args.allow_origin]
        ),
        save_chats=bool(args.save_chats or getattr(settings, "api_save_chats", False)),
        offline=settings.offline,
    )
    service = Service(paths, options)
    try:
        address = service.start()
    except HearthError as exc:
        service.stop()
        return _fail(str(exc))
    print(f"Hearth is serving {service.model_id} at {address}/v1", file=sys.stderr)
    print(f"Web page: {address}/   Token: {token_path(paths.config)}", file=sys.stderr)
    print("Stop with Ctrl+C.", file=sys.stderr)
    try:
        service.wait_for_signal()
    finally:
        clean = service.stop()
    return EXIT_OK if clean else EXIT_FAILED


def _resolve_model(text: str) -> Any:
    """A GGUF path, or the name (or catalog id) of an installed model."""
    from pathlib import Path

    from app.core.errors import HearthError

    candidate = Path(text).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    # Only a name needs the catalog (whose import pulls in the download machinery).
    from app.core.catalog import load_catalog
    from app.core.models import find_installed

    if candidate.suffix == ".gguf" and ("/" in text or candidate.parent != Path()):
        raise HearthError(f"The model file {candidate} does not exist.")
    try:
        catalog = load_catalog()
    except HearthError:
        catalog = None
    return find_installed(text, catalog=catalog).path
