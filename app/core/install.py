"""The one install sequence: ask the sources, download (with failover), verify, move into
place, record. The GUI's download worker and ``python -m app models download`` both call it.

* :func:`install_catalog_entry`: a catalog model. Every source is asked for the file's size
  and sha256 first; a source whose answer contradicts the catalog's pin is left out (it is
  a failed source, not the end of the download) unless no source is left. Sources that did
  not answer go last, not away: a flaky host may still serve bytes in a failover.
* :func:`install_file`: any file from explicit sources with a known sha256.

Both download through :func:`~app.core.downloads.download_file`, which holds the file's
lock (so a second window or command waits and then reuses the first one's file), verifies
the bytes on disk before ``os.replace`` and fails over on any fault of a source. The
verified sha256 is then recorded for *Verify*, and the header read for the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.cancel import CancelToken
from app.core.catalog import CatalogEntry
from app.core.downloads import DownloadProgress, Source, download_file, part_path
from app.core.errors import DownloadError, HearthError
from app.core.gguf import GgufMetadata, validate_gguf
from app.core.models import record_download
from app.core.network import NetworkGateway
from app.core.source_metadata import SourceMetadata, fetch_source_metadata, resolve_expected

log = logging.getLogger(__name__)

ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True, slots=True)
class InstallResult:
    path: Path
    #: The verified sha256 (None when the file was already installed and not re-checked).
    sha256: str | None
    #: True when the file was there before this call (nothing was downloaded).
    already_installed: bool = False
    #: The header of the installed file; None when it is not a usable chat model.
    metadata: GgufMetadata | None = None
    #: Why the installed file is not a usable chat model ("" when it is).
    warning: str = ""


def install_catalog_entry(
    entry: CatalogEntry,
    sources: Sequence[Source],
    *,
    models_dir: Path,
    gateway: NetworkGateway,
    progress: ProgressCallback,
    cancel: CancelToken,
    rank: bool = True,
    pinned_source: str | None = None,
    on_metadata: Callable[[list[SourceMetadata]], None] | None = None,
) -> InstallResult:
    """Download, verify and record one catalog model into ``models_dir``."""
    dest = Path(models_dir) / entry.file
    if dest.is_file():
        log.info("install: %s is already installed", dest)
        return InstallResult(dest, None, already_installed=True)
    leftover = part_path(dest)
    progress(
        DownloadProgress(
            phase="checking",
            downloaded=leftover.stat().st_size if leftover.is_file() else 0,
            total=entry.size,
            bytes_per_s=0.0,
            eta_s=None,
            source="",
            message="Checking the sources",
        )
    )
    metadata = fetch_source_metadata(entry, list(sources), gateway, cancel=cancel)
    if on_metadata is not None:
        on_metadata(metadata)
    size, sha256, ordered = plan_sources(entry, list(sources), metadata)
    return install_file(
        ordered,
        dest,
        gateway=gateway,
        expected_size=size,
        expected_sha256=sha256,
        progress=progress,
        cancel=cancel,
        rank=rank,
        pinned_source=pinned_source,
        # An embedding entry (the Library's) is a BERT-like model, which is no chat model.
        allow_embedding=entry.role == "embedding",
    )


def plan_sources(
    entry: CatalogEntry, sources: list[Source], metadata: Sequence[SourceMetadata]
) -> tuple[int | None, str, list[Source]]:
    """(size, sha256, sources in the order to try) from what the sources said.

    A source that contradicts the catalog's pinned sha256 or exact size is dropped and
    logged; only when every source that answered contradicts it does the download stop,
    with the reason of each.
    """
    contradicting: list[SourceMetadata] = []
    kept: list[SourceMetadata] = []
    for item in metadata:
        wrong_sha = entry.sha256 is not None and item.sha256 not in (None, entry.sha256)
        wrong_size = entry.size_exact and item.size not in (None, entry.size)
        if item.error == "" and (wrong_sha or wrong_size):
            contradicting.append(item)
        else:
            kept.append(item)
    if contradicting and not any(item.error == "" for item in kept):
        if len(contradicting) == 1:
            resolve_expected(entry, contradicting)  # raises the sentence naming the source
        reasons = "; ".join(_contradiction(entry, item) for item in contradicting)
        raise DownloadError.of(
            "download.catalog_contradicted",
            name=entry.file,
            reasons=reasons,
            detail="; ".join(f"{m.source.url}: {m.size} {m.sha256}" for m in contradicting),
        )
    for item in contradicting:
        log.warning("install: leaving out %s: %s", item.source.name, _contradiction(entry, item))
    size, sha256 = resolve_expected(entry, kept)
    dropped = {item.source.url for item in contradicting}
    reachable = {item.source.url for item in kept if not item.error}
    ordered = [s for s in sources if s.url in reachable] + [
        s for s in sources if s.url not in reachable and s.url not in dropped
    ]
    return size, sha256, ordered


def _contradiction(entry: CatalogEntry, item: SourceMetadata) -> str:
    if entry.sha256 is not None and item.sha256 not in (None, entry.sha256):
        return f"{item.source.name} publishes a different sha256"
    return f"{item.source.name} reports a different size ({item.size:,} bytes)"


def install_file(
    sources: Sequence[Source],
    dest: Path,
    *,
    gateway: NetworkGateway,
    expected_size: int | None,
    expected_sha256: str,
    progress: ProgressCallback,
    cancel: CancelToken,
    rank: bool = True,
    pinned_source: str | None = None,
    allow_embedding: bool = False,
) -> InstallResult:
    """Download ``dest`` from ``sources``, verified against ``expected_sha256``, and record it.

    The header is then read: ``metadata`` is None (with a ``warning``) when the file is not
    a usable chat model, or, with ``allow_embedding``, not an embedding model either."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    path = download_file(
        list(sources),
        dest,
        gateway=gateway,
        expected_size=expected_size,
        expected_sha256=expected_sha256,
        progress=progress,
        cancel=cancel,
        rank=rank,
        pinned_source=pinned_source,
    )
    record_download(dest.parent, path.name, expected_sha256)
    try:
        metadata: GgufMetadata | None = validate_gguf(path, allow_embedding=allow_embedding)
        warning = ""
    except HearthError as exc:
        log.warning("install: %s is installed but not usable: %s", path, exc)
        metadata, warning = None, str(exc)
    return InstallResult(path, expected_sha256.lower(), False, metadata, warning)
