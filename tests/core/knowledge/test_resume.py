"""kill -9 in the middle of a document's transaction: the index stays whole and resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.knowledge.collections import index_collection
from app.core.knowledge.index import KnowledgeIndex

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from app.core.knowledge.collections import index_collection
    from app.core.knowledge.index import KnowledgeIndex

    class Doomed(KnowledgeIndex):
        written = 0
        def _before_commit(self, doc_id):
            Doomed.written += 1
            if Doomed.written == 4:
                # Chunks of the 4th file are inserted but not committed: die right here.
                os.kill(os.getpid(), signal.SIGKILL)

    index = Doomed(Path(sys.argv[1]))
    index.add_root("notes", Path(sys.argv[2]))
    index_collection(index, "notes")
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_kill_during_indexing_resumes_consistently(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "knowledge.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db), str(corpus)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    index = KnowledgeIndex(db)
    try:
        assert index.check_consistency() == []
        cid = index.collection_id("notes")
        assert len(index.documents(cid)) == 3  # the 4th rolled back
        report = index_collection(index, "notes")
        assert report.indexed == 5 and report.unchanged == 3 and not report.bad
        assert index.check_consistency() == []
        assert len(index.documents(cid)) == 8
    finally:
        index.close()
