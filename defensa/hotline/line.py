"""Every write to a committee's phone line: its numbers, the recordings its menu plays in
any language, and the legal-help text read on option 4. Coordinators only (see access)."""

from __future__ import annotations

import uuid

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.hotline import media
from defensa.hotline.models import HotlineNumber, LegalHelp, Prompt
from defensa.network.models import Committee, Person

MAX_LEGAL_TEXT = 1500


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


def e164(raw: str) -> str:
    """A phone number in E.164, or ActionRefused."""
    try:
        number = phonenumbers.parse(raw.strip(), "US")
    except phonenumbers.NumberParseException as exc:
        raise ActionRefused(_("This is not a phone number."), field="number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ActionRefused(_("This is not a phone number."), field="number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transaction.atomic
def add_number(*, actor: Person | None, committee: Committee, number: str) -> HotlineNumber:
    """A number the committee takes calls and messages on (point its webhooks here)."""
    value = e164(number)
    try:
        with transaction.atomic():
            item = HotlineNumber.objects.create(committee=committee, number=value)
    except IntegrityError as exc:
        raise ActionRefused(
            _("This number is already a hotline number here."), field="number"
        ) from exc
    audit.record(
        actor=_actor(actor),
        verb="hotline.number_added",
        target=item,
        committee=committee.code,
        after={"number": value},
    )
    return item


@transaction.atomic
def remove_number(*, actor: Person | None, item: HotlineNumber) -> None:
    audit.record(
        actor=_actor(actor),
        verb="hotline.number_removed",
        target=item,
        committee=item.committee.code,
        before={"number": item.number},
    )
    item.delete()


def _spoken(language: str) -> str:
    if language not in dict(settings.DEFENSA_SPOKEN_LANGUAGES) or language == "other":
        raise ActionRefused(_("Choose the language of the recording."), field="language")
    return language


@transaction.atomic
def upload_prompt(
    *,
    actor: Person | None,
    committee: Committee,
    key: str,
    language: str,
    data: bytes,
    claimed_type: str = "",
    digit: int | None = None,
) -> Prompt:
    """Keep a recording for the phone menu (replacing the one for the same place and
    language). The language choice needs the key that picks it; no two languages share one."""
    if key not in Prompt.Key.values:
        raise ActionRefused(_("Choose where in the menu the recording plays."), field="key")
    language = _spoken(language)
    if key == Prompt.Key.LANGUAGE:
        if digit is None or not 1 <= digit <= 9:
            raise ActionRefused(_("Say which key (1 to 9) chooses this language."), field="digit")
        taken = (
            Prompt.objects.filter(committee=committee, key=key, digit=digit)
            .exclude(language=language)
            .exists()
        )
        if taken:
            raise ActionRefused(
                _("Another language already uses key %(digit)d.") % {"digit": digit},
                field="digit",
            )
    else:
        digit = None
    try:
        audio, content_type = media.prompt_audio(data, claimed_type=claimed_type)
    except media.MediaRefused as exc:
        raise ActionRefused(exc.message, field="audio") from exc
    item, created = Prompt.objects.update_or_create(
        committee=committee,
        key=key,
        language=language,
        defaults={"digit": digit, "content_type": content_type, "audio": audio},
    )
    audit.record(
        actor=_actor(actor),
        verb="hotline.prompt_uploaded" if created else "hotline.prompt_replaced",
        target=item,
        committee=committee.code,
        after={"key": key, "language": language, "digit": digit, "bytes": len(audio)},
    )
    return item


@transaction.atomic
def remove_prompt(*, actor: Person | None, item: Prompt) -> None:
    audit.record(
        actor=_actor(actor),
        verb="hotline.prompt_removed",
        target=item,
        committee=item.committee.code,
        before={"key": item.key, "language": item.language},
    )
    item.delete()


@transaction.atomic
def set_legal_help(
    *, actor: Person | None, committee: Committee, language: str, text: str
) -> LegalHelp | None:
    """What option 4 reads in a language (by text-to-speech); empty text removes it."""
    language = _spoken(language)
    text = text.strip()
    if len(text) > MAX_LEGAL_TEXT:
        raise ActionRefused(
            _("This is too long: at most %(limit)d characters (it has %(count)d).")
            % {"limit": MAX_LEGAL_TEXT, "count": len(text)},
            field="text",
        )
    existing = LegalHelp.objects.filter(committee=committee, language=language).first()
    if not text:
        if existing is not None:
            audit.record(
                actor=_actor(actor),
                verb="hotline.legal_help_removed",
                target=existing,
                committee=committee.code,
                before={"language": language},
            )
            existing.delete()
        return None
    item, _created = LegalHelp.objects.update_or_create(
        committee=committee, language=language, defaults={"text": text}
    )
    audit.record(
        actor=_actor(actor),
        verb="hotline.legal_help_set",
        target=item,
        committee=committee.code,
        after={"language": language, "text": text},
    )
    return item
