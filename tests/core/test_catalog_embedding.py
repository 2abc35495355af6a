"""Embedding models as catalog entries: the built-in entry, parsing, download, import, and
which one the Library uses (the ``embedding_model`` setting)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.catalog import Catalog, CatalogError, load_catalog, parse_catalog
from app.core.downloads import DownloadProgress
from app.core.errors import ImportValidationError
from app.core.gguf import validate_gguf
from app.core.install import install_catalog_entry
from app.core.knowledge.bertgguf import write_tiny_bert_gguf
from app.core.knowledge.embed import (
    embedding_model_in_use,
    installed_embedding_model,
    installed_embedding_models,
)
from app.core.models import import_gguf, list_installed, validate_import
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings, load_settings, save_settings, settings_from_dict
from app.core.tinymodel import write_tiny_qwen2_gguf
from tests.support.mirror import LocalMirror, MirrorFile

REPO_ROOT = Path(__file__).resolve().parents[2]
CHAT_REPO = "tiny-org/tiny-chat-GGUF"
EMBED_REPO = "tiny-org/tiny-embed-GGUF"
CHAT_ID = "tiny-chat-q8_0"
EMBED_ID = "tiny-embed-q8_0"
CHAT_FILE = "tiny-chat-q8_0.gguf"
EMBED_FILE = "tiny-embed-q8_0.gguf"


def _entry(model_id: str, served: MirrorFile, repo: str, *, role: str, sha: str | None) -> dict:
    entry = {
        "id": model_id,
        "name": f"Tiny {role}",
        "family": "bge-small-zh" if role == "embedding" else "Tiny",
        "quant": "Q8_0",
        "file": served.filename,
        "size": served.size,
        "size_exact": True,
        "sha256": sha,
        "params": 1e6,
        "architecture": {"n_layers": 2, "n_kv_heads": 1, "head_dim": 8},
        "license": "MIT",
        "default": role == "chat",
        "sources": [
            {"kind": "huggingface", "repo": repo, "revision": "main"},
            {"kind": "modelscope", "repo": repo, "revision": "master"},
        ],
    }
    if role == "embedding":
        entry["role"] = "embedding"
    return entry


def write_embedding_catalog(
    path: Path,
    mirror: LocalMirror,
    chat: MirrorFile,
    embedding: MirrorFile,
    *,
    embedding_sha: str | None = None,
) -> Catalog:
    """A chat entry (the default) and an embedding entry, every endpoint the local mirror.

    The embedding entry pins no sha256 by default, like the built-in one: the sources'
    reported sha256 (X-Linked-Etag) is what the download is verified against."""
    document = {
        "version": 1,
        "endpoints": {"huggingface": mirror.base_url, "modelscope": mirror.base_url},
        "mirrors": [],
        "models": [
            _entry(CHAT_ID, chat, CHAT_REPO, role="chat", sha=chat.sha256),
            _entry(EMBED_ID, embedding, EMBED_REPO, role="embedding", sha=embedding_sha),
        ],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_catalog(path, include_user=False)


@pytest.fixture
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_bert_gguf(tmp_path_factory.mktemp("bert") / "tiny-bert.gguf")


@pytest.fixture
def tiny_chat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_qwen2_gguf(tmp_path_factory.mktemp("qwen") / "tiny-qwen.gguf")


# --- the built-in catalog ------------------------------------------------------------------


def test_the_builtin_catalog_has_a_chinese_capable_embedding_model_never_a_chat_one() -> None:
    catalog = load_catalog(REPO_ROOT / "resources" / "catalog.json", include_user=False)
    embedding = catalog.embedding_models
    assert [e.id for e in embedding] == ["bge-small-zh-v1.5-q8_0"]
    bge = embedding[0]
    assert bge.file == "bge-small-zh-v1.5-q8_0.gguf"
    assert not bge.default
    assert bge.id not in {e.id for e in catalog.chat_models}
    assert catalog.default_entry is not None and catalog.default_entry.role == "chat"
    # Facts carry where they were read; a hash is the publisher's or none at all.
    assert "huggingface.co/CompendiumLabs/bge-small-zh-v1.5-gguf" in bge.provenance
    assert bge.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", bge.sha256)
    assert bge.checksum_published == (bge.sha256 is not None)
    sources = catalog.sources_for(bge)
    assert sources[0].url == (
        "https://huggingface.co/CompendiumLabs/bge-small-zh-v1.5-gguf/resolve/main/"
        "bge-small-zh-v1.5-q8_0.gguf"
    )
    assert {s.kind for s in sources} >= {"huggingface", "mirror"}


def _one_model(**overrides: object) -> dict:
    model: dict = {
        "id": "e",
        "quant": "Q8_0",
        "file": "e.gguf",
        "size": 10,
        "params": 1,
        "architecture": {"n_layers": 1, "n_kv_heads": 1, "head_dim": 1},
        "sources": [{"kind": "huggingface", "repo": "a/b"}],
        "role": "embedding",
    }
    model.update(overrides)
    return {"version": 1, "models": [model]}


def test_an_embedding_entry_parses_with_its_provenance_and_cannot_be_the_default() -> None:
    catalog = parse_catalog(_one_model(provenance="the HF file list"))
    (entry,) = catalog.embedding_models
    assert entry.provenance == "the HF file list"
    assert catalog.chat_models == ()
    with pytest.raises(CatalogError, match="embedding model cannot be the default"):
        parse_catalog(_one_model(default=True))
    with pytest.raises(CatalogError, match="“role” must be"):
        parse_catalog(_one_model(role="reranker"))


# --- import --------------------------------------------------------------------------------


def test_importing_a_bert_gguf_files_it_as_an_embedding_model(
    tiny_bert: Path, tiny_chat: Path, isolated_app_dirs: AppPaths
) -> None:
    models = isolated_app_dirs.models
    assert validate_import(tiny_bert).architecture == "bert"
    # Still never a chat model: the chat-side check refuses it.
    with pytest.raises(ImportValidationError, match="which cannot chat"):
        validate_gguf(tiny_bert)
    bert = import_gguf(tiny_bert, copy=True, models_dir=models)
    qwen = import_gguf(tiny_chat, copy=True, models_dir=models)
    assert bert.role == "embedding"
    assert qwen.role == "chat"
    listed = {m.name: m.role for m in list_installed(models)}
    assert listed == {"tiny-bert.gguf": "embedding", "tiny-qwen.gguf": "chat"}


def test_a_bert_dropped_into_the_models_folder_is_an_embedding_model(
    tiny_bert: Path, isolated_app_dirs: AppPaths
) -> None:
    shutil.copy(tiny_bert, isolated_app_dirs.models / "found-bert.gguf")
    (model,) = list_installed(isolated_app_dirs.models)
    assert (model.origin, model.role) == ("found", "embedding")


# --- download ------------------------------------------------------------------------------


def test_an_embedding_entry_downloads_through_a_faulty_mirror_and_is_verified(
    local_mirror: LocalMirror,
    gateway: NetworkGateway,
    isolated_app_dirs: AppPaths,
    tiny_bert: Path,
    tiny_chat: Path,
    tmp_path: Path,
) -> None:
    chat = local_mirror.add_file(CHAT_REPO, CHAT_FILE, tiny_chat.read_bytes())
    served = local_mirror.add_file(EMBED_REPO, EMBED_FILE, tiny_bert.read_bytes())
    catalog = write_embedding_catalog(tmp_path / "catalog.json", local_mirror, chat, served)
    entry = catalog.get(EMBED_ID)
    assert entry is not None and entry.sha256 is None
    # Every body is cut after 100 KB once: the download resumes (or fails over) and the
    # bytes are still checked against the sha256 the sources report.
    local_mirror.reset_after(100_000, times=1)
    phases: list[str] = []

    def progress(event: DownloadProgress) -> None:
        phases.append(event.phase)

    result = install_catalog_entry(
        entry,
        catalog.sources_for(entry),
        models_dir=isolated_app_dirs.models,
        gateway=gateway,
        progress=progress,
        cancel=CancelToken(),
        rank=False,
    )
    assert result.path == isolated_app_dirs.models / EMBED_FILE
    assert result.path.read_bytes() == served.data
    # The faults were met: the bytes came in more than one GET (the first was cut short).
    gets = [r for r in local_mirror.requests if r.method == "GET" and EMBED_FILE in r.path]
    assert len(gets) >= 2
    assert result.sha256 == served.sha256
    # The header is read as an embedding model: no "cannot chat" warning.
    assert result.warning == ""
    assert result.metadata is not None and result.metadata.architecture == "bert"
    assert "downloading" in phases
    (model,) = installed_embedding_models(isolated_app_dirs.models, catalog)
    assert model.entry == entry and model.role == "embedding"


# --- which model the Library uses -------------------------------------------------------------


def test_the_library_uses_the_chosen_model_else_the_first_installed(
    tiny_bert: Path, tiny_chat: Path, isolated_app_dirs: AppPaths
) -> None:
    models = isolated_app_dirs.models
    empty = Catalog(version=1, models=())
    assert embedding_model_in_use(models, "", catalog=empty) is None
    shutil.copy(tiny_chat, models / "chat.gguf")
    assert embedding_model_in_use(models, "chat.gguf", catalog=empty) is None  # never a chat model
    shutil.copy(tiny_bert, models / "a-bert.gguf")
    shutil.copy(tiny_bert, models / "multilingual-e5-b.gguf")
    first = embedding_model_in_use(models, "", catalog=empty)
    assert first is not None and (first.file, first.chosen) == ("a-bert.gguf", False)
    chosen = embedding_model_in_use(models, "multilingual-e5-b.gguf", catalog=empty)
    assert chosen is not None and (chosen.file, chosen.chosen) == ("multilingual-e5-b.gguf", True)
    # The model family's prefixes come with it (e5 wants "query: " / "passage: ").
    assert (chosen.query_prefix, chosen.passage_prefix) == ("query: ", "passage: ")
    gone = embedding_model_in_use(models, "deleted.gguf", catalog=empty)
    assert gone is not None and (gone.file, gone.chosen) == ("a-bert.gguf", False)


def test_the_library_reads_the_saved_embedding_model_setting(
    tiny_bert: Path, isolated_app_dirs: AppPaths
) -> None:
    models = isolated_app_dirs.models
    shutil.copy(tiny_bert, models / "a-bert.gguf")
    shutil.copy(tiny_bert, models / "b-bert.gguf")
    found = installed_embedding_model(models)
    assert found is not None and found[0].name == "a-bert.gguf"
    save_settings(isolated_app_dirs.settings_file, Settings(embedding_model="b-bert.gguf"))
    assert load_settings(isolated_app_dirs.settings_file).embedding_model == "b-bert.gguf"
    found = installed_embedding_model(models)
    assert found is not None and found[0] == models / "b-bert.gguf"


def test_the_embedding_model_setting_is_forgiving() -> None:
    assert settings_from_dict({"embedding_model": "x.gguf"}).embedding_model == "x.gguf"
    assert settings_from_dict({"embedding_model": 3}).embedding_model == ""
    assert settings_from_dict({}).embedding_model == ""
