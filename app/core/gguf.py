"""The one bounded GGUF reader: a model file's header, never its weights.

The catalog's model list, import validation and the engine's pre-check all read GGUF
headers through :func:`read_gguf_metadata`. A GGUF comes from strangers, so every count
and size it declares is checked before it is believed:

* only regular files are opened (``stat`` first, then ``open`` with ``O_NONBLOCK``): a FIFO
  or a device never blocks the caller;
* the header is read in growing pieces and never past :data:`MAX_HEADER_BYTES`, so memory
  stays bounded and the weights are never touched;
* tensor and key counts, dimensions per tensor, each dimension and the shape product,
  array lengths (nested arrays too, to a fixed depth) and string lengths are bounded, and a
  declared length is compared with the bytes that can still follow before any loop runs;
* every failure is a :class:`GgufError` (a :class:`HearthError`) whose text is a sentence:
  never an ``OverflowError``, a ``RecursionError``, a ``MemoryError`` or a freeze.

Only the ``gguf`` package's format constants are used, not ``gguf.GGUFReader``: the reader
builds a numpy view per vocabulary entry (seconds for a 152k-token vocabulary) and maps the
whole file; skipping array bodies takes milliseconds.
"""

from __future__ import annotations

import logging
import os
import stat
import struct
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Final

from app.core.errors import ErrorArg, ImportValidationError, ModelLoadError

log = logging.getLogger(__name__)

#: GGUF versions llama.cpp reads (version 1 was dropped in 2023).
SUPPORTED_GGUF_VERSIONS: Final = (2, 3)
GGUF_MAGIC: Final = b"GGUF"
#: Magic, version, tensor count and key/value count: the smallest possible header.
MIN_HEADER: Final = 4 + 4 + 8 + 8
#: The most header bytes read. Real headers are a few MB (Qwen's 152k-token vocabulary and
#: merges: ~7 MB; 256k-token vocabularies: ~20 MB).
MAX_HEADER_BYTES: Final = 128 << 20
#: Real models have hundreds to a few thousand tensors and a few dozen keys.
MAX_TENSORS: Final = 1 << 20
MAX_KEYS: Final = 1 << 16
#: ggml's GGML_MAX_DIMS: llama.cpp refuses more.
MAX_DIMS: Final = 4
#: One dimension, and the elements of one tensor (2^48 is far beyond any real tensor).
MAX_DIMENSION: Final = 1 << 48
MAX_ELEMENTS: Final = 1 << 48
#: llama.cpp refuses arrays of arrays; a little nesting is read past, deeper is refused.
MAX_ARRAY_DEPTH: Final = 3
MAX_KEY_BYTES: Final = 1 << 16
#: Strings longer than this are skipped, not kept (a chat template is a few KB).
MAX_KEPT_STRING: Final = 1 << 20
#: Numeric arrays up to this length are kept (per-layer head counts, for example).
MAX_KEPT_ARRAY: Final = 4096
MAX_ALIGNMENT: Final = 1 << 30
#: The first read; the buffer doubles from here as the header needs.
_FIRST_READ: Final = 1 << 20
#: Display strings from the header (name, architecture...) are cut to this length.
_MAX_LABEL: Final = 256

#: Architectures llama.cpp runs as sentence-embedding models (pooled vectors, no chat;
#: XLM-RoBERTa models such as bge-m3 and multilingual-e5 are converted to "bert"). An
#: imported GGUF with one of these is filed as an embedding model for the Library.
EMBEDDING_ARCHITECTURES: Final = frozenset(
    {
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
    }
)
#: Architectures that are not causal language models: the embedding models above,
#: encoders, vision/audio projectors, codecs, and diffusion LMs. Hearth cannot chat with them.
NON_CAUSAL_ARCHITECTURES: Final = EMBEDDING_ARCHITECTURES | frozenset(
    {"clip", "mmproj", "t5", "t5encoder", "wavtokenizer-dec", "dream", "llada", "llada-moe", "rnd1"}
)
#: ``general.type`` values that mark a GGUF as something other than a whole model.
_NON_MODEL_TYPES: Final = {
    "adapter": "a LoRA adapter",
    "mmproj": "a vision projector",
    "imatrix": "an importance matrix",
}


class GgufError(ImportValidationError, ModelLoadError):
    """A file is not a readable, complete GGUF.

    Both an import refusal and a load failure, so the import path (which catches
    :class:`ImportValidationError`) and the engine's pre-check (which promises
    :class:`ModelLoadError`) use the same reader and the same sentences.
    """


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
    #: Bytes the file must hold for every tensor (0 when unknown, e.g. an old record).
    required_size: int = 0

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


@dataclass(frozen=True, slots=True)
class _SkippedArray:
    length: int


class _TruncatedError(Exception):
    """The header runs past the end of the file."""


class _DamagedError(Exception):
    """The header declares something impossible; ``code`` and ``params`` say what."""

    def __init__(self, code: str, **params: ErrorArg) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


class _TooLargeError(Exception):
    """The header runs past :data:`MAX_HEADER_BYTES`."""


def _display_name(path: Path) -> str:
    # The templates quote it: “name”.
    return path.name or str(path)


class _HeaderReader:
    """Reads a GGUF header from an open regular file, in growing pieces, with bounds."""

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

    def __init__(self, handle: Any, file_size: int) -> None:
        self._handle = handle
        self.file_size = file_size
        self.buffer = bytearray()
        self.offset = 0
        self.order = "<"

    # --- bytes ---------------------------------------------------------------------------

    def room(self, n_bytes: int) -> None:
        """Fail unless ``n_bytes`` more can follow: within the file and the header cap."""
        end = self.offset + n_bytes
        if end > self.file_size:
            raise _TruncatedError()
        if end > MAX_HEADER_BYTES:
            raise _TooLargeError()

    def ensure(self, n_bytes: int) -> None:
        """Have ``offset + n_bytes`` bytes in the buffer, reading more if needed."""
        self.room(n_bytes)
        wanted = self.offset + n_bytes
        if wanted <= len(self.buffer):
            return
        target = min(max(wanted, 2 * len(self.buffer), _FIRST_READ), self.file_size)
        target = min(target, MAX_HEADER_BYTES)
        while len(self.buffer) < target:
            piece = self._handle.read(target - len(self.buffer))
            if not piece:  # the file shrank while we read it
                raise _TruncatedError()
            self.buffer += piece
        if wanted > len(self.buffer):
            raise _TruncatedError()

    def take(self, fmt: str) -> Any:
        code = self.order + fmt
        width = struct.calcsize(code)
        self.ensure(width)
        (value,) = struct.unpack_from(code, self.buffer, self.offset)
        self.offset += width
        return value

    def string(self, *, keep: bool = True, limit: int = MAX_KEPT_STRING) -> str | None:
        length = int(self.take("Q"))
        self.room(length)
        if not keep or length > limit:
            self.offset += length
            return None
        self.ensure(length)
        start = self.offset
        self.offset += length
        return bytes(self.buffer[start : start + length]).decode("utf-8", errors="replace")

    # --- values ----------------------------------------------------------------------------

    def value(self, value_type: int, *, depth: int = 0) -> Any:
        if value_type in self._SCALARS:
            return self.take(self._SCALARS[value_type])
        if value_type == 8:
            return self.string()
        if value_type == 9:
            item_type = int(self.take("I"))
            count = int(self.take("Q"))
            return self.array(item_type, count, depth=depth + 1)
        raise _DamagedError("gguf.unknown_value_type", type=value_type)

    def array(self, item_type: int, count: int, *, depth: int) -> Any:
        if depth > MAX_ARRAY_DEPTH:
            raise _DamagedError("gguf.arrays_too_deep", depth=MAX_ARRAY_DEPTH)
        if item_type in self._SCALARS:
            code = self._SCALARS[item_type]
            width = struct.calcsize(self.order + code)
            self.room(width * count)
            if count <= MAX_KEPT_ARRAY:
                self.ensure(width * count)
                values = list(
                    struct.unpack_from(f"{self.order}{count}{code}", self.buffer, self.offset)
                )
                self.offset += width * count
                return values
            self.offset += width * count
            return _SkippedArray(count)
        if item_type == 8:
            self.skip_strings(count)
            return _SkippedArray(count)
        if item_type == 9:
            # Each inner array takes at least its type and count: 12 bytes.
            self.room(12 * count)
            for _ in range(count):
                self.value(9, depth=depth)
            return _SkippedArray(count)
        raise _DamagedError("gguf.unknown_array_type", type=item_type)

    def skip_strings(self, count: int) -> None:
        """Skip ``count`` strings: the loop that reads past a 152k-token vocabulary in ~0.1 s."""
        # Every string takes at least its 8-byte length, so an absurd count fails here,
        # before the loop.
        self.room(8 * count)
        unpack = struct.Struct(self.order + "Q").unpack_from
        buffer = self.buffer
        offset = self.offset
        bound = min(self.file_size, MAX_HEADER_BYTES)
        have = len(buffer) - 8
        for _ in range(count):
            if offset > have:
                self.offset = offset
                self.ensure(8)
                have = len(buffer) - 8
            offset += 8 + unpack(buffer, offset)[0]
            if offset > bound:
                self.offset = offset - 1  # report through room(): truncated or too large
                self.room(1)
        self.offset = offset


def _file_type_name(value: Any) -> str:
    from gguf.constants import LlamaFileType

    if not isinstance(value, int) or isinstance(value, bool):
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


def _label(value: Any) -> str:
    """A header string made safe to show: no control characters, bounded length."""
    if not isinstance(value, str):
        return ""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value[: _MAX_LABEL * 2])
    return " ".join(cleaned.split())[:_MAX_LABEL]


def _open_regular(path: Path) -> tuple[Any, int]:
    """Open ``path`` for reading only if it is a regular file; (handle, size)."""
    name = _display_name(path)
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise GgufError.of("gguf.missing", path=str(path), detail=repr(exc)) from exc
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GgufError.of("gguf.cannot_open", name=name, reason=reason, detail=repr(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise GgufError.of("gguf.is_folder", name=name)
    if not stat.S_ISREG(info.st_mode):
        raise GgufError.of(
            "gguf.not_regular",
            name=name,
            kind=_kind_of(info.st_mode),
            detail=f"mode {info.st_mode:o}",
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise GgufError.of(
            "gguf.cannot_open", name=name, reason=str(exc.strerror or exc), detail=repr(exc)
        ) from exc
    try:
        # The path may have been swapped between stat and open: trust only the open file.
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise GgufError.of(
                "gguf.not_regular",
                name=name,
                kind=_kind_of(opened.st_mode),
                detail=f"mode {opened.st_mode:o}",
            )
        handle = open(fd, "rb", buffering=0, closefd=True)  # noqa: SIM115
    except BaseException:
        os.close(fd)
        raise
    return handle, opened.st_size


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def read_gguf_metadata(path: Path | str) -> GgufMetadata:
    """Read a GGUF file's header without loading its weights.

    Raises :class:`GgufError` with a plain sentence for a missing, unreadable or special
    file (folder, pipe, device), an empty or truncated file, a file that is not GGUF, an
    unsupported GGUF version, or a header that declares what cannot be (absurd counts or
    sizes, unknown types). The file is closed on return.
    """
    path = Path(path)
    handle, file_size = _open_regular(path)
    with handle:
        return _read(path, handle, file_size)


def _read(path: Path, handle: Any, file_size: int) -> GgufMetadata:
    name = _display_name(path)
    if file_size == 0:
        raise GgufError.of("gguf.empty", name=name)
    reader = _HeaderReader(handle, file_size)
    truncated = GgufError.of("gguf.truncated_header", name=name)
    try:
        reader.ensure(min(4, file_size))
    except (_TruncatedError, OSError) as exc:
        raise GgufError.of(
            "gguf.unreadable",
            name=name,
            reason=str(getattr(exc, "strerror", None) or exc),
            detail=repr(exc),
        ) from exc
    head = bytes(reader.buffer[:4])
    # A file shorter than the magic that starts like it is a truncated GGUF, not another format.
    if head != GGUF_MAGIC and not (len(head) < 4 and GGUF_MAGIC.startswith(head)):
        raise GgufError.of("gguf.not_gguf", name=name, detail=f"first bytes: {head!r}")
    if file_size < MIN_HEADER:
        raise GgufError.of("gguf.too_small", name=name, size=file_size)
    try:
        return _parse(path, reader)
    except _TruncatedError:
        raise truncated from None
    except _TooLargeError:
        raise GgufError.of(
            "gguf.header_too_large",
            name=name,
            limit_mb=MAX_HEADER_BYTES >> 20,
            detail=f"header past {MAX_HEADER_BYTES} bytes",
        ) from None
    except _DamagedError as exc:
        raise GgufError.of(exc.code, name=name, detail=repr(exc), **exc.params) from exc
    except (struct.error, ValueError) as exc:
        raise GgufError.of("gguf.damaged", name=name, problem=str(exc), detail=repr(exc)) from exc
    except OSError as exc:
        raise GgufError.of(
            "gguf.unreadable", name=name, reason=str(exc.strerror or exc), detail=repr(exc)
        ) from exc


def _parse(path: Path, reader: _HeaderReader) -> GgufMetadata:
    name = _display_name(path)
    reader.offset = 4
    version = int(reader.take("I"))
    if version & 0xFFFF == 0 and version != 0:
        # A file written on a machine of the other byte order.
        reader.order = ">"
        reader.offset = 4
        version = int(reader.take("I"))
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise GgufError.of(
            "gguf.unsupported_version",
            name=name,
            version=version,
            supported=", ".join(map(str, SUPPORTED_GGUF_VERSIONS)),
        )
    tensor_count = int(reader.take("Q"))
    kv_count = int(reader.take("Q"))
    if tensor_count > MAX_TENSORS:
        raise _DamagedError("gguf.too_many_tensors", count=tensor_count)
    if kv_count > MAX_KEYS:
        raise _DamagedError("gguf.too_many_keys", count=kv_count)
    kv: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string(limit=MAX_KEY_BYTES)
        if key is None:
            raise _DamagedError("gguf.key_too_long")
        kv[key] = reader.value(int(reader.take("I")))
    tensors: list[tuple[int, int, int]] = []  # (type, n_elements, offset)
    for _ in range(tensor_count):
        reader.string(keep=False)
        n_dims = int(reader.take("I"))
        if n_dims > MAX_DIMS:
            raise _DamagedError("gguf.too_many_dims", count=n_dims)
        n_elements = 1
        for _ in range(n_dims):
            dim = int(reader.take("Q"))
            if dim > MAX_DIMENSION:
                raise _DamagedError("gguf.dimension_too_large", size=dim)
            n_elements *= dim
            if n_elements > MAX_ELEMENTS:
                raise _DamagedError("gguf.too_many_elements")
        tensor_type = int(reader.take("I"))
        tensors.append((tensor_type, n_elements, int(reader.take("Q"))))

    alignment = kv.get("general.alignment", 32)
    if (
        not isinstance(alignment, int)
        or isinstance(alignment, bool)
        or not 0 < alignment <= MAX_ALIGNMENT
        or alignment & (alignment - 1)
    ):
        raise _DamagedError("gguf.bad_alignment")
    data_offset = -(-reader.offset // alignment) * alignment
    data_end = data_offset
    for tensor_type, n_elements, offset in tensors:
        n_bytes = _tensor_bytes(tensor_type, n_elements)
        if n_bytes is None:
            # A tensor type newer than our gguf package: its size is unknown, so it cannot be
            # checked here; llama.cpp checks it when loading.
            log.info("gguf: %s has tensor type %d; size not checked", path.name, tensor_type)
            continue
        data_end = max(data_end, data_offset + offset + n_bytes)
    if data_end > reader.file_size:
        raise GgufError.of(
            "gguf.truncated",
            name=name,
            size=reader.file_size,
            needed=data_end,
            detail=f"data_offset={data_offset} data_end={data_end} size={reader.file_size}",
        )
    return _metadata(path, kv, tensors, version, reader.file_size, data_end)


def _metadata(
    path: Path,
    kv: dict[str, Any],
    tensors: list[tuple[int, int, int]],
    version: int,
    file_size: int,
    required_size: int,
) -> GgufMetadata:
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
    model_name = _label(kv.get("general.name"))
    return GgufMetadata(
        name=model_name or _label(path.stem),
        architecture=_label(arch),
        file_type=_file_type_name(kv.get("general.file_type")),
        context_length=arch_int("context_length"),
        has_chat_template=isinstance(kv.get("tokenizer.chat_template"), str),
        parameter_count=sum(n for _, n, _ in tensors) if tensors else None,
        tensor_count=len(tensors),
        file_size=file_size,
        gguf_version=version,
        n_layers=arch_int("block_count"),
        n_kv_heads=arch_int("attention.head_count_kv") or n_heads,
        key_length=key_length,
        value_length=value_length,
        vocab_size=vocab,
        general_type=_label(kv.get("general.type")),
        size_label=_label(kv.get("general.size_label")),
        required_size=required_size,
    )


def is_embedding_architecture(architecture: str) -> bool:
    """True for a ``general.architecture`` that is a sentence-embedding model."""
    return architecture.strip().lower() in EMBEDDING_ARCHITECTURES


def validate_gguf(path: Path | str, *, allow_embedding: bool = False) -> GgufMetadata:
    """:func:`read_gguf_metadata`, then require a causal LM Hearth can chat with (or, with
    ``allow_embedding``, an embedding model for the Library)."""
    meta = read_gguf_metadata(path)
    name = _display_name(Path(path))
    general_type = meta.general_type.lower()
    if general_type in _NON_MODEL_TYPES:
        raise ImportValidationError.of(f"gguf.is_{general_type}", name=name)
    if not meta.architecture:
        raise ImportValidationError.of("gguf.no_architecture", name=name)
    embedding = allow_embedding and is_embedding_architecture(meta.architecture)
    if meta.architecture.lower() in NON_CAUSAL_ARCHITECTURES and not embedding:
        raise ImportValidationError.of("gguf.not_causal", name=name, architecture=meta.architecture)
    if meta.vocab_size is None:
        raise ImportValidationError.of("gguf.no_tokenizer", name=name)
    return meta
