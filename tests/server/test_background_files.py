"""The systemd user unit and the Dockerfile for ``serve``, checked without running them.

Docker cannot run on the build machine (no daemon), so the Dockerfile is parsed: every
COPY source exists, the container runs ``serve`` as a non-root user with the model
directory as a volume, and binding 0.0.0.0 comes with --allow-remote (so the token is
mandatory). The unit file is parsed and, where ``systemd-analyze`` exists, verified.
"""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.serve import DEFAULT_PORT
from app.server.auth import is_loopback_host

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "packaging" / "systemd" / "hearth-api.service"
DOCKERFILE = ROOT / "packaging" / "docker" / "Dockerfile"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), with continuation lines joined and comments dropped."""
    joined: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        joined.append(current + line)
        current = ""
    assert not current, "the Dockerfile ends in a line continuation"
    result = []
    for line in joined:
        instruction, _, arguments = line.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def test_the_dockerfile_is_well_formed() -> None:
    instructions = dockerfile_instructions()
    known = {
        "FROM", "RUN", "COPY", "WORKDIR", "ENV", "USER", "VOLUME", "EXPOSE", "ENTRYPOINT",
        "CMD", "STOPSIGNAL", "HEALTHCHECK", "ARG", "LABEL",
    }  # fmt: skip
    assert {name for name, _ in instructions} <= known
    assert instructions[0][0] == "FROM"
    for name, arguments in instructions:
        if name == "FROM":
            image = arguments.split()[0]
            assert ":" in image and not image.endswith(":latest"), "pin the base image"
        if name == "COPY" and "--from=" not in arguments:
            *sources, _target = arguments.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY source {source} is missing"
        if name in ("ENTRYPOINT", "CMD", "VOLUME"):
            json.loads(arguments)  # the exec (JSON) form, so signals reach Python


def test_the_container_runs_serve_safely() -> None:
    instructions = dockerfile_instructions()
    last = {name: arguments for name, arguments in instructions}
    entrypoint = json.loads(last["ENTRYPOINT"])
    assert entrypoint[1:4] == ["-m", "app", "serve"]
    host = entrypoint[entrypoint.index("--host") + 1]
    assert not is_loopback_host(host)
    assert "--allow-remote" in entrypoint  # so the token is mandatory
    assert int(entrypoint[entrypoint.index("--port") + 1]) == DEFAULT_PORT
    assert last["EXPOSE"] == str(DEFAULT_PORT)
    assert "/models" in json.loads(last["VOLUME"])
    assert last["USER"] not in ("root", "0")
    assert last["STOPSIGNAL"] == "SIGTERM"
    assert "HEARTH_OFFLINE=1" in last["ENV"] and "HEARTH_DATA_DIR=/data" in last["ENV"]
    assert "/models/" in last["CMD"]


def test_the_container_arguments_parse_with_the_real_cli() -> None:
    from app.__main__ import build_parser

    last = {name: arguments for name, arguments in dockerfile_instructions()}
    argv = json.loads(last["ENTRYPOINT"])[3:] + json.loads(last["CMD"])
    args = build_parser().parse_args(argv)
    assert args.command == "serve" and args.allow_remote and args.serve_model


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_the_user_unit_runs_serve_on_loopback() -> None:
    parsed = unit()
    assert set(parsed.sections()) == {"Unit", "Service", "Install"}
    command = shlex.split(parsed["Service"]["ExecStart"])
    assert command[1] == "serve"
    assert is_loopback_host(command[command.index("--host") + 1])
    assert "--allow-remote" not in command
    assert parsed["Install"]["WantedBy"] == "default.target"  # a user unit's target
    assert parsed["Service"]["KillSignal"] == "SIGTERM"

    from app.__main__ import build_parser

    assert build_parser().parse_args(command[1:]).command == "serve"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    # Verified with an executable that exists here; everything else is the real file.
    text = UNIT.read_text(encoding="utf-8").replace("%h/.local/bin/hearth", sys.executable)
    copy = tmp_path / "hearth-api.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "hearth-api.service" in line
    ]
    assert result.returncode == 0 and problems == [], problems
