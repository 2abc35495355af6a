"""Teacher mode: run a prompt file against an engine and keep the answers as a dataset.

Typically a big R1 on a vLLM server (a configured remote engine) answers a file of
prompts, and its reasoning and answers become training data for a small student, in the
same JSONL shapes as the chat export (:mod:`app.core.dataset`).

A run survives a kill: every finished prompt appends one line to a ledger in the output
folder (flushed and fsynced before the next prompt starts), and a new run over the same
folder skips every prompt the ledger holds, so no finished prompt is asked twice. Only
when every prompt is done is the dataset written, atomically, from the ledger.

Rate limits: a refusal with ``Retry-After`` (HTTP 429/503, a ``RemoteEngineError`` of kind
busy/unavailable) waits that long and asks again; without the header it backs off. With
``vote`` each prompt gets ``samples`` answers and only the answers of a strict majority
are kept (:mod:`app.core.vote`); without it every finished answer is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.core.cancel import CancelToken, ProgressCallback, no_progress
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    EndState,
    ReasoningDelta,
    SamplingParams,
    TurnFinished,
    TurnRequest,
)
from app.core.dataset import (
    CARD_NAME,
    DatasetError,
    DatasetFormat,
    DatasetRecord,
    DatasetSummary,
    DatasetWriter,
    Exchange,
    write_card,
)
from app.core.engines.base import EngineInfo, SampleEvent
from app.core.errors import CancelledError, HearthError
from app.core.host import EngineHost, JobFailed
from app.core.vote import ballot, tally

log = logging.getLogger(__name__)

BadLinePolicy = Literal["skip", "stop"]
LEDGER_NAME = "generate-ledger.jsonl"
#: A prompt line longer than this is refused (a prompt file is not a corpus).
MAX_PROMPT_LINE_CHARS = 200_000
#: The longest wait a server's Retry-After is honoured for; longer waits this long.
MAX_RETRY_WAIT_S = 600.0
#: Waits between attempts when a busy server names no Retry-After.
BACKOFF_S: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0, 60.0)
_LEDGER_VERSION = 1


class PromptFileError(DatasetError):
    """A prompt file cannot be used (the sentence names the file and line)."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt of the file: its line number, a stable key, and the conversation."""

    line: int
    key: str
    messages: tuple[ChatMessage, ...]
    system: str = ""


@dataclass(frozen=True, slots=True)
class Sample:
    """One answer of the teacher."""

    reasoning: str
    answer: str
    state: EndState


@dataclass(frozen=True, slots=True)
class GenerateSummary:
    dataset: DatasetSummary
    prompts: int
    asked: int
    resumed: int
    skipped_lines: tuple[int, ...]
    no_majority: int


#: Asks ``k`` answers to one prompt; raises HearthError when it cannot.
Sampler = Callable[[Prompt, int, CancelToken], list[Sample]]


# --- The prompt file -----------------------------------------------------------------------


def read_prompts(
    path: Path,
    *,
    on_bad_line: BadLinePolicy = "skip",
    warn: Callable[[str], None] = lambda _text: None,
) -> Iterator[Prompt]:
    """The prompts of ``path``: JSONL (``{"prompt": …}`` or ``{"messages": [...]}``), or one
    plain prompt per line when the first non-empty line is not a JSON object.

    A bad line is named (``warn``) and skipped, or stops the run (PromptFileError).
    """
    path = Path(path)
    json_lines: bool | None = None
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise PromptFileError.of(
            "dataset.prompt_file_unreadable",
            path=str(path),
            reason=str(exc.strerror or exc),
            detail=repr(exc),
        ) from exc
    with handle:
        for number, raw in enumerate(handle, 1):
            problem = ""
            prompt: Prompt | None = None
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                text, problem = "", "it is not UTF-8 text"
            if not problem and not text:
                continue
            if not problem and len(text) > MAX_PROMPT_LINE_CHARS:
                problem = f"it is longer than {MAX_PROMPT_LINE_CHARS:,} characters"
            if not problem:
                if json_lines is None:
                    json_lines = text.startswith("{")
                prompt, problem = (
                    _json_prompt(number, text) if json_lines else _plain_prompt(number, text)
                )
            if prompt is not None:
                yield prompt
                continue
            message = f"Line {number} of {path.name} is not a usable prompt: {problem}."
            if on_bad_line == "stop":
                raise PromptFileError(message)
            warn(message + " Skipped.")
            log.warning("%s", message)


def _plain_prompt(number: int, text: str) -> tuple[Prompt | None, str]:
    return _prompt(number, (ChatMessage("user", text),), ""), ""


def _json_prompt(number: int, text: str) -> tuple[Prompt | None, str]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None, "it is not valid JSON"
    if not isinstance(value, dict):
        return None, "it is not a JSON object"
    system = value.get("system", "")
    if not isinstance(system, str):
        return None, "“system” is not text"
    if isinstance(value.get("prompt"), str):
        if not value["prompt"].strip():
            return None, "“prompt” is empty"
        return _prompt(number, (ChatMessage("user", value["prompt"]),), system), ""
    raw_messages = value.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        return None, "it has neither a “prompt” text nor a “messages” list"
    messages: list[ChatMessage] = []
    for item in raw_messages:
        if not isinstance(item, dict):
            return None, "a message is not an object"
        role, content = item.get("role"), item.get("content")
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            return None, "a message needs a role (system, user, assistant) and text content"
        if role == "system":
            system = system or content
        else:
            messages.append(ChatMessage(role, content))
    if not messages or messages[-1].role != "user":
        return None, "the last message must be the user's"
    return _prompt(number, tuple(messages), system), ""


def _prompt(number: int, messages: tuple[ChatMessage, ...], system: str) -> Prompt:
    canonical = json.dumps(
        [system, [(m.role, m.content) for m in messages]], ensure_ascii=False
    ).encode("utf-8")
    return Prompt(number, hashlib.sha256(canonical).hexdigest(), messages, system)


# --- The ledger -------------------------------------------------------------------------------


def _own_file(path: str, flags: int) -> int:
    """Open without following a link (a race with the check in Ledger), private (0600)."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o600)


class Ledger:
    """Finished prompts, one JSON line each, appended and fsynced: the run's memory.

    The first line records the run's settings, so a resume with other settings is refused
    rather than mixing two datasets in one folder. A line torn by a kill is cut off.
    """

    def __init__(self, path: Path, settings: Mapping[str, Any]) -> None:
        self.path = Path(path)
        self.done: set[str] = set()
        header = {"hearth_generate": _LEDGER_VERSION, **settings}
        good_bytes = 0
        if self.path.is_symlink():
            # In a shared output folder, a ledger planted as a link to another file would
            # have that file cut short ("a torn last line") and appended to.
            raise DatasetError(
                f"{self.path} is a symbolic link; Hearth does not write its run log through "
                "links. Choose an output folder of your own."
            )
        if self.path.exists():
            with self.path.open("rb") as handle:
                for index, raw in enumerate(handle):
                    try:
                        entry = json.loads(raw)
                    except ValueError:
                        break  # a torn last line: everything after it goes
                    if not raw.endswith(b"\n"):
                        break
                    if index == 0:
                        if entry != header:
                            raise DatasetError(
                                f"{self.path.parent} holds a run with other settings "
                                f"({_describe(entry)}); choose another output folder, or "
                                "the same settings to resume it."
                            )
                    elif isinstance(entry, dict) and isinstance(entry.get("key"), str):
                        self.done.add(entry["key"])
                    good_bytes += len(raw)
            if good_bytes < self.path.stat().st_size:
                log.warning("ledger %s: cut a torn last line", self.path)
                with open(self.path, "r+b", opener=_own_file) as handle:
                    handle.truncate(good_bytes)
        try:
            self._handle = open(self.path, "ab", opener=_own_file)  # noqa: SIM115 - kept open
        except OSError as exc:
            raise DatasetError(
                f"The run log {self.path} cannot be written: {exc.strerror or exc}.",
                detail=repr(exc),
            ) from exc
        if good_bytes == 0:
            self._append(header)

    def record(self, prompt: Prompt, records: Sequence[Mapping[str, Any]], **extra: Any) -> None:
        self._append({"key": prompt.key, "line": prompt.line, "records": list(records), **extra})
        self.done.add(prompt.key)

    def _append(self, entry: Mapping[str, Any]) -> None:
        self._handle.write(json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every finished prompt's entry, read back one at a time."""
        with self.path.open(encoding="utf-8") as handle:
            next(handle, None)
            for line in handle:
                entry = json.loads(line)
                if isinstance(entry, dict):
                    yield entry

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._handle.close()


def _describe(entry: Any) -> str:
    if not isinstance(entry, dict):
        return "unknown"
    return ", ".join(f"{k} {v}" for k, v in entry.items() if k != "hearth_generate")[:300]


# --- Records ----------------------------------------------------------------------------------


def _record(prompt: Prompt, sample: Sample, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A kept answer as a ledger record (the format-neutral parts of a DatasetRecord)."""
    exchanges: list[list[str]] = []
    question = ""
    for message in prompt.messages:
        if message.role == "user":
            question = message.content
        else:
            exchanges.append([question, "", message.content])
            question = ""
    exchanges.append([question, sample.reasoning, sample.answer])
    return {"system": prompt.system, "exchanges": exchanges, "metadata": dict(metadata)}


def _dataset_record(raw: Mapping[str, Any]) -> DatasetRecord:
    return DatasetRecord(
        exchanges=tuple(Exchange(q, a, r) for q, r, a in raw["exchanges"]),
        system=str(raw.get("system", "")),
        metadata=raw.get("metadata", {}),
    )


def keep(samples: Sequence[Sample], *, vote: bool) -> tuple[list[int], str]:
    """Which samples to keep, and the vote as text ("3 of 4 say 42"; "" without a vote)."""
    if not vote:
        return [i for i, s in enumerate(samples) if s.state == "finished"], ""
    result = tally([ballot(i, s.answer, ended=s.state) for i, s in enumerate(samples)])
    if not result.groups or result.winner_votes * 2 <= result.total:
        return [], ""
    _key, raw, members = result.groups[0]
    return list(members), f"{len(members)} of {result.total} say {raw}"


# --- The run ----------------------------------------------------------------------------------


def generate_dataset(
    prompts_file: Path,
    out_dir: Path,
    sampler: Sampler,
    *,
    samples: int = 1,
    vote: bool = False,
    fmt: DatasetFormat = "openai",
    engine: EngineInfo | None = None,
    on_bad_line: BadLinePolicy = "skip",
    warn: Callable[[str], None] = lambda _text: None,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> GenerateSummary:
    """Answer every prompt of ``prompts_file`` (resuming a killed run in ``out_dir``) and
    write the dataset and its card. ``progress(done, total)`` counts prompts."""
    if samples < 1:
        raise ValueError("at least one sample per prompt")
    cancel = cancel or CancelToken()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = sum(1 for _ in read_prompts(prompts_file, on_bad_line="skip"))
    skipped: list[int] = []

    def note_bad(text: str) -> None:
        skipped.append(int(text.split()[1]))
        warn(text)

    provenance = _provenance(engine)
    ledger = Ledger(out_dir / LEDGER_NAME, {"samples": samples, "vote": vote})
    asked = resumed = no_majority = done = 0
    try:
        progress(0, total)
        for prompt in read_prompts(prompts_file, on_bad_line=on_bad_line, warn=note_bad):
            cancel.raise_if_cancelled()
            if prompt.key in ledger.done:
                resumed += 1
            else:
                answers = sampler(prompt, samples, cancel)
                asked += 1
                kept, verdict = keep(answers, vote=vote)
                if vote and not kept:
                    no_majority += 1
                metadata = {
                    "source": "hearth-teacher",
                    "prompt_line": prompt.line,
                    "model": provenance["engine"].get("name", ""),
                    "engine": provenance["engine"].get("kind", ""),
                    "vote": verdict,
                }
                records = [
                    _record(prompt, answers[i], {**metadata, "sample": i, "state": "finished"})
                    for i in kept
                ]
                ledger.record(prompt, records, provenance=provenance)
            done += 1
            progress(done, total)
        summary = _write_dataset(ledger, out_dir, fmt, prompts_file)
    finally:
        ledger.close()
    return GenerateSummary(summary, done, asked, resumed, tuple(skipped), no_majority)


def _provenance(engine: EngineInfo | None) -> dict[str, Any]:
    if engine is None:
        return {"engine": {}}
    details = engine.details
    record: dict[str, Any] = {
        "engine": {
            "kind": engine.kind,
            "name": engine.name,
            "model_id": engine.model_id,
            "location": engine.location,
        }
    }
    if engine.kind == "local":
        record["model"] = {
            "name": engine.name,
            "file": str(details.get("file_name", engine.model_id)),
            "quant": str(details.get("quant", "")),
        }
    return record


def _write_dataset(
    ledger: Ledger, out_dir: Path, fmt: DatasetFormat, prompts_file: Path
) -> DatasetSummary:
    prompts = 0
    with DatasetWriter(out_dir, fmt) as writer:
        for entry in ledger.entries():
            prompts += 1
            provenance = entry.get("provenance", {})
            for raw in entry.get("records", []):
                writer.add(_dataset_record(raw), provenances=[provenance])
        path = writer.commit()
    summary = DatasetSummary(
        path=path,
        card_path=out_dir / CARD_NAME,
        format=fmt,
        records=writer.records,
        duplicates=writer.duplicates,
        conversations_seen=prompts,
        skipped=0,
        models=tuple(writer.models.values()),
        source=f"Teacher answers to the prompts of {Path(prompts_file).name}",
    )
    write_card(summary)
    return summary


# --- Asking through the engine host -----------------------------------------------------------


@dataclass
class _Collected:
    reasoning: list[str] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    state: EndState = "interrupted"


class HostSampler:
    """A :data:`Sampler` that asks the engine loaded in an :class:`EngineHost`.

    Several samples go as one job (decoded together by the local engine, one after
    another by a remote one). A busy server's Retry-After is honoured.
    """

    def __init__(
        self,
        host: EngineHost,
        params: SamplingParams,
        *,
        warn: Callable[[str], None] = lambda _text: None,
        backoff: Sequence[float] = BACKOFF_S,
    ) -> None:
        self.host = host
        self.params = params
        self.warn = warn
        self.backoff = tuple(backoff)

    def __call__(self, prompt: Prompt, k: int, cancel: CancelToken) -> list[Sample]:
        attempt = 0
        while True:
            try:
                return self._ask(prompt, k, cancel)
            except HearthError as exc:
                wait = self._retry_wait(exc, attempt)
                if wait is None:
                    raise
                attempt += 1
                self.warn(f"{exc} Waiting {wait:.0f} s before asking again.")
                if cancel.wait(wait):
                    raise CancelledError() from exc

    def _retry_wait(self, exc: HearthError, attempt: int) -> float | None:
        kind = getattr(exc, "kind", None)
        if kind not in ("busy", "unavailable") or attempt >= len(self.backoff):
            return None
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return min(float(retry_after), MAX_RETRY_WAIT_S)
        return self.backoff[attempt]

    def _ask(self, prompt: Prompt, k: int, cancel: CancelToken) -> list[Sample]:
        collected = [_Collected() for _ in range(k)]
        ended = threading.Event()
        failure: list[JobFailed] = []

        def sink(_job_id: int, event: object) -> None:
            if isinstance(event, SampleEvent) and 0 <= event.index < k:
                inner, target = event.event, collected[event.index]
                if isinstance(inner, ReasoningDelta):
                    target.reasoning.append(inner.text)
                elif isinstance(inner, AnswerDelta):
                    target.answer.append(inner.text)
                elif isinstance(inner, TurnFinished):
                    target.state = inner.reason
            elif isinstance(event, JobFailed):
                failure.append(event)
                ended.set()
            elif isinstance(event, TurnFinished):
                ended.set()

        request = TurnRequest(
            messages=prompt.messages, params=self.params, system_prompt=prompt.system
        )
        job = self.host.submit_samples(request, k, sink, origin="cli")
        while not ended.wait(0.2):
            if cancel.cancelled:
                job.cancel()
        if failure:
            raise failure[0].error
        if cancel.cancelled:
            raise CancelledError()
        return [
            Sample("".join(c.reasoning).strip(), "".join(c.answer).strip(), c.state)
            for c in collected
        ]
