"""Downloads against a local mirror with injected faults (issue 3, "Tests").

Each fault ends either "recovered, installed, sha256 correct" or "clear error, nothing
at dest, .part kept where useful".
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core import downloads
from app.core.cancel import CancelToken
from app.core.download_io import ProgressReporter
from app.core.downloads import (
    DownloadProgress,
    PartFile,
    Source,
    delete_partial,
    download_file,
    part_path,
    rank_sources,
)
from app.core.errors import (
    CancelledError,
    DiskFullError,
    DownloadError,
    IntegrityError,
    OfflineError,
)
from app.core.network import NetworkGateway
from app.core.paths import AppPaths
from tests.support.mirror import LocalMirror, make_gguf_payload

REPO = "unsloth/Test-Model-GGUF"
FILENAME = "Test-Model-Q4_K_M.gguf"
REPO_ROOT = Path(__file__).resolve().parents[2]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll a condition without sleeping the test thread blindly."""
    ticker = threading.Event()
    deadline = timeout / 0.02
    for _ in range(int(deadline)):
        if predicate():
            return True
        ticker.wait(0.02)
    return predicate()


class RecordingCancel(CancelToken):
    """A cancel token that records the backoff waits and skips them (no real sleeping)."""

    __slots__ = ("waits",)

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float) -> bool:
        if threading.current_thread().name == "download-cancel-watch":
            return super().wait(timeout)
        self.waits.append(timeout)
        return super().wait(0)


@pytest.fixture
def gateway(isolated_app_dirs: AppPaths) -> Iterator[NetworkGateway]:
    gw = NetworkGateway(log_path=isolated_app_dirs.network_log)
    yield gw
    gw.close()


@pytest.fixture
def dest(isolated_app_dirs: AppPaths) -> Path:
    return isolated_app_dirs.models / FILENAME


@pytest.fixture
def mirror(local_mirror: LocalMirror, gguf_payload: bytes) -> LocalMirror:
    local_mirror.add_file(REPO, FILENAME, gguf_payload)
    return local_mirror


@pytest.fixture
def second_mirror(
    local_mirror_factory: Callable[[], LocalMirror], gguf_payload: bytes
) -> LocalMirror:
    other = local_mirror_factory()
    other.add_file(REPO, FILENAME, gguf_payload)
    return other


def hf_source(mirror: LocalMirror, name: str = "Mirror A") -> Source:
    return Source(name, mirror.hf_url(REPO, FILENAME), "mirror")


def ms_source(mirror: LocalMirror, name: str = "ModelScope") -> Source:
    return Source(name, mirror.modelscope_url(REPO, FILENAME), "modelscope")


class Run:
    """Calls download_file with test-friendly defaults and keeps the progress events."""

    def __init__(self, gateway: NetworkGateway, dest: Path, payload: bytes) -> None:
        self.gateway = gateway
        self.dest = dest
        self.payload = payload
        self.events: list[DownloadProgress] = []

    def __call__(self, sources: list[Source], **overrides: Any) -> Path:
        kwargs: dict[str, Any] = {
            "gateway": self.gateway,
            "expected_size": len(self.payload),
            "expected_sha256": sha256(self.payload),
            "progress": self.events.append,
            "cancel": CancelToken(),
            "rank": False,
            "stall_timeout": 5.0,
            "connect_timeout": 5.0,
            "backoff_base": 0.01,
            "disk_margin_bytes": 0,
        }
        kwargs.update(overrides)
        return download_file(sources, self.dest, **kwargs)

    def assert_installed(self) -> None:
        assert self.dest.read_bytes() == self.payload
        assert sha256(self.dest.read_bytes()) == sha256(self.payload)
        assert not part_path(self.dest).exists()
        assert self.events[-1].phase == "done"

    def assert_nothing_installed(self) -> None:
        assert not self.dest.exists()


@pytest.fixture
def run(gateway: NetworkGateway, dest: Path, gguf_payload: bytes) -> Run:
    return Run(gateway, dest, gguf_payload)


# --- the twelve faults ----------------------------------------------------------------


@pytest.mark.parametrize("hard", [False, True], ids=["fin", "rst"])
def test_1_connection_reset_mid_file_recovers(
    run: Run, mirror: LocalMirror, gguf_payload: bytes, hard: bool
) -> None:
    mirror.reset_after(1_000_000, hard=hard, times=1)
    cancel = RecordingCancel()

    run([hf_source(mirror)], cancel=cancel)

    run.assert_installed()
    assert mirror.requests_seen == 2
    resumed_at = int(mirror.ranges_asked[0].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 1_000_000
    assert cancel.waits == [pytest.approx(0.01)]  # one backoff, on the same source


def test_2_404_moves_to_next_source_at_once(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror
) -> None:
    mirror.status(404)
    cancel = RecordingCancel()

    run([hf_source(mirror, "Mirror A"), ms_source(second_mirror, "ModelScope")], cancel=cancel)

    run.assert_installed()
    assert mirror.requests_seen == 1
    assert cancel.waits == []  # no backoff for a 404


def test_2_404_everywhere_is_a_clear_error(run: Run, mirror: LocalMirror) -> None:
    mirror.status(404)
    with pytest.raises(DownloadError) as caught:
        run([hf_source(mirror, "Hugging Face")])
    assert "Hugging Face does not have the file (HTTP 404)" in str(caught.value)
    assert caught.value.source == "Hugging Face"
    run.assert_nothing_installed()
    assert not part_path(run.dest).exists()


def test_3_server_error_is_retried_then_recovers(run: Run, mirror: LocalMirror) -> None:
    mirror.status(500, times=2)
    cancel = RecordingCancel()

    run([hf_source(mirror)], cancel=cancel)

    run.assert_installed()
    assert cancel.waits == [pytest.approx(0.01), pytest.approx(0.02)]  # exponential backoff


def test_3_persistent_server_error_gives_up_after_retries(run: Run, mirror: LocalMirror) -> None:
    mirror.status(500)
    with pytest.raises(DownloadError) as caught:
        run([hf_source(mirror)], max_retries_per_source=2)
    assert "Mirror A had a server error (HTTP 500) (3 tries)" in str(caught.value)
    assert mirror.requests_seen == 3
    run.assert_nothing_installed()


def test_4_too_many_requests_honours_retry_after(run: Run, mirror: LocalMirror) -> None:
    mirror.too_many_requests(7, times=1)
    cancel = RecordingCancel()

    run([hf_source(mirror)], cancel=cancel)

    run.assert_installed()
    assert cancel.waits == [7.0]


def test_4_retry_after_is_capped(run: Run, mirror: LocalMirror) -> None:
    mirror.too_many_requests(3600, times=1)
    cancel = RecordingCancel()

    run([hf_source(mirror)], cancel=cancel, max_retry_after=20.0)

    run.assert_installed()
    assert cancel.waits == [20.0]


def test_5_full_body_to_a_range_request_starts_over(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    # An earlier session left the first 1 MB; this mirror ignores Range and sends it all.
    part_path(run.dest).write_bytes(gguf_payload[:1_000_000])
    mirror.ignore_range()

    run([hf_source(mirror)])

    run.assert_installed()
    (request,) = mirror.requests
    assert request.range_header == "bytes=1000000-"
    assert request.status == 200
    assert request.bytes_sent == len(gguf_payload)  # the whole file, written from zero


def test_6_html_page_fails_over_at_once(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror
) -> None:
    mirror.html_instead()
    cancel = RecordingCancel()

    run([hf_source(mirror), hf_source(second_mirror, "Mirror B")], cancel=cancel)

    run.assert_installed()
    assert mirror.requests_seen == 1
    assert cancel.waits == []


def test_6_html_page_error_names_the_source_and_keeps_the_part(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    part_path(run.dest).write_bytes(gguf_payload[:500_000])
    mirror.html_instead()

    with pytest.raises(DownloadError) as caught:
        run([hf_source(mirror, "hf-mirror")])

    assert "hf-mirror answered with a web page instead of the model file" in str(caught.value)
    run.assert_nothing_installed()
    assert part_path(run.dest).read_bytes() == gguf_payload[:500_000]  # not overwritten


def test_6_html_without_content_type_is_caught_by_the_magic(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    html = b"<html><body>blocked</body></html>" + bytes(100)
    mirror.add_file(REPO, "page.gguf", html)
    source = Source("Proxy", mirror.hf_url(REPO, "page.gguf"))
    with pytest.raises(DownloadError) as caught:
        run([source], expected_size=None, expected_sha256=None)
    assert "Proxy answered with a web page instead of the model file" in str(caught.value)
    run.assert_nothing_installed()


def test_7_wrong_bytes_are_never_installed(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.corrupt_bytes(2_000_000, length=3)

    with pytest.raises(IntegrityError) as caught:
        run([hf_source(mirror, "Bad Mirror")])

    assert caught.value.source == "Bad Mirror"
    assert "Bad Mirror served a file that failed verification" in str(caught.value)
    assert "checksum" in str(caught.value)
    run.assert_nothing_installed()
    assert not part_path(run.dest).exists()  # no byte of a source that proved bad is kept


def test_8_stall_beyond_the_timeout_recovers(run: Run, mirror: LocalMirror) -> None:
    mirror.stall_after(1_000_000, seconds=60, times=1)
    cancel = RecordingCancel()

    run([hf_source(mirror)], cancel=cancel, stall_timeout=0.3)

    run.assert_installed()
    assert mirror.stalled.is_set()
    assert mirror.ranges_asked == ["bytes=1000000-"]
    assert len(cancel.waits) == 1


def test_8_stall_everywhere_is_a_clear_error(run: Run, mirror: LocalMirror) -> None:
    mirror.stall_after(500_000, seconds=60, times=None)
    with pytest.raises(DownloadError) as caught:
        run([hf_source(mirror)], stall_timeout=0.2, max_retries_per_source=0)
    assert "Mirror A stopped sending data for more than 0.2 s" in str(caught.value)
    run.assert_nothing_installed()
    assert part_path(run.dest).stat().st_size == 500_000  # kept for a later resume


def test_9_slow_drip_completes_with_speed_and_eta(
    local_mirror: LocalMirror, gateway: NetworkGateway, dest: Path
) -> None:
    payload = make_gguf_payload(400_000, seed=9)
    local_mirror.add_file(REPO, FILENAME, payload)
    local_mirror.slow_drip(800_000)
    run = Run(gateway, dest, payload)

    run([hf_source(local_mirror, "Slow")], stall_timeout=2.0)

    run.assert_installed()
    moving = [e for e in run.events if e.phase == "downloading" and e.bytes_per_s > 0]
    assert moving, run.events
    assert all(e.source == "Slow" for e in moving)
    assert any(e.eta_s is not None and e.eta_s > 0 for e in moving)
    assert [e.downloaded for e in moving] == sorted(e.downloaded for e in moving)


def test_10_full_disk_at_write_keeps_the_part(
    run: Run, mirror: LocalMirror, gguf_payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 1_500_000
    real_write = PartFile.write
    written = 0

    def write_until_full(self: PartFile, data: bytes | memoryview) -> None:
        nonlocal written
        room = limit - written
        if len(data) > room:
            real_write(self, data[:room])
            written += room
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, data)
        written += len(data)

    monkeypatch.setattr(PartFile, "write", write_until_full)
    with pytest.raises(DiskFullError) as caught:
        run([hf_source(mirror)])
    assert "disk is full" in str(caught.value)
    run.assert_nothing_installed()
    assert part_path(run.dest).read_bytes() == gguf_payload[:limit]

    # Space freed: the next run resumes from what was written.
    monkeypatch.setattr(PartFile, "write", real_write)
    served_before = mirror.bytes_served
    run([hf_source(mirror)])
    run.assert_installed()
    assert mirror.bytes_served - served_before == len(gguf_payload) - limit


def test_11_second_mirror_takes_over_mid_file(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.reset_after(1_234_567)  # every answer from the first mirror breaks off

    run(
        [hf_source(mirror, "Mirror A"), ms_source(second_mirror, "ModelScope")],
        max_retries_per_source=0,
    )

    run.assert_installed()
    assert mirror.bytes_served == 1_234_567
    assert second_mirror.ranges_asked == ["bytes=1234567-"]
    assert mirror.bytes_served + second_mirror.bytes_served == len(gguf_payload)
    assert any("Switching to ModelScope" in e.message for e in run.events)


CHILD_SCRIPT = """
import sys
from pathlib import Path
from app.core.cancel import CancelToken
from app.core.downloads import Source, download_file
from app.core.network import NetworkGateway

url, dest, size, sha, chunk = sys.argv[1:]
download_file(
    [Source("mirror", url)], Path(dest), gateway=NetworkGateway(log_path=None),
    expected_size=int(size), expected_sha256=sha, progress=lambda p: None,
    cancel=CancelToken(), rank=False, chunk_size=int(chunk), disk_margin_bytes=0,
)
"""


def test_12_killed_process_resumes_without_refetching(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    chunk = 256 * 1024
    stall_at = 2_000_000
    mirror.stall_after(stall_at, seconds=60, times=1)
    url = mirror.hf_url(REPO, FILENAME)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD_SCRIPT,
            url,
            str(run.dest),
            str(len(gguf_payload)),
            sha256(gguf_payload),
            str(chunk),
        ],
        cwd=REPO_ROOT,
    )
    part = part_path(run.dest)
    try:
        assert mirror.stalled.wait(timeout=30), "the child never reached the stall"
        assert wait_until(lambda: part.exists() and part.stat().st_size >= stall_at - chunk)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    served_before = mirror.bytes_served
    on_disk = part.stat().st_size

    run([hf_source(mirror)], chunk_size=chunk)

    run.assert_installed()
    fetched = mirror.bytes_served - served_before
    remainder = len(gguf_payload) - served_before
    assert fetched == len(gguf_payload) - on_disk
    assert fetched <= remainder + chunk
    assert mirror.ranges_asked[-1] == f"bytes={on_disk}-"
    assert any(e.phase == "checking" for e in run.events)  # the .part was re-hashed


# --- before the first byte ----------------------------------------------------------------


def test_disk_space_is_checked_before_the_first_byte(
    run: Run, mirror: LocalMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: FakeUsage(free=2_000_000))
    with pytest.raises(DiskFullError) as caught:
        run([hf_source(mirror)], disk_margin_bytes=100_000_000)
    message = str(caught.value)
    assert "3.2 MB more plus 100.0 MB to spare" in message
    assert "only 2.0 MB is free" in message
    assert mirror.requests_seen == 0
    run.assert_nothing_installed()
    assert not part_path(run.dest).exists()


def test_disk_space_check_counts_the_part_already_there(
    run: Run, mirror: LocalMirror, gguf_payload: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    part_path(run.dest).write_bytes(gguf_payload[:3_000_000])
    still_needed = len(gguf_payload) - 3_000_000
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: FakeUsage(free=still_needed + 1000))
    run([hf_source(mirror)], disk_margin_bytes=1000)
    run.assert_installed()


def test_disk_space_is_checked_when_the_size_is_learned(
    run: Run, mirror: LocalMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: FakeUsage(free=1_000_000))
    with pytest.raises(DiskFullError):
        run([hf_source(mirror)], expected_size=None, expected_sha256=None)
    assert mirror.requests_seen == 1
    assert not part_path(run.dest).exists()  # not a byte written


class FakeUsage:
    def __init__(self, free: int) -> None:
        self.total = free * 10
        self.used = free * 9
        self.free = free


def test_unknown_size_is_learned_from_the_answer(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    run([hf_source(mirror)], expected_size=None)
    run.assert_installed()
    assert run.events[-1].total == len(gguf_payload)


def test_resume_rehashes_the_part_and_fetches_only_the_rest(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    part_path(run.dest).write_bytes(gguf_payload[:1_048_576])
    run([hf_source(mirror)])
    run.assert_installed()
    assert mirror.ranges_asked == ["bytes=1048576-"]
    assert mirror.bytes_served == len(gguf_payload) - 1_048_576


def test_a_corrupt_part_from_an_earlier_session_is_dropped_and_fetched_again(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    damaged = bytearray(gguf_payload[:1_000_000])
    damaged[500_000] ^= 0xFF
    part_path(run.dest).write_bytes(bytes(damaged))
    run([hf_source(mirror, "Mirror A")])
    # The mixed file failed verification; the culprit unknown, the source served it alone.
    run.assert_installed()
    assert mirror.ranges_asked == ["bytes=1000000-"]
    assert mirror.requests_seen == 2  # the rest, then the whole file from byte 0


def test_wrong_content_range_is_refused(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    # The first source's file is a different size: its Content-Range total disagrees.
    mirror.add_file(REPO, FILENAME, gguf_payload + b"extra")
    part_path(run.dest).write_bytes(gguf_payload[:1_000_000])
    run([hf_source(mirror), hf_source(second_mirror, "Mirror B")])
    run.assert_installed()
    assert mirror.requests_seen == 1
    assert second_mirror.ranges_asked == ["bytes=1000000-"]


# --- pause, cancel, delete ---------------------------------------------------------------


def test_pause_keeps_the_part_and_resume_continues(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.slow_drip(2_000_000)
    cancel = CancelToken()

    def cancel_midway(event: DownloadProgress) -> None:
        if event.downloaded >= 600_000:
            cancel.cancel()

    with pytest.raises(CancelledError):
        download_file(
            [hf_source(mirror)],
            run.dest,
            gateway=run.gateway,
            expected_size=len(gguf_payload),
            expected_sha256=sha256(gguf_payload),
            progress=cancel_midway,
            cancel=cancel,
            rank=False,
            disk_margin_bytes=0,
        )
    kept = part_path(run.dest).stat().st_size
    assert 600_000 <= kept < len(gguf_payload)
    run.assert_nothing_installed()

    mirror.slow_drip(None)
    run([hf_source(mirror)])
    run.assert_installed()
    assert mirror.ranges_asked[-1] == f"bytes={kept}-"


def test_cancel_during_a_stall_is_immediate(
    run: Run, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.stall_after(1_000_000, seconds=60, times=None)
    cancel = CancelToken()
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            run([hf_source(mirror)], cancel=cancel, stall_timeout=30.0, chunk_size=65536)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    assert mirror.stalled.wait(timeout=10)
    part = part_path(run.dest)
    assert wait_until(lambda: part.exists() and part.stat().st_size >= 1_000_000 - 65536)
    cancel.cancel()
    thread.join(timeout=5)  # far below the 30 s stall timeout
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], CancelledError)
    assert part_path(run.dest).stat().st_size == 1_000_000


def test_cancel_before_start_touches_nothing(run: Run, mirror: LocalMirror) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(CancelledError):
        run([hf_source(mirror)], cancel=cancel)
    assert mirror.requests_seen == 0


def test_delete_partial_removes_the_part(dest: Path) -> None:
    part_path(dest).write_bytes(b"GGUF1234")
    assert delete_partial(dest) is True
    assert not part_path(dest).exists()
    assert delete_partial(dest) is False


# --- ranking and pinning ----------------------------------------------------------------


def test_rank_sources_puts_slow_after_fast_and_dead_last(
    mirror: LocalMirror,
    second_mirror: LocalMirror,
    local_mirror_factory: Callable[[], LocalMirror],
    gateway: NetworkGateway,
) -> None:
    slow, fast = mirror, second_mirror
    slow.slow_drip(200_000)
    dead = local_mirror_factory()  # has no such file: 404
    sources = [hf_source(slow, "slow"), hf_source(dead, "dead"), hf_source(fast, "fast")]

    ranked = rank_sources(sources, gateway, cancel=CancelToken(), probe_bytes=65536)

    assert [s.name for s in ranked] == ["fast", "slow", "dead"]
    assert fast.ranges_asked == ["bytes=0-65535"]


def test_download_uses_the_fastest_source(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.slow_drip(300_000)
    run([hf_source(mirror, "slow"), hf_source(second_mirror, "fast")], rank=True)
    run.assert_installed()
    downloading = {e.source for e in run.events if e.phase == "downloading"}
    assert downloading == {"fast"}
    assert second_mirror.bytes_served == len(gguf_payload) + 65536  # probe + the file


def test_pinned_source_is_used_without_probing(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.slow_drip(4_000_000)  # slower, but pinned
    run(
        [hf_source(second_mirror, "fast"), ms_source(mirror, "ModelScope")],
        rank=True,
        pinned_source="modelscope",  # by kind, as settings store it
    )
    run.assert_installed()
    assert second_mirror.requests_seen == 0
    assert mirror.bytes_served == len(gguf_payload)


def test_progress_is_throttled() -> None:
    clock = [1000.0]
    seen: list[DownloadProgress] = []
    reporter = ProgressReporter(seen.append, clock=lambda: clock[0])
    for step in range(1, 1001):  # 1000 reads over one second, 1 KB each
        clock[0] += 0.001
        reporter.report("downloading", step * 1000, 1_000_000, "A")
    assert 9 <= len(seen) <= 11
    assert seen[-1].bytes_per_s == pytest.approx(1_000_000, rel=0.01)
    assert seen[-1].eta_s is not None and seen[-1].eta_s < 0.1


def test_no_sources_is_a_clear_error(run: Run) -> None:
    with pytest.raises(DownloadError, match="no source"):
        run([])


# --- trust: a bad source is a failed source (issue 18) ---------------------------------------


def test_a_mirror_serving_bad_bytes_fails_over_to_the_next(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.corrupt_bytes(2_000_000, length=3)

    run([hf_source(mirror, "Bad Mirror"), hf_source(second_mirror, "Mirror B")])

    run.assert_installed()
    # Nothing of the bad mirror's file was kept: Mirror B served the whole file.
    assert second_mirror.bytes_served == len(gguf_payload)
    assert second_mirror.ranges_asked == []
    assert any("Switching to Mirror B" in e.message for e in run.events)


def test_bad_file_from_mixed_sources_is_fetched_again_from_each_source_alone(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.reset_after(1_000_000, times=1)  # A breaks off once; its bytes are good
    second_mirror.corrupt_bytes(2_000_000)  # B serves the rest, with a bad byte

    run(
        [hf_source(mirror, "Mirror A"), hf_source(second_mirror, "Mirror B")],
        max_retries_per_source=0,
    )

    run.assert_installed()
    assert second_mirror.ranges_asked == ["bytes=1000000-"]
    # Then A alone, from byte 0, gave a file that verifies.
    assert mirror.requests_seen == 2
    assert mirror.bytes_served == 1_000_000 + len(gguf_payload)


def test_every_source_bad_names_what_each_did(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror
) -> None:
    mirror.corrupt_bytes(10)
    second_mirror.status(404)

    with pytest.raises(IntegrityError) as caught:
        run([hf_source(mirror, "Mirror A"), hf_source(second_mirror, "Mirror B")])

    message = str(caught.value)
    assert "Mirror A served a file that failed verification" in message
    assert "Mirror B does not have the file (HTTP 404)" in message
    assert caught.value.source == "Mirror A"
    run.assert_nothing_installed()
    assert not part_path(run.dest).exists()


def test_a_206_starting_at_the_wrong_offset_is_that_sources_failure(
    run: Run, mirror: LocalMirror, second_mirror: LocalMirror, gguf_payload: bytes
) -> None:
    part_path(run.dest).write_bytes(gguf_payload[:1_000_000])
    mirror.shift_range_start(4096)  # "bytes 1004096-..." for "bytes=1000000-"

    run([hf_source(mirror, "Mirror A"), hf_source(second_mirror, "Mirror B")])

    run.assert_installed()
    # Not a byte of A's answer was appended: B continued from the very same offset.
    assert second_mirror.ranges_asked == ["bytes=1000000-"]
    assert second_mirror.bytes_served == len(gguf_payload) - 1_000_000


def test_the_file_is_verified_from_disk_not_from_the_stream(
    run: Run, mirror: LocalMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes that change between the stream and the disk are caught before the rename."""
    real_write = PartFile.write

    def flip_on_disk(self: PartFile, data: bytes | bytearray | memoryview) -> None:
        piece = bytearray(data)
        if self.size <= 1_500_000 < self.size + len(piece):
            piece[1_500_000 - self.size] ^= 0xFF
        real_write(self, piece)

    monkeypatch.setattr(PartFile, "write", flip_on_disk)

    with pytest.raises(IntegrityError, match="failed verification"):
        run([hf_source(mirror, "Mirror A")])

    run.assert_nothing_installed()


# --- trust: one download per file (issue 18) ------------------------------------------------


def test_two_threads_downloading_one_model_leave_one_verified_file(
    gateway: NetworkGateway, dest: Path, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.slow_drip(2_000_000)
    first, second = Run(gateway, dest, gguf_payload), Run(gateway, dest, gguf_payload)
    results: dict[str, object] = {}

    def go(name: str, runner: Run) -> None:
        try:
            results[name] = runner([hf_source(mirror)])
        except BaseException as exc:  # reported below
            results[name] = exc

    one = threading.Thread(target=go, args=("first", first))
    one.start()
    assert wait_until(lambda: part_path(dest).exists())
    two = threading.Thread(target=go, args=("second", second))
    two.start()
    one.join(timeout=60)
    two.join(timeout=60)

    assert results == {"first": dest, "second": dest}
    first.assert_installed()
    assert second.events[0].phase == "waiting"
    assert second.events[-1].phase == "done"
    assert mirror.bytes_served == len(gguf_payload)  # the second reused the first's file
    assert not part_path(dest).exists()


def test_two_processes_downloading_one_model_leave_one_verified_file(
    dest: Path, mirror: LocalMirror, gguf_payload: bytes
) -> None:
    mirror.slow_drip(3_000_000)
    url = mirror.hf_url(REPO, FILENAME)
    argv = [sys.executable, "-c", CHILD_SCRIPT, url, str(dest), str(len(gguf_payload))]
    argv += [sha256(gguf_payload), str(256 * 1024)]
    children = [subprocess.Popen(argv, cwd=REPO_ROOT) for _ in range(2)]
    try:
        codes = [child.wait(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert codes == [0, 0]
    assert sha256(dest.read_bytes()) == sha256(gguf_payload)
    assert not part_path(dest).exists()
    assert mirror.bytes_served == len(gguf_payload)
    assert [p.name for p in dest.parent.iterdir() if p.name.endswith(".gguf")] == [dest.name]


def test_a_download_running_elsewhere_is_said_when_not_waiting(
    run: Run, mirror: LocalMirror
) -> None:
    import filelock

    run.dest.parent.mkdir(parents=True, exist_ok=True)
    with (
        filelock.FileLock(str(downloads.lock_path(run.dest))),
        pytest.raises(downloads.DownloadBusyError, match="already being downloaded"),
    ):
        run([hf_source(mirror)], wait_for_other=False)
    assert mirror.requests_seen == 0


def test_waiting_for_another_download_can_be_cancelled(run: Run, mirror: LocalMirror) -> None:
    import filelock

    run.dest.parent.mkdir(parents=True, exist_ok=True)
    cancel = CancelToken()
    waiting = threading.Event()

    def progress(event: DownloadProgress) -> None:
        if event.phase == "waiting":
            waiting.set()

    with filelock.FileLock(str(downloads.lock_path(run.dest))):
        threading.Thread(target=lambda: waiting.wait(30) and cancel.cancel()).start()
        with pytest.raises(CancelledError):
            run([hf_source(mirror)], cancel=cancel, progress=progress)
    assert waiting.is_set()
    assert mirror.requests_seen == 0


# --- trust: redirects (issue 17 and 18) -------------------------------------------------------


def test_offline_is_checked_again_on_every_redirect_hop(
    run: Run, gateway: NetworkGateway, mirror: LocalMirror, second_mirror: LocalMirror
) -> None:
    # Offline mode is switched on while the first hop is being answered.
    mirror.redirect_to(second_mirror.base_url, before=lambda: gateway.set_offline(True))

    with pytest.raises(OfflineError):
        run([hf_source(mirror)])

    assert mirror.requests_seen == 1
    assert second_mirror.requests_seen == 0
    refused = [e for e in gateway.log_entries() if e.result == "refused: offline"]
    assert [e.path.split("/")[1] for e in refused] == ["cdn"]


def test_the_body_of_a_redirect_is_read_with_a_bound(
    run: Run, gateway: NetworkGateway, mirror: LocalMirror, second_mirror: LocalMirror
) -> None:
    from app.core.network import MAX_REDIRECT_BODY

    mirror.redirect_to(second_mirror.base_url, body_bytes=-1)  # a redirect that never ends
    cancel = CancelToken()
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(run([hf_source(mirror)], cancel=cancel)), daemon=True
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # hang protection: the bug would read forever
        cancel.cancel()
        worker.join(timeout=10)
        pytest.fail("the redirect's endless body was read without a bound")

    assert outcome == [run.dest]
    run.assert_installed()
    first_hop = next(e for e in gateway.log_entries() if e.status == 302)
    assert first_hop.bytes_in <= MAX_REDIRECT_BODY + 256 * 1024
