"""Installed models: read and validate GGUF files, import, verify, list and remove them.

Everything here works on the models directory (``app_paths().models``) and plain files;
there is no Qt. Files imported "in place" stay where the user keeps them and are tracked
in a small versioned registry (``registry.json`` in the models directory), written
atomically; the registry also remembers hashes known to be good (from a verified
download or a copy) so *Verify* has something to compare against.

GGUF headers are parsed here directly (with the format constants from the ``gguf``
package) instead of with ``gguf.GGUFReader``: the reader builds a numpy view for every
vocabulary entry, which takes seconds for Qwen's 152k-token vocabulary, while skipping
array bodies takes milliseconds and never touches the weights.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import logging
import mmap
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Literal

from app.core.atomic import fsync_directory, write_text_atomic
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.catalog import Catalog, CatalogEntry
from app.core.downloads import delete_partial, part_path
from app.core.errors import DiskFullError, HearthError, ImportValidationError
from app.core.paths import app_paths

log = logging.getLogger(__name__)

REGISTRY_NAME = "registry.json"
REGISTRY_VERSION = 1
#: GGUF versions llama.cpp reads (version 1 was dropped in 2023).
SUPPORTED_GGUF_VERSIONS = (2, 3)
_GGUF_MAGIC = b"GGUF"
#: Magic, version, tensor count and key/value count: the smallest possible header.
_MIN_HEADER = 4 + 4 + 8 + 8
_CHUNK = 4 * 1024 * 1024
#: Free space to keep beyond the file when copying, so the disk is not left brim-full.
_DISK_MARGIN = 64 * 1024 * 1024
#: Strings longer than this are not kept in memory (a chat template is a few KB).
_MAX_KEPT_STRING = 1024 * 1024
#: Numeric arrays up to this length are kept (per-layer head counts, for example).
_MAX_KEPT_ARRAY = 4096

#: Architectures that are not causal language models: encoders and embedding models,
#: vision/audio projectors, codecs, and diffusion LMs. Hearth cannot chat with them.
NON_CAUSAL_ARCHITECTURES = frozenset(
    {
        "clip",
        "mmproj",
        "bert",
        "modern-bert",
        "nomic-bert",
        "nomic-bert-moe",
        "neo-bert",
        "jina-bert-v2",
        "jina-bert-v3",
        "eurobert",
        "gemma-embedding",
        "llama-embed",
        "t5",
        "t5encoder",
        "wavtokenizer-dec",
        "dream",
        "llada",
        "llada-moe",
        "rnd1",
    }
)
#: ``general.type`` values that mark a GGUF as something other than a whole model.
_NON_MODEL_TYPES = frozenset({"adapter", "mmproj", "imatrix"})

Origin = Literal["catalog", "imported", "registered", "found"]


# ---------------------------------------------------------------------------------------
# GGUF header


@dataclass(frozen=True, slots=True)
class GgufMetadata:
    """What Hearth needs to know about a GGUF file, read from its header alone."""

    name: str
    architecture: str
    #: The file type as llama.cpp names quantizations (``Q4_K_M``), or "" if unknown.
    file_type: str
    context_length: int | None
    has_chat_template: bool
    parameter_count: int | None
    tensor_count: int
    file_size: int
    gguf_version: int
    n_layers: int | None = None
    n_kv_heads: int | None = None
    key_length: int | None = None
    value_length: int | None = None
    vocab_size: int | None = None
    general_type: str = ""
    size_label: str = ""

    @property
    def kv_bytes_per_token(self) -> int | None:
        """KV cache bytes per token at f16, or None when the header does not say."""
        if not (self.n_layers and self.n_kv_heads and self.key_length and self.value_length):
            return None
        return self.n_layers * self.n_kv_heads * (self.key_length + self.value_length) * 2

    @property
    def quant(self) -> str:
        return self.file_type

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> GgufMetadata:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})


class _TruncatedError(Exception):
    """The header ran past the end of the file."""


class _HeaderParser:
    """Reads GGUF key/values and tensor infos from a memory map; skips array bodies."""

    def __init__(self, data: mmap.mmap, size: int) -> None:
        self.data = data
        self.size = size
        self.offset = 0
        self.order = "<"

    def take(self, fmt: str) -> Any:
        width = struct.calcsize(self.order + fmt)
        if self.offset + width > self.size:
            raise _TruncatedError()
        (value,) = struct.unpack_from(self.order + fmt, self.data, self.offset)
        self.offset += width
        return value

    def string(self, *, keep: bool = True) -> str | None:
        length = int(self.take("Q"))
        if self.offset + length > self.size:
            raise _TruncatedError()
        start = self.offset
        self.offset += length
        if not keep or length > _MAX_KEPT_STRING:
            return None
        return bytes(self.data[start : start + length]).decode("utf-8", errors="replace")

    _SCALARS: ClassVar[dict[int, str]] = {
        0: "B",
        1: "b",
        2: "H",
        3: "h",
        4: "I",
        5: "i",
        6: "f",
        7: "?",
        10: "Q",
        11: "q",
        12: "d",
    }

    def value(self, value_type: int, *, depth: int = 0) -> Any:
        if value_type in self._SCALARS:
            return self.take(self._SCALARS[value_type])
        if value_type == 8:
            return self.string()
        if value_type == 9 and depth == 0:
            item_type = int(self.take("I"))
            count = int(self.take("Q"))
            return self.array(item_type, count)
        raise ValueError(f"unknown GGUF value type {value_type}")

    def array(self, item_type: int, count: int) -> Any:
        if item_type in self._SCALARS:
            width = struct.calcsize(self.order + self._SCALARS[item_type])
            if self.offset + width * count > self.size:
                raise _TruncatedError()
            if count <= _MAX_KEPT_ARRAY:
                values = list(
                    struct.unpack_from(
                        f"{self.order}{count}{self._SCALARS[item_type]}", self.data, self.offset
                    )
                )
                self.offset += width * count
                return values
            self.offset += width * count
            return _SkippedArray(count)
        if item_type == 8:
            # Skipping strings one length at a time is the only way past them: this is
            # the loop that keeps the header of a 152k-token vocabulary in milliseconds.
            unpack = struct.Struct(self.order + "Q").unpack_from
            data, offset, size = self.data, self.offset, self.size
            for _ in range(count):
                if offset + 8 > size:
                    raise _TruncatedError()
                offset += 8 + unpack(data, offset)[0]
            if offset > size:
                raise _TruncatedError()
            self.offset = offset
            return _SkippedArray(count)
        raise ValueError(f"unsupported GGUF array item type {item_type}")


@dataclass(frozen=True, slots=True)
class _SkippedArray:
    length: int


def _file_type_name(value: Any) -> str:
    from gguf.constants import LlamaFileType

    if not isinstance(value, int):
        return ""
    try:
        name = LlamaFileType(value).name
    except ValueError:
        return f"type {value}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _tensor_bytes(type_id: int, n_elements: int) -> int | None:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(type_id)]
    except (ValueError, KeyError):
        return None
    return n_elements * type_size // block_size


def _name_for(path: Path) -> str:
    return f"“{path.name}”"


def read_gguf_metadata(path: Path) -> GgufMetadata:
    """Read a GGUF file's header without loading its weights.

    Raises :class:`ImportValidationError` with a plain message for an empty file, a file
    that is too short or truncated (header or tensor data shorter than declared), a file
    that is not GGUF, or an unsupported GGUF version. The file is closed on return.
    """
    path = Path(path)
    if path.is_dir():
        raise ImportValidationError(f"{_name_for(path)} is a folder, not a GGUF model file.")
    try:
        file_size = path.stat().st_size
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise ImportValidationError(
            f"{_name_for(path)} does not exist. Check the path and try again.", detail=repr(exc)
        ) from exc
    except OSError as exc:
        raise ImportValidationError(
            f"{_name_for(path)} could not be opened: {exc.strerror or exc}. Check that the "
            "file is readable.",
            detail=repr(exc),
        ) from exc
    with handle:
        if file_size == 0:
            raise ImportValidationError(
                f"{_name_for(path)} is empty (0 bytes). It is not a model; if it came from an "
                "interrupted download, download it again."
            )
        head = handle.read(4)
        # A file shorter than the magic that starts like it is a truncated GGUF, not
        # another format.
        if head != _GGUF_MAGIC and not (len(head) < 4 and _GGUF_MAGIC.startswith(head)):
            raise ImportValidationError(
                f"{_name_for(path)} is not a GGUF model file. Hearth needs a .gguf file "
                "(for example from Hugging Face); other formats such as .safetensors or "
                ".bin must be converted first.",
                detail=f"first bytes: {head!r}",
            )
        if file_size < _MIN_HEADER:
            raise ImportValidationError(
                f"{_name_for(path)} is too small to be a model ({file_size} bytes): the file "
                "is truncated. Download or copy it again.",
            )
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse_header(path, data, file_size)


def _parse_header(path: Path, data: mmap.mmap, file_size: int) -> GgufMetadata:
    parser = _HeaderParser(data, file_size)
    parser.offset = 4
    version = int(parser.take("I"))
    if version & 0xFFFF == 0 and version != 0:
        # A file written on a machine of the other byte order.
        parser.order = ">"
        parser.offset = 4
        version = int(parser.take("I"))
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ImportValidationError(
            f"{_name_for(path)} uses GGUF version {version}, which Hearth cannot read "
            f"(it reads versions {', '.join(map(str, SUPPORTED_GGUF_VERSIONS))}). Get a "
            "newer conversion of the model.",
        )
    truncated = ImportValidationError(
        f"{_name_for(path)} is truncated: the file ends before its header does. It was "
        "probably not downloaded or copied completely; get it again.",
    )
    damaged = "{name} is damaged: its GGUF header is not readable ({what}). Get the file again."
    try:
        tensor_count = int(parser.take("Q"))
        kv_count = int(parser.take("Q"))
        if tensor_count > 10_000_000 or kv_count > 10_000_000:
            raise ValueError(f"{tensor_count} tensors and {kv_count} keys")
        kv: dict[str, Any] = {}
        for _ in range(kv_count):
            key = parser.string() or ""
            kv[key] = parser.value(int(parser.take("I")))
        tensors: list[tuple[int, int, int]] = []  # (type, n_elements, offset)
        for _ in range(tensor_count):
            parser.string(keep=False)
            n_dims = int(parser.take("I"))
            if n_dims > 8:
                raise ValueError(f"a tensor with {n_dims} dimensions")
            n_elements = 1
            for _ in range(n_dims):
                n_elements *= int(parser.take("Q"))
            tensor_type = int(parser.take("I"))
            tensors.append((tensor_type, n_elements, int(parser.take("Q"))))
    except _TruncatedError:
        raise truncated from None
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise ImportValidationError(
            damaged.format(name=_name_for(path), what=exc), detail=repr(exc)
        ) from exc

    alignment = kv.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise ImportValidationError(damaged.format(name=_name_for(path), what="bad alignment"))
    data_offset = -(-parser.offset // alignment) * alignment
    data_end = data_offset
    for tensor_type, n_elements, offset in tensors:
        n_bytes = _tensor_bytes(tensor_type, n_elements)
        if n_bytes is None:
            # A tensor type newer than our gguf package: its size is unknown, so it cannot
            # be checked here; llama.cpp will check it when loading.
            log.info(
                "gguf: %s has tensor type %d unknown to gguf; size not checked",
                path.name,
                tensor_type,
            )
            continue
        data_end = max(data_end, data_offset + offset + n_bytes)
    if data_end > file_size:
        raise ImportValidationError(
            f"{_name_for(path)} is truncated: it holds {file_size:,} bytes but its tensors need "
            f"{data_end:,}. It was probably not downloaded or copied completely; get it again.",
            detail=f"data_offset={data_offset} data_end={data_end} size={file_size}",
        )

    arch = kv.get("general.architecture")
    arch = arch if isinstance(arch, str) else ""

    def arch_int(key: str) -> int | None:
        value = kv.get(f"{arch}.{key}")
        if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
            # Per-layer values (some hybrid models): the largest is the safe estimate.
            return int(max(value))
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    n_heads = arch_int("attention.head_count")
    embedding = arch_int("embedding_length")
    key_length = arch_int("attention.key_length")
    value_length = arch_int("attention.value_length")
    if key_length is None and n_heads and embedding:
        key_length = embedding // n_heads
    if value_length is None:
        value_length = key_length
    tokens = kv.get("tokenizer.ggml.tokens")
    vocab = (
        tokens.length
        if isinstance(tokens, _SkippedArray)
        else (len(tokens) if isinstance(tokens, list) else None)
    )
    name = kv.get("general.name")
    general_type = kv.get("general.type")
    size_label = kv.get("general.size_label")
    return GgufMetadata(
        name=name if isinstance(name, str) and name.strip() else path.stem,
        architecture=arch,
        file_type=_file_type_name(kv.get("general.file_type")),
        context_length=arch_int("context_length"),
        has_chat_template=isinstance(kv.get("tokenizer.chat_template"), str),
        parameter_count=sum(n for _, n, _ in tensors) if tensors else None,
        tensor_count=tensor_count,
        file_size=file_size,
        gguf_version=version,
        n_layers=arch_int("block_count"),
        n_kv_heads=arch_int("attention.head_count_kv") or n_heads,
        key_length=key_length,
        value_length=value_length,
        vocab_size=vocab,
        general_type=general_type if isinstance(general_type, str) else "",
        size_label=size_label if isinstance(size_label, str) else "",
    )


def validate_gguf(path: Path) -> GgufMetadata:
    """:func:`read_gguf_metadata`, then require a causal LM Hearth can chat with."""
    meta = read_gguf_metadata(path)
    name = _name_for(Path(path))
    if meta.general_type.lower() in _NON_MODEL_TYPES:
        kind = {
            "adapter": "a LoRA adapter",
            "mmproj": "a vision projector",
            "imatrix": "an importance matrix",
        }[meta.general_type.lower()]
        raise ImportValidationError(
            f"{name} is {kind}, not a chat model. Choose the model's main .gguf file instead."
        )
    if not meta.architecture:
        raise ImportValidationError(
            f"{name} does not say what kind of model it is (no general.architecture), so "
            "Hearth cannot load it. Get a GGUF converted by a recent llama.cpp."
        )
    if meta.architecture.lower() in NON_CAUSAL_ARCHITECTURES:
        raise ImportValidationError(
            f"{name} is a “{meta.architecture}” model, which cannot chat: it is an encoder, "
            "embedding, vision or diffusion model rather than a text generator. Choose a chat "
            "model such as DeepSeek-R1-Distill-Qwen.",
        )
    if meta.vocab_size is None:
        raise ImportValidationError(
            f"{name} has no tokenizer, so Hearth cannot chat with it. Choose a complete model "
            "file rather than a part or an adapter."
        )
    return meta


# ---------------------------------------------------------------------------------------
# Registry of imported models


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    name: str
    path: str
    in_place: bool
    added: str
    sha256: str | None = None
    metadata: dict[str, Any] | None = None


def registry_path(models_dir: Path) -> Path:
    return Path(models_dir) / REGISTRY_NAME


def _load_registry(models_dir: Path) -> dict[str, RegistryRecord]:
    path = registry_path(models_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        aside = path.with_name(f"{path.name}.corrupt")
        log.warning("models: registry %s unreadable (%r); moved aside to %s", path, exc, aside)
        with contextlib.suppress(OSError):
            path.replace(aside)
        return {}
    records: dict[str, RegistryRecord] = {}
    if not isinstance(raw, dict) or not isinstance(raw.get("models"), list):
        log.warning("models: registry %s has no model list; ignoring it", path)
        return {}
    for item in raw["models"]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        records[item["name"]] = RegistryRecord(
            name=item["name"],
            path=str(item.get("path") or ""),
            in_place=bool(item.get("in_place", False)),
            added=str(item.get("added") or ""),
            sha256=item.get("sha256") if isinstance(item.get("sha256"), str) else None,
            metadata=item.get("metadata") if isinstance(item.get("metadata"), dict) else None,
        )
    return records


def _save_registry(models_dir: Path, records: dict[str, RegistryRecord]) -> None:
    document = {
        "version": REGISTRY_VERSION,
        "models": [asdict(r) for r in sorted(records.values(), key=lambda r: r.name)],
    }
    write_text_atomic(registry_path(models_dir), json.dumps(document, indent=2, ensure_ascii=False))


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def record_download(models_dir: Path, file_name: str, sha256: str) -> None:
    """Remember the verified sha256 of a finished download (used by *Verify*)."""
    records = _load_registry(models_dir)
    previous = records.get(file_name)
    records[file_name] = RegistryRecord(
        name=file_name,
        path=str(Path(models_dir) / file_name),
        in_place=False,
        added=previous.added if previous else _now(),
        sha256=sha256.lower(),
        metadata=previous.metadata if previous else None,
    )
    _save_registry(models_dir, records)


# ---------------------------------------------------------------------------------------
# Installed models


@dataclass(frozen=True, slots=True)
class InstalledModel:
    #: The file name; what a user types to verify or remove it.
    name: str
    path: Path
    size: int
    origin: Origin
    entry: CatalogEntry | None = None
    #: A hash known to be right: the catalog's pin, or one recorded at download or copy.
    sha256: str | None = None
    metadata: GgufMetadata | None = None
    #: False when a file registered in place has gone missing.
    available: bool = True

    @property
    def in_place(self) -> bool:
        return self.origin == "registered"

    @property
    def display_name(self) -> str:
        if self.entry is not None:
            return self.entry.name
        if self.metadata is not None and self.metadata.name:
            quant = f" {self.metadata.file_type}" if self.metadata.file_type else ""
            return f"{self.metadata.name}{quant}"
        return self.name

    @property
    def kv_bytes_per_token(self) -> int | None:
        if self.entry is not None:
            return self.entry.kv_bytes_per_token
        return self.metadata.kv_bytes_per_token if self.metadata is not None else None


def _models_dir(models_dir: Path | None) -> Path:
    return Path(models_dir) if models_dir is not None else app_paths().models


def list_installed(
    models_dir: Path | None = None, catalog: Catalog | None = None
) -> list[InstalledModel]:
    """Every usable model: catalog files present, imported copies, files registered in place,
    and other ``.gguf`` files found in the models directory (header read on the spot)."""
    directory = _models_dir(models_dir)
    records = _load_registry(directory)
    found: dict[str, InstalledModel] = {}
    files = sorted(directory.glob("*.gguf")) if directory.is_dir() else []
    for path in files:
        if path.name.startswith(".") or not path.is_file():
            continue
        entry = catalog.by_file(path.name) if catalog is not None else None
        record = records.get(path.name)
        metadata = None
        if record is not None and record.metadata:
            metadata = GgufMetadata.from_dict(record.metadata)
        size = path.stat().st_size
        if entry is not None:
            found[path.name] = InstalledModel(
                name=path.name,
                path=path,
                size=size,
                origin="catalog",
                entry=entry,
                sha256=entry.sha256 or (record.sha256 if record else None),
                metadata=metadata,
            )
            continue
        if record is None:
            try:
                metadata = read_gguf_metadata(path)
            except ImportValidationError as exc:
                log.info("models: skipping %s: %s", path.name, exc)
                continue
        found[path.name] = InstalledModel(
            name=path.name,
            path=path,
            size=size,
            origin="imported" if record is not None else "found",
            sha256=record.sha256 if record else None,
            metadata=metadata,
        )
    for record in records.values():
        if not record.in_place or record.name in found:
            continue
        path = Path(record.path)
        available = path.is_file()
        found[record.name] = InstalledModel(
            name=record.name,
            path=path,
            size=path.stat().st_size if available else 0,
            origin="registered",
            entry=catalog.by_file(record.name) if catalog is not None else None,
            sha256=record.sha256,
            metadata=GgufMetadata.from_dict(record.metadata) if record.metadata else None,
            available=available,
        )
    return sorted(found.values(), key=lambda m: (m.origin != "catalog", m.name.lower()))


EntryState = Literal["installed", "partial", "absent"]


@dataclass(frozen=True, slots=True)
class CatalogEntryState:
    state: EntryState
    #: Bytes on disk: the whole file when installed, the ``.part`` when partial.
    on_disk: int


def catalog_entry_state(entry: CatalogEntry, models_dir: Path | None = None) -> CatalogEntryState:
    directory = _models_dir(models_dir)
    final = directory / entry.file
    if final.is_file():
        return CatalogEntryState("installed", final.stat().st_size)
    partial = part_path(final)
    if partial.is_file():
        return CatalogEntryState("partial", partial.stat().st_size)
    return CatalogEntryState("absent", 0)


def find_installed(
    name: str, models_dir: Path | None = None, catalog: Catalog | None = None
) -> InstalledModel:
    """An installed model by file name (or catalog id); :class:`HearthError` if none."""
    models = list_installed(models_dir, catalog)
    wanted = name.strip()
    for model in models:
        if model.name == wanted or model.name.lower() == wanted.lower():
            return model
    for model in models:
        if model.entry is not None and model.entry.id.lower() == wanted.lower():
            return model
    known = ", ".join(m.name for m in models) or "none"
    raise HearthError(
        f"No installed model is called “{name}”. Installed: {known}. Run “models list” to see them."
    )


def _check_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed + _DISK_MARGIN:
        from app.core.catalog import format_bytes

        raise DiskFullError(
            f"There is not enough free disk space to copy the model: it needs "
            f"{format_bytes(needed)} and {format_bytes(free)} is free in {directory}. Free "
            "some space, or import the file in place instead of copying it.",
            detail=f"free={free} needed={needed} margin={_DISK_MARGIN}",
        )


def import_gguf(
    path: Path,
    *,
    copy: bool,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    models_dir: Path | None = None,
    catalog: Catalog | None = None,
) -> InstalledModel:
    """Validate a GGUF, then copy it into the models directory or register it in place.

    The header is checked before a byte is copied. A copy goes to a hidden temporary file,
    is hashed as it goes, fsynced, and renamed into place only when complete; a cancel or
    an error leaves nothing behind. Raises :class:`ImportValidationError`,
    :class:`DiskFullError` or :class:`~app.core.errors.CancelledError`.
    """
    source = Path(path).expanduser().resolve()
    meta = validate_gguf(source)
    directory = _models_dir(models_dir)
    directory.mkdir(parents=True, exist_ok=True)
    records = _load_registry(directory)
    name = source.name
    dest = directory / name
    already_here = source.parent == directory.resolve()
    if not already_here and (dest.exists() or name in records):
        raise ImportValidationError(
            f"A model named “{name}” is already installed. Remove it first, or rename the "
            "file you are importing."
        )
    entry = catalog.by_file(name) if catalog is not None else None
    sha: str | None = None
    in_place = not copy and not already_here
    if copy and not already_here:
        sha = _copy_with_hash(source, dest, progress=progress, cancel=cancel)
        if entry is not None and entry.sha256 is not None and sha != entry.sha256:
            log.warning("models: imported %s does not match the catalog's sha256", name)
    records[name] = RegistryRecord(
        name=name,
        path=str(source if in_place else dest),
        in_place=in_place,
        added=_now(),
        sha256=sha,
        metadata=meta.to_dict(),
    )
    _save_registry(directory, records)
    log.info(
        "models: imported %s (%s, %s bytes)",
        name,
        "in place" if in_place else "copy",
        meta.file_size,
    )
    final = source if in_place else dest
    return InstalledModel(
        name=name,
        path=final,
        size=final.stat().st_size,
        origin="registered" if in_place else ("catalog" if entry is not None else "imported"),
        entry=entry,
        sha256=(entry.sha256 if entry is not None and entry.sha256 else sha),
        metadata=meta,
    )


def _copy_with_hash(
    source: Path, dest: Path, *, progress: ProgressCallback, cancel: CancelToken | None
) -> str:
    total = source.stat().st_size
    _check_space(dest.parent, total)
    temp = dest.with_name(f".{dest.name}.importing")
    digest = hashlib.sha256()
    done = 0
    progress(0, total)
    try:
        with source.open("rb") as reader, temp.open("wb") as writer:
            while chunk := reader.read(_CHUNK):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                writer.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                progress(done, total)
            writer.flush()
            os.fsync(writer.fileno())
        if os.name == "posix":
            temp.chmod(0o600)
        temp.replace(dest)
        fsync_directory(dest.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(
                f"The disk filled up while copying {source.name}; nothing was installed. Free "
                "some space, or import the file in place instead.",
                detail=repr(exc),
            ) from exc
        raise HearthError(
            f"Could not copy {source.name} into the models folder: {exc.strerror or exc}.",
            detail=repr(exc),
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    #: True: matches; False: does not match; None: nothing to compare against.
    ok: bool | None
    sha256: str
    expected: str | None
    message: str


def hash_file(
    path: Path, *, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None
) -> str:
    total = Path(path).stat().st_size
    digest = hashlib.sha256()
    done = 0
    progress(0, total)
    with Path(path).open("rb") as reader:
        while chunk := reader.read(_CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            digest.update(chunk)
            done += len(chunk)
            progress(done, total)
    return digest.hexdigest()


def verify_installed(
    model: InstalledModel,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> VerifyResult:
    """Re-hash an installed file and compare it with the hash known to be right."""
    if not model.path.is_file():
        raise HearthError(
            f"{model.name} is no longer at {model.path}. Remove it from the list, or put the "
            "file back."
        )
    actual = hash_file(model.path, progress=progress, cancel=cancel)
    expected = model.sha256
    if expected is None:
        return VerifyResult(
            None,
            actual,
            None,
            f"{model.name}: no reference checksum is known, so it cannot be checked; its "
            f"sha256 is {actual}.",
        )
    if actual == expected:
        return VerifyResult(True, actual, expected, f"{model.name} is intact (sha256 matches).")
    return VerifyResult(
        False,
        actual,
        expected,
        f"{model.name} is damaged: its sha256 does not match ({actual[:12]}… instead of "
        f"{expected[:12]}…). Delete it and download or copy it again.",
    )


RemoveOutcome = Literal["deleted", "unregistered", "partial_deleted"]


def remove_model(
    name: str,
    *,
    models_dir: Path | None = None,
    catalog: Catalog | None = None,
    delete_partial_download: Callable[[Path], object] = delete_partial,
) -> RemoveOutcome:
    """Delete an installed model's file and any ``.part``; models registered in place
    are only forgotten (the user's own file is never deleted)."""
    directory = _models_dir(models_dir)
    records = _load_registry(directory)
    wanted = name.strip()
    if catalog is not None and not wanted.lower().endswith(".gguf"):
        entry = catalog.get(wanted)
        if entry is not None:
            wanted = entry.file
    record = records.get(wanted)
    if record is not None and record.in_place:
        del records[wanted]
        _save_registry(directory, records)
        log.info("models: unregistered %s (file left at %s)", wanted, record.path)
        return "unregistered"
    if "/" in wanted or "\\" in wanted or wanted.startswith("."):
        raise HearthError(f"“{name}” is not a model name. Use the name shown by “models list”.")
    target = directory / wanted
    had_file = target.is_file()
    had_part = part_path(target).exists()
    if not had_file and not had_part and record is None:
        raise HearthError(
            f"No installed model is called “{name}”. Run “models list” to see the names."
        )
    if had_file:
        target.unlink()
    delete_partial_download(target)
    if record is not None:
        del records[wanted]
        _save_registry(directory, records)
    fsync_directory(directory)
    log.info("models: removed %s", wanted)
    return "deleted" if had_file else "partial_deleted"
