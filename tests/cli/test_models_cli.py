"""``python -m app models`` end to end, in-process, against the local mirror.

A tiny catalog (given through ``--catalog``, which sets ``HEARTH_CATALOG``) points every
endpoint at the mirror on 127.0.0.1, so nothing else is contacted.
"""

from __future__ import annotations

import _thread
import argparse
import hashlib
import importlib.util
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.__main__ import SUBCOMMANDS, apply_global_options
from app.cli import models as models_cli
from app.core.downloads import part_path
from app.core.paths import AppPaths
from tests.core.test_models import write_test_gguf
from tests.support.mirror import LocalMirror, make_gguf_payload

REPO = "unsloth/Tiny-GGUF"
FILE = "Tiny-Q4_K_M.gguf"
SIZE = 2 * 1024 * 1024 + 321


def run_cli(argv: list[str]) -> int:
    """``python -m app <argv>`` in-process.

    Uses the real entry point once every subcommand module exists; until then, the same
    global options and this subcommand's parser, wired the same way.
    """
    if all(importlib.util.find_spec(f"app.cli.{name}") for name in SUBCOMMANDS):
        from app.__main__ import main

        return main(argv)
    parser = argparse.ArgumentParser(prog="hearth")
    parser.add_argument("--model")
    parser.add_argument("--data-dir")
    parser.add_argument("--catalog")
    parser.add_argument("--offline", action="store_true")
    parser.add_argument("--debug", action="store_true")
    subparsers = parser.add_subparsers(dest="command")
    models_cli.add_parser(subparsers)
    args = parser.parse_args(argv)
    apply_global_options(args)
    return models_cli.run(args)


@pytest.fixture(autouse=True)
def restore_global_option_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--catalog`` and ``--offline`` set environment variables; undo them after each test."""
    for name in ("HEARTH_CATALOG", "HEARTH_OFFLINE"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def write_catalog(
    path: Path,
    mirror: LocalMirror,
    *,
    sha256: str | None,
    size: int = SIZE,
    size_exact: bool = True,
) -> Path:
    document = {
        "version": 1,
        "endpoints": {"huggingface": mirror.base_url, "modelscope": mirror.base_url},
        "mirrors": [],
        "models": [
            {
                "id": "tiny-q4_k_m",
                "name": "Tiny Q4_K_M",
                "family": "Tiny",
                "quant": "Q4_K_M",
                "file": FILE,
                "size": size,
                "size_exact": size_exact,
                "sha256": sha256,
                "params": 1e6,
                "architecture": {"n_layers": 2, "n_kv_heads": 1, "head_dim": 8},
                "license": "MIT",
                "default": True,
                "sources": [
                    {"kind": "huggingface", "repo": REPO, "revision": "main"},
                    {"kind": "modelscope", "repo": REPO, "revision": "master"},
                ],
            }
        ],
    }
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def served(local_mirror: LocalMirror) -> Any:
    return local_mirror.add_file(REPO, FILE, make_gguf_payload(SIZE))


@pytest.fixture
def catalog_file(tmp_path: Path, local_mirror: LocalMirror, served: Any) -> Path:
    return write_catalog(tmp_path / "catalog.json", local_mirror, sha256=served.sha256)


def test_list_download_verify_remove(
    catalog_file: Path,
    served: Any,
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["--catalog", str(catalog_file), "models", "list"]) == 0
    out = capsys.readouterr().out
    assert "tiny-q4_k_m" in out and "not downloaded" in out

    assert run_cli(["--catalog", str(catalog_file), "models", "download", "Q4_K_M"]) == 0
    out = capsys.readouterr().out
    dest = isolated_app_dirs.models / FILE
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == served.sha256
    assert not part_path(dest).exists()
    assert "downloading" in out and "Installed Tiny Q4_K_M" in out
    assert isolated_app_dirs.network_log.is_file()

    assert run_cli(["--catalog", str(catalog_file), "models", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "tiny-q4_k_m" in line)
    assert "installed" in row and "fits" in row

    assert run_cli(["--catalog", str(catalog_file), "models", "verify"]) == 0
    assert "intact" in capsys.readouterr().out

    data = bytearray(dest.read_bytes())
    data[1000] ^= 0xFF
    dest.write_bytes(bytes(data))
    assert run_cli(["--catalog", str(catalog_file), "models", "verify", FILE]) == 1
    assert "damaged" in capsys.readouterr().err

    assert run_cli(["--catalog", str(catalog_file), "models", "remove", "tiny-q4_k_m"]) == 0
    assert not dest.exists()


def test_partial_download_shows_percent(
    catalog_file: Path,
    isolated_app_dirs: AppPaths,
    served: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    part_path(isolated_app_dirs.models / FILE).write_bytes(served.data[: SIZE // 2])
    assert run_cli(["--catalog", str(catalog_file), "models", "list"]) == 0
    assert "partial 50%" in capsys.readouterr().out


def test_resume_fetches_only_the_rest(
    catalog_file: Path,
    isolated_app_dirs: AppPaths,
    served: Any,
    local_mirror: LocalMirror,
) -> None:
    part_path(isolated_app_dirs.models / FILE).write_bytes(served.data[:1_000_000])
    assert (
        run_cli(
            [
                "--catalog",
                str(catalog_file),
                "models",
                "download",
                "tiny-q4_k_m",
                "--source",
                "huggingface",
            ]
        )
        == 0
    )
    assert local_mirror.ranges_asked == ["bytes=1000000-"]
    assert local_mirror.bytes_served == SIZE - 1_000_000


def test_pinned_sha_mismatch_fails_before_the_first_byte(
    tmp_path: Path,
    local_mirror: LocalMirror,
    served: Any,
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
) -> None:
    catalog = write_catalog(tmp_path / "wrong.json", local_mirror, sha256="ab" * 32)
    assert run_cli(["--catalog", str(catalog), "models", "download", "Q4_K_M"]) == 1
    err = capsys.readouterr().err
    assert "publishes a different sha256" in err and "Traceback" not in err
    assert local_mirror.bytes_served == 0
    assert not any(isolated_app_dirs.models.iterdir())


def test_unpinned_sha_is_taken_from_the_sources(
    tmp_path: Path,
    local_mirror: LocalMirror,
    served: Any,
    isolated_app_dirs: AppPaths,
) -> None:
    catalog = write_catalog(
        tmp_path / "open.json", local_mirror, sha256=None, size=SIZE + 999, size_exact=False
    )
    assert run_cli(["--catalog", str(catalog), "models", "download"]) == 0
    dest = isolated_app_dirs.models / FILE
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == served.sha256
    registry = json.loads((isolated_app_dirs.models / "registry.json").read_text())
    assert registry["models"][0]["sha256"] == served.sha256


def test_every_source_failing_gives_exit_1_and_keeps_nothing_bad(
    catalog_file: Path,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_mirror.html_instead()
    assert run_cli(["--catalog", str(catalog_file), "models", "download", "Q4_K_M"]) == 1
    err = capsys.readouterr().err.strip()
    assert err and "Traceback" not in err
    assert not (isolated_app_dirs.models / FILE).exists()


def test_offline_mode_refuses_with_a_message(
    catalog_file: Path,
    local_mirror: LocalMirror,
    capsys: pytest.CaptureFixture[str],
) -> None:
    local_mirror.reset_counters()
    assert run_cli(["--offline", "--catalog", str(catalog_file), "models", "download"]) == 1
    assert "offline" in capsys.readouterr().err.lower()
    assert local_mirror.requests_seen == 0


def test_download_from_explicit_urls_with_failover(
    local_mirror_factory: Callable[[], LocalMirror],
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dead, good = local_mirror_factory(), local_mirror_factory()
    gguf = write_test_gguf(isolated_app_dirs.cache / "src" / "mine.gguf")
    served = good.add_file("me/mine", "mine.gguf", gguf.read_bytes())
    dead.status(500)
    code = run_cli(
        [
            "models",
            "download",
            "--url",
            dead.hf_url("me/mine", "mine.gguf"),
            "--url",
            good.hf_url("me/mine", "mine.gguf"),
            "--sha256",
            served.sha256,
            "--size",
            str(served.size),
            "--name",
            "mine.gguf",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert (isolated_app_dirs.models / "mine.gguf").read_bytes() == served.data
    assert "Installed mine.gguf (qwen2" in out


def test_explicit_url_with_the_wrong_sha_fails(
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
    served: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_cli(
        [
            "models",
            "download",
            "--url",
            local_mirror.hf_url(REPO, FILE),
            "--sha256",
            "cd" * 32,
            "--name",
            "other.gguf",
        ]
    )
    assert code == 1
    assert "checksum" in capsys.readouterr().err
    assert not (isolated_app_dirs.models / "other.gguf").exists()
    assert not part_path(isolated_app_dirs.models / "other.gguf").exists()


def test_explicit_url_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run_cli(["models", "download", "--url", "http://127.0.0.1:9/x.gguf", "--name", "../x.gguf"])
        == 2
    )
    err = capsys.readouterr().err
    assert "--sha256 must be" in err and "--name must be" in err


def test_unknown_model_is_a_readable_failure(
    catalog_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["--catalog", str(catalog_file), "models", "download", "Q2_K"]) == 1
    assert "There is no model “Q2_K”" in capsys.readouterr().err


def test_bad_catalog_is_a_readable_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1, "models": "nope"}')
    assert run_cli(["--catalog", str(bad), "models", "list"]) == 1
    assert "is not valid" in capsys.readouterr().err


def test_ctrl_c_keeps_the_part_and_says_how_to_resume(
    catalog_file: Path,
    local_mirror: LocalMirror,
    isolated_app_dirs: AppPaths,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core import downloads

    local_mirror.stall_after(1024 * 1024, seconds=60)
    first_mib_written = threading.Event()
    original_write = downloads.PartFile.write

    def write(self: downloads.PartFile, data: bytes | memoryview) -> None:
        original_write(self, data)
        if self.size >= 1024 * 1024:
            first_mib_written.set()

    monkeypatch.setattr(downloads.PartFile, "write", write)

    def press_ctrl_c() -> None:
        # Ctrl+C once the first MiB is on its way to disk and the mirror has gone quiet.
        if first_mib_written.wait(timeout=30) and local_mirror.stalled.wait(timeout=30):
            _thread.interrupt_main()

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    code = run_cli(
        ["--catalog", str(catalog_file), "models", "download", "Q4_K_M", "--source", "huggingface"]
    )
    presser.join(timeout=5)
    assert code == 130
    err = capsys.readouterr().err
    assert "run the same command again to resume" in err
    assert err.count("Stopped") == 1
    partial = part_path(isolated_app_dirs.models / FILE)
    assert partial.is_file() and partial.stat().st_size == 1024 * 1024
    assert not (isolated_app_dirs.models / FILE).exists()


def test_import_and_remove_in_place(
    tmp_path: Path, isolated_app_dirs: AppPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    gguf = write_test_gguf(tmp_path / "own" / "Own-Q8_0.gguf")
    assert run_cli(["models", "import", str(gguf), "--in-place"]) == 0
    out = capsys.readouterr().out
    assert "registered in place" in out and "qwen2" in out and "chat template: yes" in out
    assert run_cli(["models", "list"]) == 0
    assert "Own-Q8_0.gguf" in capsys.readouterr().out
    assert run_cli(["models", "remove", "Own-Q8_0.gguf"]) == 0
    assert gguf.exists()


def test_import_of_a_non_gguf_fails_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("hello")
    assert run_cli(["models", "import", str(bogus)]) == 1
    assert "is not a GGUF model file" in capsys.readouterr().err
