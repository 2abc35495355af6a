"""The catalog: loading and validation, source URLs, live metadata cross-checks, RAM fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.cancel import CancelToken
from app.core.catalog import (
    RUNTIME_OVERHEAD_BYTES,
    Catalog,
    CatalogEntry,
    CatalogError,
    Mirror,
    estimate_ram,
    fit,
    load_catalog,
    modelscope_file_url,
    parse_catalog,
    sources_for,
)
from app.core.downloads import Source
from app.core.errors import CancelledError, DownloadError, OfflineError
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.source_metadata import SourceMetadata, fetch_source_metadata, resolve_expected
from tests.support.mirror import LocalMirror, make_gguf_payload

GB = 1000**3
REPO = "unsloth/Tiny-GGUF"
FILE = "Tiny-Q4_K_M.gguf"


def entry_dict(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "tiny-q4_k_m",
        "name": "Tiny Q4_K_M",
        "family": "Tiny",
        "quant": "Q4_K_M",
        "file": FILE,
        "size": 1000,
        "size_exact": True,
        "sha256": None,
        "params": 1.0e6,
        "architecture": {"n_layers": 2, "n_kv_heads": 1, "head_dim": 8},
        "license": "MIT",
        "default": True,
        "sources": [
            {"kind": "huggingface", "repo": REPO, "revision": "main"},
            {"kind": "modelscope", "repo": REPO, "revision": "master"},
        ],
    }
    entry.update(overrides)
    return entry


def make_entry(**overrides: Any) -> CatalogEntry:
    return parse_catalog({"version": 1, "models": [entry_dict(**overrides)]}).models[0]


def write_catalog(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


# --- loading and validation --------------------------------------------------------------


def test_builtin_catalog_pins_the_default_model() -> None:
    catalog = load_catalog()
    default = catalog.default_entry
    assert default is not None
    assert default.id == "r1-1.5b-q4_k_m"
    assert default.file == "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"
    assert default.size == 1_117_320_576 and default.size_exact
    assert default.sha256 == "c2c43b6018cf7700ce0ddee8807deb1a9a26758ef878232f3a142d16df81f0fe"
    assert default.kv_bytes_per_token == 28 * 1024
    assert default.license == "MIT"
    assert [s.kind for s in default.sources] == ["huggingface", "modelscope"]
    quants = {e.quant: e for e in catalog.models if e.family == default.family}
    for quant in ("Q5_K_M", "Q6_K", "Q8_0"):
        assert quants[quant].sha256 is not None
        assert not quants[quant].size_exact
    bartowski = catalog.get("r1-1.5b-q4_0-bartowski")
    assert bartowski is not None and bartowski.sha256 is None and bartowski.size == 1_068_807_776
    larger = catalog.find("r1-7b-q4_k_m")
    assert larger.sha256 is None and larger.kv_bytes_per_token > default.kv_bytes_per_token
    assert [m.endpoint for m in catalog.mirrors] == ["https://hf-mirror.com"]


def test_find_by_quant_prefers_the_default_family() -> None:
    catalog = load_catalog()
    assert catalog.find("q4_k_m").id == "r1-1.5b-q4_k_m"
    assert catalog.find("Q8_0").id == "r1-1.5b-q8_0"
    with pytest.raises(CatalogError, match="no model “Q3_K_S”"):
        catalog.find("Q3_K_S")


def test_hearth_catalog_env_replaces_the_builtin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_catalog(tmp_path / "site.json", {"version": 1, "models": [entry_dict()]})
    monkeypatch.setenv("HEARTH_CATALOG", str(path))
    catalog = load_catalog()
    assert [e.id for e in catalog.models] == ["tiny-q4_k_m"]
    assert catalog.origins == (path,)


def test_user_catalog_is_merged_on_top(isolated_app_dirs: AppPaths) -> None:
    user = {
        "version": 1,
        "mirrors": [{"name": "office", "endpoint": "https://models.office.example/"}],
        "models": [entry_dict(default=False)],
    }
    write_catalog(isolated_app_dirs.config / "catalog.json", user)
    catalog = load_catalog()
    assert catalog.get("tiny-q4_k_m") is not None
    assert catalog.get("r1-1.5b-q4_k_m") is not None
    assert catalog.default_entry is not None and catalog.default_entry.id == "r1-1.5b-q4_k_m"
    assert Mirror("office", "https://models.office.example") in catalog.mirrors


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('{"version": 1, "models": [', "not valid JSON (line 1"),
        ("[1, 2]", "must be a JSON object"),
        ({"version": 1}, "models: missing or not a list"),
        (
            {"version": 1, "models": [entry_dict(file="model.bin")]},
            "plain file name ending in .gguf",
        ),
        ({"version": 1, "models": [entry_dict(sha256="abc")]}, "“sha256” must be 64 hex digits"),
        ({"version": 1, "models": [entry_dict(sources=[])]}, "“sources” must be a non-empty"),
        (
            {"version": 1, "models": [entry_dict(sources=[{"kind": "ftp", "repo": "a/b"}])]},
            "“kind” must be one of",
        ),
        ({"version": 9, "models": [entry_dict()]}, "newer than this Hearth understands"),
        (
            {"version": 1, "models": [entry_dict(), entry_dict()]},
            "the id is used twice",
        ),
    ],
)
def test_bad_catalog_gives_a_readable_error(tmp_path: Path, document: Any, expected: str) -> None:
    path = write_catalog(tmp_path / "bad.json", document)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "Traceback" not in message


def test_missing_catalog_file_says_where(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.json")


def test_a_bad_model_names_itself_and_the_field(tmp_path: Path) -> None:
    document = {"version": 1, "models": [entry_dict(), entry_dict(id="second", params=-1)]}
    with pytest.raises(CatalogError, match=r"model 2 \(“second”\): “params” must be a positive"):
        load_catalog(write_catalog(tmp_path / "c.json", document))


# --- source URLs -----------------------------------------------------------------------


def test_sources_are_ordered_hf_mirrors_custom_then_modelscope() -> None:
    entry = make_entry()
    sources = sources_for(
        entry,
        mirrors=[Mirror("hf-mirror.com", "https://hf-mirror.com")],
        custom_endpoint="https://my.mirror.example/",
    )
    assert [(s.name, s.kind) for s in sources] == [
        ("Hugging Face", "huggingface"),
        ("hf-mirror.com", "mirror"),
        ("my.mirror.example (your mirror)", "mirror"),
        ("ModelScope", "modelscope"),
    ]
    assert sources[0].url == f"https://huggingface.co/{REPO}/resolve/main/{FILE}"
    assert sources[1].url == f"https://hf-mirror.com/{REPO}/resolve/main/{FILE}"
    assert sources[2].url == f"https://my.mirror.example/{REPO}/resolve/main/{FILE}"
    assert sources[3].url == (
        f"https://www.modelscope.cn/api/v1/models/{REPO}/repo?Revision=master&FilePath={FILE}"
    )


def test_hf_urls_match_huggingface_hub() -> None:
    from huggingface_hub import hf_hub_url

    entry = make_entry(
        file="odd name+v2.gguf",
        sources=[
            {"kind": "huggingface", "repo": REPO, "revision": "refs/pr/1"},
        ],
    )
    (hf,) = sources_for(entry, hf_endpoint="http://127.0.0.1:9")
    expected = hf_hub_url(
        REPO, "odd name+v2.gguf", revision="refs/pr/1", endpoint="http://127.0.0.1:9"
    )
    assert hf.url == expected


def test_modelscope_url_quotes_like_modelscope() -> None:
    url = modelscope_file_url("https://ms.example", "owner/repo", "v1.0", "a b+c.gguf")
    assert url == (
        "https://ms.example/api/v1/models/owner/repo/repo?Revision=v1.0&FilePath=a+b%2Bc.gguf"
    )


def test_custom_endpoint_equal_to_a_mirror_is_not_repeated() -> None:
    sources = sources_for(
        make_entry(),
        mirrors=[Mirror("hf-mirror.com", "https://hf-mirror.com")],
        custom_endpoint="https://hf-mirror.com/",
    )
    assert len(sources) == 3


# --- live metadata -----------------------------------------------------------------------


@pytest.fixture
def gateway() -> NetworkGateway:
    gw = NetworkGateway(log_path=None)
    yield gw
    gw.close()


def mirror_sources(entry: CatalogEntry, mirror: LocalMirror) -> list[Source]:
    return sources_for(entry, hf_endpoint=mirror.base_url, modelscope_endpoint=mirror.base_url)


def test_metadata_from_hf_head_and_modelscope_listing(
    local_mirror: LocalMirror, gateway: NetworkGateway
) -> None:
    data = make_gguf_payload(4096)
    served = local_mirror.add_file(REPO, FILE, data)
    entry = make_entry(size=4096, sha256=served.sha256)
    metadata = fetch_source_metadata(entry, mirror_sources(entry, local_mirror), gateway)
    assert [(m.source.kind, m.size, m.sha256, m.error) for m in metadata] == [
        ("huggingface", 4096, served.sha256, ""),
        ("modelscope", 4096, served.sha256, ""),
    ]
    methods = {(r.method, r.path) for r in local_mirror.requests}
    assert ("HEAD", f"/{REPO}/resolve/main/{FILE}") in methods
    assert ("GET", f"/api/v1/models/{REPO}/repo/files") in methods
    assert local_mirror.bytes_served == 0  # metadata only, no file body
    assert resolve_expected(entry, metadata) == (4096, served.sha256)


def test_hf_metadata_does_not_follow_the_cdn_redirect(
    local_mirror_factory: Any, gateway: NetworkGateway
) -> None:
    hub, cdn = local_mirror_factory(), local_mirror_factory()
    served = hub.add_file(REPO, FILE, make_gguf_payload(2048))
    cdn.add_file(REPO, FILE, served.data)
    hub.redirect_to(cdn.base_url)
    entry = make_entry(size=2048, sources=[{"kind": "huggingface", "repo": REPO}])
    (meta,) = fetch_source_metadata(entry, mirror_sources(entry, hub), gateway)
    assert (meta.size, meta.sha256) == (2048, served.sha256)
    assert cdn.requests_seen == 0


def test_pinned_sha_that_a_source_contradicts_stops_the_download(
    local_mirror: LocalMirror, gateway: NetworkGateway
) -> None:
    local_mirror.add_file(REPO, FILE, make_gguf_payload(1000))
    entry = make_entry(sha256="0" * 64)
    metadata = fetch_source_metadata(entry, mirror_sources(entry, local_mirror), gateway)
    with pytest.raises(DownloadError) as caught:
        resolve_expected(entry, metadata)
    assert "Hugging Face publishes a different sha256" in str(caught.value)
    assert caught.value.source == "Hugging Face"


def test_pinned_size_that_a_source_contradicts_stops_the_download(
    local_mirror: LocalMirror, gateway: NetworkGateway
) -> None:
    served = local_mirror.add_file(REPO, FILE, make_gguf_payload(1001))
    entry = make_entry(size=1000, sha256=served.sha256)
    metadata = fetch_source_metadata(entry, mirror_sources(entry, local_mirror), gateway)
    with pytest.raises(DownloadError, match="1,001 bytes, but the catalog pins 1,000"):
        resolve_expected(entry, metadata)


def test_unpinned_sha_comes_from_agreeing_sources_with_exact_size(
    local_mirror: LocalMirror, gateway: NetworkGateway
) -> None:
    served = local_mirror.add_file(REPO, FILE, make_gguf_payload(5000))
    entry = make_entry(size=4000, size_exact=False, sha256=None)
    metadata = fetch_source_metadata(entry, mirror_sources(entry, local_mirror), gateway)
    assert resolve_expected(entry, metadata) == (5000, served.sha256)


def test_sources_that_disagree_on_an_unpinned_sha_stop_the_download(
    local_mirror_factory: Any, gateway: NetworkGateway
) -> None:
    hub, other = local_mirror_factory(), local_mirror_factory()
    hub.add_file(REPO, FILE, make_gguf_payload(3000, seed=1))
    other.add_file(REPO, FILE, make_gguf_payload(3000, seed=2))
    entry = make_entry(size=3000, sha256=None)
    sources = sources_for(entry, hf_endpoint=hub.base_url, modelscope_endpoint=other.base_url)
    metadata = fetch_source_metadata(entry, sources, gateway)
    with pytest.raises(DownloadError, match="sources disagree about the sha256"):
        resolve_expected(entry, metadata)


def test_a_source_that_cannot_answer_is_reported_not_fatal(
    local_mirror_factory: Any, gateway: NetworkGateway
) -> None:
    good, broken = local_mirror_factory(), local_mirror_factory()
    served = good.add_file(REPO, FILE, make_gguf_payload(1000))
    broken.status(404)
    entry = make_entry(sha256=None)
    sources = sources_for(entry, hf_endpoint=broken.base_url, modelscope_endpoint=good.base_url)
    metadata = fetch_source_metadata(entry, sources, gateway)
    assert metadata[0].error and metadata[0].sha256 is None
    assert metadata[1].error == ""
    assert resolve_expected(entry, metadata) == (1000, served.sha256)


def test_no_published_sha_means_no_download() -> None:
    entry = make_entry(sha256=None)
    source = Source(name="plain", url="http://127.0.0.1:9/x.gguf", kind="custom")
    with pytest.raises(DownloadError, match="No source published a sha256"):
        resolve_expected(entry, [SourceMetadata(source, 1000, None)])


def test_metadata_lookup_can_be_cancelled(
    local_mirror: LocalMirror, gateway: NetworkGateway
) -> None:
    local_mirror.add_file(REPO, FILE, make_gguf_payload(1000))
    cancel = CancelToken()
    cancel.cancel()
    entry = make_entry()
    with pytest.raises(CancelledError):
        fetch_source_metadata(entry, mirror_sources(entry, local_mirror), gateway, cancel=cancel)


def test_metadata_respects_offline_mode(local_mirror: LocalMirror) -> None:
    local_mirror.add_file(REPO, FILE, make_gguf_payload(1000))
    entry = make_entry()
    offline = NetworkGateway(log_path=None, offline=True)
    try:
        with pytest.raises(OfflineError):
            fetch_source_metadata(entry, mirror_sources(entry, local_mirror), offline)
    finally:
        offline.close()
    assert local_mirror.requests_seen == 0


# --- RAM estimate and fit ---------------------------------------------------------------------


def test_ram_estimate_for_the_default_model_at_4096() -> None:
    default = load_catalog().find("Q4_K_M")
    estimate = estimate_ram(default, 4096)
    assert estimate.weights == 1_117_320_576
    assert estimate.kv_cache == 28 * 1024 * 4096  # 112 MiB
    assert estimate.overhead == RUNTIME_OVERHEAD_BYTES
    assert 1.7 * GB < estimate.total < 1.8 * GB


def test_default_model_fits_an_8_gb_machine() -> None:
    estimate = estimate_ram(load_catalog().find("Q4_K_M"), 4096)
    verdict = fit(estimate, total_ram=8 * 1024**3, available_ram=5 * 1024**3)
    assert verdict.fit == "fits"
    assert verdict.message.startswith("Fits: needs about 1.8 GB")


def test_7b_is_too_big_for_a_4_gb_machine() -> None:
    estimate = estimate_ram(load_catalog().find("r1-7b-q4_k_m"), 4096)
    verdict = fit(estimate, total_ram=4 * 1024**3, available_ram=3 * 1024**3)
    assert verdict.fit == "too_big"
    assert "Too big for this computer" in verdict.message


def test_tight_when_it_fits_the_machine_but_not_the_free_memory() -> None:
    estimate = estimate_ram(load_catalog().find("Q4_K_M"), 4096)
    verdict = fit(estimate, total_ram=8 * 1024**3, available_ram=1 * 1024**3)
    assert verdict.fit == "tight"
    assert "Close other apps" in verdict.message


def test_kv_grows_with_context() -> None:
    entry = load_catalog().find("Q4_K_M")
    small, large = estimate_ram(entry, 4096), estimate_ram(entry, 32768)
    assert large.total - small.total == 28 * 1024 * (32768 - 4096)


def test_catalog_sources_for_uses_catalog_endpoints() -> None:
    catalog = parse_catalog(
        {
            "version": 1,
            "endpoints": {"huggingface": "http://127.0.0.1:1", "modelscope": "http://127.0.0.1:2"},
            "mirrors": [],
            "models": [entry_dict()],
        }
    )
    assert isinstance(catalog, Catalog)
    urls = [s.url for s in catalog.sources_for(catalog.models[0])]
    assert urls[0].startswith("http://127.0.0.1:1/")
    assert urls[1].startswith("http://127.0.0.1:2/api/v1/models/")
