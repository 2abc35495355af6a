"""The native binding: loading errors with a reason a person can act on, llama.cpp's own
log as the source of those reasons, system info, and the KV-cache bookkeeping.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import app.core.engines.llama as llama_module
from app.core.chat import SamplingParams
from app.core.engines.llama import LlamaEngine as Engine
from app.core.engines.native import DECODE_OK, NativeModel, cpu_variant, llama_system_info
from app.core.errors import ModelLoadError
from app.core.gguf import read_gguf_metadata

# --- loading errors ----------------------------------------------------------------------


def test_missing_path_says_the_file_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(ModelLoadError, match="does not exist") as caught:
        Engine.load(missing)
    assert str(missing) in str(caught.value)


def test_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelLoadError, match=r"empty \(0 bytes\)"):
        Engine.load(empty)


def test_random_bytes_are_not_a_gguf(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(ModelLoadError, match="is not a GGUF model file"):
        Engine.load(junk)


@pytest.mark.parametrize("keep_fraction", [0.5, 0.0005])
def test_truncated_gguf_says_it_is_incomplete(
    tmp_path: Path, tiny_model_f32: Path, keep_fraction: float
) -> None:
    data = tiny_model_f32.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: int(len(data) * keep_fraction)])
    with pytest.raises(ModelLoadError, match="is incomplete") as caught:
        Engine.load(cut)
    assert "download the model again" in str(caught.value)


def test_native_load_failure_carries_llama_cpp_reason(
    tmp_path: Path, tiny_model_f32: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past our pre-check, the reason comes from llama.cpp's log, not a generic failure."""
    data = tiny_model_f32.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) // 2])
    header = read_gguf_metadata(tiny_model_f32)
    monkeypatch.setattr(llama_module, "read_gguf_metadata", lambda _path: header)
    with pytest.raises(ModelLoadError, match="the file is truncated") as caught:
        Engine.load(cut)
    assert "not within the file bounds" in caught.value.detail
    assert "Failed to load model from file" not in str(caught.value)


def test_unknown_architecture_is_named(
    tmp_path: Path, tiny_model_f32: Path, caplog: pytest.LogCaptureFixture
) -> None:
    alien = tmp_path / "alien.gguf"
    alien.write_bytes(tiny_model_f32.read_bytes().replace(b"qwen2", b"qwfoo"))
    with (
        caplog.at_level(logging.WARNING, logger="hearth.llama"),
        pytest.raises(ModelLoadError, match=r"architecture \(qwfoo\).*unknown architecture"),
    ):
        Engine.load(alien)
    native_errors = [r for r in caplog.records if r.name == "hearth.llama"]
    assert any("unknown model architecture" in r.getMessage() for r in native_errors)


def test_system_info_and_cpu_variant_are_reported() -> None:
    assert "CPU" in llama_system_info()
    variant = cpu_variant()
    assert "ggml-cpu" in variant


# --- the native model ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def native(tiny_model_f32: Path) -> Iterator[NativeModel]:
    model = NativeModel.open(tiny_model_f32, n_ctx=512, n_threads=2, n_batch=64)
    yield model
    model.free()


def test_cache_list_follows_decodes_and_prefix_reuse(native: NativeModel) -> None:
    native.clear_cache()
    tokens = native.tokenize_raw("hello there, how are you")
    assert native.decode_chunk(tokens, want_logits=True) == DECODE_OK
    assert native.cache == tokens
    chain = native.make_sampler(SamplingParams(temperature=0.0), 0)
    try:
        token = native.sample(chain)
        assert native.decode_one(token) == DECODE_OK
    finally:
        native.free_sampler(chain)
    assert native.cache == [*tokens, token]
    # A prompt sharing the first half keeps exactly that half (never the last prompt token).
    half = len(tokens) // 2
    other = tokens[:half] + native.tokenize_raw(" something else")
    assert native.reuse_prefix(other) == half
    assert native.cache == tokens[:half]
    # The same prompt again keeps all but its last token, whose logits start the reply.
    assert native.reuse_prefix(tokens[:half]) == half - 1


def test_greedy_sampling_is_deterministic_and_pieces_are_bytes(native: NativeModel) -> None:
    prompt = native.tokenize_raw("count: one two three")
    picks = []
    for _ in range(2):
        native.clear_cache()
        assert native.decode_chunk(prompt, want_logits=True) == DECODE_OK
        chain = native.make_sampler(SamplingParams(temperature=0.0), 0)
        try:
            picks.append(native.sample(chain))
        finally:
            native.free_sampler(chain)
    assert picks[0] == picks[1]
    assert isinstance(native.token_bytes(picks[0]), bytes)
    assert native.is_end(native.eos_id)
    assert not native.is_end(prompt[0])


def test_free_is_idempotent(tiny_model_f32: Path) -> None:
    model = NativeModel.open(tiny_model_f32, n_ctx=256, n_threads=1, n_batch=32)
    assert model.is_open and model.n_ctx == 256 and model.quant == "F32"
    model.free()
    model.free()
    assert not model.is_open and model.cache == []
