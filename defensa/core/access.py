"""The access kernel: who is asking, and the single way to say "no".

Apps build their scoped read functions (`<app>/access.py`) on these pieces. Every refusal of a
protected object is `NotFound`, identical to a missing one, so probing reveals nothing.
"""

from __future__ import annotations

from typing import TypeVar

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

M = TypeVar("M", bound=Model)

STRONG_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


class NotFound(Http404):
    """Raised for "does not exist" and "not yours" alike."""

    def __init__(self) -> None:
        super().__init__("Not found")


class SignInRequired(Exception):
    """The request has no signed-in account."""


class MfaRequired(Exception):
    """Signed in, but without a second factor in this session (or none enrolled)."""


def first_or_404(queryset: QuerySet[M]) -> M:
    """The one row of an already-scoped queryset, or NotFound."""
    item = queryset.first()
    if item is None:
        raise NotFound
    return item


def has_strong_factor(request: HttpRequest) -> bool:
    user = request.user
    return Authenticator.objects.filter(user_id=user.pk, type__in=STRONG_TYPES).exists()


def session_used_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def require_staff(request: HttpRequest) -> None:
    """Protected data needs a signed-in account whose session proved a second factor.

    Every account is a staff account: community members never need one. A session counts once a
    passkey or TOTP code was used in it (at sign-in, or when enrolling one).
    """
    if not request.user.is_authenticated:
        raise SignInRequired
    cached = getattr(request, "_defensa_mfa_ok", None)
    if cached is None:
        cached = session_used_mfa(request) and has_strong_factor(request)
        request._defensa_mfa_ok = cached  # type: ignore[attr-defined]
    if not cached:
        raise MfaRequired
