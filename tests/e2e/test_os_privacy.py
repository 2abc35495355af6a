"""Privacy proven by the operating system, not by a Python-level trap (issue 18, part 4).

tests/e2e/test_privacy.py drives one whole session of the real app (start, settings, load
the tiny model, chat, regenerate, switch chats, search, find, export, network log, About,
quit) with Python's socket functions trapped. Native code (Qt, llama.cpp, any library)
never goes through that trap. Here the very same session runs in a subprocess under two
checks the operating system enforces:

- ``unshare``: a new network namespace with no interfaces but a loopback that is down.
  Nothing could get out; the session must still pass, so it never needed the network;
- ``strace -f -e trace=network``: every network system call of every thread and child
  process is recorded, and the only sockets allowed are AF_UNIX ones (the test counts and
  prints the others: the expected figure is 0).

And the API server (``python -m app serve``), which must listen, under ``strace``: the only
non-AF_UNIX sockets it creates are ones bound to loopback and listening, it connects to
nothing and sends to no address, while it answers a real request for a chat completion.

Each check first proves it can see what it looks for (a control that opens an AF_INET
socket, or reads the namespace's interfaces), and skips with the machine's own words when
the tool is missing or forbidden (e.g. user namespaces or ptrace disabled in a container).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.core.instance import read_holder

REPO_ROOT = Path(__file__).resolve().parents[2]
SESSION_TEST = "tests/e2e/test_privacy.py::test_a_whole_session_makes_no_network_call"
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="unshare/strace")
#: Hang protection only: the session takes seconds; under strace on a busy shared machine,
#: and with the tiny model built first, it may take a few minutes.
SESSION_TIMEOUT_S = 900
PROBE_TIMEOUT_S = 60

_SOCKET_CALL = re.compile(r"\b(socket|socketpair)\((AF_\w+|\d+)")
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
#: System calls that would reach out to an address (rather than accept from one).
_OUTBOUND = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(")


@dataclass(frozen=True)
class Trace:
    """What strace recorded."""

    lines: list[str]

    @property
    def sockets(self) -> list[tuple[str, str]]:
        """(call, family) for every socket()/socketpair() call."""
        found = []
        for line in self.lines:
            match = _SOCKET_CALL.search(line)
            if match:
                found.append((match.group(1), match.group(2)))
        return found

    @property
    def non_unix_sockets(self) -> list[str]:
        return [
            line
            for line in self.lines
            if (m := _SOCKET_CALL.search(line)) and m.group(2) != "AF_UNIX"
        ]

    @property
    def inet_addresses(self) -> list[str]:
        """Every call that names an AF_INET/AF_INET6 address (connect, sendto, bind...)."""
        return [
            line
            for line in self.lines
            if any(f in ("AF_INET", "AF_INET6") for f in _FAMILY.findall(line))
        ]


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "HEARTH_DATA_DIR")
    }
    env.update({"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home")})
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def _probe(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
    )


def _session(prefix: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The privacy session of test_privacy.py, in a fresh interpreter run by ``prefix``."""
    command = [
        *prefix,
        sys.executable,
        "-m",
        "pytest",
        SESSION_TEST,
        "-q",
        "-p",
        "no:cacheprovider",
        # Its own temp root: a nested pytest must not prune the outer one's folders.
        f"--basetemp={tmp_path / 'session'}",
    ]
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT_S,
        check=False,
    )


def _assert_session_passed(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "1 passed" in done.stdout, done.stdout[-4000:]


# --- unshare: a namespace with no network -------------------------------------------------


@pytest.fixture(scope="module")
def unshare_prefix() -> list[str]:
    """``unshare -rn`` (or ``-n`` as root), if this machine allows network namespaces."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    reasons = []
    for prefix in (["unshare", "-rn"], ["unshare", "-n"]):
        done = _probe([*prefix, "cat", "/proc/net/dev"])
        if done.returncode == 0:
            return prefix
        reasons.append(f"{' '.join(prefix)}: {done.stderr.strip() or done.returncode}")
    pytest.skip("this machine does not allow a network namespace: " + "; ".join(reasons))


@LINUX_ONLY
def test_the_namespace_has_no_way_out(unshare_prefix: list[str]) -> None:
    """Control: inside, the only interface is a loopback that is down, so even 127.0.0.1
    is unreachable; the session below really runs with no network at all."""
    dev = _probe([*unshare_prefix, "cat", "/proc/net/dev"])
    interfaces = [line.split(":", 1)[0].strip() for line in dev.stdout.splitlines()[2:]]
    assert interfaces == ["lo"]
    probe = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
        "s.settimeout(5)\n"
        "try:\n    s.connect(('127.0.0.1', 9))\nexcept OSError as e:\n    print(e.errno)\n"
    )
    reached = _probe([*unshare_prefix, sys.executable, "-c", probe])
    import errno

    assert reached.stdout.strip() == str(errno.ENETUNREACH), reached


@LINUX_ONLY
@pytest.mark.slow
def test_a_whole_session_passes_in_a_network_namespace_with_no_interfaces(
    unshare_prefix: list[str], tmp_path: Path
) -> None:
    _assert_session_passed(_session(unshare_prefix, tmp_path))


# --- strace: every network system call, of every thread and child --------------------------


@pytest.fixture(scope="module")
def strace_bin() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    done = _probe([path, "-f", "-qq", "-e", "trace=network", "-o", os.devnull, "true"])
    if done.returncode != 0:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip() or done.returncode}")
    return path


def _strace_prefix(strace: str, out: Path) -> list[str]:
    return [strace, "-f", "-qq", "-e", "trace=network", "-e", "signal=none", "-o", str(out)]


def _show(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Straight to the terminal (CI logs show the figure), whatever the capture mode."""
    with capsys.disabled():
        sys.stdout.write(f"\n{text}\n")


def _read_trace(path: Path) -> Trace:
    return Trace(path.read_text(encoding="utf-8", errors="replace").splitlines())


@LINUX_ONLY
def test_strace_sees_a_socket_when_one_is_made(strace_bin: str, tmp_path: Path) -> None:
    """Control: the same command line and parser do catch an AF_INET socket and address."""
    out = tmp_path / "control.trace"
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.sendto(b'x', ('127.0.0.1', 9))\n"
        "s.close()\n"
        "socket.socket(socket.AF_UNIX).close()\n"
    )
    done = _probe([*_strace_prefix(strace_bin, out), sys.executable, "-c", code])
    assert done.returncode == 0, done.stderr
    trace = _read_trace(out)
    assert ("socket", "AF_INET") in trace.sockets
    assert ("socket", "AF_UNIX") in trace.sockets
    assert len(trace.non_unix_sockets) == 1
    assert any("sendto" in line for line in trace.inet_addresses)


@LINUX_ONLY
@pytest.mark.slow
def test_a_whole_session_creates_no_socket_but_af_unix(
    strace_bin: str,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "session.trace"
    done = _session(_strace_prefix(strace_bin, out), tmp_path)
    _assert_session_passed(done)
    trace = _read_trace(out)
    families = sorted({family for _call, family in trace.sockets})
    summary = {
        "network syscalls": len(trace.lines),
        "sockets": len(trace.sockets),
        "families": families,
        "non-AF_UNIX sockets": len(trace.non_unix_sockets),
    }
    record_property("os_privacy_session", json.dumps(summary))
    _show(capsys, f"OS-level privacy, whole session under strace: {summary}")
    assert trace.non_unix_sockets == []
    assert trace.inet_addresses == []


# --- the API server: one listening socket on loopback, nothing outbound ----------------------


def _serve_available() -> bool:
    return (REPO_ROOT / "app" / "server").is_dir() and (REPO_ROOT / "app/cli/serve.py").is_file()


@LINUX_ONLY
@pytest.mark.slow
@pytest.mark.skipif(not _serve_available(), reason="python -m app serve does not exist yet")
def test_serve_only_listens_on_loopback_and_reaches_out_to_nothing(
    strace_bin: str,
    tmp_path: Path,
    tiny_model_f32: Path,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = _clean_env(tmp_path)
    env["HEARTH_DATA_DIR"] = str(tmp_path / "hearth")
    env.pop("QT_QPA_PLATFORM")  # serve is headless: it must not need Qt at all
    base = [sys.executable, "-m", "app"]
    token_run = subprocess.run(
        [*base, "serve", "--print-token"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    token = token_run.stdout.strip().splitlines()[-1]
    out = tmp_path / "serve.trace"
    command = [
        *_strace_prefix(strace_bin, out),
        *base,
        "serve",
        "--port",
        "0",
        "--model",
        str(tiny_model_f32),
        "--ctx",
        "1024",
        "--threads",
        "2",
    ]
    server = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert server.stderr is not None
    address = ""
    try:
        # Bounded: the server prints its address once it listens, or exits.
        for _ in range(200):
            line = server.stderr.readline()
            if not line:
                break
            found = re.search(r"\bat (http://127\.0\.0\.1:\d+)/v1", line)
            if found:
                address = found.group(1)
                break
        assert address, "the server did not say where it listens"
        answer = _chat_completion(address, token)
        assert answer["object"] == "chat.completion"
        assert answer["choices"][0]["finish_reason"] in ("stop", "length")
    finally:
        holder = read_holder(tmp_path / "hearth" / "data")
        pid = holder.pid if holder is not None and holder.kind == "serve" else None
        if pid is not None:
            os.kill(pid, signal.SIGINT)  # the serve process itself (strace is its parent)
        else:
            server.terminate()
        _rest, err = server.communicate(timeout=120)
    assert server.returncode == 0, err
    trace = _read_trace(out)
    inet = trace.non_unix_sockets
    summary = {"sockets": len(trace.sockets), "non-AF_UNIX sockets": len(inet)}
    record_property("os_privacy_serve", json.dumps(summary))
    _show(capsys, f"OS-level privacy, serve under strace: {summary}")
    # Every address it names is loopback, and none is one it connects or sends to.
    named = trace.inet_addresses
    for line in named:
        assert not _OUTBOUND.search(line), line
        assert '"127.0.0.1"' in line or '"::1"' in line, line
    # Each internet socket it made is bound to loopback and listening: the server socket.
    made = [m.group(1) for line in inet if (m := re.search(r"\) = (\d+)$", line))]
    assert len(made) == len(inet) >= 1, inet  # control: the server socket is in the trace
    for fd in made:
        assert any(re.search(rf"\bbind\({fd}, .*\"(127\.0\.0\.1|::1)\"", x) for x in named), fd
        assert any(re.search(rf"\blisten\({fd}, ", line) for line in trace.lines), fd


def _chat_completion(address: str, token: str) -> dict[str, Any]:
    """GET /v1/models, then one chat completion with the model it names."""
    # The test's own client: loopback only; urllib honours proxies, so none are used.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    listing = urllib.request.Request(f"{address}/v1/models", headers=headers)
    with opener.open(listing, timeout=300) as response:
        model_id = json.loads(response.read())["data"][0]["id"]
    body = json.dumps(
        {
            "model": model_id,
            "messages": [{"role": "user", "content": "hello from the OS privacy test"}],
            "max_tokens": 8,
            "temperature": 0,
        }
    ).encode()
    request = urllib.request.Request(
        f"{address}/v1/chat/completions", data=body, headers=headers, method="POST"
    )
    with opener.open(request, timeout=300) as response:
        return dict(json.loads(response.read()))
