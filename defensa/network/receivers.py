"""allauth's account flows are not ours, so we listen to them. Two things only: session
bookkeeping, and an audit event for each change to how an account signs in (an attacker holding
a stolen session would add their own passkey first).
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import signals
from django.contrib.auth import update_session_auth_hash
from django.dispatch import receiver

from defensa.network import actions


@receiver(signals.authenticator_added)
def record_enrolment_as_mfa(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    # Activating TOTP needs a valid code and adding a passkey needs a signed assertion, so the
    # session has shown the factor: protected pages open without signing in again.
    if request is not None and authenticator.type in {"totp", "webauthn"}:
        record_authentication(request, user, "mfa", type=authenticator.type, enrolled=True)
    actions.record_sign_in_change(user=user, verb="account.factor_added", kind=authenticator.type)
    _keep_only_this_session(request, user)


@receiver(signals.authenticator_removed)
def audit_factor_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    actions.record_sign_in_change(user=user, verb="account.factor_removed", kind=authenticator.type)
    _keep_only_this_session(request, user)


def _keep_only_this_session(request: Any, user: Any) -> None:
    # Any other session of this account (older, or someone else's) must sign in again.
    actions.sign_out_everywhere(actor=None, user=user)
    user.refresh_from_db(fields=["session_epoch"])
    if request is not None:
        update_session_auth_hash(request, user)


@receiver(account_signals.password_changed)
def audit_password_changed(sender: Any, user: Any, **kwargs: Any) -> None:
    actions.record_sign_in_change(user=user, verb="account.password_changed", kind="password")
