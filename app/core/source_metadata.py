"""What each source says about a catalog file before a byte is fetched, and the size and
sha256 to download against.

:func:`fetch_source_metadata` asks every source at once (a ``HEAD`` on Hugging Face and its
mirrors, the file listing on ModelScope); :func:`resolve_expected` checks the answers
against the catalog's pins and against each other. The install sequence
(:mod:`app.core.install`) leaves out a source that contradicts a pin.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from app.core.cancel import CancelToken
from app.core.catalog import (
    _HEX_CHARS,
    CatalogEntry,
    CatalogSource,
    modelscope_listing_url,
)
from app.core.downloads import Source
from app.core.errors import DownloadError, HearthError, OfflineError

if TYPE_CHECKING:
    from app.core.network import NetworkGateway

log = logging.getLogger("app.core.catalog")


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


@dataclass(frozen=True, slots=True)
class SourceMetadata:
    """What one source says about a file before we fetch it; None where it says nothing."""

    source: Source
    size: int | None
    sha256: str | None
    #: Why the source said nothing (unreachable, 404...); empty when it answered.
    error: str = ""


def _normalize_sha(value: str | None) -> str | None:
    """A quoted ETag (``"<sha256>"`` or ``W/"…"``) to lower-case hex; None unless sha256.

    Hugging Face sends the sha256 of LFS files as the ETag of the linked blob; for small
    files kept in git the ETag is a 40-digit git sha1, which is not a content hash we
    can check, so it is ignored.
    """
    if not value:
        return None
    cleaned = value.strip()
    cleaned = cleaned.removeprefix("W/").strip('"').lower()
    return cleaned if len(cleaned) == 64 and set(cleaned) <= _HEX_CHARS else None


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return str(value) if value is not None else None


def _hf_head(url: str, gateway: NetworkGateway, timeout: float) -> tuple[int | None, str | None]:
    """Size and sha256 of a file on an HF-compatible endpoint, from a HEAD.

    As ``huggingface_hub.get_hf_file_metadata`` does: redirects within the same host are
    followed (renamed repos), a redirect to another host (the CDN) is not, because the
    hub's own answer carries ``X-Linked-Size`` and ``X-Linked-Etag`` (the sha256 of an LFS
    file). ``Accept-Encoding: identity`` keeps the reported size the real one.
    """
    headers = {"Accept-Encoding": "identity"}
    for _ in range(5):
        response = gateway.request(
            "HEAD", url, headers=headers, timeout=timeout, follow_redirects=False
        )
        status = int(response.status)
        location = _header(response.headers, "Location")
        linked_size = _int_or_none(_header(response.headers, "X-Linked-Size"))
        linked_sha = _normalize_sha(_header(response.headers, "X-Linked-Etag"))
        if 300 <= status < 400 and location:
            target = urljoin(url, location)
            if linked_size is not None or linked_sha is not None or _host(target) != _host(url):
                return linked_size, linked_sha
            url = target
            continue
        if status >= 400:
            raise DownloadError.of(
                "download.http_status", status=status, detail=f"HEAD {url} -> {status}"
            )
        size = linked_size
        if size is None:
            size = _int_or_none(_header(response.headers, "Content-Length"))
        sha = linked_sha or _normalize_sha(_header(response.headers, "ETag"))
        return size, sha
    raise DownloadError.of("download.too_many_redirects", detail=url)


def _modelscope_listing(
    entry: CatalogEntry,
    src: CatalogSource,
    endpoint: str,
    gateway: NetworkGateway,
    timeout: float,
) -> tuple[int | None, str | None]:
    """Size and sha256 from ModelScope's file listing (``Data.Files[].Size/Sha256``)."""
    url = modelscope_listing_url(endpoint, src.repo, src.revision)
    response = gateway.request("GET", url, headers={"Accept": "application/json"}, timeout=timeout)
    if int(response.status) >= 400:
        raise DownloadError.of(
            "download.modelscope_status", status=int(response.status), detail=f"GET {url}"
        )
    try:
        body = response.json()
    except ValueError as exc:
        raise DownloadError.of("download.modelscope_not_json", detail=url) from exc
    data = body.get("Data", body) if isinstance(body, dict) else body
    files = (data.get("Files") or data.get("files") or []) if isinstance(data, dict) else data
    if not isinstance(files, list):
        raise DownloadError.of("download.modelscope_bad_list", detail=url)
    for item in files:
        if not isinstance(item, dict):
            continue
        path = item.get("Path") or item.get("path") or item.get("Name")
        if path == entry.file:
            size = _int_or_none(item.get("Size", item.get("size")))
            sha = item.get("Sha256") or item.get("sha256")
            return size, _normalize_sha(sha if isinstance(sha, str) else None)
    raise DownloadError.of(
        "download.modelscope_no_file", name=entry.file, repo=src.repo, detail=url
    )


def fetch_source_metadata(
    entry: CatalogEntry,
    sources: Sequence[Source],
    gateway: NetworkGateway,
    *,
    modelscope_endpoint: str | None = None,
    timeout: float = 10.0,
    cancel: CancelToken | None = None,
) -> list[SourceMetadata]:
    """Ask every source, all at once, for the file's size and sha256 (a HEAD or a listing).

    Results come back in the order of ``sources``. A source that cannot answer is
    reported with ``error`` set rather than raising: one blocked host must not stop a
    download the others can serve (asking in parallel means it does not delay them
    either). Offline mode (:class:`~app.core.errors.OfflineError`) and a cancel raise.
    """
    ms_sources = [s for s in entry.sources if s.kind == "modelscope"]

    def ask(source: Source) -> SourceMetadata:
        try:
            if source.kind == "modelscope" and ms_sources:
                src = ms_sources[0]
                endpoint = modelscope_endpoint or _modelscope_endpoint_of(source.url, src.repo)
                size, sha = _modelscope_listing(entry, src, endpoint, gateway, timeout)
            else:
                size, sha = _hf_head(source.url, gateway, timeout)
        except OfflineError:
            raise
        except HearthError as exc:
            log.info("metadata: %s gave nothing (%s; %s)", source.name, exc, exc.detail)
            return SourceMetadata(source, None, None, error=str(exc))
        except (OSError, ValueError) as exc:
            log.info("metadata: %s failed: %r", source.name, exc)
            return SourceMetadata(source, None, None, error=str(exc) or repr(exc))
        log.info("metadata: %s reports size=%s sha256=%s", source.name, size, sha)
        return SourceMetadata(source, size, sha)

    if not sources:
        return []
    executor = ThreadPoolExecutor(max_workers=len(sources), thread_name_prefix="metadata")
    try:
        futures = [executor.submit(ask, source) for source in sources]
        pending = set(futures)
        while pending:
            if cancel is not None:
                cancel.raise_if_cancelled()
            _done, pending = wait_futures(pending, timeout=0.1, return_when=FIRST_COMPLETED)
        return [future.result() for future in futures]
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _modelscope_endpoint_of(url: str, repo: str) -> str:
    """The endpoint part of a ModelScope download URL (everything before ``/api/v1``)."""
    marker = f"/api/v1/models/{repo}/"
    index = url.find(marker)
    if index >= 0:
        return url[:index]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _short(sha: str) -> str:
    return f"{sha[:12]}…"


def resolve_expected(
    entry: CatalogEntry, metadata: Sequence[SourceMetadata]
) -> tuple[int | None, str]:
    """The size and sha256 to download against, checked against every source's answer.

    - A pinned value is the expectation; any source reporting something else stops the
      download with a message naming that source (never silently prefer one side).
    - Without a pinned sha256, the sources that report one must agree, and at least one
      must report it: Hearth does not fetch a file it cannot verify.
    - An approximate size is replaced by the sources' exact size, which must agree too;
      the size is None only when no source reported one (the hash still guards it).
    """
    name = entry.file
    answered = [m for m in metadata if m.error == ""]
    sized = [m for m in answered if m.size is not None]
    hashed = [m for m in answered if m.sha256 is not None]

    if entry.sha256 is not None:
        for m in hashed:
            if m.sha256 != entry.sha256:
                raise DownloadError.of(
                    "download.source_sha_differs",
                    source=m.source.name,
                    mirror=m.source.name,
                    name=name,
                    found=_short(m.sha256 or ""),
                    pinned=_short(entry.sha256),
                    detail=f"catalog={entry.sha256} {m.source.name}={m.sha256} ({m.source.url})",
                )
        sha = entry.sha256
    else:
        distinct = {m.sha256 for m in hashed}
        if len(distinct) > 1:
            listing = ", ".join(f"{m.source.name} {_short(m.sha256 or '')}" for m in hashed)
            raise DownloadError.of(
                "download.sources_disagree_sha",
                name=name,
                listing=listing,
                detail="; ".join(f"{m.source.url}={m.sha256}" for m in hashed),
            )
        if not distinct:
            reasons = "; ".join(f"{m.source.name}: {m.error or 'no sha256'}" for m in metadata)
            raise DownloadError.of("download.no_sha", name=name, detail=reasons)
        sha = distinct.pop() or ""

    if entry.size_exact:
        for m in sized:
            if m.size != entry.size:
                raise DownloadError.of(
                    "download.source_size_differs",
                    source=m.source.name,
                    mirror=m.source.name,
                    name=name,
                    size=m.size or 0,
                    pinned=entry.size,
                    detail=f"catalog={entry.size} {m.source.name}={m.size} ({m.source.url})",
                )
        return entry.size, sha
    sizes = {m.size for m in sized}
    if len(sizes) > 1:
        listing = ", ".join(f"{m.source.name} {m.size:,}" for m in sized)
        raise DownloadError.of(
            "download.sources_disagree_size", name=name, listing=listing, detail=listing
        )
    return (sizes.pop() if sizes else None), sha
