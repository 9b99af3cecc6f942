"""Test-wide fixtures. The environment (data directory, network guard) is set up earlier, by
the `defensa.pytest_env` plugin named in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    """Tests read the catalogs as they are in the tree, compiled without gettext."""
    import gettext

    from asgiref.local import Local
    from django.utils.translation import trans_real

    from defensa.core import i18n

    i18n.compile_catalogs()
    # Django (and Python's gettext cache under it) may have loaded the catalogs while setting
    # up; make them read the fresh ones.
    gettext._translations.clear()  # type: ignore[attr-defined]
    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    trans_real._active = Local()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    from django.core.cache import caches

    from defensa.core import crypto, privacy

    yield
    for backend in caches.all():
        backend.clear()
    crypto.key_cache.forget()
    privacy._memo.clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No persistent connections in tests: the live server's threads would otherwise keep
    PostgreSQL sessions open and block dropping the test database."""
    from django.conf import settings
    from django.db import connections

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    connections["default"].settings_dict["CONN_MAX_AGE"] = 0
