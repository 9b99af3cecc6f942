"""Configuration: secrets from the environment or files, never generated in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from defensa import env


def test_secret_comes_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret"
    path.write_text("from-a-file\n")
    monkeypatch.setenv("DEFENSA_X_FILE", str(path))
    assert env.secret("DEFENSA_X") == "from-a-file"


def test_secret_given_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFENSA_X", "a")
    monkeypatch.setenv("DEFENSA_X_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured):
        env.secret("DEFENSA_X")


def test_local_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    first = env.local_secret(tmp_path, "k", "master-key")
    assert env.local_secret(tmp_path, "k", "master-key") == first
    assert (tmp_path / "keys" / "k").stat().st_mode & 0o077 == 0


def test_database_url_is_parsed() -> None:
    parsed = env.database("postgres://u:p%40ss@db.internal:5433/defensa", sqlite_path=Path("x"))
    assert parsed["NAME"] == "defensa"
    assert parsed["PASSWORD"] == "p@ss"
    assert parsed["PORT"] == "5433"
    with pytest.raises(ImproperlyConfigured):
        env.database("mysql://x/y", sqlite_path=Path("x"))


def test_bad_flags_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFENSA_X", "perhaps")
    with pytest.raises(ImproperlyConfigured):
        env.flag("DEFENSA_X")


def _settings_in_subprocess(tmp_path: Path, extra: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DEFENSA_", "DJANGO_"))}
    environment.update({"DEFENSA_DATA_DIR": str(tmp_path), **extra})
    code = "import defensa.settings as s; print(s.SECRET_KEY[:4], s.SESSION_COOKIE_SECURE)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    result = _settings_in_subprocess(tmp_path, {"DEFENSA_PRODUCTION": "1"})
    assert result.returncode != 0
    assert "DEFENSA_SECRET_KEY" in result.stderr
    assert not (tmp_path / "keys").exists()


def test_zero_configuration_generates_local_keys(tmp_path: Path) -> None:
    result = _settings_in_subprocess(tmp_path, {})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "keys" / "secret_key").exists()
    assert (tmp_path / "keys" / "master_keys").exists()


def test_local_run_uses_the_generated_secrets_not_values_in_code() -> None:
    if os.environ.get("DEFENSA_SECRET_KEY") or os.environ.get("DEFENSA_SECRET_KEY_FILE"):
        pytest.skip("this run gives its secrets in the environment")
    keys = Path(settings.DATA_DIR) / "keys"
    assert (keys / "secret_key").read_text().strip() == settings.SECRET_KEY
    assert (keys / "master_keys").read_text().strip() == settings.DEFENSA_MASTER_KEYS


def test_env_example_lists_every_variable_the_code_reads() -> None:
    import re

    base = Path(settings.BASE_DIR)
    read: set[str] = set()
    for path in [base / "defensa" / "settings.py", base / "defensa" / "gunicorn_conf.py"]:
        read |= set(re.findall(r'"(DEFENSA_[A-Z_]+)"', path.read_text(encoding="utf-8")))
    listed = set(re.findall(r"^(DEFENSA_[A-Z_]+)=", (base / ".env.example").read_text(), re.M))
    assert read - listed == set()


def test_deploy_check_warns_when_redis_would_write_the_cache_to_disk(monkeypatch) -> None:
    import redis

    from defensa.core import checks

    class PersistentRedis:
        config = {"save": "3600 1 300 100", "appendonly": "no"}

        def config_get(self, name: str) -> dict[str, str]:
            return {name: self.config[name]}

    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(redis.Redis, "from_url", staticmethod(lambda *a, **k: PersistentRedis()))
    assert [m.id for m in checks.redis_keeps_nothing_on_disk()] == ["defensa.W002"]
