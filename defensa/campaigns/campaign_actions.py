"""Every write to campaigns: create and change a campaign, its targets and call-in scripts,
and count the actions members took. One audit event each, in the committee's chain.

Actions are stored as counts per campaign, day and kind, never with a person. The audit
event of a count names who logged it (as every write does), so that a count someone inflated
or wiped can be traced; docs/threat-model.md says what that keeps and for whom.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, timedelta

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.campaigns.actions import find_jurisdiction
from defensa.campaigns.campaign_models import (
    ActionKind,
    ActionTally,
    CallScript,
    Campaign,
    CampaignStatus,
    Target,
)
from defensa.campaigns.models import Jurisdiction, JurisdictionKind, PolicyLevel
from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.models import Committee, Person

CAMPAIGN_FIELDS = ("title", "jurisdiction", "goal", "asks", "status")
TARGET_FIELDS = ("name", "office", "phone", "phone_extension", "email", "address")
# The most actions of one kind one member logs at once, and how far back a day may be.
MAX_LOGGED = 500
MAX_DAYS_BACK = 366


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


def _text(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not value:
        raise ActionRefused(message, field=field)
    return value


def _place(*, state: str, county: str) -> Jurisdiction:
    if county.strip():
        found = find_jurisdiction(level=PolicyLevel.COUNTY, state=state, place=county.strip())
    else:
        found = find_jurisdiction(level=PolicyLevel.STATE, state=state, place="")
    if found.kind not in (JurisdictionKind.STATE, JurisdictionKind.COUNTY):
        raise ActionRefused(_("Choose a state or a county."), field="county")
    return found


@transaction.atomic
def create_campaign(
    *,
    actor: Person | None,
    committee: Committee,
    title: str,
    state: str,
    county: str = "",
    goal: str = "",
    asks: str = "",
) -> Campaign:
    """A new campaign about a county (or a whole state), in planning until it starts."""
    item = Campaign.objects.create(
        committee=committee,
        title=_text(title, "title", _("Give the campaign a name.")),
        jurisdiction=_place(state=state, county=county),
        goal=goal.strip(),
        asks=asks.strip(),
    )
    audit.record(
        actor=_actor(actor),
        verb="campaigns.campaign_created",
        target=item,
        committee=committee.code,
        after=audit.snapshot(item, CAMPAIGN_FIELDS),
    )
    return item


@transaction.atomic
def update_campaign(
    *,
    actor: Person | None,
    campaign: Campaign,
    title: str,
    goal: str,
    asks: str,
    status: str,
) -> Campaign:
    if status not in CampaignStatus.values:
        raise ActionRefused(_("Choose the campaign's status."), field="status")
    before = audit.snapshot(campaign, CAMPAIGN_FIELDS)
    campaign.title = _text(title, "title", _("Give the campaign a name."))
    campaign.goal = goal.strip()
    campaign.asks = asks.strip()
    campaign.status = status
    campaign.save(update_fields=["title", "goal", "asks", "status"])
    audit.record(
        actor=_actor(actor),
        verb="campaigns.campaign_updated",
        target=campaign,
        committee=campaign.committee.code,
        before=before,
        after=audit.snapshot(campaign, CAMPAIGN_FIELDS),
    )
    return campaign


def _phone(raw: str) -> tuple[str, str]:
    """(E.164, extension) of an office number, or ActionRefused."""
    try:
        number = phonenumbers.parse(raw.strip(), "US")
    except phonenumbers.NumberParseException as exc:
        raise ActionRefused(_("This is not a phone number."), field="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ActionRefused(_("This is not a phone number."), field="phone")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, (number.extension or "")[:10]


@transaction.atomic
def add_target(
    *,
    actor: Person | None,
    campaign: Campaign,
    name: str,
    office: str,
    phone: str = "",
    email: str = "",
    address: str = "",
) -> Target:
    """A public official to press, with their office's public contacts."""
    e164, extension = _phone(phone) if phone.strip() else ("", "")
    item = Target.objects.create(
        campaign=campaign,
        name=_text(name, "name", _("Name the official.")),
        office=_text(office, "office", _("Name their office.")),
        phone=e164,
        phone_extension=extension,
        email=email.strip(),
        address=address.strip(),
    )
    audit.record(
        actor=_actor(actor),
        verb="campaigns.target_added",
        target=item,
        committee=campaign.committee.code,
        after={"campaign": str(campaign.code), **audit.snapshot(item, TARGET_FIELDS)},
    )
    return item


@transaction.atomic
def remove_target(*, actor: Person | None, target: Target) -> None:
    audit.record(
        actor=_actor(actor),
        verb="campaigns.target_removed",
        target=target,
        committee=target.campaign.committee.code,
        before={"campaign": str(target.campaign.code), **audit.snapshot(target, TARGET_FIELDS)},
    )
    target.delete()


def spoken_languages() -> dict[str, str]:
    return {code: str(name) for code, name in settings.DEFENSA_SPOKEN_LANGUAGES}


@transaction.atomic
def set_call_script(
    *, actor: Person | None, campaign: Campaign, language: str, text: str
) -> CallScript | None:
    """The script for one language; empty text removes it."""
    if language not in spoken_languages():
        raise ActionRefused(_("Choose a language."), field="language")
    existing = CallScript.objects.filter(campaign=campaign, language=language).first()
    before = {"language": language, "text": existing.text} if existing else None
    text = text.strip()
    if not text:
        if existing is not None:
            existing.delete()
        result = None
    elif existing is not None:
        existing.text = text
        existing.updated_at = timezone.now()
        existing.save(update_fields=["text", "updated_at"])
        result = existing
    else:
        result = CallScript.objects.create(campaign=campaign, language=language, text=text)
    audit.record(
        actor=_actor(actor),
        verb="campaigns.script_set" if result else "campaigns.script_removed",
        target=campaign,
        committee=campaign.committee.code,
        before=before,
        after={"language": language, "text": text} if result else None,
    )
    return result


def committee_today(committee: Committee) -> date:
    """Today on the committee's clock (counts are kept per day there)."""
    try:
        zone = zoneinfo.ZoneInfo(committee.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def _check_day(campaign: Campaign, day: date) -> None:
    today = committee_today(campaign.committee)
    if day > today:
        raise ActionRefused(_("That day has not come yet."), field="day")
    if day < today - timedelta(days=MAX_DAYS_BACK):
        raise ActionRefused(_("That day is more than a year ago."), field="day")


def _check_kind(kind: str) -> None:
    if kind not in ActionKind.values:
        raise ActionRefused(_("Choose what kind of action it was."), field="kind")


@transaction.atomic
def log_actions(
    *, actor: Person | None, campaign: Campaign, kind: str, count: int, day: date
) -> ActionTally:
    """Add `count` actions of `kind` on `day` to the campaign's tally. Only the number is
    kept; the audit event names the member who logged it."""
    _check_kind(kind)
    if campaign.closed:
        raise ActionRefused(_("This campaign is over: it takes no more actions."))
    if not 1 <= count <= MAX_LOGGED:
        raise ActionRefused(
            _("Log between 1 and %(limit)s at a time.") % {"limit": MAX_LOGGED}, field="count"
        )
    _check_day(campaign, day)
    row, _created = ActionTally.objects.select_for_update().get_or_create(
        campaign=campaign, day=day, kind=kind
    )
    ActionTally.objects.filter(id=row.id).update(count=F("count") + count)
    row.refresh_from_db(fields=["count"])
    audit.record(
        actor=_actor(actor),
        verb="campaigns.actions_logged",
        target=campaign,
        committee=campaign.committee.code,
        after={"kind": kind, "day": day.isoformat(), "added": count},
    )
    return row


@transaction.atomic
def correct_actions(
    *, actor: Person | None, campaign: Campaign, kind: str, day: date, count: int
) -> ActionTally:
    """Set a day's tally of one kind (a coordinator fixing a mistake or an inflated count)."""
    _check_kind(kind)
    if not 0 <= count <= 100_000:
        raise ActionRefused(_("The count must be 0 or more."), field="count")
    _check_day(campaign, day)
    row, _created = ActionTally.objects.select_for_update().get_or_create(
        campaign=campaign, day=day, kind=kind
    )
    before = row.count
    row.count = count
    row.save(update_fields=["count"])
    audit.record(
        actor=_actor(actor),
        verb="campaigns.actions_corrected",
        target=campaign,
        committee=campaign.committee.code,
        before={"kind": kind, "day": day.isoformat(), "count": before},
        after={"kind": kind, "day": day.isoformat(), "count": count},
    )
    return row
