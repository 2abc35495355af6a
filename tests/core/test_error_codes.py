"""Core errors carry a stable code and plain values, so a UI can show them translated.

The AST check reads every module of ``app/core`` and finds each construction of a
:class:`HearthError` subclass. A coded one is ``SomeError.of("code", name=...)`` (its code
must have an English template whose placeholders are exactly the keywords given) or a
class that codes itself in its constructor. An uncoded one, ``SomeError("sentence")``,
shows English in every UI language; each module may keep only the uncoded ones counted
in :data:`UNCODED_ALLOWED`, with the reason, so a new English-only error fails here.
"""

from __future__ import annotations

import ast
import importlib
import logging
import pkgutil
import re
import string
from collections import Counter
from pathlib import Path

import pytest

import app.core
from app.core import errors
from app.core.error_messages import ENGLISH
from app.core.errors import (
    CancelledError,
    DiskFullError,
    DownloadError,
    HearthError,
    ImportValidationError,
    IntegrityError,
    english,
)

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "app" / "core"

#: Classes whose constructor sets the code itself (no message argument to convert).
SELF_CODED = {
    "NoModelError",
    "BusyError",
    "IndexDiskFullError",
    "CollectionNotFoundError",
    "QueueFullError",
    "NoModelLoadedError",
    "HostClosedError",
    "DataDirBusyError",
}

#: Module -> (uncoded constructions it may still hold, why). Lower a number when you code
#: more of them; never raise one without a reason a reviewer accepts. ``None``: a module
#: its owner was still changing when codes came in; to be coded and counted next.
UNCODED_ALLOWED: dict[str, tuple[int | None, str]] = {
    # Developer tools: their errors reach a developer at a terminal, in English.
    "anchor.py": (8, "llama-bench anchor: developer tool, English CLI output"),
    "engines/native.py": (1, "benchmark loop failure: developer tool"),
    "engines/reference.py": (2, "reference benchmark: developer tool"),
    "host.py": (1, "a non-Hearth exception from a bench call keeps its own text"),
    "template.py": (1, "an internal over-budget marker, caught in the module, never shown"),
    "dataset_generate.py": (4, "hearth generate (CLI only): its errors print in English"),
    "knowledge/bertgguf.py": (2, "embedding-model converter for developers and tests"),
    "engines/remote.py": (1, "wraps a gateway NetworkError's own sentence"),
    "engines/remote_wire.py": (1, "wraps the gateway's own CA-file sentence (a NetworkError)"),
}


def _hearth_classes() -> dict[str, type[HearthError]]:
    for module in pkgutil.walk_packages(app.core.__path__, "app.core."):
        importlib.import_module(module.name)
    found: dict[str, type[HearthError]] = {}
    pending: list[type[HearthError]] = [HearthError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


HEARTH = _hearth_classes()


def _class_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def _constructions() -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                found.append((relative, node.lineno, node))
    return found


def _coded_calls() -> list[tuple[str, int, ast.Call]]:
    """``X.of(...)`` calls on a HearthError subclass, and ``error.with_code(...)`` calls."""
    return [
        (path, line, call)
        for path, line, call in _constructions()
        if isinstance(call.func, ast.Attribute)
        and (
            (call.func.attr == "of" and _class_name(call.func.value) in HEARTH)
            or call.func.attr == "with_code"
        )
    ]


def _recoded() -> set[tuple[str, int]]:
    """Constructions given a code right after: ``X(...).with_code(...)``, or
    ``error = X(...)`` in a function that calls ``error.with_code(...)``."""
    found: set[tuple[str, int]] = set()
    for path in sorted(CORE.rglob("*.py")):
        relative = path.relative_to(CORE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "with_code"
                and isinstance(node.func.value, ast.Call)
            ):
                found.add((relative, node.func.value.lineno))
            if isinstance(node, ast.FunctionDef):
                recoded_names = {
                    call.func.value.id
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "with_code"
                    and isinstance(call.func.value, ast.Name)
                }
                for assign in ast.walk(node):
                    if (
                        isinstance(assign, ast.Assign)
                        and isinstance(assign.value, ast.Call)
                        and any(
                            isinstance(target, ast.Name) and target.id in recoded_names
                            for target in assign.targets
                        )
                    ):
                        found.add((relative, assign.value.lineno))
    return found


def _uncoded() -> Counter[str]:
    counts: Counter[str] = Counter()
    recoded = _recoded()
    for path, line, call in _constructions():
        name = _class_name(call.func)
        if name not in HEARTH or name in SELF_CODED or (path, line) in recoded:
            continue
        if name == "CancelledError" and not call.args:
            continue  # the default sentence is coded ("cancelled")
        counts[path] += 1
    return counts


def test_every_user_facing_error_in_core_has_a_code() -> None:
    counts = _uncoded()
    too_many = {
        path: count
        for path, count in counts.items()
        if count > (UNCODED_ALLOWED.get(path, (0, ""))[0] or 0)
        and UNCODED_ALLOWED.get(path, (0, ""))[0] is not None
    }
    assert not too_many, (
        f"core errors without a code (module: count): {too_many}. Raise them as "
        "SomeError.of('area.what', name=...) with a template in app/core/error_messages.py "
        "(and regenerate app/ui/errors_i18n.py), or allow them here with a reason."
    )


def test_the_allow_list_is_not_stale() -> None:
    counts = _uncoded()
    loose = {
        path: (allowed, counts.get(path, 0))
        for path, (allowed, _why) in UNCODED_ALLOWED.items()
        if allowed is not None and counts.get(path, 0) < allowed
    }
    assert not loose, f"lower these allowances to what is left (allowed, found): {loose}"


def test_many_errors_are_coded() -> None:
    assert len(_coded_calls()) >= 100
    assert len(ENGLISH) >= 120


def _candidate_codes(node: ast.expr) -> list[str] | None:
    """The codes a code expression can be; None when it is not written out here."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _candidate_codes(node.body), _candidate_codes(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.JoinedStr):
        # f"store.{what}_too_long": every known code of that shape.
        pattern = "".join(
            re.escape(str(part.value)) if isinstance(part, ast.Constant) else "[a-z_]*"
            for part in node.values
        )
        return [code for code in ENGLISH if re.fullmatch(pattern, code)] or ["<none>"]
    return None


def test_every_coded_raise_names_a_known_code_with_the_right_values() -> None:
    problems = []
    for path, line, call in _coded_calls():
        where = f"{path}:{line}"
        if not call.args:
            problems.append(f"{where}: no code")
            continue
        codes = _candidate_codes(call.args[0])
        if codes is None:
            continue  # exc.code from an internal error, checked where that is raised
        unknown = [code for code in codes if code not in ENGLISH]
        if unknown:
            problems.append(f"{where}: unknown code(s) {unknown}")
            continue
        if any(keyword.arg is None for keyword in call.keywords):
            continue  # **params: checked where they are made
        given = {keyword.arg for keyword in call.keywords} - {"detail", "source"}
        for code in codes:
            wanted = _fields(ENGLISH[code])
            # One code: exactly its values. A choice of codes: each finds what it needs.
            if (given != wanted) if len(codes) == 1 else not wanted <= given:
                problems.append(f"{where}: {code} needs {wanted}, gets {given}")
    assert not problems, "\n".join(problems)


def test_templates_are_sentences_with_plain_placeholders() -> None:
    for code, template in ENGLISH.items():
        assert code == code.strip().lower(), code
        assert template.strip() == template and template, code
        assert "\n" not in template and "%" not in template, code
        for _, field, _, conversion in string.Formatter().parse(template):
            if field is not None:
                assert field.isidentifier(), (code, field)
                assert conversion is None, (code, field)


def test_default_codes_have_no_template_so_uncoded_errors_stay_english() -> None:
    for cls in HEARTH.values():
        assert cls.default_code not in ENGLISH, cls


def test_of_fills_the_template_and_keeps_code_and_values() -> None:
    error = ImportValidationError.of("gguf.too_many_tensors", name="x.gguf", count=10**9)
    assert str(error) == (
        "“x.gguf” is damaged: its GGUF header is not readable (it claims 1,000,000,000 "
        "tensors). Get the file again."
    )
    assert error.code == "gguf.too_many_tensors"
    assert error.params == {"name": "x.gguf", "count": 10**9}
    assert error.message == str(error)


def test_an_uncoded_error_gets_its_class_default_code() -> None:
    assert HearthError("Plain.").code == "error"
    assert DiskFullError("Full.").code == "disk.full"
    assert IntegrityError("Bad.").code == "download.integrity"
    assert HearthError("Plain.").params == {}


def test_download_error_of_keeps_the_source_apart_from_the_values() -> None:
    error = DownloadError.of("download.no_source", name="m.gguf", source="hf")
    assert error.source == "hf"
    assert error.params == {"name": "m.gguf"}
    assert str(error) == "There is no source to download m.gguf from."


def test_cancelled_is_coded_only_with_its_default_sentence() -> None:
    assert CancelledError().code == "cancelled"
    assert str(CancelledError()) == "Cancelled."
    assert CancelledError("Stopped by the user.").code == "cancelled.custom"


def test_a_broken_code_or_value_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger=errors.__name__):
        assert english("no.such.code", {"a": 1}) == "Error no.such.code (a=1)."
        assert english("gguf.empty", {}) == "Error gguf.empty."
    assert "no.such.code" in caplog.text


def test_internal_gguf_damage_codes_are_known() -> None:
    source = (CORE / "gguf.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and _class_name(node.func) == "_DamagedError"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            code = node.args[0].value
            assert code in ENGLISH, code
            given = {keyword.arg for keyword in node.keywords}
            assert given | {"name"} == _fields(ENGLISH[code]), code


def test_with_code_recodes_an_error_made_by_its_own_constructor() -> None:
    class KindError(HearthError):
        def __init__(self, message: str, *, kind: str) -> None:
            super().__init__(message)
            self.kind = kind

    error = KindError("", kind="x").with_code("gguf.empty", name="a.gguf")
    assert error.kind == "x"
    assert error.code == "gguf.empty"
    assert error.params == {"name": "a.gguf"}
    assert str(error) == english("gguf.empty", {"name": "a.gguf"})
    assert error.args == (str(error),)


def test_of_is_only_used_on_classes_whose_constructor_it_fits() -> None:
    """``X.of`` calls ``X(message, detail=, code=, params=)``; a class with its own
    constructor must set its code there, or use ``with_code``."""
    fitting = (HearthError.__init__, DownloadError.__init__)
    for path, line, call in _coded_calls():
        if isinstance(call.func, ast.Attribute) and call.func.attr == "of":
            cls = HEARTH[_class_name(call.func.value)]
            assert cls.__init__ in fitting, f"{path}:{line}: {cls.__name__} has its own __init__"
