"""Shared fixtures.

Every test runs with every app directory redirected to a fresh tmp dir (autouse), Qt
runs offscreen, and any Qt warning fails the test (``qt_log_level_fail`` in pyproject).
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.network import NetworkGateway
from app.core.paths import ENV_DATA_DIR, AppPaths, app_paths
from app.core.store import ChatStore

pytest_plugins = [
    "tests.support.models",
    "tests.support.mirror",
    "tests.support.fake_openai",
    "tests.support.keyrings",
]


@pytest.fixture(autouse=True)
def isolated_app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppPaths]:
    """Point every Hearth directory (data, config, cache, logs, models) at tmp."""
    root = tmp_path / "hearth-home"
    monkeypatch.setenv(ENV_DATA_DIR, str(root))
    monkeypatch.delenv("HEARTH_OFFLINE", raising=False)
    monkeypatch.delenv("HEARTH_CATALOG", raising=False)
    paths = app_paths().ensure()
    yield paths


@pytest.fixture(autouse=True)
def no_leftover_log_handlers() -> Iterator[None]:
    """Remove the log handlers a test's in-process CLI or app run installed.

    ``configure_logging`` binds a stderr handler to whatever ``sys.stderr`` is at the time:
    under capsys that stream is closed after the test, and a handler left on the root
    logger would print "--- Logging error ---" into every later test's output.
    """
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    yield
    for handler in list(root.handlers):
        # Only ours: pytest's own capture handlers come and go with each test phase.
        if handler not in before and getattr(handler, "_hearth", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def store(isolated_app_dirs: AppPaths) -> Iterator[ChatStore]:
    """A chat store in the test's own app folders (a test module may define its own)."""
    chat_store = ChatStore.open(isolated_app_dirs.database)
    yield chat_store
    chat_store.close()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[NetworkGateway]:
    """The one network gateway, logging to this test's folder (modules with other needs
    define their own)."""
    gateway = NetworkGateway(log_path=tmp_path / "network-log.jsonl")
    yield gateway
    gateway.close()


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated test models live here for the whole session (built once)."""
    return tmp_path_factory.mktemp("models")
