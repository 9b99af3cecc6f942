"""allauth adapters: closed sign-up, no client addresses, sealed TOTP secrets."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from defensa.core import crypto


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are only made by accepting a coordinator's invitation (network.views.join).
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        # Rate limits count clients by the keyed daily token, never by address.
        return str(getattr(request, "client_token", "unknown"))

    def send_notification_mail(self, *args: object, **kwargs: object) -> None:
        # Accounts have no e-mail address; notification mails would also carry client data.
        return None


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.seal_system(text, label=crypto.MFA_SECRET_LABEL)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.unseal_system(encrypted_text, label=crypto.MFA_SECRET_LABEL)
