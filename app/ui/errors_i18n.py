"""Core errors in the UI's language.

Errors raised in ``app/core`` carry a stable ``code`` and plain ``params``
(:class:`app.core.errors.HearthError`). This module holds, per code, the same English
template as :mod:`app.core.error_messages`, marked for lupdate in the ``CoreErrors``
context, so the UI can show the sentence in the user's language with the same values.
A test keeps the two tables identical; the marked tables (``error_texts_files``,
``error_texts_turns``) are regenerated from the core one whenever a code is added.

:func:`error_text` is the one way the UI turns a core error into a sentence. It takes
the exception, a ``(code, params, english)`` triple, or a plain English string (from a
signal or an event that carries only text); an unknown code, or a string no template
matches, is shown as it is, in English.
"""

from __future__ import annotations

import functools
import logging
import re
import string
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.core.errors import ErrorArg, HearthError
from app.ui import error_texts_files, error_texts_turns

log = logging.getLogger(__name__)

#: The translation context of every core error sentence.
CONTEXT = "CoreErrors"


#: Code -> English template, as lupdate saw it in the two marked tables.
TEXTS: dict[str, str] = {
    code: str(text)
    for table in (error_texts_files.MARKED, error_texts_turns.MARKED)
    for code, text in table.items()
}

ErrorLike = BaseException | str | tuple[str, Mapping[str, ErrorArg], str]


def error_text(error: ErrorLike) -> str:
    """The sentence to show for ``error``, translated when its code is known."""
    if isinstance(error, tuple):
        code, params, english = error
        return _translated(code, params, english)
    if isinstance(error, HearthError):
        if error.code in TEXTS:
            return _translated(error.code, error.params, error.message)
        return _from_english(error.message)
    if isinstance(error, str):
        return _from_english(error)
    return str(error)


def translate_template(code: str) -> str:
    """The translated template of ``code`` (placeholders unfilled); "" if unknown."""
    template = TEXTS.get(code)
    if template is None:
        return ""
    return QCoreApplication.translate(CONTEXT, template)


def _translated(code: str, params: Mapping[str, Any], english: str) -> str:
    template = translate_template(code)
    if not template:
        return english
    try:
        return _FORMATTER.format(template, **params)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        # A translation with a wrong placeholder must not hide the error: show English.
        log.warning("errors_i18n: %s cannot be filled (%r); showing English", code, exc)
        return english


class _Lenient(string.Formatter):
    """``str.format`` that shows a value as text when its format spec does not fit it
    (a size matched back out of an English sentence is already formatted)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return format(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FORMATTER = _Lenient()


def _from_english(text: str) -> str:
    """Translate an English sentence that arrived as text by matching it to a template."""
    for code, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is not None:
            return _translated(code, match.groupdict(), text)
    return text


#: A template with less fixed text than this ("{host} timed out.") would match sentences
#: it never made, so it is translated only from a coded error, never from bare text.
_MIN_LITERAL = 20


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each template as a regex, the most fixed text first (the most specific wins)."""
    scored: list[tuple[int, str, re.Pattern[str]]] = []
    for code, template in TEXTS.items():
        parts: list[str] = []
        seen: set[str] = set()
        fixed = 0
        for literal, field, _spec, _conversion in string.Formatter().parse(template):
            parts.append(re.escape(literal))
            fixed += len(literal)
            if field is None:
                continue
            if field in seen:
                parts.append(f"(?P={field})")
            else:
                seen.add(field)
                parts.append(f"(?P<{field}>.+?)")
        if fixed >= _MIN_LITERAL:
            scored.append((fixed, code, re.compile("".join(parts), re.DOTALL)))
    scored.sort(key=lambda item: -item[0])
    return [(code, pattern) for _, code, pattern in scored]
