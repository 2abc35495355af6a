"""Every directory Hearth uses, in one place.

By default they come from platformdirs (the platform's user data, config, cache and log
directories). ``HEARTH_DATA_DIR`` (or ``--data-dir``, which sets it) puts every one of
them under a single directory: tests and portable installs use this.

Resources (icons, styles, translations, the catalog) are found through
:func:`resource_path`, which also knows PyInstaller's ``sys._MEIPASS``.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.core.errors import HearthError

APP_DIR_NAME = "Hearth"
ENV_DATA_DIR = "HEARTH_DATA_DIR"
ENV_BUNDLED_MODELS = "HEARTH_BUNDLED_MODELS"


@dataclass(frozen=True, slots=True)
class AppPaths:
    data: Path
    config: Path
    cache: Path
    logs: Path
    models: Path

    @property
    def database(self) -> Path:
        return self.data / "chats.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def network_log(self) -> Path:
        return self.data / "network-log.jsonl"

    @property
    def downloads(self) -> Path:
        """Partial downloads (``.part``) live beside the models so ``os.replace`` is atomic."""
        return self.models

    def ensure(self) -> AppPaths:
        """Create every directory, private to the user (0700 on POSIX).

        Raises :class:`DataDirError` (a sentence naming the folder) when one cannot be
        created, made private or written to: Hearth keeps chats there, so it cannot run.
        """
        for directory in (self.data, self.config, self.cache, self.logs, self.models):
            _ensure_private_dir(directory)
        return self


class DataDirError(HearthError):
    """A folder Hearth keeps its data in cannot be created, made private or written."""


def _ensure_private_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise DataDirError.of(
            "data_dir.cannot_create",
            folder=str(directory),
            reason=_reason(exc),
            detail=repr(exc),
        ) from exc
    if not directory.is_dir():
        raise DataDirError.of(
            "data_dir.not_folder", folder=str(directory), detail="not a directory"
        )
    if os.name == "posix":
        try:
            if stat.S_IMODE(directory.stat().st_mode) != 0o700:
                directory.chmod(0o700)
        except OSError as exc:
            # Usually a folder owned by another user: Hearth could neither keep it private
            # nor, most likely, write to it.
            raise DataDirError.of(
                "data_dir.cannot_make_private",
                folder=str(directory),
                reason=_reason(exc),
                detail=repr(exc),
            ) from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DataDirError.of(
            "data_dir.not_writable",
            folder=str(directory),
            detail="no write access",
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def app_paths() -> AppPaths:
    """The directories for this process, honouring ``HEARTH_DATA_DIR``."""
    override = os.environ.get(ENV_DATA_DIR, "").strip()
    if override:
        root = Path(override).expanduser().resolve()
        return AppPaths(
            data=root / "data",
            config=root / "config",
            cache=root / "cache",
            logs=root / "logs",
            models=root / "models",
        )
    data = Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    return AppPaths(
        data=data,
        config=Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
        models=data / "models",
    )


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def resources_dir() -> Path:
    """The ``resources/`` directory, from a source checkout or a frozen bundle."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def bundled_models_dir() -> Path | None:
    """Models shipped inside the app by ``make package MODEL=...`` (read-only), or None.

    ``HEARTH_BUNDLED_MODELS`` overrides it (tests, USB installs); a frozen app looks in
    ``<sys._MEIPASS>/models``; a source checkout has none.
    """
    override = os.environ.get(ENV_BUNDLED_MODELS, "").strip()
    if override:
        folder = Path(override).expanduser()
    else:
        bundle_root = getattr(sys, "_MEIPASS", None)
        if not bundle_root:
            return None
        folder = Path(bundle_root) / "models"
    return folder if folder.is_dir() else None


def bundled_models() -> list[Path]:
    folder = bundled_models_dir()
    return sorted(folder.glob("*.gguf")) if folder else []
