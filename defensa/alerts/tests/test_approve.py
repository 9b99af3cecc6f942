"""Approving: a second qualified person (never whoever composed or edited the draft) freezes
the alert into a signed snapshot, marks the incident alerted and plans the fan-out in one
transaction; a failure anywhere rolls all of it back. Corrections name the alert they
correct; expired alerts leave the public list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from defensa.alerts import access, actions, fanout, verify
from defensa.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    Channel,
    Delivery,
    Subscription,
    SubscriptionCell,
)
from defensa.alerts.tests.test_compose import Cast, approved, cast, draft, qualify, verified
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.incidents.models import Disposition, IncidentStatus
from defensa.messaging import transports

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> Cast:
    return cast()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def subscriber(c: Cast, cell: str, channel: str = Channel.EMAIL) -> Subscription:
    """An active subscription in one cell (its address is not needed to plan batches)."""
    item = Subscription.objects.create(
        committee=c.pilsen, channel=channel, address_index=f"{channel}-{cell}", language="es"
    )
    SubscriptionCell.objects.create(subscription=item, cell=cell)
    return item


def test_a_second_dispatcher_approves_and_the_alert_is_signed(c) -> None:
    alert = draft(c)
    done = actions.approve(actor=c.rosa, alert=alert)
    assert done.approved_by == c.rosa
    assert done.status in (AlertStatus.SENDING, AlertStatus.SENT)
    assert done.snapshot
    assert done.signature
    assert done.key_id
    problem, data = verify.signature_problem(done)
    assert problem == ""
    assert data is not None
    assert data["texts"] == done.texts
    assert data["verify_code"] == done.verify_code
    # Nobody's name or code is in what is published.
    assert "Paty" not in done.snapshot
    assert "Rosa" not in done.snapshot
    assert str(c.paty.code) not in done.snapshot
    assert done.incident is not None
    done.incident.refresh_from_db()
    assert done.incident.status == IncidentStatus.ALERTED
    assert AuditEvent.objects.filter(verb="alert.approved").count() == 1
    assert AuditEvent.objects.filter(verb="incident.alerted").count() == 1


def test_the_composer_never_approves_their_own_alert(c) -> None:
    qualify(c.paty, c.pilsen)  # even twice qualified
    alert = draft(c)
    with pytest.raises(ActionRefused, match="second person"):
        actions.approve(actor=c.paty, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DRAFT
    assert not alert.signature
    assert actions.approval_refusal(c.paty, alert) is not None


def test_whoever_edited_the_draft_cannot_approve_it_either(c) -> None:
    alert = draft(c)
    actions.edit_draft(actor=c.rosa, alert=alert, advice="door")
    with pytest.raises(ActionRefused, match="second person"):
        actions.approve(actor=c.rosa, alert=alert)
    qualify(c.lola, c.pilsen)
    assert actions.approve(actor=c.lola, alert=alert).approved_by == c.lola


def test_a_coordinator_needs_a_valid_dispatcher_qualification(c) -> None:
    alert = draft(c)
    with pytest.raises(ActionRefused, match="qualification"):
        actions.approve(actor=c.lola, alert=alert)
    qualify(c.lola, c.pilsen)
    c.lola.qualifications.update(revoked_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ActionRefused, match="qualification"):
        actions.approve(actor=c.lola, alert=alert)


@pytest.mark.parametrize("who", ["tavo", "dani", "otto"])
def test_confirmers_documentarians_and_other_committees_do_not_approve(c, who) -> None:
    alert = draft(c)
    with pytest.raises(ActionRefused):
        actions.approve(actor=getattr(c, who), alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DRAFT


def test_an_approved_alert_is_not_approved_twice_and_a_discarded_one_never(c) -> None:
    item = verified(c.tavo)
    alert = approved(c, item)
    with pytest.raises(ActionRefused, match="Only a draft"):
        actions.approve(actor=c.rosa, alert=alert)
    other = draft(c, item)
    actions.discard(actor=c.paty, alert=other)
    with pytest.raises(ActionRefused, match="Only a draft"):
        actions.approve(actor=c.rosa, alert=other)


def test_an_incident_no_longer_verified_cannot_be_approved(c) -> None:
    alert = draft(c)
    assert alert.incident is not None
    alert.incident.findings.all().delete()
    with pytest.raises(ActionRefused, match="not been verified"):
        actions.approve(actor=c.rosa, alert=alert)


def test_approval_plans_the_fan_out_in_the_same_transaction(c, monkeypatch) -> None:
    monkeypatch.setattr(transports, "configured", lambda channel: True)
    alert = draft(c)
    for cell in alert.cells[:3]:
        subscriber(c, cell)
    done = actions.approve(actor=c.rosa, alert=alert)
    assert done.status == AlertStatus.SENDING
    rows = list(Delivery.objects.filter(alert=done))
    assert len(rows) == 1
    assert rows[0].channel == Channel.EMAIL
    assert len(rows[0].subscriptions) == 3


def test_a_failure_while_planning_rolls_back_the_whole_approval(c, monkeypatch) -> None:
    monkeypatch.setattr(transports, "configured", lambda channel: True)
    alert = draft(c)
    subscriber(c, alert.cells[0])
    planned = fanout.plan

    def plan_then_fail(*, alert: Alert) -> int:
        assert planned(alert=alert) == 1  # the batches were written...
        raise RuntimeError("the database went away")  # ...and then something failed

    monkeypatch.setattr(fanout, "plan", plan_then_fail)
    with pytest.raises(RuntimeError):
        actions.approve(actor=c.rosa, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DRAFT
    assert (alert.snapshot, alert.signature, alert.approved_by) == ("", "", None)
    assert not Delivery.objects.exists()
    assert alert.incident is not None
    alert.incident.refresh_from_db()
    assert alert.incident.status == IncidentStatus.VERIFIED
    assert not AuditEvent.objects.filter(verb__in=["alert.approved", "incident.alerted"]).exists()
    assert access.public_alerts() == []


def test_a_false_alarm_correction_names_and_links_the_original(c) -> None:
    original = approved(c)
    with pytest.raises(ActionRefused):
        actions.correct(actor=c.paty, alert=original, kind=AlertKind.CONFIRMED)
    correction = actions.correct(actor=c.paty, alert=original, kind=AlertKind.FALSE_ALARM)
    assert correction.corrects == original
    assert correction.cells == original.cells
    assert correction.choices["place"] == original.choices["place"]
    assert "was a false alarm" in correction.texts["en"]["sms"]
    assert "ZIP code 60608" in correction.texts["en"]["sms"]
    with pytest.raises(ActionRefused, match="already waiting"):
        actions.correct(actor=c.paty, alert=original, kind=AlertKind.ALL_CLEAR)
    done = actions.approve(actor=c.rosa, alert=correction)
    data = verify.signed(done)
    assert data is not None
    assert data["corrects"] == {"alert": str(original.code), "verify_code": original.verify_code}
    original.refresh_from_db()
    assert original.status == AlertStatus.CORRECTED
    result = verify.check(original.verify_code)
    assert result.state == verify.State.CORRECTED
    assert result.correction == done
    # The corrected alert leaves the public list; its correction is on it.
    assert [p.alert for p in access.public_alerts()] == [done]
    # A correction is not corrected again.
    with pytest.raises(ActionRefused):
        actions.correct(actor=c.paty, alert=done, kind=AlertKind.ALL_CLEAR)


def test_an_all_clear_correction_reads_as_over(c) -> None:
    original = approved(c)
    correction = actions.correct(actor=c.paty, alert=original, kind=AlertKind.ALL_CLEAR)
    assert "(arrests) is over" in correction.texts["en"]["push"]
    actions.approve(actor=c.rosa, alert=correction)
    original.refresh_from_db()
    assert original.status == AlertStatus.CORRECTED


def test_expired_alerts_leave_the_public_list(c) -> None:
    alert = approved(c, expires_in=timedelta(hours=1))
    assert [p.alert for p in access.public_alerts()] == [alert]
    later = timezone.now() + timedelta(hours=1, seconds=1)
    assert access.public_alerts(at=later) == []
    assert actions.expire_due(at=later) == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPIRED
    assert access.public_alerts() == []
    assert verify.check(alert.verify_code).state == verify.State.EXPIRED
    # An expired alert can still be corrected (people may still pass it on).
    correction = actions.correct(actor=c.paty, alert=alert, kind=AlertKind.FALSE_ALARM)
    assert correction.corrects == alert


def test_a_false_alarm_from_an_incident_is_one_compose_and_one_approve(c) -> None:
    item = verified(c.tavo, Disposition.FALSE_ALARM)
    alert = actions.compose_alert(
        actor=c.paty, committee=c.pilsen, kind=AlertKind.FALSE_ALARM, incident=item
    )
    done = actions.approve(actor=c.rosa, alert=alert)
    assert verify.check(done.verify_code).state == verify.State.CURRENT
