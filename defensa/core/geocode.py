"""Places as people write them, to map points: a Nominatim-compatible geocoder when one is
configured (preferably your own: every query tells it where something is happening), else the
centre of the ZIP code from the offline table."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from django.conf import settings

from defensa.core import geo, http

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Located:
    lat: float
    lng: float
    source: str  # "geocoder" or "zip"


def locate(text: str, *, zip_code: str = "") -> Located | None:
    if settings.DEFENSA_GEOCODER_URL and text.strip():
        found = _nominatim(text, zip_code)
        if found is not None:
            return found
    if zip_code and (entry := geo.zip_code(zip_code)):
        return Located(entry.lat, entry.lng, "zip")
    return None


def _nominatim(text: str, zip_code: str) -> Located | None:
    query = f"{text}, {zip_code}" if zip_code else text
    try:
        response = http.client().get(
            f"{settings.DEFENSA_GEOCODER_URL.rstrip('/')}/search",
            params={"q": query, "format": "jsonv2", "limit": 1, "countrycodes": "us"},
        )
        results = response.json() if response.status_code == 200 else []
        if results:
            return Located(float(results[0]["lat"]), float(results[0]["lon"]), "geocoder")
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        # The query (a place) stays out of the log; the kind of failure is enough.
        logger.warning("geocoder failed: %s", type(exc).__name__)
    return None
