"""The model catalog: what can be downloaded, from where, and whether it fits this machine.

The catalog is a versioned JSON file (``resources/catalog.json``). ``HEARTH_CATALOG`` (or
``--catalog``, which sets it) replaces it with another file; offline sites and tests use
this. A user's own additions live in ``<config>/catalog.json`` and are merged on top: an
entry with the same id replaces the built-in one, mirrors are appended.

Sources for an entry are built in a fixed order: Hugging Face, then the HF-compatible
mirrors (same paths on another base URL, plus the user's own endpoint), then ModelScope.

Pinned sizes and hashes come from stored public pages, so they are treated as an
expectation to check, not a truth: :mod:`app.core.source_metadata` compares them with the
live metadata of every source before the first byte is fetched.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, quote_plus, urlsplit

import psutil

from app.core.downloads import Source
from app.core.errors import HearthError
from app.core.paths import app_paths, resource_path

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

CATALOG_VERSION = 1
ENV_CATALOG = "HEARTH_CATALOG"
USER_CATALOG_NAME = "catalog.json"

HF_ENDPOINT = "https://huggingface.co"
MODELSCOPE_ENDPOINT = "https://www.modelscope.cn"

SourceKind = Literal["huggingface", "modelscope", "url"]
_SOURCE_KINDS: tuple[str, ...] = ("huggingface", "modelscope", "url")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_HEX_CHARS = frozenset("0123456789abcdef")

#: Bytes per element of the KV cache at f16, the llama.cpp default.
KV_F16_BYTES = 2

#: Memory a loaded model needs beyond its weights and KV cache, in bytes.
#: About 300 MiB is llama.cpp's CPU compute buffer: it is dominated by the logits of one
#: 512-token micro-batch over Qwen's 152k-token vocabulary (152k x 512 x 4 B = 297 MiB);
#: llama.cpp reports 290-310 MiB for the 1.5B at 4k-16k context. The remaining ~200 MiB
#: is Hearth's own process (Python, Qt, the chat store) while a model is loaded.
RUNTIME_OVERHEAD_BYTES = 512 * 1024 * 1024

#: ``fit``: a model that needs more than this share of total RAM cannot run here at all;
#: the OS and the desktop need the rest.
_TOTAL_RAM_SHARE = 0.85
#: ``fit``: a model "fits" when it needs at most this share of the RAM free right now;
#: above it, it only fits once other apps are closed ("tight").
_AVAILABLE_RAM_SHARE = 0.9


class CatalogError(HearthError):
    """A catalog file is missing, unreadable, or not a valid catalog."""


# ---------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class CatalogSource:
    """Where an entry's file is published: a repo on a hub, or one plain URL."""

    kind: SourceKind
    repo: str = ""
    revision: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Mirror:
    """An HF-compatible endpoint: the same ``/{repo}/resolve/{revision}/{file}`` paths."""

    name: str
    endpoint: str


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: str
    name: str
    family: str
    quant: str
    file: str
    #: Bytes; exact when ``size_exact``, otherwise an approximation for display and the
    #: RAM estimate (the exact size comes from the sources' metadata before download).
    size: int
    size_exact: bool
    #: Lower-case hex, or None when only the sources' metadata can tell.
    sha256: str | None
    params: float
    n_layers: int
    n_kv_heads: int
    head_dim: int
    license: str
    default: bool
    sources: tuple[CatalogSource, ...]
    description: str = ""
    #: "chat" (the model manager's models) or "embedding" (for the Library's vectors; see
    #: app/core/knowledge). Entries without it are chat models.
    role: Literal["chat", "embedding"] = "chat"
    #: Where the entry's facts (repo, file, size, sha256) were read, for maintainers.
    provenance: str = ""

    @property
    def checksum_published(self) -> bool:
        """False when the catalog pins no sha256: the download then checks the sources'
        reported sha256, the size and the GGUF header (the UI says "checksum not published")."""
        return self.sha256 is not None

    @property
    def kv_bytes_per_token(self) -> int:
        """KV cache bytes per token at f16: K and V, for every layer and KV head."""
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * KV_F16_BYTES


@dataclass(frozen=True, slots=True)
class Catalog:
    version: int
    models: tuple[CatalogEntry, ...]
    mirrors: tuple[Mirror, ...] = ()
    hf_endpoint: str = HF_ENDPOINT
    modelscope_endpoint: str = MODELSCOPE_ENDPOINT
    #: The files this catalog was read from, for messages.
    origins: tuple[Path, ...] = field(default=())

    def get(self, entry_id: str) -> CatalogEntry | None:
        wanted = entry_id.strip().lower()
        return next((e for e in self.models if e.id.lower() == wanted), None)

    @property
    def default_entry(self) -> CatalogEntry | None:
        return next((e for e in self.models if e.default), self.models[0] if self.models else None)

    @property
    def chat_models(self) -> tuple[CatalogEntry, ...]:
        return tuple(e for e in self.models if e.role == "chat")

    @property
    def embedding_models(self) -> tuple[CatalogEntry, ...]:
        """The Library's embedding models: listed in the manager's own section, never as a
        chat model."""
        return tuple(e for e in self.models if e.role == "embedding")

    def by_file(self, file_name: str) -> CatalogEntry | None:
        return next((e for e in self.models if e.file == file_name), None)

    def find(self, query: str) -> CatalogEntry:
        """An entry by id, or by quant name (``Q4_K_M``), preferring the default family.

        Raises :class:`CatalogError` naming the candidates when the query is unknown or
        matches several entries.
        """
        exact = self.get(query)
        if exact is not None:
            return exact
        wanted = query.strip().lower()
        by_file = next((e for e in self.models if e.file.lower() == wanted), None)
        if by_file is not None:
            return by_file
        matches = [e for e in self.models if e.quant.lower() == wanted]
        default = self.default_entry
        if len(matches) > 1 and default is not None:
            in_family = [e for e in matches if e.family == default.family]
            if len(in_family) == 1:
                return in_family[0]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(e.id for e in (matches or list(self.models)))
        if matches:
            raise CatalogError.of("catalog.ambiguous", query=query, known=known)
        raise CatalogError.of("catalog.unknown_model", query=query, known=known)

    def sources_for(self, entry: CatalogEntry, *, custom_endpoint: str = "") -> list[Source]:
        """:func:`sources_for` with this catalog's mirrors and endpoints."""
        return sources_for(
            entry,
            mirrors=self.mirrors,
            custom_endpoint=custom_endpoint,
            hf_endpoint=self.hf_endpoint,
            modelscope_endpoint=self.modelscope_endpoint,
        )


# ---------------------------------------------------------------------------------------
# Loading and validation


def builtin_catalog_path() -> Path:
    return resource_path("catalog.json")


def user_catalog_path() -> Path:
    return app_paths().config / USER_CATALOG_NAME


def load_catalog(path: Path | None = None, *, include_user: bool = True) -> Catalog:
    """Read the catalog: ``path``, else ``HEARTH_CATALOG``, else the built-in file.

    The user's catalog file (``<config>/catalog.json``), if present, is merged on top
    unless ``include_user`` is false. Raises :class:`CatalogError` with a readable
    message for a missing or invalid file.
    """
    if path is None:
        override = os.environ.get(ENV_CATALOG, "").strip()
        path = Path(override).expanduser() if override else builtin_catalog_path()
    catalog = parse_catalog(_read_json(path), origin=path)
    if include_user:
        user_path = user_catalog_path()
        if user_path.is_file() and user_path.resolve() != Path(path).resolve():
            catalog = merge_catalogs(
                catalog, parse_catalog(_read_json(user_path), origin=user_path)
            )
    return catalog


def merge_catalogs(base: Catalog, extra: Catalog) -> Catalog:
    """``extra`` on top of ``base``: same-id entries replace, new ones and mirrors append."""
    models = {e.id: e for e in base.models}
    for entry in extra.models:
        if entry.id in models:
            log.info("catalog: %s from %s replaces the built-in entry", entry.id, extra.origins)
        models[entry.id] = entry
    known = {m.endpoint for m in base.mirrors}
    mirrors = base.mirrors + tuple(m for m in extra.mirrors if m.endpoint not in known)
    merged_models = tuple(models.values())
    if sum(e.default for e in merged_models) > 1:
        # The user's default wins over the built-in one.
        user_default = next((e.id for e in extra.models if e.default), None)
        merged_models = tuple(
            replace(e, default=e.id == user_default) if e.default else e for e in merged_models
        )
    return Catalog(
        version=base.version,
        models=merged_models,
        mirrors=mirrors,
        hf_endpoint=extra.hf_endpoint if extra.hf_endpoint != HF_ENDPOINT else base.hf_endpoint,
        modelscope_endpoint=(
            extra.modelscope_endpoint
            if extra.modelscope_endpoint != MODELSCOPE_ENDPOINT
            else base.modelscope_endpoint
        ),
        origins=base.origins + extra.origins,
    )


def _read_json(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError.of("catalog.missing", path=str(path), detail=repr(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError.of("catalog.unreadable", path=str(path), detail=repr(exc)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError.of(
            "catalog.not_json",
            path=str(path),
            line=exc.lineno,
            column=exc.colno,
            problem=exc.msg,
            detail=repr(exc),
        ) from exc


class _Problems:
    """Collects validation problems so one message can list them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


def parse_catalog(raw: Any, *, origin: Path | None = None) -> Catalog:
    """Validate a decoded catalog document; raises :class:`CatalogError` listing problems."""
    where_file = str(origin) if origin else "the catalog"
    problems = _Problems()
    if not isinstance(raw, dict):
        raise CatalogError.of("catalog.bad_shape", path=where_file)
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        problems.add("version", "missing or not a whole number")
    elif version > CATALOG_VERSION:
        problems.add(
            "version", f"{version} is newer than this Hearth understands ({CATALOG_VERSION})"
        )
    endpoints = raw.get("endpoints", {})
    hf_endpoint, ms_endpoint = HF_ENDPOINT, MODELSCOPE_ENDPOINT
    if not isinstance(endpoints, dict):
        problems.add("endpoints", "must be an object")
    else:
        hf_endpoint = (
            _endpoint(endpoints.get("huggingface", HF_ENDPOINT), "endpoints.huggingface", problems)
            or HF_ENDPOINT
        )
        ms_endpoint = (
            _endpoint(
                endpoints.get("modelscope", MODELSCOPE_ENDPOINT), "endpoints.modelscope", problems
            )
            or MODELSCOPE_ENDPOINT
        )
    mirrors = _parse_mirrors(raw.get("mirrors", []), problems)
    models_raw = raw.get("models")
    models: list[CatalogEntry] = []
    if not isinstance(models_raw, list):
        problems.add("models", "missing or not a list")
    else:
        for index, item in enumerate(models_raw, start=1):
            entry = _parse_entry(item, index, problems)
            if entry is not None:
                models.append(entry)
        seen: set[str] = set()
        for entry in models:
            if entry.id in seen:
                problems.add(f"model “{entry.id}”", "the id is used twice")
            seen.add(entry.id)
        if sum(e.default for e in models) > 1:
            problems.add("models", "more than one entry is marked default")
    if problems.items:
        listed = "; ".join(problems.items[:5])
        more = f" (and {len(problems.items) - 5} more)" if len(problems.items) > 5 else ""
        raise CatalogError.of(
            "catalog.invalid",
            path=where_file,
            problems=listed + more,
            detail="\n".join(problems.items),
        )
    return Catalog(
        version=int(version),  # type: ignore[arg-type]
        models=tuple(models),
        mirrors=tuple(mirrors),
        hf_endpoint=hf_endpoint,
        modelscope_endpoint=ms_endpoint,
        origins=(origin,) if origin else (),
    )


def _endpoint(value: Any, where: str, problems: _Problems) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        problems.add(where, "must be an http(s) URL")
        return ""
    if not urlsplit(value).netloc:
        problems.add(where, "must be an http(s) URL with a host")
        return ""
    return value.rstrip("/")


def _parse_mirrors(raw: Any, problems: _Problems) -> list[Mirror]:
    if not isinstance(raw, list):
        problems.add("mirrors", "must be a list")
        return []
    mirrors: list[Mirror] = []
    for index, item in enumerate(raw, start=1):
        where = f"mirror {index}"
        if not isinstance(item, dict):
            problems.add(where, "must be an object with “name” and “endpoint”")
            continue
        endpoint = _endpoint(item.get("endpoint"), f"{where}.endpoint", problems)
        name = item.get("name") or urlsplit(endpoint).netloc
        if endpoint:
            mirrors.append(Mirror(name=str(name), endpoint=endpoint))
    return mirrors


def _parse_entry(item: Any, index: int, problems: _Problems) -> CatalogEntry | None:
    if not isinstance(item, dict):
        problems.add(f"model {index}", "must be an object")
        return None
    label = item.get("id") if isinstance(item.get("id"), str) else None
    where = f"model {index} (“{label}”)" if label else f"model {index}"
    before = len(problems.items)

    def text(key: str, *, required: bool = True, default: str = "") -> str:
        value = item.get(key, None)
        if value is None:
            if required:
                problems.add(where, f"“{key}” is missing")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            problems.add(where, f"“{key}” must be a non-empty string")
            return default
        return value.strip()

    def whole(container: dict[str, Any], key: str, label_key: str) -> int:
        value = container.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.add(where, f"“{label_key}” must be a positive whole number")
            return 0
        return value

    entry_id = text("id")
    if entry_id and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", entry_id):
        problems.add(where, "“id” may hold only letters, digits, “.”, “_” and “-”")
    file_name = text("file")
    if file_name and (
        not file_name.lower().endswith(".gguf")
        or "/" in file_name
        or "\\" in file_name
        or file_name.startswith(".")
    ):
        problems.add(where, "“file” must be a plain file name ending in .gguf")
    size = whole(item, "size", "size")
    size_exact = item.get("size_exact", True)
    if not isinstance(size_exact, bool):
        problems.add(where, "“size_exact” must be true or false")
        size_exact = True
    sha = item.get("sha256")
    if sha is not None and (not isinstance(sha, str) or not _SHA256_RE.match(sha.lower())):
        problems.add(where, "“sha256” must be 64 hex digits or null")
        sha = None
    params = item.get("params")
    if not isinstance(params, int | float) or isinstance(params, bool) or params <= 0:
        problems.add(where, "“params” must be a positive number")
        params = 0.0
    arch = item.get("architecture")
    n_layers = n_kv_heads = head_dim = 0
    if not isinstance(arch, dict):
        problems.add(where, "“architecture” must be an object with n_layers, n_kv_heads, head_dim")
    else:
        n_layers = whole(arch, "n_layers", "architecture.n_layers")
        n_kv_heads = whole(arch, "n_kv_heads", "architecture.n_kv_heads")
        head_dim = whole(arch, "head_dim", "architecture.head_dim")
    default = item.get("default", False)
    if not isinstance(default, bool):
        problems.add(where, "“default” must be true or false")
        default = False
    sources = _parse_sources(item.get("sources"), where, problems)
    role = item.get("role", "chat")
    if role not in ("chat", "embedding"):
        problems.add(where, "“role” must be “chat” or “embedding”")
        role = "chat"
    if role == "embedding" and default:
        problems.add(where, "an embedding model cannot be the default (chat) model")
    if len(problems.items) > before:
        return None
    return CatalogEntry(
        id=entry_id,
        name=text("name", required=False, default=entry_id) or entry_id,
        family=text("family", required=False, default=""),
        quant=text("quant"),
        file=file_name,
        size=size,
        size_exact=size_exact,
        sha256=sha.lower() if isinstance(sha, str) else None,
        params=float(params),
        n_layers=n_layers,
        n_kv_heads=n_kv_heads,
        head_dim=head_dim,
        license=text("license", required=False, default=""),
        default=default,
        sources=tuple(sources),
        description=text("description", required=False, default=""),
        role=role,
        provenance=text("provenance", required=False, default=""),
    )


def _parse_sources(raw: Any, where: str, problems: _Problems) -> list[CatalogSource]:
    if not isinstance(raw, list) or not raw:
        problems.add(where, "“sources” must be a non-empty list")
        return []
    sources: list[CatalogSource] = []
    for number, item in enumerate(raw, start=1):
        place = f"{where} source {number}"
        if not isinstance(item, dict) or item.get("kind") not in _SOURCE_KINDS:
            problems.add(place, f"“kind” must be one of {', '.join(_SOURCE_KINDS)}")
            continue
        kind = item["kind"]
        if kind == "url":
            url = item.get("url")
            if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
                problems.add(place, "“url” must be an http(s) URL")
                continue
            sources.append(CatalogSource(kind="url", url=url))
            continue
        repo = item.get("repo")
        if not isinstance(repo, str) or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            problems.add(place, "“repo” must look like “owner/name”")
            continue
        default_revision = "main" if kind == "huggingface" else "master"
        revision = item.get("revision", default_revision)
        if not isinstance(revision, str) or not revision:
            problems.add(place, "“revision” must be a non-empty string")
            continue
        sources.append(CatalogSource(kind=kind, repo=repo, revision=revision))
    return sources


# ---------------------------------------------------------------------------------------
# Source URLs


def hf_file_url(endpoint: str, repo: str, revision: str, file_name: str) -> str:
    """``{endpoint}/{repo}/resolve/{revision}/{file}``, quoted like ``hf_hub_url`` does."""
    return f"{endpoint.rstrip('/')}/{repo}/resolve/{quote(revision, safe='')}/{quote(file_name)}"


def modelscope_file_url(endpoint: str, repo: str, revision: str, file_name: str) -> str:
    """ModelScope's per-file download API, as ``modelscope.hub.file_download`` builds it."""
    return (
        f"{endpoint.rstrip('/')}/api/v1/models/{repo}/repo"
        f"?Revision={quote_plus(revision)}&FilePath={quote_plus(file_name)}"
    )


def modelscope_listing_url(endpoint: str, repo: str, revision: str) -> str:
    """ModelScope's recursive file listing, which carries ``Size`` and ``Sha256``."""
    return (
        f"{endpoint.rstrip('/')}/api/v1/models/{repo}/repo/files"
        f"?Revision={quote_plus(revision)}&Recursive=True"
    )


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def sources_for(
    entry: CatalogEntry,
    *,
    mirrors: Sequence[Mirror] = (),
    custom_endpoint: str = "",
    hf_endpoint: str = HF_ENDPOINT,
    modelscope_endpoint: str = MODELSCOPE_ENDPOINT,
) -> list[Source]:
    """Download sources in order: Hugging Face, HF mirrors (then the user's), ModelScope.

    Plain-URL catalog sources keep their place after the hubs. Names are unique: they are
    what a user pins and what messages blame.
    """
    hf: list[Source] = []
    hf_mirrors: list[Source] = []
    modelscope: list[Source] = []
    plain: list[Source] = []
    endpoints: list[tuple[str, str]] = [(m.name, m.endpoint.rstrip("/")) for m in mirrors]
    custom = custom_endpoint.strip().rstrip("/")
    if custom and custom not in {e for _, e in endpoints} and custom != hf_endpoint.rstrip("/"):
        endpoints.append((f"{_host(custom)} (your mirror)", custom))
    for src in entry.sources:
        if src.kind == "huggingface":
            hf.append(
                Source(
                    name="Hugging Face",
                    url=hf_file_url(hf_endpoint, src.repo, src.revision, entry.file),
                    kind="huggingface",
                )
            )
            for name, endpoint in endpoints:
                hf_mirrors.append(
                    Source(
                        name=name,
                        url=hf_file_url(endpoint, src.repo, src.revision, entry.file),
                        kind="mirror",
                    )
                )
        elif src.kind == "modelscope":
            modelscope.append(
                Source(
                    name="ModelScope",
                    url=modelscope_file_url(
                        modelscope_endpoint, src.repo, src.revision, entry.file
                    ),
                    kind="modelscope",
                )
            )
        else:
            plain.append(Source(name=_host(src.url), url=src.url, kind="custom"))
    ordered = hf + hf_mirrors + modelscope + plain
    return _unique_names(ordered)


def _unique_names(sources: Iterable[Source]) -> list[Source]:
    seen_urls: set[str] = set()
    counts: dict[str, int] = {}
    result: list[Source] = []
    for source in sources:
        if source.url in seen_urls:
            continue
        seen_urls.add(source.url)
        counts[source.name] = counts.get(source.name, 0) + 1
        if counts[source.name] > 1:
            source = replace(source, name=f"{source.name} #{counts[source.name]}")
        result.append(source)
    return result


# ---------------------------------------------------------------------------------------
# RAM estimate and fit


@dataclass(frozen=True, slots=True)
class RamEstimate:
    weights: int
    kv_cache: int
    overhead: int
    n_ctx: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


Fit = Literal["fits", "tight", "too_big"]


@dataclass(frozen=True, slots=True)
class FitVerdict:
    fit: Fit
    message: str

    @property
    def fits(self) -> bool:
        return self.fit == "fits"


def estimate_ram(
    model: CatalogEntry | Any, n_ctx: int, *, samples: int = 1, sample_tokens: int = 0
) -> RamEstimate:
    """Weights (the file, memory-mapped) + KV cache at ``n_ctx`` + runtime overhead.

    A majority vote (Ask ×N) decodes ``samples`` sequences in one cache: they share the
    prompt's cells, and each extra sample needs cells for its own ``sample_tokens``, so
    the cache grows by ``(samples - 1) * sample_tokens`` for each answer to get the room
    one answer has alone.

    Accepts a :class:`CatalogEntry`, or anything with ``size``/``file_size`` and
    ``kv_bytes_per_token`` (an installed model or its GGUF metadata). When the KV shape is
    unknown, it is guessed from the weights' size as the 1.5B's ratio (28 KiB per token
    per 1.1 GB), which errs on the generous side for larger models.
    """
    weights = int(getattr(model, "size", 0) or getattr(model, "file_size", 0) or 0)
    per_token = getattr(model, "kv_bytes_per_token", None)
    if not per_token:
        per_token = max(1, math.ceil(28 * 1024 * weights / 1_117_320_576))
    cells = max(0, int(n_ctx)) + max(0, samples - 1) * max(0, int(sample_tokens))
    kv = int(per_token) * cells
    return RamEstimate(weights=weights, kv_cache=kv, overhead=RUNTIME_OVERHEAD_BYTES, n_ctx=cells)


def format_bytes(count: int | float) -> str:
    """``1.1 GB`` style, decimal units as file managers show sizes."""
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover


def fit(estimate: RamEstimate, total_ram: int, available_ram: int) -> FitVerdict:
    """Whether a model with this estimate runs on a machine with this much RAM."""
    need = estimate.total
    have = f"this computer has {format_bytes(total_ram)} ({format_bytes(available_ram)} free now)"
    if need > total_ram * _TOTAL_RAM_SHARE:
        return FitVerdict(
            "too_big",
            f"Too big for this computer: it needs about {format_bytes(need)} of memory and "
            f"{have}. Choose a smaller model or a shorter context.",
        )
    if need > available_ram * _AVAILABLE_RAM_SHARE:
        return FitVerdict(
            "tight",
            f"Tight: it needs about {format_bytes(need)} of memory and {have}. Close other "
            "apps before loading it, or choose a shorter context.",
        )
    return FitVerdict("fits", f"Fits: needs about {format_bytes(need)} of memory; {have}.")


def machine_ram() -> tuple[int, int]:
    """(total, available) RAM in bytes."""
    memory = psutil.virtual_memory()
    return int(memory.total), int(memory.available)


def fit_on_this_machine(estimate: RamEstimate) -> FitVerdict:
    total, available = machine_ram()
    return fit(estimate, total, available)
