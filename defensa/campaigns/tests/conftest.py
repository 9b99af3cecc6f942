"""The real published files live in ../shared/research-data/ beside the repository (or where
DEFENSA_RESEARCH_DATA says); tests that read them skip, saying why, when it is not there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from defensa.campaigns import actions
from defensa.campaigns.importers.base import Importer, Source

RESEARCH = Path(
    os.environ.get("DEFENSA_RESEARCH_DATA")
    or Path(__file__).resolve().parents[3] / ".." / "shared" / "research-data"
)


def research(*parts: str) -> Path:
    path = RESEARCH.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the published data files are not at {RESEARCH} (shared/research-data)")
    return path


def load(path: Path, importer: Importer | None = None) -> actions.ImportResult:
    return actions.import_file(
        actor=None, committee=None, source=Source(path.name, path=path), importer=importer
    )
