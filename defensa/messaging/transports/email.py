"""E-mail through Django's mail backend (SMTP from DEFENSA_SMTP_URL).

A batch opens one SMTP connection and sends every message over it; alerts carry one-click
unsubscribe headers (RFC 8058) when the caller gives the subscription's unsubscribe URL, and
the same link at the end of the text, in the subscriber's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from smtplib import SMTPException, SMTPRecipientsRefused, SMTPServerDisconnected

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext as _

from defensa.messaging.transports.base import Outgoing, Result, Transport, TransportError


def _message(*, to: str, body: str, subject: str = "", unsubscribe: str = "") -> EmailMessage:
    headers = {}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return EmailMessage(
        subject=(subject or body.split("\n", 1)[0])[:78],
        body=body,
        from_email=settings.DEFENSA_EMAIL_FROM,
        to=[to],
        headers=headers,
    )


def _with_stop_link(body: str, unsubscribe: str, language: str) -> str:
    if not unsubscribe:
        return body
    with translation.override(language or None):
        line = _("To stop these alerts, open this link: %(link)s") % {"link": unsubscribe}
    return f"{body}\n\n-- \n{line}"


def _error(exc: Exception) -> TransportError:
    if isinstance(exc, SMTPRecipientsRefused):
        return TransportError("recipient refused", permanent=True, gone=True)
    return TransportError(f"smtp: {type(exc).__name__}", permanent=False)


class EmailTransport(Transport):
    @classmethod
    def configured(cls) -> bool:
        return bool(settings.DEFENSA_EMAIL_FROM)

    def send(self, *, to: str, body: str) -> str:
        try:
            _message(to=to, body=body).send(fail_silently=False)
        except (SMTPException, OSError) as exc:
            raise _error(exc) from exc
        return ""

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        connection = get_connection(fail_silently=False)
        results: list[Result] = []
        try:
            connection.open()
            for message in messages:
                unsubscribe = message.extra.get("unsubscribe_url", "")
                email = _message(
                    to=str(message.to),
                    body=_with_stop_link(message.body, unsubscribe, message.language),
                    subject=message.title,
                    unsubscribe=unsubscribe,
                )
                email.connection = connection
                try:
                    email.send(fail_silently=False)
                    results.append(Result(message.key))
                except SMTPServerDisconnected as exc:
                    results.append(Result(message.key, error=_error(exc)))
                    connection.close()  # the next message opens a fresh one
                    connection.open()
                except (SMTPException, OSError) as exc:
                    results.append(Result(message.key, error=_error(exc)))
        except (SMTPException, OSError) as exc:
            error = _error(exc)
            done = {result.key for result in results}
            results += [Result(m.key, error=error) for m in messages if m.key not in done]
        finally:
            connection.close()
        return results
