"""API plumbing shared by every app's router: authentication, errors, common schemas."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.security import SessionAuth
from pydantic import ConfigDict

from defensa.core.access import MfaRequired, NotFound, SignInRequired
from defensa.core.errors import ActionRefused


class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]]


class StrictIn(Schema):
    """Request bodies: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


# What every authenticated endpoint can answer besides success.
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}


class StaffSession(SessionAuth):
    """Session cookie + CSRF (for writes) + a second factor used in this session.

    Returns the request's network Viewer, which endpoints pass to the access functions.
    """

    def __init__(self, viewer_for: Any) -> None:
        super().__init__(csrf=True)
        self.viewer_for = viewer_for

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        try:
            return self.viewer_for(request)
        except SignInRequired:
            return None


def build_api(*, viewer_for: Any) -> NinjaAPI:
    api = NinjaAPI(
        title="Defensa API",
        version="1",
        urls_namespace="api",
        auth=StaffSession(viewer_for),
        docs_url="/docs",
    )

    @api.exception_handler(ActionRefused)
    def refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=400)

    @api.exception_handler(MfaRequired)
    def mfa(request: HttpRequest, exc: MfaRequired) -> HttpResponse:
        message = _("Use a passkey or an authenticator app to sign in before using this.")
        return api.create_response(request, {"detail": message}, status=403)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, {"detail": _("Sign in first.")}, status=401)

    return api
