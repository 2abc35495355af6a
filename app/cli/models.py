"""``python -m app models``: list, download, verify, import and remove models.

    models list
    models download QUANT_OR_ID [--source NAME_OR_URL]
    models download --url URL [--url URL2 ...] --sha256 HEX [--size N] --name FILE.gguf
    models verify [NAME]
    models import PATH [--in-place]
    models remove NAME

It shares the core with the GUI: the catalog, the one network gateway (so offline mode
and the network log apply), the resumable verified downloader, and the installed-model
manager. Exit codes: 0 success, 1 failure (the reason on stderr), 2 bad usage,
130 stopped with Ctrl+C (a partial download is kept for the next run).
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from app.cli.term import for_terminal
from app.core.errors import CancelledError, HearthError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
T = TypeVar("T")


class _StopReportedError(CancelledError):
    """A stop whose explanation is already on the terminal."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, download, verify, import and remove models",
        description="Manage the GGUF models Hearth can load.",
    )
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    actions.add_parser("list", help="the catalog and installed models, with state and fit")
    download = actions.add_parser(
        "download",
        help="download a catalog model, or any GGUF from explicit URLs",
        description=(
            "Download a catalog model by quant (Q4_K_M) or id, or any GGUF from explicit "
            "URLs with --url/--sha256/--name. Downloads resume where they stopped."
        ),
    )
    download.add_argument(
        "target",
        nargs="?",
        metavar="QUANT_OR_ID",
        help="catalog quant (e.g. Q4_K_M) or id; default: the default model",
    )
    download.add_argument(
        "--source",
        metavar="NAME_OR_URL",
        help="use only this source: a name from the catalog (huggingface, modelscope, "
        "hf-mirror.com), an HF-compatible endpoint URL, or a direct .gguf URL",
    )
    download.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="URL",
        help="explicit source URL; repeat for failover, tried in order",
    )
    download.add_argument("--sha256", metavar="HEX", help="expected sha256 (with --url)")
    download.add_argument("--size", type=int, metavar="N", help="expected size in bytes")
    download.add_argument("--name", metavar="FILE.gguf", help="file name to save as (with --url)")
    verify = actions.add_parser("verify", help="re-hash installed models and check them")
    verify.add_argument("target", nargs="?", metavar="NAME", help="one model (default: all)")
    importer = actions.add_parser("import", help="add a GGUF file you already have")
    importer.add_argument("path", metavar="PATH")
    importer.add_argument(
        "--in-place", action="store_true", help="leave the file where it is instead of copying it"
    )
    remove = actions.add_parser("remove", help="delete a model (and any partial download)")
    remove.add_argument("target", metavar="NAME")


def run(args: argparse.Namespace) -> int:
    from app.core.logsetup import configure_logging
    from app.core.paths import app_paths

    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)), to_stderr=False)
    action = getattr(args, "models_action", None) or "list"
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": _list,
        "download": _download,
        "verify": _verify,
        "import": _import,
        "remove": _remove,
    }
    try:
        return handlers[action](args)
    except _StopReportedError:
        return EXIT_INTERRUPTED
    except CancelledError:
        _err("Stopped.")
        return EXIT_INTERRUPTED
    except HearthError as exc:
        import logging

        logging.getLogger(__name__).warning("models %s failed: %s (%s)", action, exc, exc.detail)
        _err(str(exc))
        return EXIT_FAILED


# ---------------------------------------------------------------------------------------
# Output helpers


def _out(text: str = "") -> None:
    # Model names come from GGUF metadata and file names from anyone: filtered.
    print(for_terminal(text), flush=True)


def _err(text: str) -> None:
    print(for_terminal(text), file=sys.stderr, flush=True)


def _duration(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressPrinter:
    """Terminal progress: one updating line on a TTY, periodic plain lines otherwise."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = for_terminal(label, one_line=True)
        self.stream = stream if stream is not None else sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_phase = ""
        self._last_time = 0.0
        self._last_decile = -1
        self._width = 0
        self._lock = threading.Lock()

    def _emit(self, line: str, *, force_newline: bool = False) -> None:
        if self.tty:
            padded = line.ljust(self._width)
            self._width = len(line)
            self.stream.write("\r" + padded + ("\n" if force_newline else ""))
            if force_newline:
                self._width = 0
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def update(
        self,
        phase: str,
        done: int,
        total: int,
        *,
        speed: float = 0.0,
        eta: float | None = None,
        source: str = "",
        message: str = "",
    ) -> None:
        from app.core.catalog import format_bytes

        with self._lock:
            now = time.monotonic()
            percent = (100.0 * done / total) if total > 0 else 0.0
            decile = int(percent // 10)
            phase_changed = phase != self._last_phase
            if self.tty:
                due = phase_changed or now - self._last_time >= 0.1 or (total and done >= total)
            else:
                due = phase_changed or decile > self._last_decile or now - self._last_time >= 15
            if not due:
                return
            if self.tty and phase_changed and self._last_phase:
                self.stream.write("\n")
                self._width = 0
            self._last_phase, self._last_time, self._last_decile = phase, now, decile
            parts = [f"{self.label}: {phase}"]
            if total > 0:
                parts.append(f"{percent:5.1f}%  {format_bytes(done)} of {format_bytes(total)}")
            elif done:
                parts.append(format_bytes(done))
            if speed > 0:
                parts.append(f"{format_bytes(speed)}/s")
            if eta is not None and phase == "downloading":
                parts.append(f"ETA {_duration(eta)}")
            if source:
                parts.append(f"from {source}")
            # The core's messages repeat the phase ("Verifying", "Downloading from X");
            # only the others (retries, switching sources) add something.
            if message and not message.lower().startswith(phase.lower()):
                parts.append(message)
            self._emit("  ".join(parts))

    def bytes_progress(self, phase: str) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback for copying and hashing."""

        def callback(done: int, total: int) -> None:
            self.update(phase, done, total)

        return callback

    def download_progress(self, progress: Any) -> None:
        """A callback for :class:`app.core.downloads.DownloadProgress`."""
        self.update(
            progress.phase,
            progress.downloaded,
            progress.total,
            speed=progress.bytes_per_s,
            eta=progress.eta_s,
            source=progress.source,
            message=progress.message,
        )

    def finish(self) -> None:
        with self._lock:
            if self.tty and self._last_phase:
                self.stream.write("\n")
                self.stream.flush()
            self._last_phase = ""


def _run_interruptibly(work: Callable[[], T], cancel: Any, on_interrupt: Callable[[], None]) -> T:
    """Run ``work`` on a thread so Ctrl+C becomes a clean cancel rather than a traceback.

    The main thread only waits; a KeyboardInterrupt there sets the cancel token, and the
    work stops at its next check, keeping whatever it saved (a ``.part``).
    """
    box: dict[str, Any] = {}
    # Waiting on an Event rather than Thread.join: on CPython 3.11 a join interrupted by
    # Ctrl+C can leave is_alive() False while the thread is still finishing its writes.
    finished = threading.Event()

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:
            box["error"] = exc
        finally:
            finished.set()

    thread = threading.Thread(target=target, name="hearth-cli-work", daemon=True)
    thread.start()
    interrupted = False
    while not finished.is_set():
        try:
            finished.wait(timeout=0.5)
        except KeyboardInterrupt:
            if not interrupted:
                interrupted = True
                on_interrupt()
                cancel.cancel()
    if interrupted:
        raise CancelledError()
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# list


def _list(_args: argparse.Namespace) -> int:
    from app.core.catalog import estimate_ram, fit, format_bytes, load_catalog, machine_ram
    from app.core.models import catalog_entry_state, list_installed
    from app.core.paths import app_paths
    from app.core.settings import load_settings

    paths = app_paths()
    catalog = load_catalog()
    settings = load_settings(paths.settings_file)
    n_ctx = settings.effective_context()
    total, available = machine_ram()
    origin = ", ".join(str(p) for p in catalog.origins) or "built-in"
    _out(f"Catalog: {origin}")
    _out(
        f"Memory: {format_bytes(total)} total, {format_bytes(available)} free; "
        f"estimates at {n_ctx} tokens of context."
    )
    _out("")
    rows = [("", "ID", "QUANT", "SIZE", "STATE", "RAM NEED", "FIT", "MODEL")]
    for entry in catalog.models:
        state = catalog_entry_state(entry, paths.models)
        if state.state == "installed":
            state_text = "installed"
        elif state.state == "partial":
            percent = min(99.9, 100.0 * state.on_disk / entry.size) if entry.size else 0.0
            state_text = f"partial {percent:.0f}%"
        else:
            state_text = "not downloaded"
        estimate = estimate_ram(entry, n_ctx)
        verdict = fit(estimate, total, available)
        size = format_bytes(entry.size) if entry.size_exact else f"~{format_bytes(entry.size)}"
        rows.append(
            (
                "*" if entry.default else "",
                entry.id,
                entry.quant,
                size,
                state_text,
                format_bytes(estimate.total),
                verdict.fit.replace("_", " "),
                entry.name,
            )
        )
    _print_table(rows)
    others = [m for m in list_installed(paths.models, catalog) if m.entry is None]
    if others:
        _out("")
        _out("Imported models:")
        rows = [("", "NAME", "QUANT", "SIZE", "STATE", "RAM NEED", "FIT", "WHERE")]
        for model in others:
            estimate = estimate_ram(model, n_ctx)
            verdict = fit(estimate, total, available)
            quant = model.metadata.file_type if model.metadata else ""
            where = str(model.path) if model.in_place else "models folder"
            rows.append(
                (
                    "",
                    model.name,
                    quant or "?",
                    format_bytes(model.size),
                    ("registered" if model.in_place else "installed")
                    if model.available
                    else "missing",
                    format_bytes(estimate.total),
                    verdict.fit.replace("_", " "),
                    where,
                )
            )
        _print_table(rows)
    _out("")
    _out("* default model.  Download: python -m app models download QUANT_OR_ID")
    return EXIT_OK


def _print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        _out("  ".join(cells).rstrip())


# ---------------------------------------------------------------------------------------
# download


def _gateway() -> Any:
    from app.core.network import NetworkGateway
    from app.core.paths import app_paths
    from app.core.settings import load_settings

    paths = app_paths()
    settings = load_settings(paths.settings_file)
    return NetworkGateway(log_path=paths.network_log, offline=settings.offline)


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _valid_file_name(name: str) -> bool:
    return (
        bool(name)
        and name.lower().endswith(".gguf")
        and "/" not in name
        and "\\" not in name
        and not name.startswith(".")
        and name not in (".gguf",)
    )


def _download(args: argparse.Namespace) -> int:
    if args.url:
        return _download_urls(args)
    if args.sha256 or args.name or args.size is not None:
        _err(
            "--sha256, --size and --name go with --url. To download a catalog model, give "
            "its quant or id, e.g. “models download Q4_K_M”."
        )
        return EXIT_USAGE
    from app.core.catalog import CatalogError, load_catalog
    from app.core.paths import app_paths
    from app.core.settings import load_settings

    paths = app_paths()
    catalog = load_catalog()
    if args.target:
        entry = catalog.find(args.target)
    else:
        default = catalog.default_entry
        if default is None:
            raise CatalogError("The catalog has no models. Point --catalog at another file.")
        entry = default
    dest = paths.models / entry.file
    if dest.is_file():
        _out(
            f"{entry.name} is already installed ({dest}). Run “models verify "
            f"{entry.file}” to check it."
        )
        return EXIT_OK
    settings = load_settings(paths.settings_file)
    sources = catalog.sources_for(entry, custom_endpoint=settings.custom_hf_endpoint)
    rank = True
    pinned: str | None = None
    if args.source:
        sources = [_pick_source(args.source, sources, entry, catalog)]
        rank = False
    elif settings.source_preference != "auto":
        # Tried first without probing; the other sources stay as fallbacks.
        pinned = settings.source_preference
    from app.core.install import install_catalog_entry

    def report_unavailable(metadata: list[Any]) -> None:
        for item in metadata:
            if item.error:
                _out(f"  {item.source.name}: unavailable ({item.error})")

    gateway = _gateway()
    try:
        _out(f"Checking {entry.file} on {len(sources)} source(s)...")
        result = _fetch(
            entry.file,
            dest,
            lambda cancel, progress: install_catalog_entry(
                entry,
                sources,
                models_dir=paths.models,
                gateway=gateway,
                progress=progress,
                cancel=cancel,
                rank=rank,
                pinned_source=pinned,
                on_metadata=report_unavailable,
            ),
        )
    finally:
        gateway.close()
    if result.already_installed:
        _out(f"{entry.name} was installed meanwhile ({dest}).")
        return EXIT_OK
    _out(f"Installed {entry.name} at {dest}.")
    return EXIT_OK


def _pick_source(value: str, sources: list[Any], entry: Any, catalog: Any) -> Any:
    """``--source``: a catalog source by name or kind, or a URL given by the user."""
    from app.core.catalog import hf_file_url
    from app.core.downloads import Source

    wanted = value.strip()
    lowered = wanted.lower()
    for source in sources:
        if lowered in (source.name.lower(), source.kind.lower()):
            return source
    if lowered in ("hf", "hugging face"):
        return next(s for s in sources if s.kind == "huggingface")
    parts = urlsplit(wanted)
    if parts.scheme in ("http", "https") and parts.netloc:
        if parts.path.lower().endswith(".gguf") or parts.query:
            return Source(name=parts.netloc, url=wanted, kind="custom")
        hf_repo = next((s for s in entry.sources if s.kind == "huggingface"), None)
        if hf_repo is None:
            raise HearthError(
                f"{entry.name} has no Hugging Face repo, so {wanted} cannot be used as a "
                "mirror for it. Give a direct .gguf URL instead."
            )
        url = hf_file_url(wanted, hf_repo.repo, hf_repo.revision, entry.file)
        return Source(name=parts.netloc, url=url, kind="mirror")
    names = ", ".join(s.name for s in sources)
    raise HearthError(
        f"“{value}” is not one of this model's sources ({names}) and not a URL. Use one of "
        "those names, or an http(s) address."
    )


def _download_urls(args: argparse.Namespace) -> int:
    from app.core.downloads import Source
    from app.core.paths import app_paths

    problems = []
    if not args.sha256 or not _SHA256.match(args.sha256):
        problems.append("--sha256 must be the file's 64-digit hex sha256")
    if not args.name or not _valid_file_name(args.name):
        problems.append("--name must be a plain file name ending in .gguf")
    if args.size is not None and args.size <= 0:
        problems.append("--size must be a positive number of bytes")
    if args.target:
        problems.append("give either a catalog model or --url, not both")
    if args.source:
        problems.append("--source goes with a catalog model; list every URL with --url")
    for url in args.url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{url} is not an http(s) URL")
    if problems:
        _err("Cannot download: " + "; ".join(problems) + ".")
        return EXIT_USAGE
    dest = app_paths().models / args.name
    if dest.is_file():
        _out(f"{args.name} is already installed ({dest}). Remove it first to download again.")
        return EXIT_OK
    sources: list[Any] = []
    names: dict[str, int] = {}
    for url in args.url:
        host = _host(url)
        names[host] = names.get(host, 0) + 1
        name = host if names[host] == 1 else f"{host} #{names[host]}"
        sources.append(Source(name=name, url=url, kind="custom"))
    from app.core.install import install_file

    gateway = _gateway()
    try:
        result = _fetch(
            args.name,
            dest,
            lambda cancel, progress: install_file(
                sources,
                dest,
                gateway=gateway,
                expected_size=args.size,
                expected_sha256=args.sha256.lower(),
                progress=progress,
                cancel=cancel,
                rank=False,
            ),
        )
    finally:
        gateway.close()
    meta = result.metadata
    if meta is None:
        _err(f"Warning: the download is complete and its sha256 matches, but {result.warning}")
        _out(f"Saved {args.name} at {dest}.")
        return EXIT_OK
    _out(
        f"Installed {args.name} ({meta.architecture}, {meta.file_type or 'unknown quant'}) "
        f"at {dest}."
    )
    return EXIT_OK


def _fetch(file_name: str, dest: Path, install: Callable[[Any, Any], T]) -> T:
    """Run one install sequence with terminal progress; Ctrl+C stops it, keeping the .part."""
    from app.core.cancel import CancelToken
    from app.core.catalog import format_bytes
    from app.core.downloads import part_path

    printer = ProgressPrinter(file_name)
    cancel = CancelToken()

    def interrupted() -> None:
        printer.finish()
        _err("Stopping...")

    try:
        result = _run_interruptibly(
            lambda: install(cancel, printer.download_progress), cancel, interrupted
        )
    except CancelledError:
        printer.finish()
        partial = part_path(dest)
        kept = partial.stat().st_size if partial.exists() else 0
        if kept:
            _err(
                f"Stopped. {format_bytes(kept)} of {file_name} is kept in {partial}; "
                "run the same command again to resume where it stopped."
            )
        else:
            _err("Stopped before any data arrived; run the same command again to start.")
        raise _StopReportedError() from None
    except BaseException:
        printer.finish()
        raise
    printer.finish()
    return result


# ---------------------------------------------------------------------------------------
# verify, import, remove


def _verify(args: argparse.Namespace) -> int:
    from app.core.cancel import CancelToken
    from app.core.catalog import load_catalog
    from app.core.models import find_installed, list_installed, verify_installed
    from app.core.paths import app_paths

    paths = app_paths()
    catalog = load_catalog()
    if args.target:
        models = [find_installed(args.target, paths.models, catalog)]
    else:
        models = [m for m in list_installed(paths.models, catalog) if m.available]
        if not models:
            _out("No models are installed. Download one with “models download”.")
            return EXIT_OK
    failed = False
    for model in models:
        printer = ProgressPrinter(model.name)
        cancel = CancelToken()
        result = _run_interruptibly(
            lambda m=model, p=printer, c=cancel: verify_installed(  # type: ignore[misc]
                m, p.bytes_progress("verifying"), c
            ),
            cancel,
            printer.finish,
        )
        printer.finish()
        if result.ok is False:
            failed = True
            _err(result.message)
        else:
            _out(result.message)
    return EXIT_FAILED if failed else EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from app.core.cancel import CancelToken
    from app.core.catalog import estimate_ram, fit_on_this_machine, format_bytes, load_catalog
    from app.core.models import import_gguf
    from app.core.paths import app_paths
    from app.core.settings import load_settings

    paths = app_paths()
    catalog = load_catalog()
    source = Path(args.path).expanduser()
    printer = ProgressPrinter(source.name)
    cancel = CancelToken()
    model = _run_interruptibly(
        lambda: import_gguf(
            source,
            copy=not args.in_place,
            progress=printer.bytes_progress("copying"),
            cancel=cancel,
            models_dir=paths.models,
            catalog=catalog,
        ),
        cancel,
        printer.finish,
    )
    printer.finish()
    meta = model.metadata
    how = "registered in place" if model.in_place else f"copied to {model.path}"
    _out(f"Imported {model.name} ({how}).")
    if meta is not None:
        params = f"{meta.parameter_count / 1e9:.2f}B parameters" if meta.parameter_count else ""
        _out(
            f"  {meta.name}: {meta.architecture}, {meta.file_type or 'unknown quant'}"
            + (f", {params}" if params else "")
        )
        ctx = f"{meta.context_length} tokens" if meta.context_length else "unknown"
        template = "yes" if meta.has_chat_template else "no (a generic one will be used)"
        _out(
            f"  context length: {ctx}; chat template: {template}; GGUF v{meta.gguf_version}; "
            f"{format_bytes(meta.file_size)}"
        )
    n_ctx = load_settings(paths.settings_file).effective_context()
    _out(f"  {fit_on_this_machine(estimate_ram(model, n_ctx)).message}")
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from app.core.catalog import load_catalog
    from app.core.models import remove_model
    from app.core.paths import app_paths

    outcome = remove_model(args.target, models_dir=app_paths().models, catalog=load_catalog())
    if outcome == "unregistered":
        _out(f"Removed {args.target} from Hearth's list; the file itself was left where it is.")
    elif outcome == "partial_deleted":
        _out(f"Deleted the partial download of {args.target}.")
    else:
        _out(f"Deleted {args.target}.")
    return EXIT_OK
