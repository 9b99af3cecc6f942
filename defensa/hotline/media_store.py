"""Media on disk, sealed like everything else a report says.

Each item has two files: the untouched original (kept for legal use, with its SHA-256 in the
database) and the cleaned copy staff view. Both are AES-256-GCM with the committee's report
key, bound to the item's own table and code, so destroying that key destroys them.

Any model with a UUID `code` can be stored: report media, and the photos confirmers take
(incidents' FindingMedia). Codes are UUIDs, so items of different tables never share a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db.models import Model

from defensa.core import crypto
from defensa.core.models import KeyPurpose
from defensa.network.models import Committee

COPIES = ("original", "clean")


def _root() -> Path:
    root = Path(settings.DATA_DIR) / "media"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _path(item: Model, which: str) -> Path:
    if which not in COPIES:
        raise ValueError(which)
    return _root() / f"{item.code}.{which}"  # type: ignore[attr-defined]


def _binding(item: Model, which: str, committee: Committee) -> crypto.Binding:
    return crypto.Binding.of(item, which, committee=committee.code)


def save(item: Model, which: str, data: bytes, *, committee: Committee) -> None:
    sealed = crypto.seal(data, binding=_binding(item, which, committee), purpose=KeyPurpose.REPORT)
    path = _path(item, which)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(sealed)
    temporary.replace(path)


def load(item: Model, which: str, *, committee: Committee) -> bytes:
    """Raises crypto.KeyDestroyed once the report key is gone, FileNotFoundError if removed."""
    return crypto.unseal(_path(item, which).read_bytes(), binding=_binding(item, which, committee))


def move(item: Model, *, old_committee: Committee, new_committee: Committee) -> None:
    for which in COPIES:
        if _path(item, which).exists():
            data = load(item, which, committee=old_committee)
            save(item, which, data, committee=new_committee)


def remove(item: Model) -> None:
    for which in COPIES:
        _path(item, which).unlink(missing_ok=True)
