from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {
        "site_name": settings.DEFENSA_SITE_NAME,
        # django-htmx's script tag reads `csp_nonce`; django-csp puts a lazy nonce on the request.
        "csp_nonce": getattr(request, "csp_nonce", None),
    }
