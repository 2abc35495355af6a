from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.knowledge.index import KnowledgeIndex
from tests.support.mirror import socket_trap  # noqa: F401  (fixture)

CORPUS = Path(__file__).resolve().parents[2] / "support" / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the fixture notes (tests change and delete files)."""
    target = tmp_path / "notes"
    shutil.copytree(CORPUS / "notes", target)
    return target


@pytest.fixture
def index(tmp_path: Path) -> Iterator[KnowledgeIndex]:
    idx = KnowledgeIndex(tmp_path / "data" / "knowledge.sqlite3")
    yield idx
    idx.close()
