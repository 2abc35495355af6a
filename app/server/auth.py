"""Who may use the API: the bearer token, and the Host and Origin checks.

* **Token.** Made on first use (``secrets``), stored 0600 in the config directory, compared
  in constant time. Every ``/v1`` request needs it; the page at ``/`` reads it from the
  address's ``#token=`` fragment (never sent to the server) or asks for it.
* **Host.** A server bound to loopback answers only requests addressed to a loopback name,
  so a web page whose DNS name was rebound to 127.0.0.1 is refused (DNS rebinding).
* **Origin.** A browser sends ``Origin`` with cross-site requests; only the server's own
  origin and origins the user listed are accepted. CORS headers go only to listed origins.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from app.core.atomic import PRIVATE_FILE_MODE, write_text_atomic
from app.core.errors import HearthError

log = logging.getLogger(__name__)

TOKEN_FILE_NAME = "api-token"
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{20,200}$")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})


def token_path(config_dir: Path) -> Path:
    return config_dir / TOKEN_FILE_NAME


def load_or_create_token(config_dir: Path) -> str:
    """The API token, made (0600) on first use; a damaged file is replaced by a new token."""
    path = token_path(config_dir)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("api: cannot read the token file (%s); making a new token", exc)
        text = ""
    if _TOKEN_PATTERN.match(text):
        if os.name == "posix":
            with contextlib.suppress(OSError):
                if path.stat().st_mode & 0o077:
                    path.chmod(PRIVATE_FILE_MODE)
        return text
    return new_token(config_dir)


def new_token(config_dir: Path) -> str:
    """Replace the token (old clients get 401 from now on)."""
    token = f"hearth-{secrets.token_urlsafe(32)}"
    try:
        write_text_atomic(token_path(config_dir), token + "\n", mode=PRIVATE_FILE_MODE)
    except HearthError:
        raise
    log.info("api: a new access token was written to %s", token_path(config_dir))
    return token


def token_matches(header: str | None, token: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    if not header or not token:
        return False
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.encode("utf-8"))


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` → ``::1``)."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def host_allowed(header: str | None, *, bound_host: str) -> bool:
    """Whether a request's Host header fits the address the server listens on.

    Loopback servers accept loopback names only: that is what defeats DNS rebinding.
    A server opened to the network (``--allow-remote``) is reached by many names, and its
    token is what protects it.
    """
    if not header:
        return False
    if not is_loopback_host(bound_host):
        return True
    return is_loopback_host(host_name(header))


def parse_origins(text: str | Iterable[str]) -> frozenset[str]:
    """User-listed origins (``http://localhost:3000``), separated by commas or spaces."""
    items = re.split(r"[\s,]+", text) if isinstance(text, str) else list(text)
    origins = set()
    for item in items:
        item = item.strip().rstrip("/")
        if not item:
            continue
        if item == "*":
            origins.add("*")
            continue
        parts = urlsplit(item)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc.lower()}")
        else:
            log.warning("api: ignoring allowed origin %r (not scheme://host[:port])", item)
    return frozenset(origins)


def same_origin(origin: str, host_header: str | None) -> bool:
    """A page served by this server calling it back (its origin is our own address)."""
    if not host_header:
        return False
    parts = urlsplit(origin)
    return parts.scheme == "http" and parts.netloc.lower() == host_header.strip().lower()


def origin_allowed(origin: str | None, host_header: str | None, allowed: frozenset[str]) -> bool:
    """Requests without Origin come from programs, not web pages: those are allowed."""
    if origin is None:
        return True
    origin = origin.strip().rstrip("/").lower()
    if same_origin(origin, host_header):
        return True
    return "*" in allowed or origin in allowed
