"""Answers to shift offers sent by SMS or Signal: "YES 482913" (or SI, SÍ, TOMO, TAKE)."""

from __future__ import annotations

import phonenumbers
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from defensa.core.errors import ActionRefused
from defensa.messaging.inbound import Inbound
from defensa.network.access import contact_methods_for_delivery
from defensa.network.models import Person
from defensa.shifts import actions
from defensa.shifts.models import SlotOffer

YES = {"YES", "Y", "SI", "S", "TOMO", "TAKE", "OK"}
CODE_LENGTH = 6


def _code(message: Inbound) -> str | None:
    words = message.words()
    if len(words) == 2 and words[0] in YES:
        words = words[1:]
    if len(words) == 1 and words[0].isdigit() and len(words[0]) == CODE_LENGTH:
        return words[0]
    return None


def handle(message: Inbound) -> str | None:
    code = _code(message)
    if code is None:
        return None  # not an answer to an offer: another app may know it
    offer = (
        SlotOffer.objects.filter(
            reply_code=code, answered_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("slot__committee", "person__home_committee")
        .first()
    )
    # Dispatch requests (incidents.inbound, next in DEFENSA_INBOUND_HANDLERS) use six-digit
    # codes too, never one a shift offer holds: a code we do not know, or one sent from
    # someone else's number, is theirs to take or to answer with `unknown_code_answer()`.
    if offer is None or not sent_by(offer.person, message.sender):
        return None
    with translation.override(actions.language_of(offer.person)):
        try:
            actions.sign_up(actor=offer.person, person=offer.person, slot=offer.slot)
        except ActionRefused as exc:
            return exc.message
        SlotOffer.objects.filter(pk=offer.pk).update(answered_at=timezone.now())
        return _("Done: you are on %(slot)s (%(committee)s). Thank you!") % {
            "slot": actions.slot_text(offer.slot),
            "committee": offer.slot.committee.name,
        }


def sent_by(person: Person, sender: str) -> bool:
    """Whether `sender` is one of the person's own numbers (phone or Signal), right now."""
    number = _e164(sender)
    if number is None:
        return False
    return any(
        contact["kind"] in {"phone", "signal"} and _e164(contact["value"]) == number
        for contact in contact_methods_for_delivery(person)
    )


def _e164(raw: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def unknown_code_answer() -> str:
    """The one answer to a reply code nobody can take: unknown, expired, or from another
    number (the same words for each, so trying codes tells nothing)."""
    return _in_both_languages(
        lambda: _("This code is not valid or has expired. Ask your coordinator.")
    )


def _in_both_languages(text: object) -> str:
    parts = []
    for language in ("es", "en"):
        with translation.override(language):
            parts.append(str(text() if callable(text) else text))
    return "\n".join(parts)
