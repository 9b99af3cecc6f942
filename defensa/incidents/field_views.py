from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from defensa.incidents.models import Incident
from defensa.network.access import Viewer


def panel(
    request: HttpRequest, viewer: Viewer, incident: Incident
) -> tuple[str, dict[str, Any]] | None:
    return None
