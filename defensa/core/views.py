from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from defensa.core import signing


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitors: the process answers. Touches nothing else."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


@require_GET
def signing_keys(request: HttpRequest) -> JsonResponse:
    """The public keys that verify what Defensa signs (evidence packets, later alerts): anyone
    may fetch them, and should keep a copy to check old signatures without this server."""
    body = {
        "algorithm": signing.ALGORITHM,
        "keys": [
            {"id": key.key_id, "public_key": key.base64, "active": key.active}
            for key in signing.public_keys()
        ],
        # Ids whose signatures must no longer be trusted, even from a copy kept earlier.
        "revoked": signing.revoked_key_ids(),
    }
    response = JsonResponse(body)
    # Public by nature; a short cache so a rotation shows up within minutes.
    response["Cache-Control"] = "public, max-age=300"
    return response
