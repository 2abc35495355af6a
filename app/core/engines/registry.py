"""Configured remote engines: presets, the saved list, API keys, and "Test connection".

The list lives in ``engines.json`` in the config directory (versioned, written atomically,
0600). API keys never go there: they live in the system keyring (the ``keyring``
package). Where no keyring service exists (a bare server, some Linux sessions) they go to a
0600 file beside the settings instead, and :attr:`SecretStore.warning` says so once.

A chat names its engine with a *choice* string: ``local`` (whatever local model is
loaded), ``local:<path>`` or ``remote:<engine id>:<model id>`` (see :func:`remote_choice`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from app.core.atomic import write_text_atomic
from app.core.cancel import CancelToken
from app.core.engines.base import Engine
from app.core.engines.remote import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    SERVER_KINDS,
    RemoteEndpoint,
    RemoteEngine,
    RemoteEngineError,
    http_error,
    normalize_base_url,
    not_openai_error,
    offline_error,
    transport_error,
)
from app.core.errors import HearthError, OfflineError, SettingsError
from app.core.network import NetworkError, NetworkGateway

log = logging.getLogger(__name__)

REGISTRY_VERSION: Final = 1
KEYRING_SERVICE: Final = "Hearth"
#: Timeouts a user may set, in seconds.
MIN_TIMEOUT: Final = 1.0
MAX_TIMEOUT: Final = 3600.0
MAX_MODELS_LISTED: Final = 500


@dataclass(frozen=True, slots=True)
class Preset:
    """A kind of server with the address it listens on by default."""

    kind: str
    label: str
    base_url: str
    needs_key: bool = False


PRESETS: Final[tuple[Preset, ...]] = (
    Preset("llama.cpp", "llama.cpp server", "http://127.0.0.1:8080/v1"),
    Preset("vllm", "vLLM", "http://127.0.0.1:8000/v1"),
    Preset("ollama", "Ollama", "http://127.0.0.1:11434/v1"),
    Preset("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1"),
    Preset("hearth", "Another Hearth", "http://127.0.0.1:8765/v1", needs_key=True),
    Preset("", "Other OpenAI-compatible server", "http://"),
)


def preset(kind: str) -> Preset | None:
    return next((p for p in PRESETS if p.kind == kind), None)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """One saved remote engine (no secret in here)."""

    id: str
    name: str
    base_url: str
    model: str = ""
    #: A key of SERVER_KINDS ("" when unknown): from the preset or "Test connection".
    server_kind: str = ""
    ca_file: str = ""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    #: The server's models as last listed (for the per-chat picker).
    models: tuple[str, ...] = ()
    n_ctx: int = 0
    has_key: bool = False

    def endpoint(self, api_key: str = "", *, model: str | None = None) -> RemoteEndpoint:
        return RemoteEndpoint(
            name=self.name,
            base_url=self.base_url,
            model=self.model if model is None else model,
            api_key=api_key,
            ca_file=self.ca_file,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            server_kind=self.server_kind,
            n_ctx=self.n_ctx,
        )

    @property
    def host(self) -> str:
        return self.endpoint().host

    @property
    def is_loopback(self) -> bool:
        return self.endpoint().is_loopback


def new_engine_config(name: str, base_url: str, **values: Any) -> EngineConfig:
    """A new config with a fresh id; the URL is normalised (RemoteEngineError if unusable)."""
    return _clean(EngineConfig(id=uuid.uuid4().hex[:12], name=name, base_url=base_url, **values))


def _clean(config: EngineConfig) -> EngineConfig:
    name = " ".join(config.name.split())[:80] or config.host
    return replace(
        config,
        name=name,
        base_url=normalize_base_url(config.base_url),
        model=config.model.strip(),
        ca_file=config.ca_file.strip(),
        connect_timeout=min(MAX_TIMEOUT, max(MIN_TIMEOUT, float(config.connect_timeout))),
        read_timeout=min(MAX_TIMEOUT, max(MIN_TIMEOUT, float(config.read_timeout))),
        models=tuple(dict.fromkeys(m for m in config.models if m))[:MAX_MODELS_LISTED],
    )


# --- Choices: which engine a chat uses ------------------------------------------------------

LOCAL_CHOICE: Final = "local"


def remote_choice(engine_id: str, model: str) -> str:
    return f"remote:{engine_id}:{model}"


def parse_choice(choice: str) -> tuple[str, str] | None:
    """``(engine id, model)`` of a remote choice, None for a local one."""
    if not choice.startswith("remote:"):
        return None
    engine_id, _, model = choice[len("remote:") :].partition(":")
    return (engine_id, model) if engine_id else None


class ChatEngineChoices:
    """Which engine each chat uses (chat id → choice), in ``chat-engines.json``.

    A chat with no entry uses the local model. Kept beside the engine list rather than in
    the chat store, so a chat's history stays the same whichever engine answers it.
    """

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        self._choices: dict[str, str] = (
            {str(k): v for k, v in raw.items() if isinstance(v, str)}
            if isinstance(raw, dict)
            else {}
        )

    def get(self, chat_id: str) -> str:
        with self._lock:
            return self._choices.get(chat_id, LOCAL_CHOICE)

    def set(self, chat_id: str, choice: str) -> None:
        with self._lock:
            if choice == LOCAL_CHOICE:
                if self._choices.pop(chat_id, None) is None:
                    return
            elif self._choices.get(chat_id) == choice:
                return
            else:
                self._choices[chat_id] = choice
            data = json.dumps(self._choices, indent=1, ensure_ascii=False)
        try:
            write_text_atomic(self._path, data)
        except HearthError:
            log.warning("engines: could not save which engine a chat uses", exc_info=True)


# --- Secrets ---------------------------------------------------------------------------------


class SecretStore:
    """API keys in the system keyring, or in a 0600 file where there is none (warned once)."""

    def __init__(self, fallback_path: Path, *, service: str = KEYRING_SERVICE) -> None:
        self._fallback_path = Path(fallback_path)
        self._service = service
        self._lock = threading.Lock()
        self._use_file: bool | None = None
        self._warning = ""
        self._warned = False

    @property
    def uses_keyring(self) -> bool:
        return not self._file_mode()

    def take_warning(self) -> str:
        """The once-only warning about the fallback file ("" after the first call)."""
        with self._lock:
            if self._warned or not self._warning:
                return ""
            self._warned = True
            return self._warning

    def get(self, name: str) -> str:
        if not self._file_mode():
            try:
                import keyring

                return keyring.get_password(self._service, name) or ""
            except Exception as exc:  # keyring raises many kinds; fall back to the file
                self._fall_back(exc)
        return self._read_file().get(name, "")

    def set(self, name: str, value: str) -> None:
        if not value:
            self.delete(name)
            return
        if not self._file_mode():
            try:
                import keyring

                keyring.set_password(self._service, name, value)
                return
            except Exception as exc:
                self._fall_back(exc)
        with self._lock:
            secrets = self._read_file()
            secrets[name] = value
            self._write_file(secrets)

    def delete(self, name: str) -> None:
        if not self._file_mode():
            try:
                import keyring
                import keyring.errors

                with contextlib.suppress(keyring.errors.PasswordDeleteError):
                    keyring.delete_password(self._service, name)
            except Exception as exc:
                self._fall_back(exc)
        with self._lock:
            secrets = self._read_file()
            if secrets.pop(name, None) is not None:
                self._write_file(secrets)

    # --- internals -----------------------------------------------------------------------

    def _file_mode(self) -> bool:
        with self._lock:
            if self._use_file is None:
                self._use_file = not _keyring_available()
                if self._use_file:
                    self._warn_file("no keyring service was found")
            return self._use_file

    def _fall_back(self, exc: Exception) -> None:
        log.warning("keyring failed (%s); keeping API keys in a private file", type(exc).__name__)
        with self._lock:
            self._use_file = True
            self._warn_file(type(exc).__name__)

    def _warn_file(self, why: str) -> None:
        # Called with the lock held.
        if not self._warning:
            log.warning("api keys: %s; using %s (mode 0600)", why, self._fallback_path)
            self._warning = (
                "This system has no keyring, so API keys are kept in a private file "
                f"({self._fallback_path}) that only your account can read."
            )

    def _read_file(self) -> dict[str, str]:
        try:
            raw = json.loads(self._fallback_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("api keys: the key file is unreadable; ignoring it")
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, str)}

    def _write_file(self, secrets: dict[str, str]) -> None:
        write_text_atomic(self._fallback_path, json.dumps(secrets, indent=1))


def _keyring_available() -> bool:
    """True when keyring has a real backend (not the "fail" or an empty chainer)."""
    try:
        import keyring
        import keyring.backends.fail

        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, keyring.backends.fail.Keyring):
        return False
    chained = getattr(backend, "backends", None)
    return not (chained is not None and not list(chained))


# --- The registry ----------------------------------------------------------------------------


class EngineRegistry:
    """The saved remote engines. Thread-safe; every change is written at once."""

    def __init__(self, path: Path, secrets: SecretStore) -> None:
        self._path = Path(path)
        self.secrets = secrets
        self._lock = threading.Lock()
        self._engines: dict[str, EngineConfig] = self._load()
        self._listeners: list[Callable[[], None]] = []

    @classmethod
    def in_config_dir(cls, config_dir: Path) -> EngineRegistry:
        config_dir = Path(config_dir)
        return cls(config_dir / "engines.json", SecretStore(config_dir / "engine-keys.json"))

    def engines(self) -> list[EngineConfig]:
        with self._lock:
            return list(self._engines.values())

    def get(self, engine_id: str) -> EngineConfig | None:
        with self._lock:
            return self._engines.get(engine_id)

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def save(self, config: EngineConfig, *, api_key: str | None = None) -> EngineConfig:
        """Add or replace ``config``. ``api_key``: None keeps the stored key, "" removes it."""
        config = _clean(config)
        secret_name = _secret_name(config.id)
        if api_key is not None:
            self.secrets.set(secret_name, api_key.strip())
            config = replace(config, has_key=bool(api_key.strip()))
        with self._lock:
            self._engines[config.id] = config
            self._write_locked()
        self._changed()
        return config

    def remove(self, engine_id: str) -> None:
        with self._lock:
            removed = self._engines.pop(engine_id, None)
            if removed is not None:
                self._write_locked()
        if removed is not None:
            self.secrets.delete(_secret_name(engine_id))
            self._changed()

    def api_key(self, engine_id: str) -> str:
        return self.secrets.get(_secret_name(engine_id))

    def endpoint(self, engine_id: str, model: str | None = None) -> RemoteEndpoint:
        config = self.get(engine_id)
        if config is None:
            raise HearthError.of("engines.removed")
        key = self.api_key(engine_id) if config.has_key else ""
        return config.endpoint(key, model=model)

    def choices(self) -> list[tuple[str, str]]:
        """``(choice, label)`` of every remote engine's models, for the per-chat picker."""
        result = []
        for config in self.engines():
            models = config.models or ((config.model,) if config.model else ())
            for model in models:
                result.append((remote_choice(config.id, model), f"{model} — {config.name}"))
        return result

    # --- file ----------------------------------------------------------------------------

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("an engine registry listener failed")

    def _load(self) -> dict[str, EngineConfig]:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("engines: %s is unreadable; starting with no remote engines", self._path)
            return {}
        engines: dict[str, EngineConfig] = {}
        items = raw.get("engines") if isinstance(raw, dict) else None
        for item in items if isinstance(items, list) else []:
            config = _config_from(item)
            if config is not None:
                engines[config.id] = config
        return engines

    def _write_locked(self) -> None:
        data = {
            "version": REGISTRY_VERSION,
            "engines": [_config_to(config) for config in self._engines.values()],
        }
        try:
            write_text_atomic(self._path, json.dumps(data, indent=2, ensure_ascii=False))
        except HearthError as exc:
            raise SettingsError.of(
                "engines.save_failed", reason=str(exc), detail=exc.detail
            ) from exc


def _secret_name(engine_id: str) -> str:
    return f"engine:{engine_id}"


def _config_to(config: EngineConfig) -> dict[str, Any]:
    data = asdict(config)
    data["models"] = list(config.models)
    return data


def _config_from(raw: Any) -> EngineConfig | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    values: dict[str, Any] = {}
    defaults = EngineConfig(id="", name="", base_url="")
    for f in fields(EngineConfig):
        if f.name not in raw:
            continue
        value, default = raw[f.name], getattr(defaults, f.name)
        if f.name == "models":
            if isinstance(value, list):
                values["models"] = tuple(str(m) for m in value if isinstance(m, str))
        elif isinstance(default, bool):
            if isinstance(value, bool):
                values[f.name] = value
        elif isinstance(default, float):
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[f.name] = float(value)
        elif isinstance(default, int):
            if isinstance(value, int) and not isinstance(value, bool):
                values[f.name] = value
        elif isinstance(value, str):
            values[f.name] = value
    try:
        return _clean(replace(defaults, **values))
    except (RemoteEngineError, ValueError, TypeError):
        log.warning("engines: skipping an unusable saved engine")
        return None


# --- Test connection -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """What answered at an address."""

    host: str
    server_kind: str
    models: tuple[str, ...]
    latency_ms: float
    #: Context window per model, where the server says.
    n_ctx: dict[str, int] = field(default_factory=dict)

    @property
    def server_label(self) -> str:
        return SERVER_KINDS.get(self.server_kind, "An OpenAI-compatible server")

    def sentence(self) -> str:
        count = len(self.models)
        listed = ", ".join(self.models[:5]) + (", …" if count > 5 else "")
        noun = "model" if count == 1 else "models"
        what = f"{count} {noun}: {listed}" if count else "no models"
        return (
            f"{self.server_label} answered at {self.host} in {self.latency_ms:.0f} ms, with {what}."
        )


_OWNERS: Final = {
    "llamacpp": "llama.cpp",
    "vllm": "vllm",
    "sglang": "sglang",
    "library": "ollama",
    "ollama": "ollama",
    "organization_owner": "lmstudio",
    "hearth": "hearth",
    "me": "llama-cpp-python",
    "openai": "openai",
    "system": "openai",
    "openai-internal": "openai",
}


def _server_kind(data: dict[str, Any], items: Sequence[Any], headers: Any) -> str:
    for item in items:
        if isinstance(item, dict):
            kind = _OWNERS.get(str(item.get("owned_by", "")).lower())
            if kind:
                return kind
            if "max_model_len" in item:
                return "vllm"
    server = str(headers.get("Server", "")).lower()
    if "llama.cpp" in server:
        return "llama.cpp"
    if isinstance(data.get("models"), list):
        return "llama.cpp"
    return ""


def probe(
    gateway: NetworkGateway, endpoint: RemoteEndpoint, *, cancel: CancelToken | None = None
) -> ConnectionReport:
    """``GET /models`` at the endpoint: what answered, its models and the latency.

    Raises RemoteEngineError with a sentence for every fault (offline included)."""
    if cancel is not None:
        cancel.raise_if_cancelled()
    started = time.perf_counter()
    try:
        response = gateway.request(
            "GET",
            endpoint.url("models"),
            headers=endpoint.headers(),
            timeout=max(endpoint.connect_timeout, 1.0),
            follow_redirects=False,
            max_bytes=4 << 20,
            ca_file=endpoint.ca_file or None,
            allow_loopback=endpoint.is_loopback,
        )
    except OfflineError as exc:
        raise offline_error(endpoint) from exc
    except NetworkError as exc:
        raise transport_error(exc, endpoint, started=False) from exc
    latency_ms = (time.perf_counter() - started) * 1000
    if not response.ok:
        raise http_error(response.status, response.headers, response.content, endpoint)
    content_type = response.headers.get("Content-Type", "")
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        data = None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(items, list):
        raise not_openai_error(endpoint, content_type, response.content)
    models: list[str] = []
    n_ctx: dict[str, int] = {}
    for item in items[:MAX_MODELS_LISTED]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            model_id = item["id"]
            models.append(model_id)
            limit = item.get("max_model_len")
            meta = item.get("meta")
            if not isinstance(limit, int) and isinstance(meta, dict):
                limit = meta.get("n_ctx")
            if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
                n_ctx[model_id] = limit
    return ConnectionReport(
        host=endpoint.host,
        server_kind=_server_kind(data, items, response.headers) or endpoint.server_kind,
        models=tuple(models),
        latency_ms=latency_ms,
        n_ctx=n_ctx,
    )


def remote_engine_factory(
    gateway: NetworkGateway, endpoint: RemoteEndpoint
) -> Callable[[CancelToken], Engine]:
    """An ``EngineHost.load`` factory. Refuses at once when offline mode blocks the engine
    (only engines on this machine are allowed then)."""

    def factory(cancel: CancelToken) -> Engine:
        cancel.raise_if_cancelled()
        if gateway.offline and not endpoint.is_loopback:
            raise offline_error(endpoint)
        return RemoteEngine(endpoint, gateway)

    return factory


__all__ = [
    "LOCAL_CHOICE",
    "PRESETS",
    "ChatEngineChoices",
    "ConnectionReport",
    "EngineConfig",
    "EngineRegistry",
    "Preset",
    "SecretStore",
    "new_engine_config",
    "parse_choice",
    "preset",
    "probe",
    "remote_choice",
    "remote_engine_factory",
]
