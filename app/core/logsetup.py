"""Logging: a private rotating file in the log directory, plus stderr.

Chat text never goes to the log at INFO or above. Modules that touch conversation
content log only sizes and ids, and log text only via :func:`debug_content`, which is
silent unless the user turned on debug logging.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
_content_logger = logging.getLogger("hearth.content")


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates every log file 0600, including the fresh one after each rollover.

    The stock handler reopens the file with the process umask (usually 0644) when it
    rotates; logs stay private to the user whatever the umask.
    """

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        # The handler owns and closes this stream; a context manager would close it now.
        stream = open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115
        assert isinstance(stream, io.TextIOWrapper)  # text mode always gives one
        return stream


def configure_logging(log_dir: Path, *, debug: bool = False, to_stderr: bool = True) -> Path:
    """Send logs to ``log_dir/hearth.log`` (0600); returns the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "hearth.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hearth", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = _PrivateRotatingFileHandler(
        log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    if os.name == "posix":
        log_file.chmod(0o600)
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    file_handler._hearth = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream.setLevel(logging.WARNING)
        stream._hearth = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    _content_logger.disabled = not debug
    return log_file


def debug_content(message: str, *args: object) -> None:
    """Log conversation text, only when debug logging is on."""
    if not _content_logger.disabled:
        _content_logger.debug(message, *args)
