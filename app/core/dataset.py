"""Distillation datasets: the user's own chats, reasoning included, as training data.

The cloud-distillation recipe trains a small student on a teacher's outputs. The step no
desktop app offers is turning good conversations into that data, so this module writes
them in the three shapes trainers read:

- ``openai``: ``{"messages": [{"role", "content"}, …]}`` with an answer's reasoning in
  ``reasoning_content`` (TRL's SFTTrainer reads ``messages``);
- ``sharegpt``: ``{"conversations": [{"from": "human"|"gpt", "value"}]}`` with the reasoning
  in ``<think>…</think>`` before the answer, as R1-distill SFT data is written
  (LLaMA-Factory's ShareGPT loader);
- ``alpaca``: ``{"instruction", "input", "output", "history": [[q, a], …]}``, the last turn
  as instruction/output and the earlier ones as history, as LLaMA-Factory reads it.

Every record also has ``metadata`` (conversation, model, engine, end state, the rating);
trainers ignore columns they do not use.

What a record is: a conversation's shown branch (its active path), cut before the first
answer that fails the filters, so a record never trains on an answer the user filtered
out, nor on an answer that follows one. Exact duplicates are written once.

Writing is streaming and atomic: one conversation in memory at a time, lines go to a
temporary file beside the target, which replaces the final name only when complete (a full
disk mid-export leaves no half-written file under it). A dataset card ``README.md`` (counts,
models and engines with provenance, their licences, how to load) and LLaMA-Factory's
``dataset_info.json`` are written beside it. Teacher mode (generating data from a prompt
file) is :mod:`app.core.dataset_generate`; it writes through the same :class:`DatasetWriter`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO, get_args

from app.core.atomic import PRIVATE_FILE_MODE, fsync_directory, write_text_atomic
from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.errors import DiskFullError, HearthError
from app.core.store import ChatStore, Rating, StoredMessage
from app.core.template import THINK_CLOSE, THINK_OPEN

log = logging.getLogger(__name__)

DatasetFormat = Literal["openai", "sharegpt", "alpaca"]
DATASET_FORMATS: tuple[str, ...] = get_args(DatasetFormat)
#: The data file's name in the output folder, by format.
DATA_FILE_NAMES: dict[str, str] = {
    "openai": "hearth-openai.jsonl",
    "sharegpt": "hearth-sharegpt.jsonl",
    "alpaca": "hearth-alpaca.jsonl",
}
CARD_NAME = "README.md"
LLAMA_FACTORY_INFO = "dataset_info.json"
#: Most conversations a search selection takes (a search is a way to pick, not to dump).
MAX_SEARCH_CONVERSATIONS = 100_000
#: Lines are gathered up to this many characters before each write (bounded memory).
_WRITE_CHUNK_CHARS = 1 << 18

#: Licences of the models that produced the text, by a fragment of the model's name.
#: The first match wins, so the R1 distills (named after their Qwen/Llama base) come first.
_LICENCES: tuple[tuple[str, str], ...] = (
    ("r1-distill", "MIT (DeepSeek-R1 and its distills)"),
    ("deepseek-r1", "MIT (DeepSeek-R1 and its distills)"),
    ("qwen", "Apache 2.0 (Qwen base models)"),
)
UNKNOWN_LICENCE = "unknown, check before use"


class DatasetError(HearthError):
    """A dataset could not be written or read; the sentence says what to change."""


# --- What to export ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatSelection:
    """Which chats: these ids, or the chats a search finds, or (neither given) all."""

    chat_ids: tuple[str, ...] = ()
    search: str = ""


@dataclass(frozen=True, slots=True)
class DatasetFilter:
    """Which answers may be training targets."""

    #: Only answers the user rated thumbs up.
    good_only: bool = False
    #: Only answers that ended on their own (not stopped, cut at the length limit or failed).
    finished_only: bool = False
    #: Only answers from a model whose name, file or id contains this (case-insensitive).
    model: str = ""
    #: Only answers written at or after / before this unix time.
    since: float | None = None
    until: float | None = None

    def accepts(self, answer: StoredMessage, rating: Rating | None) -> bool:
        if answer.role != "assistant" or answer.state == "streaming":
            return False
        if self.good_only and (rating is None or rating.value != "good"):
            return False
        if self.finished_only and answer.state != "finished":
            return False
        if self.since is not None and answer.created < self.since:
            return False
        if self.until is not None and answer.created >= self.until:
            return False
        if self.model:
            needle = self.model.casefold()
            return any(needle in name.casefold() for name in _model_names(answer.provenance))
        return True


# --- Format-neutral records ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exchange:
    """One question and the answer to it (reasoning separate)."""

    question: str
    answer: str
    reasoning: str = ""


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One training example before it takes a format's shape."""

    exchanges: tuple[Exchange, ...]
    system: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


def with_think(reasoning: str, answer: str) -> str:
    """The answer as R1 writes it: its reasoning in ``<think>`` tags first."""
    if not reasoning.strip():
        return answer
    return f"{THINK_OPEN}\n{reasoning.strip()}\n{THINK_CLOSE}\n\n{answer.lstrip()}"


def to_openai(record: DatasetRecord) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if record.system:
        messages.append({"role": "system", "content": record.system})
    for exchange in record.exchanges:
        messages.append({"role": "user", "content": exchange.question})
        messages.append(
            {
                "role": "assistant",
                "content": exchange.answer,
                "reasoning_content": exchange.reasoning,
            }
        )
    return {"messages": messages, "metadata": dict(record.metadata)}


def to_sharegpt(record: DatasetRecord) -> dict[str, Any]:
    conversations: list[dict[str, str]] = []
    for exchange in record.exchanges:
        conversations.append({"from": "human", "value": exchange.question})
        conversations.append(
            {"from": "gpt", "value": with_think(exchange.reasoning, exchange.answer)}
        )
    return {
        "conversations": conversations,
        "system": record.system,
        "metadata": dict(record.metadata),
    }


def to_alpaca(record: DatasetRecord) -> dict[str, Any]:
    *earlier, last = record.exchanges
    return {
        "instruction": last.question,
        "input": "",
        "output": with_think(last.reasoning, last.answer),
        "system": record.system,
        "history": [[e.question, with_think(e.reasoning, e.answer)] for e in earlier],
        "metadata": dict(record.metadata),
    }


_SHAPES = {"openai": to_openai, "sharegpt": to_sharegpt, "alpaca": to_alpaca}


def shape(record: DatasetRecord, fmt: DatasetFormat) -> dict[str, Any]:
    """``record`` in the shape of format ``fmt``."""
    return _SHAPES[fmt](record)


# --- Models and licences ---------------------------------------------------------------------


def _model_names(provenance: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for section, keys in (("model", ("name", "file")), ("engine", ("name", "model_id"))):
        value = provenance.get(section)
        if isinstance(value, Mapping):
            names += [str(value[k]) for k in keys if isinstance(value.get(k), str) and value[k]]
    return names


def licence_of(model_name: str) -> str:
    """The licence of the model that produced a text, from its name; unknown if unsure."""
    folded = model_name.casefold().replace("_", "-").replace(" ", "-")
    for fragment, licence in _LICENCES:
        if fragment in folded:
            return licence
    return UNKNOWN_LICENCE


@dataclass(slots=True)
class ModelUse:
    """One model (with the engine that ran it) that wrote answers in the dataset."""

    name: str
    file: str = ""
    quant: str = ""
    fingerprint: str = ""
    sha256: str = ""
    engine_kind: str = ""
    engine_location: str = ""
    answers: int = 0

    @property
    def licence(self) -> str:
        best = licence_of(self.name)
        return best if best != UNKNOWN_LICENCE else licence_of(self.file)


def model_use_of(provenance: Mapping[str, Any]) -> ModelUse:
    """The model and engine an answer's provenance names (empty fields when unknown)."""
    model = provenance.get("model")
    engine = provenance.get("engine")
    model = model if isinstance(model, Mapping) else {}
    engine = engine if isinstance(engine, Mapping) else {}

    def text(source: Mapping[str, Any], key: str) -> str:
        value = source.get(key)
        return str(value)[:300] if isinstance(value, str | int) else ""

    name = text(model, "name") or text(engine, "name") or text(engine, "model_id") or "unknown"
    return ModelUse(
        name=name,
        file=text(model, "file") or text(engine, "model_id"),
        quant=text(model, "quant"),
        fingerprint=text(model, "fingerprint"),
        sha256=text(model, "sha256"),
        engine_kind=text(engine, "kind") or ("local" if model else ""),
        engine_location=text(engine, "location"),
    )


# --- The streaming, atomic writer --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """What a finished dataset holds (what the card reports)."""

    path: Path
    card_path: Path
    format: DatasetFormat
    records: int
    duplicates: int
    conversations_seen: int
    skipped: int
    models: tuple[ModelUse, ...]
    source: str


class DatasetWriter:
    """Writes records to ``out_dir`` atomically: a temporary file that replaces the final
    name in :meth:`commit`; :meth:`abort` (or an error) leaves the final name untouched.

    Exact duplicates (the same training text, metadata aside) are written once; only a
    32-byte digest per record is kept to know.
    """

    def __init__(self, out_dir: Path, fmt: DatasetFormat, *, file_name: str = "") -> None:
        if fmt not in DATASET_FORMATS:
            raise ValueError(f"unknown dataset format {fmt!r}")
        self.out_dir = Path(out_dir)
        self.format: DatasetFormat = fmt
        self.path = self.out_dir / (file_name or DATA_FILE_NAMES[fmt])
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".partial", dir=self.out_dir
            )
        except OSError as exc:
            raise _write_error(self.out_dir, exc) from exc
        self._tmp = Path(tmp)
        self._file: TextIO | None = _open_text(fd)
        self._buffer: list[str] = []
        self._buffered = 0
        self._seen: set[bytes] = set()
        self.records = 0
        self.duplicates = 0
        self.models: dict[tuple[str, str, str, str], ModelUse] = {}

    def add(self, record: DatasetRecord, *, provenances: Iterable[Mapping[str, Any]] = ()) -> bool:
        """Write ``record`` unless an identical one was written; True if written."""
        shaped = shape(record, self.format)
        content = {key: value for key, value in shaped.items() if key != "metadata"}
        digest = hashlib.sha256(
            json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
        ).digest()
        if digest in self._seen:
            self.duplicates += 1
            return False
        self._seen.add(digest)
        for provenance in provenances:
            use = model_use_of(provenance)
            key = (use.name, use.file, use.fingerprint, use.engine_kind)
            known = self.models.setdefault(key, use)
            known.answers += 1
        line = json.dumps(shaped, ensure_ascii=False) + "\n"
        self._buffer.append(line)
        self._buffered += len(line)
        self.records += 1
        if self._buffered >= _WRITE_CHUNK_CHARS:
            self._flush()
        return True

    def _flush(self) -> None:
        if self._file is None or not self._buffer:
            return
        try:
            self._file.write("".join(self._buffer))
        except OSError as exc:
            self.abort()
            raise _write_error(self.path, exc) from exc
        self._buffer.clear()
        self._buffered = 0

    def commit(self) -> Path:
        """Make the file whole under its final name; returns that path."""
        self._flush()
        handle = self._file
        if handle is None:
            raise DatasetError.of("dataset.closed")
        try:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            self._file = None
            if os.name == "posix":
                # The user's own chats, like a chat export: private until they share it.
                self._tmp.chmod(PRIVATE_FILE_MODE)
            self._tmp.replace(self.path)
            fsync_directory(self.out_dir)
        except OSError as exc:
            self.abort()
            raise _write_error(self.path, exc) from exc
        log.info("dataset %s written: %d records", self.path, self.records)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the final name keeps what it had (or nothing)."""
        self._buffer.clear()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, exc_type: object, *_rest: object) -> None:
        if self._file is not None:
            self.abort()


def _open_text(fd: int) -> TextIO:
    """The data file's text stream (a seam for tests that fill the disk)."""
    return open(fd, "w", encoding="utf-8", newline="\n")


def _write_error(path: Path, exc: OSError) -> HearthError:
    if exc.errno == errno.ENOSPC:
        return DiskFullError.of("dataset.disk_full", name=path.name, detail=str(exc))
    return DatasetError.of(
        "dataset.write_failed",
        folder=str(path.parent),
        reason=str(exc.strerror or exc),
        detail=repr(exc),
    )


# --- Export from the chat store -----------------------------------------------------------------


def select_conversations(store: ChatStore, selection: ChatSelection) -> list[str]:
    """The ids of the chats to export, newest first (ids given: in the order given)."""
    if selection.chat_ids:
        return list(dict.fromkeys(selection.chat_ids))
    if selection.search.strip():
        hits = store.search(selection.search, limit=MAX_SEARCH_CONVERSATIONS)
        return list(dict.fromkeys(hit.conversation_id for hit in hits))
    return store.conversation_ids()


def conversation_record(
    path: Sequence[StoredMessage],
    ratings: Mapping[str, Rating],
    filters: DatasetFilter,
    *,
    system: str = "",
) -> tuple[DatasetRecord, list[Mapping[str, Any]]] | None:
    """The record of one shown branch, cut before the first answer the filters refuse;
    None when no answer is left. Also returns the kept answers' provenances."""
    exchanges: list[Exchange] = []
    provenances: list[Mapping[str, Any]] = []
    kept: list[StoredMessage] = []
    question: StoredMessage | None = None
    for message in path:
        if message.role == "system":
            system = system or message.content
        elif message.role == "user":
            question = message
        elif question is not None:
            if not filters.accepts(message, ratings.get(message.id)):
                break
            exchanges.append(Exchange(question.content, message.content, message.reasoning))
            provenances.append(message.provenance)
            kept.append(message)
            question = None
    if not kept:
        return None
    last = kept[-1]
    rating = ratings.get(last.id)
    use = model_use_of(last.provenance)
    metadata = {
        "source": "hearth",
        "conversation_id": last.conversation_id,
        "message_id": last.id,
        "model": use.name,
        "engine": use.engine_kind,
        "state": last.state,
        "created": datetime.fromtimestamp(last.created, UTC).isoformat(),
        "rating": rating.value if rating is not None else "",
        "rating_note": rating.note if rating is not None else "",
    }
    return DatasetRecord(tuple(exchanges), system, metadata), provenances


def export_dataset(
    store: ChatStore,
    out_dir: Path,
    *,
    fmt: DatasetFormat = "openai",
    selection: ChatSelection = ChatSelection(),
    filters: DatasetFilter = DatasetFilter(),
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> DatasetSummary:
    """Export the selected chats to ``out_dir`` as a dataset with its card.

    Streams one conversation at a time; ``progress(done, total)`` per conversation.
    Cancelling (CancelledError) or an error leaves no file under the final names.
    """
    ids = select_conversations(store, selection)
    total = len(ids)
    progress(0, total)
    skipped = 0
    with DatasetWriter(out_dir, fmt) as writer:
        for done, conversation_id in enumerate(ids, 1):
            if cancel is not None and cancel.cancelled:
                cancel.raise_if_cancelled()
            record = _conversation(store, conversation_id, filters)
            if record is None:
                skipped += 1
            else:
                writer.add(record[0], provenances=record[1])
            progress(done, total)
        path = writer.commit()
    summary = DatasetSummary(
        path=path,
        card_path=Path(out_dir) / CARD_NAME,
        format=fmt,
        records=writer.records,
        duplicates=writer.duplicates,
        conversations_seen=total,
        skipped=skipped,
        models=tuple(writer.models.values()),
        source=_describe_source(selection, filters),
    )
    write_card(summary)
    return summary


def _conversation(
    store: ChatStore, conversation_id: str, filters: DatasetFilter
) -> tuple[DatasetRecord, list[Mapping[str, Any]]] | None:
    try:
        path = store.active_path(conversation_id)
        settings = store.conversation_settings(conversation_id)
    except HearthError as exc:  # deleted meanwhile, or a bad id given by the user
        log.info("dataset: skipped conversation %s: %s", conversation_id, exc)
        return None
    ratings = store.ratings(m.id for m in path if m.role == "assistant")
    system = settings.get("system_prompt")
    return conversation_record(
        path, ratings, filters, system=system if isinstance(system, str) else ""
    )


def _describe_source(selection: ChatSelection, filters: DatasetFilter) -> str:
    if selection.chat_ids:
        chosen = f"{len(selection.chat_ids)} chosen chats"
    elif selection.search.strip():
        chosen = f"the chats found by searching “{selection.search.strip()[:100]}”"
    else:
        chosen = "all chats"
    rules: list[str] = []
    if filters.good_only:
        rules.append("rated good only")
    if filters.finished_only:
        rules.append("finished answers only")
    if filters.model:
        rules.append(f"model containing “{filters.model[:100]}”")
    if filters.since is not None:
        rules.append(f"from {_day(filters.since)}")
    if filters.until is not None:
        rules.append(f"before {_day(filters.until)}")
    return f"Hearth chat export of {chosen}" + (f" ({', '.join(rules)})" if rules else "")


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


# --- The dataset card --------------------------------------------------------------------------


def write_card(summary: DatasetSummary) -> Path:
    """Write ``README.md`` (the dataset card) and LLaMA-Factory's ``dataset_info.json``."""
    out_dir = summary.card_path.parent
    try:
        write_text_atomic(summary.card_path, card_text(summary), mode=0o644)
        write_text_atomic(
            out_dir / LLAMA_FACTORY_INFO,
            json.dumps(llama_factory_info(summary), indent=2, ensure_ascii=False) + "\n",
            mode=0o644,
        )
    except DiskFullError:
        raise
    except HearthError as exc:
        raise DatasetError.of("dataset.card_failed", reason=str(exc)) from exc
    return summary.card_path


def llama_factory_info(summary: DatasetSummary) -> dict[str, Any]:
    """The ``dataset_info.json`` entry that tells LLaMA-Factory how to read the file."""
    name = "hearth"
    if summary.format == "alpaca":
        entry: dict[str, Any] = {
            "file_name": summary.path.name,
            "columns": {
                "prompt": "instruction",
                "query": "input",
                "response": "output",
                "system": "system",
                "history": "history",
            },
        }
    elif summary.format == "sharegpt":
        entry = {
            "file_name": summary.path.name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
        }
    else:
        entry = {
            "file_name": summary.path.name,
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": {
                "role_tag": "role",
                "content_tag": "content",
                "user_tag": "user",
                "assistant_tag": "assistant",
                "system_tag": "system",
            },
        }
    return {name: entry}


def card_text(summary: DatasetSummary) -> str:
    """The dataset card: what is in the file, who wrote it, under what licence, how to load."""
    lines = [
        "---",
        "license: other",
        "task_categories:",
        "- text-generation",
        "tags:",
        "- reasoning",
        "- distillation",
        "- hearth",
        "---",
        "",
        "# Hearth distillation dataset",
        "",
        f"{summary.source}, written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "## Contents",
        "",
        f"- File: `{summary.path.name}` ({summary.format} format, one JSON record per line)",
        f"- Records: {summary.records}",
        f"- Exact duplicates removed: {summary.duplicates}",
        f"- Conversations looked at: {summary.conversations_seen}, "
        f"of which {summary.skipped} had no answer that passed the filters",
        "",
        _FORMAT_NOTES[summary.format],
        "",
        "## Models and engines",
        "",
        "Licences are those of the models that produced the text; check them before use.",
        "",
        "| model | file | quant | fingerprint / sha256 | engine | answers | licence |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for use in sorted(summary.models, key=lambda u: -u.answers):
        engine = use.engine_kind + (f" ({use.engine_location})" if use.engine_location else "")
        identity = use.sha256 or use.fingerprint
        cells = [use.name, use.file, use.quant, identity, engine, str(use.answers), use.licence]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if not summary.models:
        lines.append("| (none) | | | | | 0 | |")
    lines += [
        "",
        "## How to load",
        "",
        _LOADING[summary.format].replace("{file}", summary.path.name),
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "–"


_FORMAT_NOTES = {
    "openai": 'Each record is `{"messages": [...], "metadata": {...}}`; an assistant '
    "message's reasoning is in `reasoning_content`, its answer in `content`.",
    "sharegpt": 'Each record is `{"conversations": [{"from": "human"|"gpt", '
    '"value": ...}], "system": ..., "metadata": {...}}`; each answer starts with its '
    "reasoning in `<think>…</think>`, as R1-distill SFT data is written.",
    "alpaca": 'Each record is `{"instruction", "input", "output", "system", "history", '
    '"metadata"}`; `history` holds the earlier turns as `[question, answer]` pairs and '
    "each answer starts with its reasoning in `<think>…</think>`.",
}

_DATASETS = """```python
from datasets import load_dataset

ds = load_dataset("json", data_files="{file}", split="train")
```"""

_LOADING = {
    "openai": _DATASETS
    + """

TRL (the `messages` column is what SFTTrainer reads; put the reasoning back into the answer
the way your chat template expects, e.g. `<think>…</think>` for R1 distills):

```python
from trl import SFTConfig, SFTTrainer

def with_think(row):
    for m in row["messages"]:
        if m["role"] == "assistant" and m.get("reasoning_content"):
            m["content"] = f"<think>\\n{m['reasoning_content']}\\n</think>\\n\\n{m['content']}"
        m.pop("reasoning_content", None)
    return {"messages": row["messages"]}

ds = ds.map(with_think, remove_columns=["metadata"])
trainer = SFTTrainer(model="deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", train_dataset=ds,
                     args=SFTConfig(output_dir="out"))
trainer.train()
```

LLaMA-Factory: copy this folder's `dataset_info.json` entry (already written beside this
card) and use `dataset: hearth`, `dataset_dir: <this folder>`.""",
    "sharegpt": _DATASETS
    + """

LLaMA-Factory (ShareGPT loader): this folder's `dataset_info.json` already describes the
file; in your training YAML set `dataset: hearth` and `dataset_dir: <this folder>`
(template `deepseek3` or `qwen`, as your base model needs).""",
    "alpaca": _DATASETS
    + """

LLaMA-Factory (Alpaca loader): this folder's `dataset_info.json` already maps the columns
(`instruction`, `input`, `output`, `system`, `history`); in your training YAML set
`dataset: hearth` and `dataset_dir: <this folder>`.""",
}


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a dataset file, one at a time (for tests and teacher-mode resume)."""
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
