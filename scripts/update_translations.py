"""Refresh the Simplified Chinese UI translation, or check that it is complete.

    .venv/bin/python scripts/update_translations.py           # update .ts, compile .qm
    .venv/bin/python scripts/update_translations.py --check   # exit 1 if anything is off

Update mode runs ``pyside6-lupdate`` over every ``app/ui/*.py`` and ``app/workers/*.py``
into ``resources/i18n/hearth_zh_CN.ts`` (existing translations are kept, strings that are
gone are dropped), then ``pyside6-lrelease`` into ``hearth_zh_CN.qm``. It exits 1 when
some messages still need a translation, listing them, so they are not forgotten.

Check mode writes nothing in the repository. It fails when a source string is missing
from the .ts, when the .ts holds strings the code no longer has, when a message is
unfinished or empty, when placeholders (%1, %n, %p, &-accelerators, file-dialog patterns,
line breaks, URLs) differ between source and translation, or when the committed .qm is
not what lrelease makes of the committed .ts. CLI output (app/cli) stays English, so it
is not scanned.

The same functions back tests/ui/test_translations.py.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "zh_CN"
I18N_DIR = ROOT / "resources" / "i18n"
TS_PATH = I18N_DIR / f"hearth_{LANGUAGE}.ts"
QM_PATH = I18N_DIR / f"hearth_{LANGUAGE}.qm"
#: English needs a translation file only for plurals ("%n token(s)" -> "1 token", "2 tokens").
EN_TS_PATH = I18N_DIR / "hearth_en.ts"
EN_QM_PATH = I18N_DIR / "hearth_en.qm"
#: Folders (relative to the repository) whose modules hold user-visible strings.
SOURCE_DIRS = ("app/ui", "app/workers")

#: (context, source, disambiguation): how Qt looks a message up.
MessageKey = tuple[str, str, str]


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    numerus: bool
    #: "" when finished; otherwise lupdate's "unfinished", "vanished" or "obsolete".
    state: str
    #: One entry, or one per plural form when ``numerus``.
    translations: tuple[str, ...]

    @property
    def key(self) -> MessageKey:
        return (self.context, self.source, self.comment)

    @property
    def label(self) -> str:
        return f"{self.context}: {self.source!r}"


# --- tools -------------------------------------------------------------------------


def tool(name: str) -> str:
    """Path of ``pyside6-<name>``: next to this Python first (the venv), then PATH."""
    executable = f"pyside6-{name}"
    beside = Path(sys.executable).parent / executable
    if beside.exists():
        return str(beside)
    found = shutil.which(executable)
    if found is None:
        raise SystemExit(f"{executable} was not found; install PySide6 in this environment.")
    return found


def source_files(root: Path = ROOT) -> list[Path]:
    # rglob: packages such as app/ui/render/ hold UI strings too.
    return sorted(path for folder in SOURCE_DIRS for path in (root / folder).rglob("*.py"))


def run_lupdate(
    ts_path: Path,
    sources: Sequence[Path] | None = None,
    *,
    language: str = LANGUAGE,
    plural_only: bool = False,
) -> None:
    """Merge the strings of ``sources`` into ``ts_path`` (created when missing)."""
    files = list(sources) if sources is not None else source_files()
    command = [
        tool("lupdate"),
        "-silent",
        "-no-obsolete",
        *(["-pluralonly"] if plural_only else []),
        # No file/line references: the .ts then changes only when strings change.
        "-locations",
        "none",
        "-source-language",
        "en",
        "-target-language",
        language,
        *(str(path) for path in files),
        "-ts",
        str(ts_path),
    ]
    _run(command)


def run_lrelease(ts_path: Path, qm_path: Path) -> None:
    # Unfinished messages (including lupdate's guesses for edited strings) are left out,
    # so the UI shows English rather than a stale translation.
    _run([tool("lrelease"), "-silent", "-nounfinished", str(ts_path), "-qm", str(qm_path)])


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(command[0]).name} failed ({result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )


# --- reading a .ts -----------------------------------------------------------------


def read_ts(ts_path: Path) -> list[Message]:
    root = ET.parse(ts_path).getroot()
    messages: list[Message] = []
    for context in root.iter("context"):
        context_name = context.findtext("name") or ""
        for node in context.iter("message"):
            translation = node.find("translation")
            numerus = node.get("numerus") == "yes"
            if translation is None:
                texts: tuple[str, ...] = ()
                state = "unfinished"
            else:
                state = translation.get("type", "")
                if numerus:
                    texts = tuple(form.text or "" for form in translation.iter("numerusform"))
                else:
                    texts = (translation.text or "",)
            messages.append(
                Message(
                    context=context_name,
                    source=node.findtext("source") or "",
                    comment=node.findtext("comment") or "",
                    numerus=numerus,
                    state=state,
                    translations=texts,
                )
            )
    return messages


# --- checks ------------------------------------------------------------------------

_PLACE_MARKER = re.compile(r"%(?:L?[1-9][0-9]?|n|p)")
_FILE_PATTERN = re.compile(r"\((\*[^()]*)\)")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]*")


def _accelerators(text: str) -> list[str]:
    # "&&" is a literal ampersand; "&X" marks X as the keyboard accelerator.
    return [letter.upper() for letter in re.findall(r"&(\w)", text.replace("&&", ""))]


def _markers(text: str) -> dict[str, object]:
    return {
        "place markers": Counter(_PLACE_MARKER.findall(text)),
        "accelerators": sorted(_accelerators(text)),
        "file patterns": sorted(_FILE_PATTERN.findall(text)),
        "filter separators": text.count(";;"),
        "line breaks": text.count("\n"),
        "URLs": sorted(_URL.findall(text)),
    }


#: How many plural forms each shipped language has.
PLURAL_FORMS = {LANGUAGE: 1, "en": 2}


def message_problems(message: Message, language: str = LANGUAGE) -> list[str]:
    """What is wrong with one message: unfinished, empty, or markers that differ."""
    if message.state in ("vanished", "obsolete"):
        return [f"{message.label} is no longer in the code"]
    if message.state == "unfinished":
        return [f"{message.label} needs a translation (unfinished)"]
    if not message.translations or any(not text.strip() for text in message.translations):
        return [f"{message.label} has an empty translation"]
    forms = PLURAL_FORMS[language]
    if message.numerus and len(message.translations) != forms:
        return [f"{message.label} must have exactly {forms} plural form(s) for {language}"]
    problems = []
    expected = _markers(message.source)
    for text in message.translations:
        found = _markers(text)
        for name, wanted in expected.items():
            if found[name] != wanted:
                problems.append(
                    f"{message.label}: {name} differ in the translation {text!r} "
                    f"(source {wanted}, translation {found[name]})"
                )
    return problems


def coverage_problems(committed: Sequence[Message], refreshed: Sequence[Message]) -> list[str]:
    """Strings in the code but not in the .ts, and strings in the .ts but not in the code."""
    committed_keys = {message.key for message in committed}
    refreshed_keys = {message.key for message in refreshed}
    missing = [m for m in refreshed if m.key not in committed_keys]
    stale = [m for m in committed if m.key not in refreshed_keys]
    return [f"{m.label} is in the code but missing from {TS_PATH.name}" for m in missing] + [
        f"{m.label} is in {TS_PATH.name} but no longer in the code" for m in stale
    ]


def qm_problems(ts_path: Path = TS_PATH, qm_path: Path = QM_PATH) -> list[str]:
    if not qm_path.exists():
        return [f"{qm_path.name} is missing"]
    with tempfile.TemporaryDirectory(prefix="hearth-i18n-") as scratch:
        fresh = Path(scratch) / qm_path.name
        run_lrelease(ts_path, fresh)
        if fresh.read_bytes() != qm_path.read_bytes():
            return [f"{qm_path.name} was not compiled from the current {ts_path.name}"]
    return []


def english_plural_problems(ts_path: Path = EN_TS_PATH, qm_path: Path = EN_QM_PATH) -> list[str]:
    """The English plural forms: every %n message present, both forms written, .qm fresh."""
    if not ts_path.exists():
        return [f"{ts_path} is missing; run scripts/update_translations.py"]
    committed = read_ts(ts_path)
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / ts_path.name
        shutil.copyfile(ts_path, copy)
        run_lupdate(copy, language="en", plural_only=True)
        refreshed = read_ts(copy)
    problems = coverage_problems(committed, refreshed)
    for message in committed:
        problems.extend(message_problems(message, "en"))
    problems.extend(qm_problems(ts_path, qm_path))
    return problems


def refreshed_messages(ts_path: Path = TS_PATH) -> list[Message]:
    """The .ts as lupdate would leave it for today's code (computed in a scratch copy)."""
    with tempfile.TemporaryDirectory(prefix="hearth-i18n-") as scratch:
        copy = Path(scratch) / ts_path.name
        if ts_path.exists():
            shutil.copyfile(ts_path, copy)
        run_lupdate(copy)
        return read_ts(copy)


def check(ts_path: Path = TS_PATH, qm_path: Path = QM_PATH) -> list[str]:
    """Every problem with the committed translation; empty when all is well."""
    if not ts_path.exists():
        return [f"{ts_path} is missing; run scripts/update_translations.py"]
    committed = read_ts(ts_path)
    problems = coverage_problems(committed, refreshed_messages(ts_path))
    for message in committed:
        problems.extend(message_problems(message))
    problems.extend(qm_problems(ts_path, qm_path))
    if ts_path == TS_PATH:
        problems.extend(english_plural_problems())
    return problems


def update(ts_path: Path = TS_PATH, qm_path: Path = QM_PATH) -> list[Message]:
    """Refresh the .ts and the .qm; returns the messages that still need a translation."""
    ts_path.parent.mkdir(parents=True, exist_ok=True)
    run_lupdate(ts_path)
    run_lrelease(ts_path, qm_path)
    pending = [message for message in read_ts(ts_path) if message_problems(message)]
    if ts_path == TS_PATH:
        run_lupdate(EN_TS_PATH, language="en", plural_only=True)
        run_lrelease(EN_TS_PATH, EN_QM_PATH)
        pending += [m for m in read_ts(EN_TS_PATH) if message_problems(m, "en")]
    return pending


def _print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if the translation is incomplete or out of date",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        if problems:
            print(f"{len(problems)} translation problem(s):")
            _print_lines(problems)
            print("Run scripts/update_translations.py, translate, and run it again.")
            return 1
        print(f"{TS_PATH.relative_to(ROOT)}: {len(read_ts(TS_PATH))} messages, all translated.")
        return 0
    pending = update()
    total = len(read_ts(TS_PATH))
    print(f"{TS_PATH.relative_to(ROOT)}: {total} messages; compiled {QM_PATH.relative_to(ROOT)}")
    if pending:
        print(f"{len(pending)} message(s) need attention:")
        _print_lines(problem for message in pending for problem in message_problems(message))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
