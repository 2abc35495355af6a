"""The download worker on its thread pool, against the local mirror (no panel)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.core.catalog import Catalog, load_catalog
from app.core.downloads import DownloadProgress, part_path
from app.core.models import list_installed
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.tinymodel import write_tiny_qwen2_gguf
from app.workers.downloads import DownloadRequest, DownloadWorker, ProgressThrottle, request_for
from tests.support.mirror import LocalMirror, MirrorFile, make_gguf_payload

REPO = "unsloth/Tiny-GGUF"
FILE_A = "Tiny-Q4_K_M.gguf"
FILE_B = "Tiny-Q8_0.gguf"
ID_A = "tiny-q4_k_m"
ID_B = "tiny-q8_0"
SIZE = 2 * 1024 * 1024 + 321
MIB = 1024 * 1024
WAIT_MS = 30_000


def write_catalog(
    path: Path,
    mirror: LocalMirror,
    files: list[tuple[str, str, MirrorFile]],
    *,
    pin: dict[str, str | None] | None = None,
) -> Catalog:
    """A catalog whose every endpoint is the local mirror; the first model is the default.

    ``files`` is (id, quant, served file); ``pin`` overrides an id's pinned sha256 (None
    leaves it to the sources' metadata). By default the served file's sha256 is pinned.
    """
    pin = pin or {}
    models = []
    for index, (model_id, quant, served) in enumerate(files):
        models.append(
            {
                "id": model_id,
                "name": f"Tiny {quant}",
                "family": "Tiny",
                "quant": quant,
                "file": served.filename,
                "size": served.size,
                "size_exact": True,
                "sha256": pin.get(model_id, served.sha256),
                "params": 1e6,
                "architecture": {"n_layers": 2, "n_kv_heads": 1, "head_dim": 8},
                "license": "MIT",
                "default": index == 0,
                "sources": [
                    {"kind": "huggingface", "repo": REPO, "revision": "main"},
                    {"kind": "modelscope", "repo": REPO, "revision": "master"},
                ],
            }
        )
    document = {
        "version": 1,
        "endpoints": {"huggingface": mirror.base_url, "modelscope": mirror.base_url},
        "mirrors": [],
        "models": models,
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return load_catalog(path, include_user=False)


class Recorder:
    """Collects a worker's signals (they may arrive from pool threads)."""

    def __init__(self, worker: DownloadWorker) -> None:
        self.lock = threading.Lock()
        self.progress: list[tuple[str, DownloadProgress]] = []
        self.finished: list[tuple[str, str]] = []
        self.failed: list[tuple[str, str]] = []
        self.started: list[str] = []
        self.paused: list[str] = []
        worker.progressed.connect(self._on_progress)
        worker.started.connect(lambda key: self._add(self.started, key))
        worker.paused.connect(lambda key: self._add(self.paused, key))
        worker.finished.connect(lambda key, path: self._add(self.finished, (key, path)))
        worker.failed.connect(lambda key, message: self._add(self.failed, (key, message)))

    def _on_progress(self, key: str, progress: DownloadProgress) -> None:
        self._add(self.progress, (key, progress))

    def _add(self, target: list[Any], item: Any) -> None:
        with self.lock:
            target.append(item)

    def phases(self, key: str) -> list[str]:
        with self.lock:
            return [p.phase for k, p in self.progress if k == key]


@pytest.fixture
def worker(
    qtbot: QtBot, gateway: NetworkGateway, isolated_app_dirs: AppPaths
) -> Iterator[DownloadWorker]:
    worker = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    yield worker
    assert worker.shutdown(timeout_ms=10_000)


@pytest.fixture
def served_a(local_mirror: LocalMirror) -> MirrorFile:
    return local_mirror.add_file(REPO, FILE_A, make_gguf_payload(SIZE, seed=1))


@pytest.fixture
def served_b(local_mirror: LocalMirror) -> MirrorFile:
    return local_mirror.add_file(REPO, FILE_B, make_gguf_payload(SIZE + 1000, seed=2))


@pytest.fixture
def catalog(
    tmp_path: Path, local_mirror: LocalMirror, served_a: MirrorFile, served_b: MirrorFile
) -> Catalog:
    return write_catalog(
        tmp_path / "catalog.json",
        local_mirror,
        [(ID_A, "Q4_K_M", served_a), (ID_B, "Q8_0", served_b)],
    )


def request(catalog: Catalog, model_id: str) -> DownloadRequest:
    entry = catalog.get(model_id)
    assert entry is not None
    return request_for(entry, catalog, Settings())


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def part_size(path: Path) -> int:
    partial = part_path(path)
    return partial.stat().st_size if partial.exists() else 0


def start_stalled(
    qtbot: QtBot, worker: DownloadWorker, mirror: LocalMirror, req: DownloadRequest, dest: Path
) -> None:
    """Start a download that the mirror stalls after 1 MiB; return once bytes are on disk."""
    # Every body stalls after 1 MiB; the 64 KiB probes finish before that point.
    mirror.stall_after(MIB, seconds=60, times=None)
    assert worker.start(req)
    qtbot.waitUntil(lambda: mirror.stalled.is_set() and part_size(dest) > 0, timeout=WAIT_MS)


# --- tests -------------------------------------------------------------------------------


def test_download_installs_the_verified_file_and_records_its_hash(
    qtbot: QtBot,
    worker: DownloadWorker,
    tmp_path: Path,
    local_mirror: LocalMirror,
    served_a: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    # No pinned hash: it comes from the mirror's metadata and is recorded for Verify.
    catalog = write_catalog(
        tmp_path / "unpinned.json", local_mirror, [(ID_A, "Q4_K_M", served_a)], pin={ID_A: None}
    )
    recorder = Recorder(worker)
    with qtbot.waitSignal(worker.finished, timeout=WAIT_MS) as finished:
        assert worker.start(request(catalog, ID_A))
    assert recorder.started == [ID_A]
    dest = isolated_app_dirs.models / FILE_A
    assert finished.args == [ID_A, str(dest)]
    assert sha256_of(dest) == served_a.sha256
    assert not part_path(dest).exists()
    assert not worker.is_active(ID_A)
    phases = recorder.phases(ID_A)
    assert phases[0] == "checking" and "downloading" in phases and phases[-1] == "done"
    last = recorder.progress[-1][1]
    assert last.downloaded == served_a.size
    installed = {m.name: m for m in list_installed(isolated_app_dirs.models, catalog)}
    assert installed[FILE_A].sha256 == served_a.sha256
    assert recorder.failed == []


def test_pause_keeps_the_part_and_resume_fetches_only_the_rest(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    local_mirror: LocalMirror,
    served_a: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, worker, local_mirror, request(catalog, ID_A), dest)
    with qtbot.waitSignal(worker.paused, timeout=WAIT_MS) as paused:
        assert worker.pause(ID_A)
    assert paused.args == [ID_A]
    assert not worker.is_active(ID_A)
    kept = part_size(dest)
    assert 0 < kept <= MIB
    assert not dest.exists()

    local_mirror.clear_faults()
    local_mirror.reset_counters()
    with qtbot.waitSignal(worker.finished, timeout=WAIT_MS):
        assert worker.start(request(catalog, ID_A))
    assert sha256_of(dest) == served_a.sha256
    assert f"bytes={kept}-" in local_mirror.ranges_asked
    # The rest of the file, plus at most the two 64 KiB probes of the source ranking.
    assert local_mirror.bytes_served <= served_a.size - kept + 2 * 65536


def test_cancel_stops_and_deletes_the_part(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, worker, local_mirror, request(catalog, ID_A), dest)
    with qtbot.waitSignal(worker.cancelled, timeout=WAIT_MS) as cancelled:
        worker.cancel(ID_A)
    assert cancelled.args == [ID_A]
    assert not part_path(dest).exists()
    assert not dest.exists()
    assert not worker.is_active(ID_A)


def test_cancel_of_a_paused_download_deletes_its_part(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, worker, local_mirror, request(catalog, ID_A), dest)
    with qtbot.waitSignal(worker.paused, timeout=WAIT_MS):
        worker.pause(ID_A)
    assert part_path(dest).exists()
    with qtbot.waitSignal(worker.cancelled, timeout=WAIT_MS):
        worker.cancel(ID_A)
    assert not part_path(dest).exists()


def test_a_part_from_an_earlier_session_is_deleted_by_file_name(
    qtbot: QtBot, worker: DownloadWorker, isolated_app_dirs: AppPaths
) -> None:
    leftover = part_path(isolated_app_dirs.models / FILE_B)
    leftover.write_bytes(b"GGUF" + b"\0" * 100)
    with qtbot.waitSignal(worker.cancelled, timeout=WAIT_MS) as cancelled:
        worker.cancel(ID_B, file_name=FILE_B)
    assert cancelled.args == [ID_B]
    assert not leftover.exists()


def test_a_hash_that_disagrees_with_the_catalog_fails_before_any_byte(
    qtbot: QtBot,
    worker: DownloadWorker,
    tmp_path: Path,
    local_mirror: LocalMirror,
    served_a: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    catalog = write_catalog(
        tmp_path / "wrong.json", local_mirror, [(ID_A, "Q4_K_M", served_a)], pin={ID_A: "ab" * 32}
    )
    local_mirror.reset_counters()
    with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed:
        worker.start(request(catalog, ID_A))
    key, message = failed.args
    assert key == ID_A
    assert "different sha256" in message and "stopped before downloading" in message
    assert local_mirror.bytes_served == 0
    assert not part_path(isolated_app_dirs.models / FILE_A).exists()
    assert not (isolated_app_dirs.models / FILE_A).exists()


def test_offline_refuses_with_the_gateway_message_and_no_request(
    qtbot: QtBot,
    worker: DownloadWorker,
    gateway: NetworkGateway,
    catalog: Catalog,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
) -> None:
    gateway.set_offline(True)
    local_mirror.reset_counters()
    with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed:
        worker.start(request(catalog, ID_A))
    assert failed.args[1].startswith("Hearth is offline")
    assert local_mirror.requests_seen == 0
    assert not part_path(isolated_app_dirs.models / FILE_A).exists()


def test_models_download_in_parallel_but_only_once_each(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    local_mirror: LocalMirror,
    served_a: MirrorFile,
    served_b: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    dest_a = isolated_app_dirs.models / FILE_A
    dest_b = isolated_app_dirs.models / FILE_B
    local_mirror.stall_after(MIB, seconds=60, times=None)
    assert worker.start(request(catalog, ID_A))
    assert not worker.start(request(catalog, ID_A))  # one download per model
    assert worker.start(request(catalog, ID_B))
    # Both are mid-file at the same time.
    qtbot.waitUntil(lambda: part_size(dest_a) > 0 and part_size(dest_b) > 0, timeout=WAIT_MS)
    assert set(worker.active_keys()) == {ID_A, ID_B}
    recorder = Recorder(worker)
    assert worker.pause(ID_A) and worker.pause(ID_B)
    qtbot.waitUntil(lambda: sorted(recorder.paused) == [ID_A, ID_B], timeout=WAIT_MS)
    local_mirror.clear_faults()
    assert worker.start(request(catalog, ID_A))
    assert worker.start(request(catalog, ID_B))
    qtbot.waitUntil(lambda: len(recorder.finished) == 2, timeout=WAIT_MS)
    assert sha256_of(dest_a) == served_a.sha256
    assert sha256_of(dest_b) == served_b.sha256


def test_shutdown_stops_every_job_keeps_the_part_and_refuses_new_work(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
) -> None:
    dest = isolated_app_dirs.models / FILE_A
    start_stalled(qtbot, worker, local_mirror, request(catalog, ID_A), dest)
    assert worker.shutdown(timeout_ms=10_000)
    assert worker.active_keys() == []
    assert part_size(dest) > 0  # the next session resumes from it
    assert not worker.start(request(catalog, ID_B))


def test_verify_reports_intact_then_damaged(
    qtbot: QtBot,
    worker: DownloadWorker,
    catalog: Catalog,
    isolated_app_dirs: AppPaths,
) -> None:
    with qtbot.waitSignal(worker.finished, timeout=WAIT_MS):
        worker.start(request(catalog, ID_A))
    model = next(m for m in list_installed(isolated_app_dirs.models, catalog) if m.name == FILE_A)
    with qtbot.waitSignal(worker.verified, timeout=WAIT_MS) as verified:
        assert worker.verify(ID_A, model)
    assert verified.args[:2] == [ID_A, True]
    assert "intact" in verified.args[2]

    data = bytearray(model.path.read_bytes())
    data[-1] ^= 0xFF
    model.path.write_bytes(bytes(data))
    with qtbot.waitSignal(worker.verified, timeout=WAIT_MS) as verified:
        assert worker.verify(ID_A, model)
    assert verified.args[1] is False
    assert "damaged" in verified.args[2]


def test_import_copy_runs_on_the_pool_and_reports_the_model(
    qtbot: QtBot, worker: DownloadWorker, tmp_path: Path, isolated_app_dirs: AppPaths
) -> None:
    source = write_tiny_qwen2_gguf(tmp_path / "own" / "mine.gguf")
    copied: list[tuple[int, int]] = []
    worker.import_progressed.connect(lambda _key, done, total: copied.append((done, total)))
    with qtbot.waitSignal(worker.imported, timeout=WAIT_MS) as imported:
        assert worker.import_file("import:mine", source, copy=True)
    key, model = imported.args
    assert key == "import:mine"
    assert model.path == isolated_app_dirs.models / "mine.gguf"
    assert model.path.read_bytes() == source.read_bytes()
    assert copied and copied[-1] == (source.stat().st_size, source.stat().st_size)


def test_a_failed_import_says_why(qtbot: QtBot, worker: DownloadWorker, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello")
    with qtbot.waitSignal(worker.failed, timeout=WAIT_MS) as failed:
        worker.import_file("import:notes", bogus, copy=True)
    assert failed.args[0] == "import:notes"
    assert "is not a GGUF model file" in failed.args[1]


def test_request_for_applies_the_users_mirror_and_source_preference(
    catalog: Catalog, local_mirror: LocalMirror
) -> None:
    entry = catalog.get(ID_A)
    assert entry is not None
    settings = Settings(source_preference="modelscope", custom_hf_endpoint="https://my.mirror")
    req = request_for(entry, catalog, settings)
    assert req.model_id == ID_A
    assert req.pinned_source == "modelscope"
    assert any(s.url.startswith("https://my.mirror/") and s.kind == "mirror" for s in req.sources)
    assert request_for(entry, catalog, Settings()).pinned_source is None


def test_progress_throttle_passes_phase_changes_and_at_most_ten_a_second() -> None:
    now = [0.0]
    passed: list[DownloadProgress] = []
    throttle = ProgressThrottle(passed.append, interval=0.1, clock=lambda: now[0])

    def progress(phase: Any, downloaded: int, message: str = "") -> DownloadProgress:
        return DownloadProgress(phase, downloaded, 100, 1.0, None, "mirror", message)

    throttle(progress("checking", 0))
    throttle(progress("downloading", 1))  # a new phase passes at once
    for step in range(2, 12):  # ten updates in 50 ms: held back
        now[0] += 0.005
        throttle(progress("downloading", step))
    now[0] += 0.1
    throttle(progress("downloading", 50))
    throttle(progress("downloading", 51, "mirror dropped; retrying in 1 s"))  # news passes
    throttle(progress("downloading", 52, "mirror dropped; retrying in 1 s"))  # repeated: held
    throttle(progress("done", 100))
    assert [p.downloaded for p in passed] == [0, 1, 50, 51, 100]
    assert throttle.latest is passed[-1]


def test_two_windows_downloading_one_model_share_one_verified_file(
    qtbot: QtBot,
    gateway: NetworkGateway,
    catalog: Catalog,
    local_mirror: LocalMirror,
    served_a: MirrorFile,
    isolated_app_dirs: AppPaths,
) -> None:
    """Two workers (two windows) on one models folder: the second waits, then reuses."""
    dest = isolated_app_dirs.models / FILE_A
    first = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    second = DownloadWorker(gateway=gateway, models_dir=isolated_app_dirs.models)
    try:
        local_mirror.slow_drip(MIB)  # about two seconds: the second start lands mid-way
        waiting = Recorder(second)
        assert first.start(request(catalog, ID_A))
        qtbot.waitUntil(lambda: part_size(dest) > 0, timeout=WAIT_MS)
        with (
            qtbot.waitSignal(first.finished, timeout=WAIT_MS),
            qtbot.waitSignal(second.finished, timeout=WAIT_MS) as finished,
        ):
            assert second.start(request(catalog, ID_A))
            qtbot.waitUntil(lambda: "waiting" in waiting.phases(ID_A), timeout=WAIT_MS)
        assert finished.args == [ID_A, str(dest)]
        assert sha256_of(dest) == served_a.sha256
        assert not part_path(dest).exists()
        # The file was fetched once (plus the first window's 64 KiB probes), not twice.
        assert local_mirror.bytes_served < 1.5 * served_a.size
        assert waiting.failed == []
    finally:
        assert first.shutdown(timeout_ms=10_000)
        assert second.shutdown(timeout_ms=10_000)
