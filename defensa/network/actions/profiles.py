"""People's profiles, and their sealed contact methods."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit, crypto
from defensa.core.errors import ActionRefused
from defensa.core.models import KeyPurpose
from defensa.network.actions._shared import _actor
from defensa.network.models import Committee, Person

CONTACT_KINDS = ("phone", "signal", "email")


def _clean_contacts(contacts: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    import phonenumbers

    cleaned: list[dict[str, str]] = []
    for entry in contacts:
        kind, value = entry.get("kind", ""), entry.get("value", "").strip()
        if kind not in CONTACT_KINDS:
            raise ActionRefused(_("Unknown kind of contact."), field="contact")
        if kind in {"phone", "signal"}:
            try:
                number = phonenumbers.parse(value, "US")
            except phonenumbers.NumberParseException as exc:
                raise ActionRefused(_("This is not a phone number."), field="contact") from exc
            if not phonenumbers.is_valid_number(number):
                raise ActionRefused(_("This is not a phone number."), field="contact")
            value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        elif "@" not in value or len(value) > 254:
            raise ActionRefused(_("This is not an e-mail address."), field="contact")
        cleaned.append({"kind": kind, "value": value})
    if len(cleaned) > 5:
        raise ActionRefused(_("Give at most five ways to reach you."), field="contact")
    return cleaned


def clean_languages(languages: Sequence[str]) -> list[str]:
    known = {code for code, _name in settings.DEFENSA_SPOKEN_LANGUAGES}
    chosen: list[str] = []
    for code in languages:
        if code not in known:
            raise ActionRefused(_("Unknown language."), field="languages")
        if code not in chosen:
            chosen.append(code)
    return chosen


@transaction.atomic
def update_profile(
    *,
    actor: Person | None,
    person: Person,
    display_name: str | None = None,
    languages: Sequence[str] | None = None,
    contacts: Sequence[dict[str, str]] | None = None,
) -> Person:
    before = audit.snapshot(person, ["display_name", "languages"], sealed=["contact_sealed"])
    fields: list[str] = []
    if display_name is not None:
        person.display_name = display_name
        fields.append("display_name")
    if languages is not None:
        person.languages = clean_languages(languages)
        fields.append("languages")
    if contacts is not None:
        cleaned = _clean_contacts(contacts)
        binding = crypto.Binding.of(person, "contact", committee=person.home_committee.code)
        person.contact_sealed = (
            crypto.seal_json(cleaned, binding=binding, purpose=KeyPurpose.PROFILE)
            if cleaned
            else None
        )
        fields.append("contact_sealed")
    if fields:
        person.save(update_fields=fields)
        after = audit.snapshot(person, ["display_name", "languages"], sealed=["contact_sealed"])
        if contacts is not None:
            # Record that the sealed value was replaced, never what it holds.
            after["contact_sealed"] = "<sealed:replaced>" if person.contact_sealed else None
        audit.record(
            actor=_actor(actor),
            verb="person.updated",
            target=person,
            committee=person.home_committee.code,
            before=before,
            after=after,
        )
    return person


def shred_committee_profiles(*, actor: Person | None, committee: Committee) -> int:
    """Destroy the committee's profile key: every contact method it sealed becomes unreadable."""
    with transaction.atomic():
        keys = list(
            crypto.DataKey.objects.filter(
                committee=committee.code, purpose=KeyPurpose.PROFILE, destroyed_at__isnull=True
            )
        )
        count = crypto.destroy_keys(keys, now=timezone.now())
        audit.record(
            actor=_actor(actor),
            verb="datakeys.destroyed",
            object_type="core.datakey",
            committee=committee.code,
            after={"purpose": KeyPurpose.PROFILE, "keys": count},
        )
    return count
