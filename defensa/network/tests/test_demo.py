"""The demo network is believable and made through the real actions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from defensa.core import audit
from defensa.core.models import AuditEvent
from defensa.network import demo
from defensa.network.models import Committee, Membership, Person, Qualification, Role

pytestmark = pytest.mark.django_db


def test_demo_is_three_committees_in_two_states_with_about_forty_people(tmp_path: Path) -> None:
    logins = demo.load(data_dir=tmp_path)
    committees = Committee.objects.select_related("region")
    assert committees.count() == 3
    assert len({c.region.name for c in committees}) == 2
    assert 35 <= Person.objects.count() <= 45
    roles = Counter(
        role for m in Membership.objects.prefetch_related("roles") for role in m.roles.all()
    )
    assert {Role.COORDINATOR, Role.DISPATCHER, Role.CONFIRMER, Role.LEGAL_OBSERVER} <= {
        r.role for r in roles
    }
    languages = {code for p in Person.objects.all() for code in p.languages}
    assert {"es", "en", "ht", "quc", "mam"} <= languages
    assert all(c.zones.count() >= 2 for c in committees)
    assert Qualification.objects.filter(revoked_at__isnull=False).exists()  # one lapsed
    assert {login["username"] for login in logins} == {"coordinadora", "despacho", "aurora"}
    assert (tmp_path / "demo-logins.txt").stat().st_mode & 0o077 == 0
    assert AuditEvent.objects.count() > 100
    assert audit.verify() == []


def test_demo_phone_numbers_are_stored_only_sealed(tmp_path: Path) -> None:
    demo.load(data_dir=tmp_path)
    for person in Person.objects.all():
        assert person.contact_sealed
        assert b"+1312555" not in bytes(person.contact_sealed)


def test_load_demo_command_is_idempotent_and_schedules_shifts(settings, tmp_path: Path) -> None:
    from defensa.shifts.models import Assignment, Slot

    settings.DATA_DIR = tmp_path
    call_command("load_demo")
    call_command("load_demo")
    assert Committee.objects.count() == 3
    assert Slot.objects.filter(committee__name__contains="Pilsen").exists()
    assert Assignment.objects.exists()
    # Some places stay open, so the demo shows gaps too.
    assert any(
        slot.assignments.filter(cancelled_at__isnull=True).count() < slot.needed
        for slot in Slot.objects.all()[:50]
    )


def test_demo_hotline_has_numbers_and_reports_routed_to_each_committee(settings, tmp_path) -> None:
    from defensa.hotline.actions import read_content
    from defensa.hotline.models import HotlineNumber, Report

    settings.DATA_DIR = tmp_path
    call_command("load_demo")
    assert HotlineNumber.objects.count() == 3
    by_committee = Counter(r.committee.name for r in Report.objects.select_related("committee"))
    assert set(by_committee) == {c.name for c in Committee.objects.all()}
    assert {r.channel for r in Report.objects.all()} >= {"web", "sms", "whatsapp", "signal"}
    newest = (
        Report.objects.filter(committee__name__contains="Pilsen").order_by("received_at").last()
    )
    assert newest is not None
    assert "panadería" in read_content(newest)["parts"][0]["text"]
    from defensa.incidents.models import Incident, IncidentReport

    # Every demo report with a place is in an incident of its own committee.
    assert Incident.objects.exists()
    assert not Report.objects.filter(incident_link__isnull=True).exclude(zip_code="").exists()
    assert all(
        link.incident.committee_id == link.report.committee_id
        for link in IncidentReport.objects.select_related("incident", "report")
    )
    assert audit.verify() == []


def test_demo_code_prints_the_current_code(settings, tmp_path: Path, capsys) -> None:
    settings.DATA_DIR = tmp_path
    call_command("load_demo")
    capsys.readouterr()
    call_command("demo_code", "coordinadora")
    assert capsys.readouterr().out[:6].isdigit()
