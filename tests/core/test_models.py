"""Installed models: GGUF header reading and validation, import, verify, list, remove."""

from __future__ import annotations

import hashlib
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.cancel import CancelToken
from app.core.catalog import Catalog, estimate_ram, parse_catalog
from app.core.errors import CancelledError, DiskFullError, HearthError, ImportValidationError
from app.core.models import (
    REGISTRY_NAME,
    catalog_entry_state,
    find_installed,
    import_gguf,
    list_installed,
    read_gguf_metadata,
    record_download,
    remove_model,
    validate_gguf,
    validate_import,
    verify_installed,
)
from app.core.paths import AppPaths


def write_test_gguf(
    path: Path,
    *,
    arch: str = "qwen2",
    name: str = "Tiny Test",
    vocab: int = 32,
    tokenizer: bool = True,
    general_type: str | None = None,
    context_length: int = 4096,
) -> Path:
    """A small but well-formed GGUF written with the ``gguf`` package."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    if general_type:
        writer.add_type(general_type)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_context_length(context_length)
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    if tokenizer:
        writer.add_tokenizer_model("gpt2")
        writer.add_token_list([f"t{i}" for i in range(vocab)])
    writer.add_tensor("token_embd.weight", np.zeros((vocab, 64), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def tiny_catalog(file_name: str, sha256: str | None, size: int = 1000) -> Catalog:
    return parse_catalog(
        {
            "version": 1,
            "models": [
                {
                    "id": "tiny",
                    "name": "Tiny",
                    "family": "Tiny",
                    "quant": "Q8_0",
                    "file": file_name,
                    "size": size,
                    "size_exact": True,
                    "sha256": sha256,
                    "params": 1e6,
                    "architecture": {"n_layers": 2, "n_kv_heads": 2, "head_dim": 16},
                    "license": "MIT",
                    "default": True,
                    "sources": [{"kind": "huggingface", "repo": "a/b"}],
                }
            ],
        }
    )


@pytest.fixture
def valid_gguf(tmp_path: Path) -> Path:
    return write_test_gguf(tmp_path / "incoming" / "Tiny-Q8_0.gguf")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- reading and validating headers ----------------------------------------------------------


def test_reads_metadata_like_the_gguf_reader(valid_gguf: Path) -> None:
    import gguf

    meta = read_gguf_metadata(valid_gguf)
    assert meta.name == "Tiny Test"
    assert meta.architecture == "qwen2"
    assert meta.file_type == "Q8_0"
    assert meta.context_length == 4096
    assert meta.has_chat_template
    assert meta.gguf_version == 3
    assert meta.tensor_count == 2
    assert meta.parameter_count == 32 * 64 + 64
    assert meta.file_size == valid_gguf.stat().st_size
    assert meta.vocab_size == 32
    # 2 layers x 2 KV heads x (16 + 16) x 2 bytes
    assert meta.kv_bytes_per_token == 2 * 2 * 32 * 2

    reader = gguf.GGUFReader(valid_gguf)
    assert reader.fields["general.architecture"].contents() == meta.architecture
    assert reader.fields["qwen2.context_length"].contents() == meta.context_length
    assert len(reader.tensors) == meta.tensor_count
    assert sum(int(t.n_elements) for t in reader.tensors) == meta.parameter_count
    del reader


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_reading_leaves_no_open_file_or_mapping(valid_gguf: Path) -> None:
    read_gguf_metadata(valid_gguf)
    target = str(valid_gguf.resolve())
    fds = [str(fd.readlink()) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    assert target not in fds
    assert target not in Path("/proc/self/maps").read_text()


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.gguf"
    path.write_bytes(b"")
    with pytest.raises(ImportValidationError, match="is empty"):
        validate_gguf(path)


def test_file_too_small_for_a_header(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF\x03\x00")
    with pytest.raises(ImportValidationError, match="too small to be a model"):
        validate_gguf(path)


def test_truncated_header(tmp_path: Path, valid_gguf: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(valid_gguf.read_bytes()[:200])
    with pytest.raises(ImportValidationError, match="truncated: the file ends before its header"):
        validate_gguf(path)


def test_truncated_tensor_data(tmp_path: Path, valid_gguf: Path) -> None:
    path = tmp_path / "short.gguf"
    path.write_bytes(valid_gguf.read_bytes()[:-100])
    with pytest.raises(ImportValidationError, match="truncated: it holds"):
        validate_gguf(path)


def test_not_a_gguf(tmp_path: Path) -> None:
    path = tmp_path / "page.gguf"
    path.write_bytes(b"<!DOCTYPE html><html><body>Sign in</body></html>" * 4)
    with pytest.raises(ImportValidationError, match="is not a GGUF model file"):
        validate_gguf(path)


def test_unsupported_version(tmp_path: Path, valid_gguf: Path) -> None:
    data = bytearray(valid_gguf.read_bytes())
    data[4:8] = struct.pack("<I", 1)
    path = tmp_path / "old.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ImportValidationError, match="GGUF version 1, which Hearth cannot read"):
        validate_gguf(path)


@pytest.mark.parametrize("arch", ["clip", "bert", "nomic-bert", "t5encoder"])
def test_non_causal_architecture_is_refused(tmp_path: Path, arch: str) -> None:
    path = write_test_gguf(tmp_path / f"{arch}.gguf", arch=arch)
    assert read_gguf_metadata(path).architecture == arch  # readable, just not chat-capable
    with pytest.raises(ImportValidationError, match=f"is a “{arch}” model, which cannot chat"):
        validate_gguf(path)


def test_adapter_and_tokenizer_less_files_are_refused(tmp_path: Path) -> None:
    adapter = write_test_gguf(tmp_path / "lora.gguf", general_type="adapter")
    with pytest.raises(ImportValidationError, match="is a LoRA adapter"):
        validate_gguf(adapter)
    bare = write_test_gguf(tmp_path / "bare.gguf", tokenizer=False)
    with pytest.raises(ImportValidationError, match="has no tokenizer"):
        validate_gguf(bare)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportValidationError, match="does not exist"):
        validate_gguf(tmp_path / "nowhere.gguf")


# --- import -----------------------------------------------------------------------------------


def test_import_copy(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    seen: list[tuple[int, int]] = []
    model = import_gguf(valid_gguf, copy=True, progress=lambda d, t: seen.append((d, t)))
    dest = isolated_app_dirs.models / valid_gguf.name
    assert model.path == dest and dest.read_bytes() == valid_gguf.read_bytes()
    assert valid_gguf.exists()
    assert model.origin == "imported" and not model.in_place
    assert model.sha256 == sha256_of(valid_gguf)
    assert seen[-1] == (valid_gguf.stat().st_size,) * 2
    assert not list(isolated_app_dirs.models.glob(".*importing"))
    (listed,) = list_installed(isolated_app_dirs.models)
    assert listed.name == valid_gguf.name and listed.origin == "imported"
    assert listed.metadata is not None and listed.metadata.architecture == "qwen2"


def test_import_in_place(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    model = import_gguf(valid_gguf, copy=False)
    assert model.in_place and model.path == valid_gguf.resolve()
    assert not (isolated_app_dirs.models / valid_gguf.name).exists()
    assert (isolated_app_dirs.models / REGISTRY_NAME).is_file()
    (listed,) = list_installed(isolated_app_dirs.models)
    assert listed.origin == "registered" and listed.available
    assert listed.metadata is not None and listed.metadata.context_length == 4096


def test_import_refuses_an_invalid_file_before_copying(
    isolated_app_dirs: AppPaths, tmp_path: Path
) -> None:
    clip = write_test_gguf(tmp_path / "mmproj.gguf", arch="clip")
    with pytest.raises(ImportValidationError):
        import_gguf(clip, copy=True)
    assert list(isolated_app_dirs.models.iterdir()) == []


def test_import_refuses_a_duplicate_name(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    import_gguf(valid_gguf, copy=True)
    with pytest.raises(ImportValidationError, match="already installed"):
        import_gguf(valid_gguf, copy=False)


def test_cancelled_import_leaves_nothing(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        import_gguf(valid_gguf, copy=True, cancel=cancel)
    assert list(isolated_app_dirs.models.iterdir()) == []


def test_import_checks_free_space(
    isolated_app_dirs: AppPaths, valid_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(1, 1, 0))  # type: ignore[attr-defined]
    with pytest.raises(DiskFullError, match="not enough free disk space"):
        import_gguf(valid_gguf, copy=True)
    assert list(isolated_app_dirs.models.iterdir()) == []


def test_fit_estimate_for_an_imported_model_uses_its_metadata(
    isolated_app_dirs: AppPaths, valid_gguf: Path
) -> None:
    model = import_gguf(valid_gguf, copy=False)
    estimate = estimate_ram(model, 1000)
    assert estimate.weights == valid_gguf.stat().st_size
    assert estimate.kv_cache == 256 * 1000


# --- list, verify, remove ----------------------------------------------------------------------


def test_catalog_file_is_matched_by_name(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    dest = isolated_app_dirs.models / valid_gguf.name
    shutil.copyfile(valid_gguf, dest)
    catalog = tiny_catalog(valid_gguf.name, sha256_of(valid_gguf))
    (model,) = list_installed(isolated_app_dirs.models, catalog)
    assert model.origin == "catalog" and model.entry is not None
    assert model.kv_bytes_per_token == catalog.models[0].kv_bytes_per_token
    assert catalog_entry_state(catalog.models[0], isolated_app_dirs.models).state == "installed"


def test_stray_and_broken_files_in_the_models_folder(
    isolated_app_dirs: AppPaths, valid_gguf: Path
) -> None:
    shutil.copyfile(valid_gguf, isolated_app_dirs.models / "dropped.gguf")
    (isolated_app_dirs.models / "broken.gguf").write_bytes(b"nope")
    (model,) = list_installed(isolated_app_dirs.models)
    assert model.name == "dropped.gguf" and model.origin == "found"


def test_partial_download_state(isolated_app_dirs: AppPaths) -> None:
    catalog = tiny_catalog("Tiny.gguf", None, size=1000)
    (isolated_app_dirs.models / "Tiny.gguf.part").write_bytes(b"GGUF" + b"\0" * 396)
    state = catalog_entry_state(catalog.models[0], isolated_app_dirs.models)
    assert (state.state, state.on_disk) == ("partial", 400)


def test_verify_catalog_model(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    dest = isolated_app_dirs.models / valid_gguf.name
    shutil.copyfile(valid_gguf, dest)
    catalog = tiny_catalog(valid_gguf.name, sha256_of(valid_gguf))
    model = find_installed(valid_gguf.name, isolated_app_dirs.models, catalog)
    seen: list[tuple[int, int]] = []
    result = verify_installed(model, lambda d, t: seen.append((d, t)))
    assert result.ok is True and "intact" in result.message
    assert seen[-1] == (dest.stat().st_size,) * 2
    data = bytearray(dest.read_bytes())
    data[-1] ^= 0xFF
    dest.write_bytes(bytes(data))
    result = verify_installed(model)
    assert result.ok is False
    assert "damaged" in result.message and "download or copy it again" in result.message


def test_verify_uses_the_hash_recorded_at_download(
    isolated_app_dirs: AppPaths, valid_gguf: Path
) -> None:
    dest = isolated_app_dirs.models / valid_gguf.name
    shutil.copyfile(valid_gguf, dest)
    catalog = tiny_catalog(valid_gguf.name, None)
    record_download(isolated_app_dirs.models, dest.name, sha256_of(dest))
    model = find_installed("tiny", isolated_app_dirs.models, catalog)  # by catalog id
    assert verify_installed(model).ok is True


def test_verify_without_reference(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    model = import_gguf(valid_gguf, copy=False)
    result = verify_installed(model)
    assert result.ok is None and result.sha256 == sha256_of(valid_gguf)


def test_verify_can_be_cancelled(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    model = import_gguf(valid_gguf, copy=True)
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        verify_installed(model, cancel=cancel)


def test_remove_deletes_file_and_part(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    model = import_gguf(valid_gguf, copy=True)
    part = model.path.with_name(model.name + ".part")
    part.write_bytes(b"GGUF")
    assert remove_model(model.name) == "deleted"
    assert not model.path.exists() and not part.exists()
    assert list_installed(isolated_app_dirs.models) == []


def test_remove_in_place_only_unregisters(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    model = import_gguf(valid_gguf, copy=False)
    assert remove_model(model.name) == "unregistered"
    assert valid_gguf.exists()
    assert list_installed(isolated_app_dirs.models) == []


def test_remove_partial_by_catalog_id(isolated_app_dirs: AppPaths) -> None:
    catalog = tiny_catalog("Tiny.gguf", None)
    part = isolated_app_dirs.models / "Tiny.gguf.part"
    part.write_bytes(b"GGUF")
    assert remove_model("tiny", catalog=catalog) == "partial_deleted"
    assert not part.exists()


def test_remove_unknown_name(isolated_app_dirs: AppPaths) -> None:
    with pytest.raises(HearthError, match="No installed model is called"):
        remove_model("ghost.gguf")
    with pytest.raises(HearthError, match="not a model name"):
        remove_model("../escape.gguf")


def test_missing_in_place_file_is_listed_as_missing(
    isolated_app_dirs: AppPaths, valid_gguf: Path
) -> None:
    import_gguf(valid_gguf, copy=False)
    valid_gguf.unlink()
    (model,) = list_installed(isolated_app_dirs.models)
    assert not model.available
    assert remove_model(model.name) == "unregistered"


def test_corrupt_registry_is_set_aside(isolated_app_dirs: AppPaths, valid_gguf: Path) -> None:
    (isolated_app_dirs.models / REGISTRY_NAME).write_text("{not json")
    assert list_installed(isolated_app_dirs.models) == []
    assert (isolated_app_dirs.models / f"{REGISTRY_NAME}.corrupt").exists()
    import_gguf(valid_gguf, copy=False)
    assert len(list_installed(isolated_app_dirs.models)) == 1


# --- import hygiene (issue 17) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("model.bin", "not named like a GGUF model"),
        (".hidden.gguf", "is a hidden file"),
        ("x.gguf.part", "unfinished download"),
        ("bad\x1bname.gguf", "control characters"),
    ],
)
def test_odd_names_are_refused_with_a_sentence(
    isolated_app_dirs: AppPaths, valid_gguf: Path, name: str, said: str
) -> None:
    odd = valid_gguf.with_name(name)
    shutil.copyfile(valid_gguf, odd)
    with pytest.raises(ImportValidationError, match=said):
        import_gguf(odd, copy=True, models_dir=isolated_app_dirs.models)
    with pytest.raises(ImportValidationError, match=said):
        validate_import(odd)
    assert list_installed(isolated_app_dirs.models) == []


def test_a_hugging_face_cache_link_is_imported_under_its_own_name(
    isolated_app_dirs: AppPaths, valid_gguf: Path, tmp_path: Path
) -> None:
    blob = tmp_path / "blobs" / ("ab" * 32)
    blob.parent.mkdir()
    shutil.copyfile(valid_gguf, blob)
    link = tmp_path / "snapshot" / "Linked-Q8_0.gguf"
    link.parent.mkdir()
    link.symlink_to(blob)
    model = import_gguf(link, copy=True, models_dir=isolated_app_dirs.models)
    assert model.name == "Linked-Q8_0.gguf"
    assert (isolated_app_dirs.models / "Linked-Q8_0.gguf").is_file()


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_not_imported(isolated_app_dirs: AppPaths, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.gguf"
    os.mkfifo(fifo)
    with pytest.raises(ImportValidationError, match="not a regular file"):
        import_gguf(fifo, copy=True, models_dir=isolated_app_dirs.models)
