"""Random-weight Qwen2 GGUF files: a tiny one for tests and the self-test, and a stand-in
with the exact shapes of DeepSeek-R1-Distill-Qwen-1.5B for benchmarks.

The real weights cannot be downloaded everywhere, and speed depends on tensor shapes and
quantization, not on weight values. These files use the same architecture, the same
DeepSeek-R1 special tokens and chat template, and a byte-level BPE vocabulary, so the
whole engine path (tokenize, template, decode, detokenize) runs as it does for the real
model. The text they produce is gibberish.

Two tricks keep random weights usable for streaming tests:

* Dimension 0 of every token embedding is a constant ("anchor"), and no layer writes to
  it (row 0 of every output projection is zero), so after the final RMS norm the hidden
  state always carries the same positive value there. Column 0 of the output matrix then
  acts as a per-token logit bias: special tokens (end-of-sequence, ``</think>``, ...) get
  a large negative bias, so generation neither stops at once nor closes its own
  reasoning, and printable ASCII gets a positive one, so the gibberish is readable.
* Output projections are scaled by 1/sqrt(2 * layers) so the residual stream does not
  grow with depth and nothing overflows to NaN.

Pure Python: weights come from numpy and are written with the ``gguf`` package.
Quantizing goes through :func:`app.core.engines.native.quantize_gguf`, imported lazily, because
only the engine may touch llama.cpp.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.errors import CancelledError

log = logging.getLogger(__name__)

BOS: Final = "<｜begin▁of▁sentence｜>"
EOS: Final = "<｜end▁of▁sentence｜>"
PAD: Final = "<｜▁pad▁｜>"
USER: Final = "<｜User｜>"
ASSISTANT: Final = "<｜Assistant｜>"
THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"

# gguf TokenType values (kept literal so the vocabulary code reads without the enum).
_NORMAL: Final = 1
_CONTROL: Final = 3
_USER_DEFINED: Final = 4

#: The special tokens, with the token types DeepSeek's tokenizer gives them: tokens the
#: tokenizer marks "special" become CONTROL (never shown), the others USER_DEFINED
#: (rendered as text, which is how the reasoning parser sees ``</think>``).
SPECIAL_TOKENS: Final[tuple[tuple[str, int], ...]] = (
    (EOS, _CONTROL),
    (USER, _USER_DEFINED),
    (ASSISTANT, _USER_DEFINED),
    (BOS, _CONTROL),
    (THINK_OPEN, _USER_DEFINED),
    (THINK_CLOSE, _USER_DEFINED),
    (PAD, _CONTROL),
)

#: A few merges so common English pieces become single tokens (the order is the rank).
_MERGES: Final[tuple[str, ...]] = (
    "Ġ t", "Ġ a", "h e", "i n", "r e", "o n", "Ġt he", "e r", "Ġ s", "a t", "e n", "o r",
    "Ġ w", "e s", "Ġ c", "i s", "i t", "a n", "Ġ o", "Ġ b", "e d", "Ġ f", "n g", "i ng",
    "o u", "Ġ m", "Ġ p", "a l", "Ġ d", "l e", "Ġt o", "n d", "Ġa nd", "Ġo f", "Ġ i", "Ġ h",
)  # fmt: skip

# Anchor value in embedding dimension 0 and the logit biases carried by output column 0.
_ANCHOR: Final = 3.0
_BIAS_SPECIAL: Final = -8.0
_BIAS_TEXT: Final = 1.0
_BIAS_OTHER_BYTES: Final = -6.0

TINY_CONTEXT_LENGTH: Final = 32768
SELFTEST_MODEL_VERSION: Final = 1


def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (byte-level BPE)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codepoints = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codepoints.append(256 + extra)
            extra += 1
    return {byte: chr(cp) for byte, cp in zip(printable, codepoints, strict=True)}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    tokens: list[str]
    types: list[int]
    merges: list[str]
    #: Per-token logit bias (see the module docstring).
    bias: np.ndarray[Any, np.dtype[np.float32]]
    bos_id: int
    eos_id: int
    pad_id: int


def build_vocabulary(size: int | None = None) -> Vocabulary:
    """256 byte tokens, the merges, optional filler tokens up to ``size``, then the specials."""
    byte_map = _byte_to_unicode()
    tokens = [byte_map[b] for b in range(256)]
    bias = [_BIAS_TEXT if (32 <= b < 127 or b == 10) else _BIAS_OTHER_BYTES for b in range(256)]
    known = set(tokens)
    merges: list[str] = []
    for merge in _MERGES:
        left, right = merge.split(" ")
        merged = left + right
        if left not in known or right not in known:
            raise ValueError(f"merge {merge!r} uses a token that is not in the vocabulary")
        merges.append(merge)
        if merged not in known:
            tokens.append(merged)
            bias.append(_BIAS_TEXT)
            known.add(merged)
    n_fixed = len(tokens) + len(SPECIAL_TOKENS)
    if size is not None:
        if size < n_fixed:
            raise ValueError(f"vocabulary size {size} is below the minimum {n_fixed}")
        # Fillers pad the vocabulary to the real model's size; they are valid, unmergeable
        # pieces of printable text, so decoding them is well defined.
        for index in range(size - n_fixed):
            tokens.append(f"Ġ{index:x}q")
            bias.append(0.0)
    types = [_NORMAL] * len(tokens)
    ids: dict[str, int] = {}
    for text, token_type in SPECIAL_TOKENS:
        ids[text] = len(tokens)
        tokens.append(text)
        types.append(token_type)
        bias.append(_BIAS_SPECIAL)
    return Vocabulary(
        tokens=tokens,
        types=types,
        merges=merges,
        bias=np.asarray(bias, dtype=np.float32),
        bos_id=ids[BOS],
        eos_id=ids[EOS],
        pad_id=ids[PAD],
    )


@dataclass(frozen=True, slots=True)
class Qwen2Shape:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int
    context_length: int
    rope_theta: float = 10000.0
    rms_eps: float = 1e-6

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


#: DeepSeek-R1-Distill-Qwen-1.5B (from its config.json).
R1_DISTILL_1P5B: Final = Qwen2Shape(
    hidden=1536, layers=28, heads=12, kv_heads=2, ffn=8960, context_length=131072
)
R1_DISTILL_1P5B_VOCAB: Final = 151936


# Tensor recipe: (name, numpy shape, kind). Kinds: "embd", "norm", "bias", "in" (a
# projection reading the residual stream), "out" (a projection writing to it), "lm_head".
TensorRecipe = tuple[str, tuple[int, ...], str]


def tensor_plan(shape: Qwen2Shape, n_vocab: int) -> list[TensorRecipe]:
    h, kv = shape.hidden, shape.kv_heads * shape.head_dim
    plan: list[TensorRecipe] = [("token_embd.weight", (n_vocab, h), "embd")]
    for i in range(shape.layers):
        p = f"blk.{i}."
        plan += [
            (p + "attn_norm.weight", (h,), "norm"),
            (p + "attn_q.weight", (h, h), "in"),
            (p + "attn_q.bias", (h,), "bias"),
            (p + "attn_k.weight", (kv, h), "in"),
            (p + "attn_k.bias", (kv,), "bias"),
            (p + "attn_v.weight", (kv, h), "in"),
            (p + "attn_v.bias", (kv,), "bias"),
            (p + "attn_output.weight", (h, h), "out"),
            (p + "ffn_norm.weight", (h,), "norm"),
            (p + "ffn_gate.weight", (shape.ffn, h), "in"),
            (p + "ffn_up.weight", (shape.ffn, h), "in"),
            (p + "ffn_down.weight", (h, shape.ffn), "out"),
        ]
    plan += [("output_norm.weight", (h,), "norm"), ("output.weight", (n_vocab, h), "lm_head")]
    return plan


class _WeightMaker:
    """Makes each tensor's values, row block by row block, so memory stays bounded."""

    def __init__(self, shape: Qwen2Shape, vocab: Vocabulary, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._shape = shape
        self._bias = vocab.bias
        self._out_scale = 1.0 / math.sqrt(2.0 * max(1, shape.layers))
        # Random logits with a standard deviation of about 2.5 give varied text.
        self._lm_scale = 2.5 / math.sqrt(shape.hidden)

    def blocks(self, kind: str, dims: tuple[int, ...], rows_per_block: int) -> Iterator[np.ndarray]:
        if len(dims) == 1:
            yield self._vector(kind, dims[0])
            return
        rows, cols = dims
        for start in range(0, rows, rows_per_block):
            stop = min(rows, start + rows_per_block)
            yield self._matrix(kind, start, stop, cols)

    def _vector(self, kind: str, n: int) -> np.ndarray:
        if kind == "norm":
            return np.ones(n, dtype=np.float32)
        return self._rng.standard_normal(n, dtype=np.float32) * np.float32(0.02)

    def _matrix(self, kind: str, start: int, stop: int, cols: int) -> np.ndarray:
        block = self._rng.standard_normal((stop - start, cols), dtype=np.float32)
        if kind == "embd":
            block[:, 0] = _ANCHOR
        elif kind == "in":
            block *= np.float32(1.0 / math.sqrt(cols))
        elif kind == "out":
            block *= np.float32(self._out_scale / math.sqrt(cols))
            if start == 0:
                block[0, :] = 0.0  # never write to the anchor dimension
        elif kind == "lm_head":
            block *= np.float32(self._lm_scale)
            block[:, 0] = self._bias[start:stop] / np.float32(_ANCHOR)
        return block


def _write_qwen2_gguf(
    path: Path,
    *,
    shape: Qwen2Shape,
    vocab: Vocabulary,
    dtype: type[np.floating[Any]],
    chat_template: str | None,
    name: str,
    seed: int,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> None:
    """Write the GGUF: header and tensor infos first, then each tensor streamed in blocks."""
    import gguf

    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name(name)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(shape.hidden)
    writer.add_block_count(shape.layers)
    writer.add_feed_forward_length(shape.ffn)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_layer_norm_rms_eps(shape.rms_eps)
    writer.add_file_type(0 if dtype is np.float32 else 1)  # ALL_F32 / MOSTLY_F16
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("deepseek-r1-qwen")
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    writer.add_token_merges(vocab.merges)
    writer.add_bos_token_id(vocab.bos_id)
    writer.add_eos_token_id(vocab.eos_id)
    writer.add_pad_token_id(vocab.pad_id)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)

    plan = tensor_plan(shape, len(vocab.tokens))
    item_size = np.dtype(dtype).itemsize
    for tensor_name, dims, _kind in plan:
        # Norms and biases stay F32, as llama.cpp's converter writes them.
        tensor_dtype = np.float32 if len(dims) == 1 else dtype
        n_bytes = math.prod(dims) * np.dtype(tensor_dtype).itemsize
        writer.add_tensor_info(tensor_name, dims, np.dtype(tensor_dtype), n_bytes)
    total = sum(math.prod(d) * (4 if len(d) == 1 else item_size) for _, d, _ in plan)

    maker = _WeightMaker(shape, vocab, seed)
    done = 0
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        assert writer.fout is not None
        out: BinaryIO = writer.fout[0]
        alignment = writer.data_alignment
        _pad(out, out.tell(), alignment)
        for _tensor_name, dims, kind in plan:
            tensor_dtype = np.float32 if len(dims) == 1 else dtype
            rows_per_block = max(1, (8 << 20) // (dims[-1] if len(dims) > 1 else 1))
            n_bytes = 0
            for block in maker.blocks(kind, dims, rows_per_block):
                if cancel is not None and cancel.cancelled:
                    raise CancelledError()
                data = block.astype(tensor_dtype, copy=False)
                data.tofile(out)
                n_bytes += data.nbytes
                done += data.nbytes
                progress(done, total)
            _pad(out, n_bytes, alignment)
        out.flush()
        os.fsync(out.fileno())
    finally:
        writer.close()


def _pad(out: BinaryIO, n: int, alignment: int) -> None:
    remainder = n % alignment
    if remainder:
        out.write(b"\0" * (alignment - remainder))


def _builtin_template() -> str:
    from app.core.template import BUILTIN_R1_TEMPLATE

    return BUILTIN_R1_TEMPLATE


@contextlib.contextmanager
def _temporary_path(directory: Path, suffix: str) -> Iterator[Path]:
    """A fresh file name in ``directory`` (same file system, so a rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=".hearth-", suffix=suffix, dir=directory)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def write_tiny_qwen2_gguf(
    path: str | Path,
    *,
    hidden: int = 256,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    ffn: int = 512,
    with_chat_template: bool = True,
    seed: int = 0,
) -> Path:
    """A tiny random-weight Qwen2 GGUF (F32) with the R1 vocabulary specials and template.

    ``hidden`` must be a multiple of 256 if the file is to be k-quantized.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = Qwen2Shape(
        hidden=hidden,
        layers=layers,
        heads=heads,
        kv_heads=kv_heads,
        ffn=ffn,
        context_length=TINY_CONTEXT_LENGTH,
    )
    if hidden % heads or heads % kv_heads:
        raise ValueError("hidden must be divisible by heads, and heads by kv_heads")
    template = _builtin_template() if with_chat_template else None
    with _temporary_path(path.parent, ".gguf") as tmp:
        _write_qwen2_gguf(
            tmp,
            shape=shape,
            vocab=build_vocabulary(),
            dtype=np.float32,
            chat_template=template,
            name="Hearth tiny Qwen2 (random weights)",
            seed=seed,
        )
        tmp.replace(path)
    return path


def write_standin_1p5b_gguf(
    path: str | Path,
    *,
    quant: str = "Q4_K_M",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    layers: int | None = None,
    seed: int = 0,
) -> Path:
    """A random-weight GGUF with DeepSeek-R1-Distill-Qwen-1.5B's exact shapes, quantized.

    Writes F16 (about 3.5 GB) beside ``path``, quantizes it to ``quant`` (Q4_K_M is about
    1.1 GB, like the real file) and removes the F16 file. ``progress(done, total)`` counts
    F16 bytes written; quantizing (about a minute) reports nothing and cannot be cancelled.
    ``layers`` overrides the layer count for a quicker, smaller variant. Caching is the
    caller's job.
    """
    from app.core.engines.native import quantize_gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = R1_DISTILL_1P5B
    if layers is not None:
        shape = Qwen2Shape(
            hidden=shape.hidden,
            layers=layers,
            heads=shape.heads,
            kv_heads=shape.kv_heads,
            ffn=shape.ffn,
            context_length=shape.context_length,
        )
    report: Callable[[int, int], None] = progress or no_progress
    with (
        _temporary_path(path.parent, ".f16.gguf") as f16,
        _temporary_path(path.parent, ".gguf") as quantized,
    ):
        _write_qwen2_gguf(
            f16,
            shape=shape,
            vocab=build_vocabulary(R1_DISTILL_1P5B_VOCAB),
            dtype=np.float16,
            chat_template=_builtin_template(),
            name="DeepSeek-R1-Distill-Qwen-1.5B stand-in (random weights)",
            seed=seed,
            progress=report,
            cancel=cancel,
        )
        if cancel is not None and cancel.cancelled:
            raise CancelledError()
        quantize_gguf(f16, quantized, quant)
        quantized.replace(path)
    return path


def build_selftest_model(directory: str | Path) -> Path:
    """The tiny model, quantized to Q4_K_M, for ``--self-test``; reused when already built.

    Quantized on purpose: a llama.cpp build that crashes on quantized kernels must fail the
    self-test, not pass it with F32 weights.
    """
    from app.core.engines.native import quantize_gguf

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"hearth-selftest-tiny-q4_k_m-v{SELFTEST_MODEL_VERSION}.gguf"
    if target.is_file() and target.stat().st_size > 0:
        return target
    with (
        _temporary_path(directory, ".f32.gguf") as f32,
        _temporary_path(directory, ".gguf") as quantized,
    ):
        write_tiny_qwen2_gguf(f32)
        quantize_gguf(f32, quantized, "Q4_K_M")
        quantized.replace(target)
    log.info("built the self-test model %s", target)
    return target
