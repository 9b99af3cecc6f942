"""E-mail through Django's mail backend (SMTP from DEFENSA_SMTP_URL)."""

from __future__ import annotations

from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import EmailMessage

from defensa.messaging.transports.base import Transport, TransportError


class EmailTransport(Transport):
    @classmethod
    def configured(cls) -> bool:
        return bool(settings.DEFENSA_EMAIL_FROM)

    def send(self, *, to: str, body: str) -> str:
        subject = body.split("\n", 1)[0][:78]
        message = EmailMessage(
            subject=subject, body=body, from_email=settings.DEFENSA_EMAIL_FROM, to=[to]
        )
        try:
            message.send(fail_silently=False)
        except SMTPRecipientsRefused as exc:
            raise TransportError("recipient refused", permanent=True) from exc
        except (SMTPException, OSError) as exc:
            raise TransportError(f"smtp: {type(exc).__name__}", permanent=False) from exc
        return ""
