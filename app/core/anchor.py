"""The anchor: llama.cpp's own ``llama-bench`` on the same file, threads and depths.

Hearth's bench proves the app adds little to its own engine; the anchor proves the engine
is as fast as llama.cpp can be on this CPU. ``scripts/build_llama_bench.sh`` builds
``llama-bench`` from the vendored sources of the wheel Hearth ships, once per machine:

- the *wheel* build runs on the shipped wheel's own libraries and CPU variant modules
  (``LD_LIBRARY_PATH`` and working directory = the wheel's ``llama_cpp/lib``), so the
  comparison is against the very binaries the app uses;
- the optional *native* build is llama.cpp's default ``-march=native`` build, to measure
  what the portable wheel gives up.

Pure Python; the bench CLI calls it. Nothing here is timed by tests.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from app.core.cancel import CancelToken
from app.core.errors import HearthError

log = logging.getLogger(__name__)

Build = Literal["wheel", "native"]

#: llama-bench can be slow at depth 4096 on two cores; this only guards against a hang.
RUN_TIMEOUT_S = 1800


class AnchorError(HearthError):
    """llama-bench could not be built or run."""


@dataclass(frozen=True, slots=True)
class BenchRow:
    """One llama-bench result row (one test at one depth and flash-attention setting)."""

    test: Literal["pp", "tg"]
    n_tokens: int
    depth: int
    flash_attn: bool
    type_k: str
    threads: int
    tokens_per_s: float
    stddev: float

    @property
    def label(self) -> str:
        fa = "fa1" if self.flash_attn else "fa0"
        return f"{self.test}{self.n_tokens}@d{self.depth}/{fa}/{self.type_k}"


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def wheel_lib_dir() -> Path:
    """The installed wheel's ``llama_cpp/lib`` (found without importing llama_cpp)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise AnchorError("llama-cpp-python is not installed, so there is nothing to compare.")
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def build(*, native: bool = True) -> Path:
    """Build (or reuse) llama-bench; returns the directory with ``wheel/`` and ``native/``."""
    script = repo_root() / "scripts" / "build_llama_bench.sh"
    if not script.is_file():
        raise AnchorError(
            "The llama-bench anchor needs Hearth's source checkout (scripts/build_llama_bench.sh)."
        )
    env = dict(os.environ, LLAMA_BENCH_NATIVE="1" if native else "0")
    result = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        log.error("build_llama_bench failed:\n%s", result.stderr[-4000:])
        raise AnchorError(
            "llama-bench could not be built; see the log for the compiler output.",
            detail=result.stderr[-2000:],
        )
    return Path(result.stdout.strip().splitlines()[-1])


def command(
    bench_dir: Path, which: Build, model: Path, *, threads: int, args: Sequence[str]
) -> tuple[list[str], dict[str, str], Path]:
    """The argv, environment and working directory that run one llama-bench build."""
    binary = bench_dir / which / "bin" / "llama-bench"
    if not binary.is_file():
        raise AnchorError(f"The {which} llama-bench build is missing in {bench_dir}.")
    env = dict(os.environ)
    if which == "wheel":
        lib = wheel_lib_dir()
        # The wheel's libllama/libggml first; llama-bench's own helper libraries after.
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(lib), str(binary.parent), env.get("LD_LIBRARY_PATH", "")) if p
        )
        cwd = lib  # ggml looks for CPU variant modules in the working directory
    else:
        env["LD_LIBRARY_PATH"] = str(binary.parent)
        cwd = binary.parent
    argv = [str(binary), "-m", str(model), "-t", str(threads), "-o", "json", *args]
    return argv, env, cwd


def run(
    bench_dir: Path,
    which: Build,
    model: Path,
    *,
    threads: int,
    n_prompt: int = 512,
    n_gen: int = 64,
    depths: Sequence[int] = (0,),
    flash_attn: Sequence[bool] = (False, True),
    cache_types: Sequence[str] = ("f16",),
    repetitions: int = 3,
    cancel: CancelToken | None = None,
) -> list[BenchRow]:
    """Run llama-bench once over the whole grid; returns one row per test."""
    args = [
        "-p", str(n_prompt) if n_prompt else "0",
        "-n", str(n_gen) if n_gen else "0",
        "-d", ",".join(str(d) for d in depths),
        "-fa", ",".join("on" if f else "off" for f in flash_attn),
        "-ctk", ",".join(cache_types),
        "-ctv", ",".join(cache_types),
        "-r", str(repetitions),
    ]  # fmt: skip
    argv, env, cwd = command(bench_dir, which, model, threads=threads, args=args)
    log.info("anchor: %s", " ".join(argv))
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = _communicate(process, cancel)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise AnchorError(
            f"llama-bench ({which}) failed with exit code {process.returncode}.",
            detail=err[-2000:],
        )
    return parse(out)


def _communicate(process: subprocess.Popen[str], cancel: CancelToken | None) -> tuple[str, str]:
    waited = 0.0
    while True:
        try:
            return process.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            waited += 1.0
            if (cancel is not None and cancel.cancelled) or waited > RUN_TIMEOUT_S:
                process.kill()
                process.communicate()
                raise AnchorError("llama-bench was stopped before it finished.") from None


def parse(output: str) -> list[BenchRow]:
    """Rows from llama-bench's ``-o json`` output (a JSON array of test objects)."""
    start = output.find("[")
    if start < 0:
        raise AnchorError("llama-bench printed no results.", detail=output[-2000:])
    try:
        data: Any = json.loads(output[start:])
    except json.JSONDecodeError as exc:
        raise AnchorError("llama-bench printed results that are not JSON.") from exc
    rows: list[BenchRow] = []
    for item in data if isinstance(data, list) else []:
        n_prompt = int(item.get("n_prompt", 0))
        n_gen = int(item.get("n_gen", 0))
        rows.append(
            BenchRow(
                test="pp" if n_gen == 0 else "tg",
                n_tokens=n_prompt if n_gen == 0 else n_gen,
                depth=int(item.get("n_depth", 0)),
                flash_attn=bool(item.get("flash_attn", False)),
                type_k=str(item.get("type_k", "f16")),
                threads=int(item.get("n_threads", 0)),
                tokens_per_s=float(item.get("avg_ts", 0.0)),
                stddev=float(item.get("stddev_ts", 0.0)),
            )
        )
    return rows


def best(
    rows: Sequence[BenchRow], test: Literal["pp", "tg"], depth: int, *, flash_attn: bool | None
) -> BenchRow | None:
    """The fastest row for a test at a depth (optionally at one flash-attention setting)."""
    candidates = [
        r
        for r in rows
        if r.test == test
        and r.depth == depth
        and (flash_attn is None or r.flash_attn == flash_attn)
    ]
    return max(candidates, key=lambda r: r.tokens_per_s, default=None)
