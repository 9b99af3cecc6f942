"""Typed readers for the environment variables that configure Defensa.

Every variable is documented in `.env.example`. Secrets can be given directly (`NAME`) or as a
path to a file holding them (`NAME_FILE`), which is how container and systemd secrets arrive.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def text(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def flag(name: str, *, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off")


def integer(name: str, *, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return value


def items(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in text(name, default).split(",") if part.strip()]


def secret(name: str) -> str | None:
    """Return the secret from NAME or from the file named by NAME_FILE, or None if neither."""
    direct = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if direct and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both")
    if direct:
        return direct.strip()
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc.strerror}") from exc
    return None


def local_secret(data_dir: Path, filename: str, make: str) -> str:
    """A secret generated once into the (git-ignored) data directory, for local and demo runs.

    `make` names the generator: "token" (URL-safe text) or "master-key" (one key-ring entry).
    """
    path = data_dir / "keys" / filename
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if make == "token":
        value = secrets.token_urlsafe(50)
    elif make == "master-key":
        import base64

        value = f"local1:{base64.b64encode(secrets.token_bytes(32)).decode('ascii')}"
    else:  # pragma: no cover - programming error
        raise ValueError(make)
    # Create with owner-only permissions before writing, so the secret is never world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def database(url: str, *, sqlite_path: Path) -> dict[str, object]:
    """Translate DEFENSA_DATABASE_URL (postgres://user:pass@host:port/name) to Django settings."""
    if not url:
        return {
            "ENGINE": "defensa.core.sqlite",
            "NAME": str(sqlite_path),
            "OPTIONS": {
                # IMMEDIATE avoids "database is locked" upgrades when web and worker both write.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # secure_delete overwrites freed pages, so shredded key material does not linger
                # in the file; WAL lets the worker and the web server read while one writes.
                "init_command": (
                    "PRAGMA secure_delete=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    " PRAGMA foreign_keys=ON;"
                ),
            },
            # Persistent connections: opening one runs the PRAGMAs above, and closing the
            # last one checkpoints the write-ahead log, which per request halved intake.
            "CONN_MAX_AGE": 60,
            "TEST": {"NAME": str(sqlite_path.with_name("test-" + sqlite_path.name))},
        }
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured("DEFENSA_DATABASE_URL must be a postgres:// URL")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Persistent connections: the task worker reconnecting per task costs ~3x throughput.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def smtp(url: str) -> dict[str, object] | None:
    """Translate DEFENSA_SMTP_URL (smtp:// with STARTTLS, or smtps://) to Django's settings."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured("DEFENSA_SMTP_URL must look like smtp://user:pass@host:587")
    ssl = parts.scheme == "smtps"
    return {
        "host": parts.hostname,
        "port": parts.port or (465 if ssl else 587),
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "tls": not ssl,
        "ssl": ssl,
    }
