"""Offers of open slots by SMS or Signal, and warnings about gaps."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.messaging import actions as messaging
from defensa.network.models import Committee, Person, Role
from defensa.shifts import rules
from defensa.shifts.actions._shared import _actor, _tell, slot_text
from defensa.shifts.models import (
    Slot,
    SlotOffer,
)

OFFER_TIME = timedelta(hours=48)


def _new_reply_code() -> str:
    for _attempt in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        if not SlotOffer.objects.filter(reply_code=code).exists():
            return code
    raise ActionRefused(_("Too many open offers; try again later."))


@transaction.atomic
def offer_slot(*, actor: Person | None, slot: Slot) -> int:
    """Offer an open slot by SMS or Signal to every member who could take it. Returns how many.

    Each gets their own reply code; a reply is accepted only from that member's own number.
    """
    slot = Slot.objects.select_related("committee").get(pk=slot.pk)
    taken = slot.assignments.filter(cancelled_at__isnull=True).count()
    if slot.cancelled_at is not None or taken >= slot.needed:
        raise ActionRefused(_("This shift is already covered."))
    now = timezone.now()
    members = Person.objects.filter(
        memberships__committee_id=slot.committee_id, memberships__ended_at__isnull=True
    ).distinct()
    offered = 0
    for person in members:
        try:
            rules.check_sign_up(person, slot, now=now)
        except ActionRefused:
            continue
        if not messaging.channels_for(person, replies=True):
            continue
        offer = SlotOffer.objects.create(
            slot=slot,
            person=person,
            reply_code=_new_reply_code(),
            expires_at=min(slot.starts_at, now + OFFER_TIME),
        )
        sent = _tell(
            person,
            "shifts.offer",
            lambda o=offer: (
                _("Open shift: %(slot)s (%(committee)s). To take it, reply: YES %(code)s")
                % {
                    "slot": slot_text(o.slot),
                    "committee": o.slot.committee.name,
                    "code": o.reply_code,
                }
            ),
            replies=True,
        )
        offered += int(sent)
    audit.record(
        actor=_actor(actor),
        verb="shifts.slot_offered",
        target=slot,
        committee=slot.committee.code,
        after={"members": offered},
    )
    return offered


def forget_old_offers(*, now: datetime | None = None) -> int:
    deleted, _rows = SlotOffer.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def warn_about_gaps(*, now: datetime | None = None) -> int:
    """Tell each committee's coordinators about slots that start within 48 hours and still
    need people. Each gap is reported once. Returns how many slots were reported."""
    now = now or timezone.now()
    candidates = (
        Slot.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=48),
            cancelled_at__isnull=True,
            gap_warned_at__isnull=True,
        )
        .select_related("committee", "zone")
        .order_by("starts_at")
    )
    gaps: dict[int, list[Slot]] = defaultdict(list)
    for slot in candidates:
        if slot.assignments.filter(cancelled_at__isnull=True).count() < slot.needed:
            gaps[slot.committee_id].append(slot)
    reported = 0
    for slots in gaps.values():
        with transaction.atomic():
            committee = slots[0].committee
            coordinators = Person.objects.filter(
                memberships__committee=committee,
                memberships__ended_at__isnull=True,
                memberships__roles__role=Role.COORDINATOR,
            ).distinct()
            for coordinator in coordinators:
                _tell(
                    coordinator,
                    "shifts.coverage_warning",
                    lambda c=committee, s=slots: _gap_message(c, s),
                )
            Slot.objects.filter(id__in=[s.id for s in slots]).update(gap_warned_at=now)
            audit.record(
                actor=None,
                verb="shifts.gaps_warned",
                object_type="shifts.slot",
                committee=committee.code,
                after={"slots": len(slots), "coordinators": len(coordinators)},
            )
        reported += len(slots)
    return reported


def _gap_message(committee: Committee, slots: list[Slot]) -> str:
    lines = [
        _("%(committee)s: these shifts in the next 48 hours still need people:")
        % {"committee": committee.name}
    ]
    for slot in slots[:10]:
        values = {
            "slot": slot_text(slot),
            "missing": slot.needed - slot.assignments.filter(cancelled_at__isnull=True).count(),
        }
        if slot.zone:
            line = _("- %(slot)s in %(zone)s: %(missing)s missing") % {
                **values,
                "zone": slot.zone.name,
            }
        else:
            line = _("- %(slot)s: %(missing)s missing") % values
        lines.append(line)
    if len(slots) > 10:
        lines.append(_("…and %(count)s more.") % {"count": len(slots) - 10})
    return "\n".join(lines)
