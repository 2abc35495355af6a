"""The one bounded GGUF reader: hostile headers end in a GgufError sentence, fast and small
(issue 12 item 4, issue 17 item 2)."""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import gguf as gguf_module
from app.core.errors import HearthError, ImportValidationError, ModelLoadError
from app.core.gguf import GgufError, read_gguf_metadata, validate_gguf
from tests.core.test_models import write_test_gguf

#: Generous ceiling for one hostile header (real figure: a few milliseconds; a header that
#: made the reader loop or allocate its counts would take minutes). Roomy for a busy machine.
CEILING_S = 30.0

U8, U32, U64, STRING, ARRAY = 0, 4, 10, 8, 9


def s(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data)) + data


def kv(key: str, value_type: int, payload: bytes) -> bytes:
    return s(key) + struct.pack("<I", value_type) + payload


def header(*, n_tensors: int = 0, n_kv: int = 0, body: bytes = b"", version: int = 3) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv) + body


def write(tmp_path: Path, data: bytes, name: str = "x.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    with pytest.raises(GgufError):
        call()
    return time.perf_counter() - started


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    return write_test_gguf(tmp_path / "Tiny-Q8_0.gguf")


# --- what it reads ------------------------------------------------------------------------


def test_reads_a_real_header(valid: Path) -> None:
    meta = read_gguf_metadata(valid)
    assert (meta.name, meta.architecture, meta.file_type) == ("Tiny Test", "qwen2", "Q8_0")
    assert meta.tensor_count == 2 and meta.vocab_size == 32
    assert 0 < meta.required_size <= valid.stat().st_size


def test_errors_are_both_import_and_load_errors(tmp_path: Path) -> None:
    """One reader serves import validation and the engine's pre-check."""
    with pytest.raises(GgufError) as caught:
        read_gguf_metadata(write(tmp_path, b"<html>" * 10))
    assert isinstance(caught.value, ImportValidationError)
    assert isinstance(caught.value, ModelLoadError)
    assert "is not a GGUF model file" in str(caught.value)


def test_display_strings_lose_control_characters(tmp_path: Path) -> None:
    body = kv("general.architecture", STRING, s("qwen2")) + kv(
        "general.name", STRING, s("Evil\x1b[31m\nName\x07")
    )
    meta = read_gguf_metadata(write(tmp_path, header(n_kv=2, body=body) + b"\0" * 64))
    assert meta.name == "Evil [31m Name"
    assert all(ch.isprintable() for ch in meta.name)


def test_reads_only_the_header_in_bounded_memory(tmp_path: Path, valid: Path) -> None:
    big = tmp_path / "big.gguf"
    data = valid.read_bytes()
    big.write_bytes(data + b"\0" * (64 << 20))  # 64 MB of "weights" past the header
    tracemalloc.start()
    try:
        read_gguf_metadata(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"peak {peak} bytes"


# --- hostile headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (header(n_tensors=2**63), "tensors"),
        (header(n_kv=2**64 - 1), "keys"),
        (header(n_kv=1, body=kv("a", ARRAY, struct.pack("<IQ", STRING, 2**60))), "truncated"),
        (header(n_kv=1, body=kv("a", ARRAY, struct.pack("<IQ", U64, 2**61))), "truncated"),
        (header(n_kv=1, body=kv("a", ARRAY, struct.pack("<IQ", ARRAY, 2**62))), "truncated"),
        (header(n_kv=1, body=kv("a", STRING, struct.pack("<Q", 2**63))), "truncated"),
        (header(n_kv=1, body=s("k" * 10) + struct.pack("<I", 77)), "unknown value type"),
        (header(n_kv=1, body=kv("a", ARRAY, struct.pack("<IQ", 99, 1))), "unknown array item"),
        (header(n_tensors=1, body=s("t") + struct.pack("<I", 2**31)), "dimensions"),
        (header(n_tensors=1, body=s("t") + struct.pack("<I4Q", 4, *[2**63] * 4)), "dimension"),
        (header(n_tensors=1, body=s("t") + struct.pack("<I4Q", 4, *[2**20] * 4)), "elements"),
        (header(version=2**31 - 1), "GGUF version"),
        (header(n_kv=1, body=kv("general.alignment", U32, struct.pack("<I", 3))), "alignment"),
    ],
    ids=[
        "tensor-count",
        "key-count",
        "string-array-length",
        "number-array-length",
        "nested-array-length",
        "string-length",
        "value-type",
        "array-item-type",
        "dimension-count",
        "huge-dimension",
        "shape-product",
        "version",
        "alignment",
    ],
)
def test_absurd_counts_and_sizes_are_refused_with_a_sentence(
    tmp_path: Path, data: bytes, said: str
) -> None:
    path = write(tmp_path, data + b"\0" * 64)
    elapsed = timed(lambda: read_gguf_metadata(path))
    assert elapsed < CEILING_S
    with pytest.raises(GgufError, match=said) as caught:
        read_gguf_metadata(path)
    assert str(caught.value).endswith(".")
    assert "“x.gguf”" in str(caught.value)


def test_deeply_nested_arrays_are_refused_not_recursed(tmp_path: Path) -> None:
    depth = 100_000
    nested = struct.pack("<IQ", ARRAY, 1) * depth + struct.pack("<IQ", U8, 0)
    path = write(tmp_path, header(n_kv=1, body=kv("deep", ARRAY, nested)))
    elapsed = timed(lambda: read_gguf_metadata(path))
    assert elapsed < CEILING_S
    with pytest.raises(GgufError, match="nested more than"):
        read_gguf_metadata(path)


def test_a_little_nesting_is_read_past(tmp_path: Path) -> None:
    inner = struct.pack("<IQ", U8, 2) + b"\1\2"
    body = kv("general.architecture", STRING, s("qwen2")) + kv(
        "pairs", ARRAY, struct.pack("<IQ", ARRAY, 2) + inner + inner
    )
    path = write(tmp_path, header(n_kv=2, body=body) + b"\0" * 64)
    assert read_gguf_metadata(path).architecture == "qwen2"


def test_many_empty_strings_in_a_small_file_end_at_the_file(tmp_path: Path) -> None:
    body = kv("a", ARRAY, struct.pack("<IQ", STRING, 10**9)) + struct.pack("<Q", 0) * 1000
    path = write(tmp_path, header(n_kv=1, body=body))
    assert timed(lambda: read_gguf_metadata(path)) < CEILING_S


def test_a_header_past_the_cap_is_refused_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gguf_module, "MAX_HEADER_BYTES", 1 << 20)
    monkeypatch.setattr(gguf_module, "_FIRST_READ", 64 << 10)
    tokens = b"".join(s(f"token{i:07d}") for i in range(300_000))  # ~6 MB of vocabulary
    body = kv("tokenizer.ggml.tokens", ARRAY, struct.pack("<IQ", STRING, 300_000) + tokens)
    path = write(tmp_path, header(n_kv=1, body=body))
    tracemalloc.start()
    try:
        with pytest.raises(GgufError, match="larger than 1 MB"):
            read_gguf_metadata(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 << 20, f"peak {peak} bytes"


@pytest.mark.parametrize("keep", [10, 23, 100, 300])
def test_truncated_headers_say_incomplete(tmp_path: Path, valid: Path, keep: int) -> None:
    path = write(tmp_path, valid.read_bytes()[:keep])
    with pytest.raises(GgufError, match=r"incomplete|truncated"):
        read_gguf_metadata(path)


# --- files that are not files -----------------------------------------------------------------


def _within_ceiling(call: Callable[[], object]) -> BaseException | None:
    """Run ``call`` on a thread; fail the test if it blocks (a FIFO would, forever)."""
    box: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            box.append(None)
        except BaseException as exc:
            box.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(CEILING_S)
    if thread.is_alive():
        pytest.fail("reading blocked")
    return box[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)
    error = _within_ceiling(lambda: validate_gguf(fifo))
    assert isinstance(error, GgufError)
    assert "not a regular file (it is a pipe)" in str(error)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.gguf"
    link.symlink_to("/dev/zero")
    assert stat.S_ISCHR(link.stat().st_mode)
    error = _within_ceiling(lambda: read_gguf_metadata(link))
    assert isinstance(error, GgufError)
    assert "it is a device" in str(error)


def test_a_folder_and_a_missing_file_are_sentences(tmp_path: Path) -> None:
    with pytest.raises(GgufError, match="is a folder"):
        read_gguf_metadata(tmp_path)
    with pytest.raises(GgufError, match="does not exist"):
        read_gguf_metadata(tmp_path / "nowhere.gguf")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_a_sentence(tmp_path: Path, valid: Path) -> None:
    valid.chmod(0)
    with pytest.raises(GgufError, match="could not be opened"):
        read_gguf_metadata(valid)


# --- fuzz ----------------------------------------------------------------------------------------


def _read_any(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.gguf"
    path.write_bytes(data)
    started = time.perf_counter()
    with contextlib.suppress(HearthError):  # the only kind of failure allowed
        validate_gguf(path)
    assert time.perf_counter() - started < CEILING_S


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tail=st.binary(max_size=512), version=st.sampled_from([2, 3, 0x03000000, 7]))
def test_fuzz_random_headers_raise_only_hearth_errors(
    tmp_path: Path, tail: bytes, version: int
) -> None:
    _read_any(tmp_path, b"GGUF" + struct.pack("<I", version) + tail)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzz_mutated_real_headers_raise_only_hearth_errors(
    tmp_path: Path, valid: Path, data: st.DataObject
) -> None:
    original = bytearray(valid.read_bytes()[:2048])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    _read_any(tmp_path, bytes(original[:cut]) + valid.read_bytes()[2048:])
