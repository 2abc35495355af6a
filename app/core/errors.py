"""One exception family whose messages a person can read, in any UI language.

Every error that can reach the user is a :class:`HearthError`. Its ``str()`` is an
English sentence that says what happened and what to do next (for logs, the CLI and
the API); the technical detail goes to ``detail`` (and to the log), never to the
user's face.

For a translated UI every error also carries a stable ``code`` ("gguf.truncated",
"download.all_sources_failed") and ``params``, a dict of plain values (names, sizes,
counts) that fill the placeholders of the code's sentence. The English templates live
in :mod:`app.core.error_messages`; ``app/ui/errors_i18n.py`` holds the same templates
for Qt's translator, so a Chinese window shows the Chinese sentence with the same
values. A raise site reads::

    raise GgufError.of("gguf.empty", name=path.name)

An error raised the old way, ``SomeError("sentence")``, still works: it gets its class's
``default_code``, which has no template, so every UI shows its English sentence.

(The values are ``params``, not ``args``: ``Exception.args`` is the constructor's tuple,
which pickling and ``repr`` rely on.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import ClassVar, Self

from app.core.error_messages import ENGLISH

log = logging.getLogger(__name__)

#: What a placeholder may be filled with: plain values only, so any front end can
#: format them (and they survive JSON).
ErrorArg = str | int | float


def english(code: str, params: Mapping[str, ErrorArg]) -> str:
    """The English sentence for ``code`` filled with ``params``.

    Never raises: an unknown code or a missing value is a programming slip that must not
    hide the error it describes, so it is logged and the code itself is shown.
    """
    template = ENGLISH.get(code)
    if template is None:
        log.error("errors: no English template for code %r", code)
        return _fallback(code, params)
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError) as exc:
        log.error("errors: template %r cannot be filled from %r: %r", code, params, exc)
        return _fallback(code, params)


def _fallback(code: str, params: Mapping[str, ErrorArg]) -> str:
    values = ", ".join(f"{key}={value}" for key, value in params.items())
    return f"Error {code}" + (f" ({values})." if values else ".")


class HearthError(Exception):
    """Base of every error meant for the user."""

    #: The code of an error raised without one; no template, so UIs show the English.
    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        code: str = "",
        params: Mapping[str, ErrorArg] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.code = code or type(self).default_code
        self.params: dict[str, ErrorArg] = dict(params or {})

    @classmethod
    def of(cls, code: str, /, *, detail: str = "", **params: ErrorArg) -> Self:
        """The error for ``code``, its English sentence filled from ``params``.

        Only for classes whose constructor takes ``(message, *, detail, code, params)``;
        the few with their own constructor (QueueFullError, NetworkError, …) set their
        code inside it.
        """
        return cls(english(code, params), detail=detail, code=code, params=params)

    def with_code(self, code: str, /, **params: ErrorArg) -> Self:
        """Give an error made by a class's own constructor (NetworkError, ExtractionError…)
        its code; its sentence becomes the code's English. Returns the error, so a raise
        site reads ``raise SomeError("", kind=...).with_code("area.what", name=...)``."""
        self.code = code
        self.params = dict(params)
        self.message = english(code, params)
        self.args = (self.message,)
        return self

    def __str__(self) -> str:
        return self.message


class ModelLoadError(HearthError):
    """A model file could not be opened or loaded."""

    default_code = "model.load_failed"


class ContextOverflowError(HearthError):
    """The prompt cannot fit into the model's context window."""

    default_code = "context.overflow"


class GenerationError(HearthError):
    """llama.cpp failed while evaluating or sampling."""

    default_code = "generation.failed"


class DownloadError(HearthError):
    """A download failed; ``source`` names the mirror when one is to blame."""

    default_code = "download.failed"

    def __init__(
        self,
        message: str,
        *,
        detail: str = "",
        source: str = "",
        code: str = "",
        params: Mapping[str, ErrorArg] | None = None,
    ) -> None:
        super().__init__(message, detail=detail, code=code, params=params)
        self.source = source

    @classmethod
    def of(cls, code: str, /, *, detail: str = "", **params: ErrorArg) -> Self:
        """As :meth:`HearthError.of`; ``source=`` names the mirror to blame, not a value."""
        source = str(params.pop("source", ""))
        return cls(english(code, params), detail=detail, source=source, code=code, params=params)


class DiskFullError(HearthError):
    """There is not enough free space to write a file."""

    default_code = "disk.full"


class IntegrityError(DownloadError):
    """Downloaded bytes do not match the expected size or sha256."""

    default_code = "download.integrity"


class OfflineError(HearthError):
    """A network request was refused because offline mode is on."""

    default_code = "network.offline"


class StoreError(HearthError):
    """The chat store could not be opened or written."""

    default_code = "store.failed"


class SettingsError(HearthError):
    """The settings file could not be read or written."""

    default_code = "settings.failed"


class ImportValidationError(HearthError):
    """A file offered for import is not a usable GGUF chat model."""

    default_code = "import.invalid"


class CancelledError(HearthError):
    """The user stopped the operation. Not an error to show, but it ends the work."""

    #: Only a custom sentence has this code; the default one is "cancelled".
    default_code = "cancelled.custom"

    def __init__(self, message: str = "") -> None:
        # The default sentence is the template of its code, so it translates too.
        super().__init__(message or english("cancelled", {}), code="" if message else "cancelled")
