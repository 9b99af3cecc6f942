"""Session bookkeeping only (no domain logic): enrolling a second factor proves it."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import signals
from django.dispatch import receiver


@receiver(signals.authenticator_added)
def record_enrolment_as_mfa(
    sender: Any, request: Any, user: Any, authenticator: Any, **kw: Any
) -> None:
    # Activating TOTP needs a valid code and adding a passkey needs a signed assertion, so the
    # session has shown the factor: protected pages open without signing in again.
    if request is not None and authenticator.type in {"totp", "webauthn"}:
        record_authentication(request, user, "mfa", type=authenticator.type, enrolled=True)
