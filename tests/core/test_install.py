"""The one install sequence: ask the sources, download, verify, move into place, record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.cancel import CancelToken
from app.core.catalog import Catalog
from app.core.downloads import DownloadProgress, Source
from app.core.errors import DownloadError
from app.core.install import install_catalog_entry, install_file, plan_sources
from app.core.models import REGISTRY_NAME
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.source_metadata import SourceMetadata
from app.core.tinymodel import write_tiny_qwen2_gguf
from tests.support.mirror import LocalMirror, MirrorFile, make_gguf_payload
from tests.workers.test_downloads_worker import FILE_A, ID_A, REPO, write_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(local_mirror: LocalMirror, tmp_path: Path) -> MirrorFile:
    model = write_tiny_qwen2_gguf(tmp_path / "tiny.gguf")
    return local_mirror.add_file(REPO, FILE_A, model.read_bytes())


@pytest.fixture
def catalog(tmp_path: Path, local_mirror: LocalMirror, served: MirrorFile) -> Catalog:
    return write_catalog(tmp_path / "catalog.json", local_mirror, [(ID_A, "Q4_K_M", served)])


def test_a_catalog_model_is_downloaded_verified_recorded_and_read(
    catalog: Catalog,
    gateway: NetworkGateway,
    isolated_app_dirs: AppPaths,
    served: MirrorFile,
) -> None:
    entry = catalog.get(ID_A)
    assert entry is not None
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

    assert result.path == isolated_app_dirs.models / FILE_A
    assert result.path.read_bytes() == served.data
    assert result.sha256 == served.sha256 and not result.already_installed
    assert result.metadata is not None and result.metadata.architecture == "qwen2"
    assert result.warning == ""
    registry = json.loads((isolated_app_dirs.models / REGISTRY_NAME).read_text())
    assert registry["models"][0]["sha256"] == served.sha256
    assert phases[0] == "checking" and "verifying" in phases and phases[-1] == "done"


def test_an_installed_model_is_not_fetched_again(
    catalog: Catalog,
    gateway: NetworkGateway,
    isolated_app_dirs: AppPaths,
    local_mirror: LocalMirror,
) -> None:
    entry = catalog.get(ID_A)
    assert entry is not None
    (isolated_app_dirs.models / FILE_A).write_bytes(b"GGUF already here")
    local_mirror.reset_counters()
    result = install_catalog_entry(
        entry,
        catalog.sources_for(entry),
        models_dir=isolated_app_dirs.models,
        gateway=gateway,
        progress=lambda _p: None,
        cancel=CancelToken(),
    )
    assert result.already_installed
    assert local_mirror.requests_seen == 0


def test_a_file_that_is_not_a_chat_model_is_installed_with_a_warning(
    gateway: NetworkGateway, isolated_app_dirs: AppPaths, local_mirror: LocalMirror
) -> None:
    payload = make_gguf_payload(300_000)
    served = local_mirror.add_file(REPO, "raw.gguf", payload)
    dest = isolated_app_dirs.models / "raw.gguf"
    result = install_file(
        [Source("mirror", local_mirror.hf_url(REPO, "raw.gguf"))],
        dest,
        gateway=gateway,
        expected_size=None,
        expected_sha256=served.sha256,
        progress=lambda _p: None,
        cancel=CancelToken(),
        rank=False,
    )
    assert dest.read_bytes() == payload
    assert result.metadata is None and "raw.gguf" in result.warning


# --- sources that contradict the catalog ----------------------------------------------------


def test_a_source_contradicting_the_pin_is_left_out_not_fatal(
    catalog: Catalog, served: MirrorFile
) -> None:
    entry = catalog.get(ID_A)
    assert entry is not None
    good, bad, silent = (Source(n, f"https://{n}.example/f.gguf") for n in ("good", "bad", "mute"))
    metadata = [
        SourceMetadata(bad, served.size, "0" * 64),
        SourceMetadata(good, served.size, served.sha256),
        SourceMetadata(silent, None, None, error="could not be reached"),
    ]
    size, sha, ordered = plan_sources(entry, [bad, good, silent], metadata)
    assert (size, sha) == (served.size, served.sha256)
    assert ordered == [good, silent]  # the contradicting one is gone; the silent one last


def test_every_source_contradicting_the_pin_stops_with_each_named(
    catalog: Catalog, served: MirrorFile
) -> None:
    entry = catalog.get(ID_A)
    assert entry is not None
    one, two = Source("One", "https://one.example/f.gguf"), Source("Two", "https://two.example/f")
    metadata = [
        SourceMetadata(one, served.size, "1" * 64),
        SourceMetadata(two, served.size + 1, served.sha256),
    ]
    with pytest.raises(DownloadError) as caught:
        plan_sources(entry, [one, two], metadata)
    message = str(caught.value)
    assert "One publishes a different sha256" in message
    assert "Two reports a different size" in message
    with pytest.raises(DownloadError, match="One publishes a different sha256"):
        plan_sources(entry, [one], metadata[:1])


def test_the_gui_and_the_cli_share_the_one_install_sequence() -> None:
    """Neither front end downloads by itself: both go through app.core.install."""
    for front_end in ("app/workers/downloads.py", "app/cli/models.py"):
        text = (REPO_ROOT / front_end).read_text(encoding="utf-8")
        assert "app.core.install import" in text, front_end
        assert "download_file(" not in text, front_end
        assert "record_download(" not in text, front_end
