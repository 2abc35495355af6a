"""The random-weight GGUF generators: vocabulary, metadata, shapes, caching."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFReader

from app.core.engines.llama import LlamaEngine as Engine
from app.core.template import BUILTIN_R1_TEMPLATE
from app.core.tinymodel import (
    ASSISTANT,
    BOS,
    EOS,
    PAD,
    R1_DISTILL_1P5B,
    R1_DISTILL_1P5B_VOCAB,
    THINK_CLOSE,
    THINK_OPEN,
    USER,
    build_selftest_model,
    build_vocabulary,
    tensor_plan,
    write_tiny_qwen2_gguf,
)

_CONTROL, _USER_DEFINED = 3, 4


def _field(reader: GGUFReader, key: str) -> object:
    field = reader.fields[key]
    return field.contents()


def test_vocabulary_covers_every_byte_and_the_r1_specials() -> None:
    vocab = build_vocabulary()
    assert len(set(vocab.tokens)) == len(vocab.tokens)
    assert len(vocab.tokens) == len(vocab.types) == len(vocab.bias)
    byte_tokens = vocab.tokens[:256]
    assert len(set(byte_tokens)) == 256
    types = dict(zip(vocab.tokens, vocab.types, strict=True))
    for control in (BOS, EOS, PAD):
        assert types[control] == _CONTROL
    for shown in (USER, ASSISTANT, THINK_OPEN, THINK_CLOSE):
        assert types[shown] == _USER_DEFINED
    assert vocab.tokens[vocab.bos_id] == BOS
    assert vocab.tokens[vocab.eos_id] == EOS
    known = set(vocab.tokens)
    for merge in vocab.merges:
        left, right = merge.split(" ")
        assert {left, right, left + right} <= known


def test_special_tokens_are_biased_away_and_text_towards() -> None:
    vocab = build_vocabulary()
    assert vocab.bias[vocab.eos_id] < -5
    assert vocab.bias[vocab.tokens.index(THINK_CLOSE)] < -5
    assert vocab.bias[ord("a")] > 0
    assert vocab.bias[0x80] < 0  # a lone continuation byte would be broken UTF-8


def test_vocabulary_pads_to_the_real_model_size() -> None:
    vocab = build_vocabulary(R1_DISTILL_1P5B_VOCAB)
    assert len(vocab.tokens) == R1_DISTILL_1P5B_VOCAB
    assert len(set(vocab.tokens)) == R1_DISTILL_1P5B_VOCAB
    assert vocab.tokens[-1] == PAD


def test_standin_shapes_match_deepseek_r1_distill_qwen_1p5b() -> None:
    plan = tensor_plan(R1_DISTILL_1P5B, R1_DISTILL_1P5B_VOCAB)
    shapes = {name: dims for name, dims, _kind in plan}
    assert shapes["token_embd.weight"] == (151936, 1536)
    assert shapes["output.weight"] == (151936, 1536)  # untied
    assert shapes["blk.27.attn_k.weight"] == (256, 1536)  # 2 KV heads x 128
    assert shapes["blk.27.attn_q.bias"] == (1536,)
    assert shapes["blk.0.ffn_down.weight"] == (1536, 8960)
    assert "blk.28.attn_norm.weight" not in shapes
    n_params = sum(math.prod(dims) for dims in shapes.values())
    assert round(n_params / 1e9, 2) == 1.78


def test_tiny_gguf_metadata(tiny_model_f32: Path) -> None:
    reader = GGUFReader(tiny_model_f32)
    assert _field(reader, "general.architecture") == "qwen2"
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.ggml.pre") == "deepseek-r1-qwen"
    assert _field(reader, "tokenizer.chat_template") == BUILTIN_R1_TEMPLATE
    assert _field(reader, "qwen2.embedding_length") == 256
    assert _field(reader, "qwen2.block_count") == 2
    tokens = _field(reader, "tokenizer.ggml.tokens")
    assert isinstance(tokens, list)
    assert tokens[int(str(_field(reader, "tokenizer.ggml.bos_token_id")))] == BOS
    assert tokens[int(str(_field(reader, "tokenizer.ggml.eos_token_id")))] == EOS
    tensors = {t.name: t for t in reader.tensors}
    assert "blk.1.attn_v.bias" in tensors
    embd = np.asarray(tensors["token_embd.weight"].data)
    assert embd.dtype == np.float32
    assert np.all(embd[:, 0] == embd[0, 0])  # the anchor dimension
    down = np.asarray(tensors["blk.0.ffn_down.weight"].data)
    assert not down[0].any()  # no layer writes to the anchor
    assert np.isfinite(embd).all()


def test_template_can_be_left_out(tiny_model_no_template: Path) -> None:
    reader = GGUFReader(tiny_model_no_template)
    assert "tokenizer.chat_template" not in reader.fields


def test_tiny_model_shape_options(tmp_path: Path) -> None:
    path = write_tiny_qwen2_gguf(tmp_path / "wide.gguf", hidden=512, layers=1, heads=8, ffn=768)
    reader = GGUFReader(path)
    assert _field(reader, "qwen2.embedding_length") == 512
    assert _field(reader, "qwen2.block_count") == 1
    assert _field(reader, "qwen2.attention.head_count") == 8
    with pytest.raises(ValueError, match="divisible"):
        write_tiny_qwen2_gguf(tmp_path / "bad.gguf", hidden=256, heads=3)


def test_seed_changes_the_weights_and_is_reproducible(tmp_path: Path) -> None:
    a = write_tiny_qwen2_gguf(tmp_path / "a.gguf", seed=1).read_bytes()
    b = write_tiny_qwen2_gguf(tmp_path / "b.gguf", seed=1).read_bytes()
    c = write_tiny_qwen2_gguf(tmp_path / "c.gguf", seed=2).read_bytes()
    assert a == b
    assert a != c


def test_selftest_model_is_quantized_and_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build_selftest_model(cache)
    stamp = first.stat().st_mtime_ns
    again = build_selftest_model(cache)
    assert again == first
    assert again.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [first.name]  # no temporary files left
    with Engine.load(first, n_ctx=512, n_threads=2) as engine:
        assert engine.info.quant == "Q4_K_M"
