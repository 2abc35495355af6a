"""Download throughput: Hearth's verified downloader vs a plain copy, over loopback.

    .venv/bin/python scripts/bench_downloads.py [--size-mb 512] [--rounds 3] [--link-mbps 50]

A local mirror (tests/support/mirror.py) runs in a child process and serves a generated
file that starts with the GGUF magic. Each round measures, in alternating order:

* **plain copy**: one streamed GET of the same URL written to a file (no hashing, no
  checks), then fsync: the floor any downloader has to beat;
* **hearth**: ``app.core.downloads.download_file``: the network gateway and its log,
  the magic check, sha256 while streaming, the size and hash check, fsync and rename.

It prints MB/s for both (best of the rounds) and the ratio; the goal is >= 0.9x.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.core.cancel import CancelToken  # noqa: E402
from app.core.downloads import Source, download_file  # noqa: E402
from app.core.network import NetworkGateway  # noqa: E402

REPO = "bench/Bench-GGUF"
FILENAME = "bench.gguf"

SERVER = f"""
import hashlib, sys, threading
from tests.support.mirror import LocalMirror, make_gguf_payload
payload = make_gguf_payload(int(sys.argv[1]), seed=1)
mirror = LocalMirror()
mirror.add_file("{REPO}", "{FILENAME}", payload)
if float(sys.argv[2]) > 0:
    mirror.slow_drip(float(sys.argv[2]) * 1e6)  # a link of that many MB/s
print(mirror.hf_url("{REPO}", "{FILENAME}"), hashlib.sha256(payload).hexdigest(), flush=True)
sys.stdin.read()  # serve until the parent closes our stdin
mirror.close()
"""


def cpu_seconds() -> float:
    """CPU time of this process, all threads (the mirror runs in another process)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def plain_copy(url: str, target: Path, chunk: int) -> float:
    started = time.perf_counter()
    with (
        httpx.Client(verify=True) as client,
        client.stream("GET", url) as response,
        target.open("wb", buffering=chunk) as out,
    ):
        response.raise_for_status()
        for piece in response.iter_raw():
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - started


def hearth_download(url: str, target: Path, size: int, sha: str, chunk: int) -> float:
    gateway = NetworkGateway(log_path=target.parent / "network-log.jsonl")
    started = time.perf_counter()
    download_file(
        [Source("loopback", url)],
        target,
        gateway=gateway,
        expected_size=size,
        expected_sha256=sha,
        progress=lambda _p: None,
        cancel=CancelToken(),
        rank=False,
        chunk_size=chunk,
        disk_margin_bytes=0,
    )
    elapsed = time.perf_counter() - started
    gateway.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-kb", type=int, default=1024, help="write buffer, KiB")
    parser.add_argument(
        "--link-mbps",
        type=float,
        default=0.0,
        help="serve at this many MB/s, like a real link (default: as fast as loopback goes)",
    )
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    chunk = args.chunk_kb * 1024

    print(f"generating {args.size_mb} MiB and starting the loopback mirror ...", flush=True)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(size), str(args.link_mbps)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url, sha = server.stdout.readline().split()
        with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
            folder = Path(tmp)
            plain_times: list[float] = []
            hearth_times: list[float] = []
            plain_cpu: list[float] = []
            hearth_cpu: list[float] = []
            for round_number in range(args.rounds):
                order = ("plain", "hearth") if round_number % 2 == 0 else ("hearth", "plain")
                for which in order:
                    target = folder / f"{which}.gguf"
                    cpu_before = cpu_seconds()
                    if which == "plain":
                        plain_times.append(plain_copy(url, target, chunk))
                        plain_cpu.append(cpu_seconds() - cpu_before)
                    else:
                        hearth_times.append(hearth_download(url, target, size, sha, chunk))
                        hearth_cpu.append(cpu_seconds() - cpu_before)
                        with target.open("rb") as check:
                            assert hashlib.file_digest(check, "sha256").hexdigest() == sha
                    target.unlink()
                print(
                    f"round {round_number + 1}: plain {size / plain_times[-1] / 1e6:7.1f} MB/s"
                    f" ({plain_cpu[-1]:.2f} s CPU)"
                    f"   hearth {size / hearth_times[-1] / 1e6:7.1f} MB/s"
                    f" ({hearth_cpu[-1]:.2f} s CPU)",
                    flush=True,
                )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)

    plain_rate = size / min(plain_times) / 1e6
    hearth_rate = size / min(hearth_times) / 1e6
    plain_median = size / statistics.median(plain_times) / 1e6
    hearth_median = size / statistics.median(hearth_times) / 1e6
    print()
    print(f"file: {args.size_mb} MiB over loopback, {args.rounds} rounds (best / median)")
    print(f"plain copy (no hashing, to file, fsync): {plain_rate:8.1f} / {plain_median:.1f} MB/s")
    print(f"hearth (gateway + sha256 + verify):      {hearth_rate:8.1f} / {hearth_median:.1f} MB/s")
    print(
        f"client CPU per GB: plain {min(plain_cpu) / size * 1e9:.2f} s, "
        f"hearth {min(hearth_cpu) / size * 1e9:.2f} s (includes hashing)"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    ratio = hearth_rate / plain_rate
    print(
        f"ratio: {ratio:.2f}x best, {hearth_median / plain_median:.2f}x median"
        f"  (goal >= 0.90x: {'met' if ratio >= 0.9 else 'NOT met'} on best)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
