"""Sending confirmers to look: the nearest on-call, qualified ones, two at least, never one alone.

A dispatch asks the nearest confirmers on call now whose confirmer qualification is valid,
over their own channel, with a six-digit code to answer by SMS or Signal and a secret link
(only its keyed hash is kept). "Near" is measured from the centre of the zone of their shift
(the committee's area for a shift that covers it all) to the incident's cell: never from where
a person is. Whoever does not answer in time, or declines, is replaced by the next nearest,
until enough have accepted or nobody is left to ask. A dispatcher can also ask one by hand.

Every change to an incident's requests locks the incident row first, so a decline, an expiry
and a dispatcher's click arriving together cannot ask the same person twice or too many.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.incidents.confirmers import (
    DISPATCHABLE,
    GOING,
    STANDING,
    WAITING,
    candidates,
    km_for,
    link_hash,
    on_call,
    qualified_now,
    target,
)
from defensa.incidents.models import Dispatch, DispatchStatus, Incident, IncidentStatus
from defensa.messaging import actions as messaging
from defensa.network.models import Committee, Membership, Person
from defensa.shifts.actions import language_of
from defensa.shifts.models import SlotOffer
from defensa.shifts.timeutil import committee_tz

PURPOSE = "incidents.dispatch"


@dataclass(frozen=True)
class Sent:
    """What a dispatch did, for the dispatcher to read."""

    asked: list[Dispatch] = field(default_factory=list)
    # Only one confirmer is asked or going, because nobody else qualified is on call.
    alone: bool = False
    # Qualified and on call, but with no phone, Signal or e-mail we can send to.
    unreachable: int = 0
    # Asked by hand while not on call.
    off_shift: bool = False


def _answer_time() -> timedelta:
    return timedelta(minutes=int(settings.DEFENSA_DISPATCH_ANSWER_MINUTES))


# --- Messages ---------------------------------------------------------------------------------


def _reachable(person: Person) -> str | None:
    """How a person can answer: by a reply code ("reply": SMS or Signal reaches them), only
    with the link ("link": e-mail is all they have), or not at all (None)."""
    if messaging.channels_for(person, replies=True):
        return "reply"
    if messaging.channels_for(person):
        return "link"
    return None


def _tell(person: Person, text: Callable[[], str], *, purpose: str = PURPOSE) -> bool:
    """Queue a message in the person's language over the channel they can answer on first."""
    with translation.override(language_of(person)):
        body = str(text())
    for replies in (True, False):
        if messaging.queue_message(person=person, body=body, purpose=purpose, replies=replies):
            return True
    return False


def link_for(token: str) -> str:
    path = reverse("incidents:dispatch_link", args=[token])
    return settings.DEFENSA_PUBLIC_URL.rstrip("/") + path


def _local_time(moment: datetime, committee: Committee) -> str:
    return formats.time_format(moment.astimezone(committee_tz(committee)), "H:i")


def km_text(value: float) -> str:
    return formats.number_format(value, 1 if value < 10 else 0)


def _offer_text(dispatch: Dispatch, token: str, how: str) -> str:
    """Short and plain: the committee, the ZIP code and how far; never what reports said."""
    incident = dispatch.incident
    values = {
        "committee": incident.committee.name,
        "zip": incident.zip_code,
        "km": km_text(dispatch.km) if dispatch.km is not None else "",
        "code": dispatch.reply_code,
        "minutes": int(settings.DEFENSA_DISPATCH_ANSWER_MINUTES),
        "link": link_for(token),
    }
    if incident.zip_code and dispatch.km is not None:
        ask = _("%(committee)s: can you go and look near ZIP %(zip)s (%(km)s km)?") % values
    elif incident.zip_code:
        ask = _("%(committee)s: can you go and look near ZIP %(zip)s?") % values
    else:
        ask = _("%(committee)s: can you go and look at something reported nearby?") % values
    if how == "reply":
        answer = (
            _("Reply YES %(code)s or NO %(code)s within %(minutes)s min, or open %(link)s") % values
        )
    else:
        answer = _("Answer within %(minutes)s min: %(link)s") % values
    return _("%(ask)s %(answer)s") % {"ask": ask, "answer": answer}


def _new_reply_code() -> str:
    """Six digits no open request and no shift offer uses, so a reply names one thing."""
    for _attempt in range(30):
        code = f"{secrets.randbelow(10**6):06d}"
        taken = Dispatch.objects.filter(reply_code=code, status__in=WAITING).exists()
        if not taken and not SlotOffer.objects.filter(reply_code=code).exists():
            return code
    raise ActionRefused(_("Too many open requests; try again in a minute."))


# --- Writing requests -------------------------------------------------------------------------


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("committee").get(pk=incident.pk)


def _refuse_unless_dispatchable(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise ActionRefused(_("This incident is closed; reopen it with a new report first."))
    if incident.status not in DISPATCHABLE:
        raise ActionRefused(_("This incident is already verified; no confirmers are needed."))


def _offer(
    *,
    actor: Person | None,
    incident: Incident,
    person: Person,
    km: float | None,
    by_hand: bool,
    how: str,
    because: str,
    now: datetime,
) -> Dispatch:
    """Ask one person, by creating their request (or renewing an old one that ended)."""
    token = secrets.token_urlsafe(16)
    values = {
        "status": DispatchStatus.OFFERED,
        "by_hand": by_hand,
        "km": km,
        "offered_at": now,
        "answer_by": now + _answer_time(),
        "answered_at": None,
        "reply_code": _new_reply_code(),
        "token_hash": link_hash(token),
    }
    dispatch = Dispatch.objects.filter(incident=incident, person=person).first()
    if dispatch is None:
        dispatch = Dispatch.objects.create(incident=incident, person=person, **values)
    else:
        for name, value in values.items():
            setattr(dispatch, name, value)
        dispatch.save(update_fields=list(values))
    dispatch.incident = incident
    audit.record(
        actor=actor.code if actor else None,
        verb="dispatch.offered",
        target=dispatch,
        committee=incident.committee.code,
        after={
            "incident": str(incident.code),
            "person": str(person.code),
            "km": None if km is None else f"{km:.1f}",  # the audit log refuses floats
            "by_hand": by_hand,
            "because": because,
        },
    )
    _tell(person, lambda: _offer_text(dispatch, token, how))
    return dispatch


def _mark_dispatched(incident: Incident) -> None:
    if incident.status == IncidentStatus.OPEN:
        incident.status = IncidentStatus.DISPATCHED
        incident.save(update_fields=["status"])


def _standing(incident: Incident) -> tuple[int, int]:
    """(asked and waiting or going, going) for an incident."""
    rows = list(
        Dispatch.objects.filter(incident=incident, status__in=STANDING).values_list(
            "status", flat=True
        )
    )
    return len(rows), sum(status in GOING for status in rows)


def _ask_next(
    *, actor: Person | None, incident: Incident, need: int, because: str, now: datetime
) -> tuple[list[Dispatch], int]:
    """Ask up to `need` of the nearest candidates who can be reached; and how many could not."""
    asked: list[Dispatch] = []
    unreachable = 0
    for candidate in candidates(incident, now=now):
        if len(asked) >= need:
            break
        how = _reachable(candidate.person)
        if how is None:
            unreachable += 1
            continue
        asked.append(
            _offer(
                actor=actor,
                incident=incident,
                person=candidate.person,
                km=candidate.km,
                by_hand=False,
                how=how,
                because=because,
                now=now,
            )
        )
    return asked, unreachable


def _top_up(*, actor: Person | None, incident: Incident, because: str, now: datetime) -> int:
    """Ask the next nearest so that enough confirmers stay asked, until enough are going."""
    if incident.status not in DISPATCHABLE:
        return 0
    standing, going = _standing(incident)
    wanted = target()
    if going >= wanted or standing >= wanted:
        return 0
    asked, _unreachable = _ask_next(
        actor=actor, incident=incident, need=wanted - standing, because=because, now=now
    )
    return len(asked)


@transaction.atomic
def dispatch(
    *,
    actor: Person | None,
    incident: Incident,
    count: int | None = None,
    now: datetime | None = None,
) -> Sent:
    """Ask the nearest on-call confirmers until `count` (two at least) are asked or going."""
    now = now or timezone.now()
    incident = _locked(incident)
    _refuse_unless_dispatchable(incident)
    wanted = max(2, count or target())
    standing, _going = _standing(incident)
    if standing >= wanted:
        raise ActionRefused(
            _(
                "%(count)s confirmers are already asked or on the way. To ask one more, "
                "choose them by hand."
            )
            % {"count": standing}
        )
    asked, unreachable = _ask_next(
        actor=actor, incident=incident, need=wanted - standing, because="dispatcher", now=now
    )
    if not asked:
        if unreachable:
            raise ActionRefused(
                _(
                    "The qualified confirmers on call have no phone, Signal or e-mail we can "
                    "send to, so nobody was asked. Choose a confirmer by hand."
                )
            )
        raise ActionRefused(
            _(
                "No qualified confirmer is on call now who has not been asked already, so "
                "nobody was asked. Choose a confirmer by hand."
            )
        )
    before = incident.status
    _mark_dispatched(incident)
    alone = standing + len(asked) == 1
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.dispatched",
        target=incident,
        committee=incident.committee.code,
        before={"status": before},
        after={
            "status": incident.status,
            "asked": [str(d.person.code) for d in asked],
            "alone": alone,
        },
    )
    return Sent(asked=asked, alone=alone, unreachable=unreachable)


@transaction.atomic
def dispatch_by_hand(
    *, actor: Person | None, incident: Incident, person: Person, now: datetime | None = None
) -> Sent:
    """Ask one confirmer the dispatcher chose: qualified, on call or not."""
    now = now or timezone.now()
    incident = _locked(incident)
    _refuse_unless_dispatchable(incident)
    name = {"name": person.display_name}
    if not Membership.objects.filter(
        committee=incident.committee, person=person, ended_at__isnull=True
    ).exists():
        raise ActionRefused(_("%(name)s is not a member of this committee.") % name)
    if person.pk not in qualified_now([person.pk], now):
        raise ActionRefused(_("%(name)s has no valid confirmer qualification.") % name)
    if Dispatch.objects.filter(incident=incident, person=person, status__in=STANDING).exists():
        raise ActionRefused(_("%(name)s has already been asked to go.") % name)
    how = _reachable(person)
    if how is None:
        raise ActionRefused(_("%(name)s has no phone, Signal or e-mail we can send to.") % name)
    offered = _offer(
        actor=actor,
        incident=incident,
        person=person,
        km=km_for(person, incident, now),
        by_hand=True,
        how=how,
        because="hand",
        now=now,
    )
    off_shift = not on_call(person, incident.committee, now=now)
    before = incident.status
    _mark_dispatched(incident)
    audit.record(
        actor=actor.code if actor else None,
        verb="incident.dispatched",
        target=incident,
        committee=incident.committee.code,
        before={"status": before},
        after={"status": incident.status, "asked": [str(person.code)], "by_hand": True},
    )
    return Sent(asked=[offered], off_shift=off_shift)


@transaction.atomic
def answer(*, dispatch: Dispatch, accept: bool, via: str, now: datetime | None = None) -> Dispatch:
    """The confirmer's yes or no, while the request is open. A no asks the next at once."""
    now = now or timezone.now()
    incident = _locked(dispatch.incident)
    found = Dispatch.objects.select_for_update().select_related("person").get(pk=dispatch.pk)
    if found.status != DispatchStatus.OFFERED or found.answer_by <= now:
        raise ActionRefused(
            _(
                "This request is no longer open: it was answered, passed to someone else, or "
                "is no longer needed."
            )
        )
    found.status = DispatchStatus.ACCEPTED if accept else DispatchStatus.DECLINED
    found.answered_at = now
    found.save(update_fields=["status", "answered_at"])
    found.incident = incident
    audit.record(
        actor=found.person.code,
        verb="dispatch.accepted" if accept else "dispatch.declined",
        target=found,
        committee=incident.committee.code,
        before={"status": DispatchStatus.OFFERED},
        after={"status": found.status, "via": via[:16]},
    )
    if not accept:
        _top_up(actor=None, incident=incident, because="declined", now=now)
    return found


def _expired_text(dispatch: Dispatch) -> str:
    return _(
        "%(committee)s: the time to answer the request sent at %(time)s ran out, so we "
        "asked someone else. No need to reply."
    ) % {
        "committee": dispatch.incident.committee.name,
        "time": _local_time(dispatch.offered_at, dispatch.incident.committee),
    }


@transaction.atomic
def _escalate(incident_id: int, now: datetime) -> int:
    incident = Incident.objects.select_for_update().select_related("committee").get(pk=incident_id)
    due = list(
        Dispatch.objects.select_for_update()
        .filter(incident=incident, status=DispatchStatus.OFFERED, answer_by__lte=now)
        .select_related("person")
    )
    for item in due:
        item.status = DispatchStatus.EXPIRED
        item.save(update_fields=["status"])
        item.incident = incident
        audit.record(
            actor=None,
            verb="dispatch.expired",
            target=item,
            committee=incident.committee.code,
            before={"status": DispatchStatus.OFFERED},
            after={"status": item.status},
        )
        _tell(item.person, partial(_expired_text, item))
    if due:
        _top_up(actor=None, incident=incident, because="expired", now=now)
    return len(due)


def escalate_due(*, now: datetime | None = None) -> int:
    """Requests nobody answered in time expire and the next nearest is asked. Returns how
    many expired. Each incident is its own transaction, so one cannot hold up the others."""
    now = now or timezone.now()
    incidents = (
        Dispatch.objects.filter(status=DispatchStatus.OFFERED, answer_by__lte=now)
        .values_list("incident_id", flat=True)
        .distinct()
    )
    return sum(_escalate(incident_id, now) for incident_id in list(incidents))


def _cancelled_text(dispatch: Dispatch, was: str) -> str:
    values = {
        "committee": dispatch.incident.committee.name,
        "time": _local_time(dispatch.offered_at, dispatch.incident.committee),
    }
    if was == DispatchStatus.ACCEPTED:
        return (
            _("%(committee)s: you no longer need to go (request of %(time)s). Thank you!") % values
        )
    return _("%(committee)s: the request sent at %(time)s is no longer needed. Thank you.") % values


@transaction.atomic
def cancel_open(*, actor: Person | None = None, incident: Incident, accepted: bool = False) -> int:
    """Nobody more needs to go: open requests are cancelled and those asked are told. With
    `accepted` (the incident closed), confirmers on the way are told to stand down too."""
    incident = _locked(incident)
    statuses = [DispatchStatus.OFFERED] + ([DispatchStatus.ACCEPTED] if accepted else [])
    open_requests = list(
        Dispatch.objects.select_for_update()
        .filter(incident=incident, status__in=statuses)
        .select_related("person")
    )
    for item in open_requests:
        was = item.status
        item.status = DispatchStatus.CANCELLED
        item.save(update_fields=["status"])
        item.incident = incident
        audit.record(
            actor=actor.code if actor else None,
            verb="dispatch.cancelled",
            target=item,
            committee=incident.committee.code,
            before={"status": was},
            after={"status": item.status},
        )
        _tell(item.person, partial(_cancelled_text, item, was))
    return len(open_requests)
