"""Fixtures of the chat store tests: a store in the isolated data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.paths import AppPaths
from app.core.store import ChatStore


@pytest.fixture
def db_path(isolated_app_dirs: AppPaths) -> Path:
    return isolated_app_dirs.database


@pytest.fixture
def store(db_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open()
    yield chat_store
    chat_store.close()
