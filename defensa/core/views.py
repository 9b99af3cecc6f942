from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitors: the process answers. Touches nothing else."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")
