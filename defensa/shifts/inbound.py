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
    # An unknown code and a code sent from someone else's number get the same answer.
    if offer is None or not _sent_by(offer.person, message.sender):
        return _in_both_languages(
            lambda: _("This code is not valid or has expired. Ask your coordinator.")
        )
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


def _sent_by(person: Person, sender: str) -> bool:
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


def _in_both_languages(text: object) -> str:
    parts = []
    for language in ("es", "en"):
        with translation.override(language):
            parts.append(str(text() if callable(text) else text))
    return "\n".join(parts)
