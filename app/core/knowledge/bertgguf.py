"""BERT GGUF files for embeddings: a tiny random one for fast tests, and a converter for a
real sentence-transformers BERT (safetensors + vocab.txt), such as all-MiniLM-L6-v2.

Both write llama.cpp's ``bert`` architecture with the WordPiece ("bert") tokenizer in its
"phantom space" form, as llama.cpp's own converter does: a word-start piece gets a leading
"▁", a ``##`` continuation loses its ``##``, control tokens stay as they are. Pure Python
(numpy and the ``gguf`` package); nothing here imports llama.cpp.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from app.core.errors import HearthError

_NORMAL: Final = 1
_UNKNOWN: Final = 2
_CONTROL: Final = 3
SPECIALS: Final = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclass(frozen=True, slots=True)
class BertShape:
    hidden: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64
    context_length: int = 512
    type_vocab: int = 2
    eps: float = 1e-12


def phantom(token: str, token_type: int) -> str:
    if token_type == _CONTROL:
        return token
    return token[2:] if token.startswith("##") else "\u2581" + token


_WORDS: Final = (
    "the a of and to in is it for on with as be at by this that from or are was not "
    "chimney ash fire bread tyre chain rent tea budget retry"
)


def tiny_wordpiece_vocab() -> list[str]:
    """Specials, ASCII words and pieces, and the common CJK block in single characters."""
    words = _WORDS.split()
    chars = [chr(c) for c in range(33, 127)]
    vocab = list(SPECIALS) + words + chars + ["##" + c for c in chars if c.isalnum()]
    vocab += [chr(c) for c in range(0x4E00, 0x4E00 + 2000)] + ["，", "。", "？", "！", "：", "；"]
    return list(dict.fromkeys(vocab))


def write_bert_gguf(
    path: Path,
    *,
    shape: BertShape,
    vocab: list[str],
    tensors: Mapping[str, np.ndarray],
    name: str,
    pooling: int = 1,
) -> Path:
    """Write a BERT GGUF from GGUF-named float tensors (numpy shapes, row-major)."""
    import gguf

    types = [_CONTROL if t in SPECIALS else _NORMAL for t in vocab]
    if "[UNK]" in vocab:
        types[vocab.index("[UNK]")] = _CONTROL
    writer = gguf.GGUFWriter(str(path), "bert")
    writer.add_name(name)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(shape.hidden)
    writer.add_feed_forward_length(shape.ffn)
    writer.add_block_count(shape.layers)
    writer.add_head_count(shape.heads)
    writer.add_layer_norm_eps(shape.eps)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(pooling))
    writer.add_file_type(0)
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([phantom(t, k) for t, k in zip(vocab, types, strict=True)])
    writer.add_token_types(types)
    writer.add_token_type_count(shape.type_vocab)
    index = {t: i for i, t in enumerate(vocab)}
    writer.add_unk_token_id(index.get("[UNK]", 0))
    writer.add_pad_token_id(index.get("[PAD]", 0))
    writer.add_bos_token_id(index.get("[CLS]", 0))
    writer.add_sep_token_id(index.get("[SEP]", 0))
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    for tensor_name, array in tensors.items():
        writer.add_tensor(tensor_name, np.ascontiguousarray(array, dtype=np.float32))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_tiny_bert_gguf(path: Path, *, shape: BertShape | None = None, seed: int = 7) -> Path:
    """A random-weight BERT small enough to build and run in a test (about 1 MB)."""
    shape = shape or BertShape()
    vocab = tiny_wordpiece_vocab()
    rng = np.random.default_rng(seed)
    h, f = shape.hidden, shape.ffn

    def rand(*dims: int) -> np.ndarray:
        return (rng.standard_normal(dims) * 0.2).astype(np.float32)

    tensors: dict[str, np.ndarray] = {
        "token_embd.weight": rand(len(vocab), h),
        "token_types.weight": rand(shape.type_vocab, h),
        "position_embd.weight": rand(shape.context_length, h),
        "token_embd_norm.weight": np.ones(h, np.float32),
        "token_embd_norm.bias": np.zeros(h, np.float32),
    }
    for i in range(shape.layers):
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            tensors[f"blk.{i}.{part}.weight"] = rand(h, h)
            tensors[f"blk.{i}.{part}.bias"] = np.zeros(h, np.float32)
        for norm in ("attn_output_norm", "layer_output_norm"):
            tensors[f"blk.{i}.{norm}.weight"] = np.ones(h, np.float32)
            tensors[f"blk.{i}.{norm}.bias"] = np.zeros(h, np.float32)
        tensors[f"blk.{i}.ffn_up.weight"] = rand(f, h)
        tensors[f"blk.{i}.ffn_up.bias"] = np.zeros(f, np.float32)
        tensors[f"blk.{i}.ffn_down.weight"] = rand(h, f)
        tensors[f"blk.{i}.ffn_down.bias"] = np.zeros(h, np.float32)
    return write_bert_gguf(path, shape=shape, vocab=vocab, tensors=tensors, name="tiny-bert")


# --- a real sentence-transformers BERT -------------------------------------------------------

_HF_NAMES: Final = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
_HF_LAYER: Final = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
_DTYPES: Final = {"F32": np.float32, "F16": np.float16, "BF16": None}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file (the format is a JSON header and raw data)."""
    with open(path, "rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        if size > 100_000_000:
            raise HearthError(f"“{path.name}” is not a safetensors file.")
        header = json.loads(handle.read(size))
        data = handle.read()
    out: dict[str, np.ndarray] = {}
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        raw = data[start:end]
        if meta["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            dtype = _DTYPES.get(meta["dtype"])
            if dtype is None:
                # Integer buffers such as position_ids are not weights; leave them out.
                if meta["dtype"].startswith(("I", "U", "BOOL")):
                    continue
                raise HearthError(f"Unsupported tensor type {meta['dtype']} in {path.name}.")
            array = np.frombuffer(raw, dtype=dtype)
        out[key] = array.reshape(meta["shape"]).astype(np.float32)
    return out


def _wordpiece_vocab(model_dir: Path) -> list[str]:
    """The WordPiece vocabulary in id order, from vocab.txt or tokenizer.json."""
    text_file = model_dir / "vocab.txt"
    if text_file.is_file():
        return text_file.read_text(encoding="utf-8").splitlines()
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    ids: dict[str, int] = tokenizer["model"]["vocab"]
    return [token for token, _id in sorted(ids.items(), key=lambda item: item[1])]


def convert_sentence_bert(model_dir: Path, out: Path) -> Path:
    """A sentence-transformers BERT folder (config.json, model.safetensors, and vocab.txt or
    tokenizer.json) → a BERT GGUF with mean pooling."""
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    weights = read_safetensors(model_dir / "model.safetensors")
    vocab = _wordpiece_vocab(model_dir)
    tensors: dict[str, np.ndarray] = {}
    for key, array in weights.items():
        key = key.removeprefix("bert.").removeprefix("0.auto_model.")
        if key in _HF_NAMES:
            tensors[_HF_NAMES[key]] = array
            continue
        if not key.startswith("encoder.layer."):
            continue
        rest = key[len("encoder.layer.") :]
        block, _, tail = rest.partition(".")
        stem, _, kind = tail.rpartition(".")
        if stem in _HF_LAYER:
            tensors[f"blk.{block}.{_HF_LAYER[stem]}.{kind}"] = array
    shape = BertShape(
        hidden=int(config["hidden_size"]),
        layers=int(config["num_hidden_layers"]),
        heads=int(config["num_attention_heads"]),
        ffn=int(config["intermediate_size"]),
        context_length=int(config.get("max_position_embeddings", 512)),
        type_vocab=int(config.get("type_vocab_size", 2)),
        eps=float(config.get("layer_norm_eps", 1e-12)),
    )
    return write_bert_gguf(
        out, shape=shape, vocab=vocab, tensors=tensors, name=model_dir.name, pooling=1
    )
