"""``python -m app docs``: the Library from the command line.

    python -m app docs add NAME PATH...          add folders or files to a collection
    python -m app docs index [NAME] [--embed GGUF] [--max-mb N]
    python -m app docs search QUERY [-c NAME]... [-k 5] [--embed GGUF]
    python -m app docs list [--bad]

Indexing is incremental and resumable: run ``index`` again after a cancel (Ctrl+C), a kill
or a full disk and it does only what is left. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.term import for_terminal
from app.core.cancel import CancelToken
from app.core.errors import HearthError
from app.core.knowledge.embed import Embedder, LlamaEmbedder
from app.core.knowledge.index import KnowledgeIndex
from app.core.logsetup import configure_logging
from app.core.paths import app_paths


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "docs",
        help="local document collections: add, index, search, list",
        description="Index your own files on this computer and search them (fully offline).",
    )
    actions = parser.add_subparsers(dest="docs_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add folders or files to a collection")
    add.add_argument("name", metavar="NAME")
    add.add_argument("paths", metavar="PATH", nargs="+")
    index = actions.add_parser("index", help="index (or re-index) collections")
    index.add_argument("name", metavar="NAME", nargs="?", help="one collection (default: all)")
    _embed_option(index)
    index.add_argument(
        "--max-mb",
        type=float,
        default=None,
        help="file size limit in MB (default: the Library's size limit in the settings)",
    )
    search = actions.add_parser("search", help="search collections")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("-c", "--collection", action="append", default=[], metavar="NAME")
    search.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    _embed_option(search)
    listing = actions.add_parser("list", help="list collections")
    listing.add_argument("--bad", action="store_true", help="also list files not indexed")
    remove = actions.add_parser("remove", help="delete a collection from the index")
    remove.add_argument("name", metavar="NAME")


def _embed_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embed", metavar="GGUF", help="an embedding model file for vectors (default: none)"
    )


def run(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    configure_logging(paths.logs, debug=bool(getattr(args, "debug", False)), to_stderr=False)
    embedder: Embedder | None = None
    try:
        index = KnowledgeIndex.in_data_dir(paths.data)
        try:
            if getattr(args, "embed", None):
                embedder = LlamaEmbedder(Path(args.embed).expanduser())
            return _dispatch(index, args, embedder)
        finally:
            if embedder is not None:
                embedder.close()
            index.close()
    except HearthError as exc:
        print(f"hearth: {for_terminal(str(exc))}", file=sys.stderr)
        return 1


def _dispatch(index: KnowledgeIndex, args: argparse.Namespace, embedder: Embedder | None) -> int:
    from app.core.knowledge.collections import index_collection
    from app.core.knowledge.retrieve import retrieve

    action = args.docs_action
    if action == "add":
        for raw in args.paths:
            path = Path(raw).expanduser().resolve()
            if not path.exists():
                print(f"hearth: {for_terminal(str(path))} does not exist", file=sys.stderr)
                return 1
            index.add_root(args.name, path)
        print(f"Added {len(args.paths)} path(s) to “{for_terminal(args.name)}”.")
        return 0
    if action == "index":
        names = [args.name] if args.name else [c.name for c in index.collections()]
        cancel = CancelToken()
        status = 0
        max_mb = args.max_mb
        if max_mb is None:
            from app.core.settings import load_settings

            max_mb = load_settings(app_paths().settings_file).library_max_file_mb
        for name in names:
            try:
                report = index_collection(
                    index,
                    name,
                    cancel=cancel,
                    embedder=embedder,
                    max_bytes=int(max_mb * 1048576),
                    progress=lambda done, total: print(
                        f"\r{done}/{total}", end="", file=sys.stderr, flush=True
                    ),
                )
            except KeyboardInterrupt:
                print("\nStopped; run index again to continue.", file=sys.stderr)
                return 130
            print(file=sys.stderr)
            print(
                f"{for_terminal(name)}: {report.indexed} indexed, {report.unchanged} unchanged, "
                f"{report.removed} removed, {report.embedded} embedded, "
                f"{len(report.bad)} not indexed"
            )
            for bad in report.bad:
                print(f"  {for_terminal(bad.path)}: {for_terminal(bad.message)}")
            status = status or (1 if report.bad else 0)
        return status
    if action == "search":
        names = args.collection or [c.name for c in index.collections()]
        hits = retrieve(index, names, args.query, k=args.k, embedder=embedder)
        for number, chunk in enumerate(hits, start=1):
            where = f" ({chunk.location})" if chunk.location else ""
            print(f"[{number}] {for_terminal(chunk.path)}{where}")
            snippet = " ".join(chunk.text.split())[:300]
            print(f"    {for_terminal(snippet)}")
        return 0 if hits else 1
    if action == "list":
        for collection in index.collections():
            print(
                f"{for_terminal(collection.name)}: {collection.documents} files, "
                f"{collection.chunks} passages, {collection.errors} not indexed"
            )
            for root in collection.roots:
                print(f"  {for_terminal(root)}")
            if args.bad:
                for bad in index.bad_files(collection.name):
                    print(f"  ! {for_terminal(bad.path)}: {for_terminal(bad.message)}")
        return 0
    if action == "remove":
        index.delete_collection(args.name)
        print(f"Removed “{for_terminal(args.name)}”.")
        return 0
    return 2
