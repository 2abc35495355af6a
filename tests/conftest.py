"""Shared fixtures.

Every test runs with every app directory redirected to a fresh tmp dir (autouse), Qt
runs offscreen, and any Qt warning fails the test (``qt_log_level_fail`` in pyproject).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.paths import ENV_DATA_DIR, AppPaths, app_paths

pytest_plugins = ["tests.support.models", "tests.support.mirror", "tests.support.fake_openai"]


@pytest.fixture(autouse=True)
def isolated_app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppPaths]:
    """Point every Hearth directory (data, config, cache, logs, models) at tmp."""
    root = tmp_path / "hearth-home"
    monkeypatch.setenv(ENV_DATA_DIR, str(root))
    monkeypatch.delenv("HEARTH_OFFLINE", raising=False)
    monkeypatch.delenv("HEARTH_CATALOG", raising=False)
    paths = app_paths().ensure()
    yield paths


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated test models live here for the whole session (built once)."""
    return tmp_path_factory.mktemp("models")
