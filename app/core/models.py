"""Installed models: import, verify, list and remove GGUF files.

Everything here works on the models directory (``app_paths().models``) and plain files;
there is no Qt. Files imported "in place" stay where the user keeps them and are tracked
in a small versioned registry (``registry.json`` in the models directory), written
atomically; the registry also remembers hashes known to be good (from a verified
download or a copy) so *Verify* has something to compare against.

GGUF headers are read by the one bounded reader, :mod:`app.core.gguf`; its names are
re-exported here for the callers that know them from this module.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from app.core.atomic import fsync_directory, write_text_atomic
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.catalog import Catalog, CatalogEntry
from app.core.downloads import delete_partial, part_path
from app.core.errors import DiskFullError, HearthError, ImportValidationError
from app.core.gguf import (
    NON_CAUSAL_ARCHITECTURES,
    SUPPORTED_GGUF_VERSIONS,
    GgufError,
    GgufMetadata,
    is_embedding_architecture,
    read_gguf_metadata,
    validate_gguf,
)
from app.core.paths import app_paths

__all__ = [
    "NON_CAUSAL_ARCHITECTURES",
    "SUPPORTED_GGUF_VERSIONS",
    "GgufError",
    "GgufMetadata",
    "read_gguf_metadata",
    "validate_gguf",
]

log = logging.getLogger(__name__)

REGISTRY_NAME = "registry.json"
REGISTRY_VERSION = 1
_CHUNK = 4 * 1024 * 1024
#: Free space to keep beyond the file when copying, so the disk is not left brim-full.
_DISK_MARGIN = 64 * 1024 * 1024

Origin = Literal["catalog", "imported", "registered", "found"]


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
    def role(self) -> Literal["chat", "embedding"]:
        """``embedding`` for a model the Library uses for vectors (never loaded for chat):
        the catalog says so, or else the file's architecture does (BERT and kin)."""
        if self.entry is not None:
            return self.entry.role
        if self.metadata is not None and is_embedding_architecture(self.metadata.architecture):
            return "embedding"
        return "chat"

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
    raise HearthError.of("model.not_found", name=name, known=known)


def _check_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed + _DISK_MARGIN:
        from app.core.catalog import format_bytes

        raise DiskFullError.of(
            "model.no_space_to_copy",
            needed=format_bytes(needed),
            free=format_bytes(free),
            folder=str(directory),
            detail=f"free={free} needed={needed} margin={_DISK_MARGIN}",
        )


def check_import_name(path: Path) -> None:
    """Refuse, with a sentence, a file name Hearth would not list as a model.

    The models folder lists ``*.gguf`` files and skips hidden ones; a ``.part`` is a
    download in progress. Importing any of those would install something invisible or
    half-written, so the name is checked before the header is.
    """
    name = Path(path).name
    if not name.lower().endswith(".gguf"):
        unfinished = name.lower().endswith((".part", ".partial", ".crdownload", ".tmp"))
        raise ImportValidationError.of(
            "import.unfinished_download" if unfinished else "import.not_gguf_name", name=name
        )
    if name.startswith("."):
        raise ImportValidationError.of("import.hidden_file", name=name)
    if len(name) <= len(".gguf") or any(not ch.isprintable() for ch in name):
        raise ImportValidationError.of("import.bad_name", name=name)


def validate_import(path: Path) -> GgufMetadata:
    """Everything checked before an import: the name, then the header (bounded reader).

    A chat model or an embedding model (BERT and kin) passes; :attr:`InstalledModel.role`
    then files it in the right section."""
    check_import_name(path)
    return validate_gguf(path, allow_embedding=True)


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
    given = Path(path).expanduser()
    check_import_name(given)
    # Resolved for the copy, but named as given: a Hugging Face cache links "x.gguf" to a
    # blob named by its hash.
    source = given.resolve()
    meta = validate_gguf(source, allow_embedding=True)
    directory = _models_dir(models_dir)
    directory.mkdir(parents=True, exist_ok=True)
    records = _load_registry(directory)
    name = given.name
    dest = directory / name
    already_here = source.parent == directory.resolve()
    if not already_here and (dest.exists() or name in records):
        raise ImportValidationError.of("model.already_installed", name=name)
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
            raise DiskFullError.of(
                "model.disk_filled_copying", name=source.name, detail=repr(exc)
            ) from exc
        raise HearthError.of(
            "model.copy_failed",
            name=source.name,
            reason=str(exc.strerror or exc),
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
        raise HearthError.of("model.file_gone", name=model.name, path=str(model.path))
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
        raise HearthError.of("model.bad_name", name=name)
    target = directory / wanted
    had_file = target.is_file()
    had_part = part_path(target).exists()
    if not had_file and not had_part and record is None:
        raise HearthError.of("model.not_installed", name=name)
    if had_file:
        target.unlink()
    delete_partial_download(target)
    if record is not None:
        del records[wanted]
        _save_registry(directory, records)
    fsync_directory(directory)
    log.info("models: removed %s", wanted)
    return "deleted" if had_file else "partial_deleted"
