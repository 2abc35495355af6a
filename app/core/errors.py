"""One exception family whose messages a person can read.

Every error that can reach the user is a :class:`HearthError`. Its ``str()`` is a
sentence that says what happened and what to do next; the technical detail goes to
``detail`` (and to the log), never to the user's face.
"""

from __future__ import annotations


class HearthError(Exception):
    """Base of every error meant for the user."""

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ModelLoadError(HearthError):
    """A model file could not be opened or loaded."""


class ContextOverflowError(HearthError):
    """The prompt cannot fit into the model's context window."""


class GenerationError(HearthError):
    """llama.cpp failed while evaluating or sampling."""


class DownloadError(HearthError):
    """A download failed; ``source`` names the mirror when one is to blame."""

    def __init__(self, message: str, *, detail: str = "", source: str = "") -> None:
        super().__init__(message, detail=detail)
        self.source = source


class DiskFullError(HearthError):
    """There is not enough free space to write a file."""


class IntegrityError(DownloadError):
    """Downloaded bytes do not match the expected size or sha256."""


class OfflineError(HearthError):
    """A network request was refused because offline mode is on."""


class StoreError(HearthError):
    """The chat store could not be opened or written."""


class SettingsError(HearthError):
    """The settings file could not be read or written."""


class ImportValidationError(HearthError):
    """A file offered for import is not a usable GGUF chat model."""


class CancelledError(HearthError):
    """The user stopped the operation. Not an error to show, but it ends the work."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)
