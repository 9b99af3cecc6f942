"""Second factors are managed only from a session that used one.

allauth's "confirm your password" step would otherwise let a session that signed in with the
password alone (before the owner enrolled a factor, or with a stolen password) remove the
owner's authenticator and add its own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from defensa.core.access import has_strong_factor, session_used_mfa

GUARDED = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_remove_webauthn",
    "mfa_edit_webauthn",
    "account_change_password",
}


class SecondFactorGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and self._guarded(request)
            and has_strong_factor(request)
            and not session_used_mfa(request)
        ):
            return redirect("network:mfa_required")
        return self.get_response(request)

    @staticmethod
    def _guarded(request: HttpRequest) -> bool:
        try:
            return resolve(request.path_info).url_name in GUARDED
        except Resolver404:
            return False
