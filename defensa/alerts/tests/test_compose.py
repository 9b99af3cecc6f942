"""Composing alerts: only from an incident a qualified confirmer verified (or, without one, a
know-your-rights reminder), only by the committee's dispatchers and coordinators, filled in
Spanish and English for every channel, each text carrying the alert's code, SMS counted the
way carriers bill it.

The helpers at the top are the small cast the other alerts test modules import."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from defensa import testing
from defensa.alerts import actions, compose
from defensa.alerts.models import Alert, AlertKind, AlertStatus, Channel
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.incidents import field
from defensa.incidents.models import (
    Dispatch,
    DispatchStatus,
    Disposition,
    Incident,
    IncidentStatus,
)
from defensa.incidents.tests.conftest import place, report
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Committee, Person, QualificationKind, Role

pytestmark = pytest.mark.django_db

SCHOOL = (41.8536, -87.6657)  # Whittier school, ZIP 60608


# --- The cast -----------------------------------------------------------------------------------


@dataclass
class Cast:
    pilsen: Committee
    paty: Person  # dispatcher: composes
    rosa: Person  # dispatcher: approves
    lola: Person  # coordinator, no dispatcher qualification
    tavo: Person  # confirmer
    dani: Person  # documentarian: reads
    aurora: Committee  # another committee
    otto: Person  # dispatcher of Aurora


def cast() -> Cast:
    pilsen = testing.committee("Comité de Pilsen")
    for code in ("60608", "60609"):
        network_actions.add_area_unit(actor=None, committee=pilsen, kind=AreaKind.ZIP, value=code)
    aurora = testing.committee(
        "Comité de Aurora", reg=testing.region("Colorado", net=testing.network("Red CO"))
    )
    network_actions.add_area_unit(actor=None, committee=aurora, kind=AreaKind.COUNTY, value="08005")
    return Cast(
        pilsen=pilsen,
        paty=testing.member(pilsen, roles=[Role.DISPATCHER], name="Paty", username="paty"),
        rosa=testing.member(pilsen, roles=[Role.DISPATCHER], name="Rosa", username="rosa"),
        lola=testing.member(pilsen, roles=[Role.COORDINATOR], name="Lola", username="lola"),
        tavo=testing.member(pilsen, roles=[Role.CONFIRMER], name="Tavo", username="tavo"),
        dani=testing.member(pilsen, roles=[Role.DOCUMENTARIAN], name="Dani", username="dani"),
        aurora=aurora,
        otto=testing.member(aurora, roles=[Role.DISPATCHER], name="Otto", username="otto"),
    )


def qualify(person: Person, committee: Committee, kind: str = QualificationKind.DISPATCHER) -> None:
    network_actions.grant_qualification(
        actor=None,
        committee=committee,
        person=person,
        kind=kind,
        expires_at=timezone.now() + timedelta(days=90),
    )


def incident(text: str = "ICE arrestando a un papá en la escuela Whittier") -> Incident:
    return place(report(text, point=SCHOOL))


def verified(
    confirmer: Person, disposition: str = Disposition.CONFIRMED, *, text: str = ""
) -> Incident:
    """An incident a qualified confirmer, sent there, verified (the real field action)."""
    item = incident(text or "ICE arrestando a un papá en la escuela Whittier")
    dispatch = Dispatch.objects.create(
        incident=item,
        person=confirmer,
        status=DispatchStatus.ACCEPTED,
        answer_by=timezone.now() + timedelta(minutes=10),
        answered_at=timezone.now(),
        token_hash=secrets.token_hex(32),
    )
    Incident.objects.filter(pk=item.pk).update(status=IncidentStatus.DISPATCHED)
    field.record_finding(
        actor=confirmer,
        dispatch=dispatch,
        disposition=disposition,
        agency="ice",
        activity="arrest",
        size=4,
        observations={"uniform": "chalecos ICE"},
    )
    item.refresh_from_db()
    assert item.status == IncidentStatus.VERIFIED
    return item


def draft(c: Cast, item: Incident | None = None, **kw: Any) -> Alert:
    item = item or verified(c.tavo)
    return actions.compose_alert(
        actor=c.paty, committee=c.pilsen, kind=AlertKind.CONFIRMED, incident=item, **kw
    )


def approved(c: Cast, item: Incident | None = None, **kw: Any) -> Alert:
    return actions.approve(actor=c.rosa, alert=draft(c, item, **kw))


@pytest.fixture
def c() -> Cast:
    return cast()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- Composing ----------------------------------------------------------------------------------


def test_a_verified_incident_becomes_a_draft_in_spanish_and_english_for_every_channel(c) -> None:
    alert = draft(c)
    assert alert.status == AlertStatus.DRAFT
    assert alert.composed_by == c.paty
    assert set(alert.texts) >= {"es", "en"}
    for language in ("es", "en"):
        assert set(alert.texts[language]) == set(Channel.values)
        for channel, text in alert.texts[language].items():
            assert compose.carries_code(channel, text, alert.verify_code), (language, channel)
    assert "ZIP code 60608" in alert.texts["en"]["sms"]
    assert "ICE" in alert.texts["en"]["push"]
    assert "código postal 60608" in alert.texts["es"]["email"]
    assert compose.link(alert.verify_code) in alert.texts["es"]["sms"]
    # Voice reads the code letter by letter and carries no link.
    assert compose.spoken_code(alert.verify_code) in alert.texts["es"]["voice"]
    assert "http" not in alert.texts["es"]["voice"]
    assert alert.cells
    assert all(len(cell) == 15 for cell in alert.cells)
    assert AuditEvent.objects.filter(verb="alert.composed").count() == 1


def test_the_spanish_sms_is_kept_in_gsm7_by_writing_accents_plainly(c) -> None:
    alert = draft(c)
    sms = alert.texts["es"]["sms"]
    assert compose.is_gsm(sms)
    assert compose.sms_count(sms).encoding == compose.GSM7
    assert not compose.is_gsm(alert.texts["es"]["email"]) or "á" not in alert.texts["es"]["email"]


@pytest.mark.parametrize(
    ("status", "disposition"),
    [
        (IncidentStatus.OPEN, ""),
        (IncidentStatus.DISPATCHED, ""),
        (IncidentStatus.VERIFIED, ""),
        (IncidentStatus.VERIFIED, Disposition.CONFIRMED),  # but no qualified finding says so
        (IncidentStatus.CLOSED, Disposition.CONFIRMED),
    ],
)
def test_an_unverified_incident_cannot_be_alerted(c, status, disposition) -> None:
    item = incident()
    Incident.objects.filter(pk=item.pk).update(status=status, disposition=disposition)
    item.refresh_from_db()
    with pytest.raises(ActionRefused, match="not been verified"):
        actions.compose_alert(
            actor=c.paty, committee=c.pilsen, kind=AlertKind.CONFIRMED, incident=item
        )
    assert not Alert.objects.exists()


def test_a_disposition_a_confirmer_did_not_record_cannot_be_alerted(c) -> None:
    item = verified(c.tavo, Disposition.FALSE_ALARM)
    # Someone changes the disposition in the database: no qualified finding says "confirmed".
    Incident.objects.filter(pk=item.pk).update(disposition=Disposition.CONFIRMED)
    item.refresh_from_db()
    with pytest.raises(ActionRefused, match="not been verified"):
        draft(c, item)


def test_a_finding_by_a_confirmer_whose_qualification_was_revoked_first_does_not_verify(c) -> None:
    item = verified(c.tavo)
    c.tavo.qualifications.update(granted_at=timezone.now() + timedelta(minutes=1))
    with pytest.raises(ActionRefused, match="not been verified"):
        draft(c, item)


def test_the_kind_must_match_what_the_confirmers_found(c) -> None:
    false_alarm = verified(c.tavo, Disposition.FALSE_ALARM)
    with pytest.raises(ActionRefused, match="does not match"):
        draft(c, false_alarm)
    alert = actions.compose_alert(
        actor=c.paty, committee=c.pilsen, kind=AlertKind.FALSE_ALARM, incident=false_alarm
    )
    assert "FALSE ALARM" in alert.texts["en"]["sms"]
    assert "FALSA ALARMA" in alert.texts["es"]["sms"]


def test_an_all_clear_only_corrects_and_a_reminder_has_no_incident(c) -> None:
    item = verified(c.tavo)
    with pytest.raises(ActionRefused, match="corrects an earlier alert"):
        actions.compose_alert(
            actor=c.paty, committee=c.pilsen, kind=AlertKind.ALL_CLEAR, incident=item
        )
    with pytest.raises(ActionRefused, match="not about an incident"):
        actions.compose_alert(
            actor=c.paty, committee=c.pilsen, kind=AlertKind.KNOW_YOUR_RIGHTS, incident=item
        )
    reminder = actions.compose_alert(
        actor=c.paty, committee=c.pilsen, kind=AlertKind.KNOW_YOUR_RIGHTS, advice="door"
    )
    assert reminder.incident is None
    assert "warrant signed by a judge" in reminder.texts["en"]["push"]
    assert reminder.expires_at - reminder.composed_at == timedelta(days=7)
    assert reminder.cells  # the committee's whole area


@pytest.mark.parametrize("who", ["tavo", "dani", "otto"])
def test_only_the_committees_dispatchers_and_coordinators_compose(c, who) -> None:
    item = verified(c.tavo)
    with pytest.raises(ActionRefused):
        actions.compose_alert(
            actor=getattr(c, who), committee=c.pilsen, kind=AlertKind.CONFIRMED, incident=item
        )
    assert not Alert.objects.exists()


def test_an_incident_of_another_committee_is_refused(c) -> None:
    item = verified(c.tavo)
    with pytest.raises(ActionRefused):
        actions.compose_alert(
            actor=c.otto, committee=c.aurora, kind=AlertKind.CONFIRMED, incident=item
        )


def test_the_expiry_is_between_fifteen_minutes_and_a_week(c) -> None:
    item = verified(c.tavo)
    for wrong in (timedelta(minutes=5), timedelta(days=8)):
        with pytest.raises(ActionRefused) as refused:
            draft(c, item, expires_in=wrong)
        assert refused.value.field == "expires_in"
    alert = draft(c, item, expires_in=timedelta(hours=2))
    assert alert.expires_at - alert.composed_at == timedelta(hours=2)


def test_a_hand_edited_text_is_kept_and_must_keep_the_code(c) -> None:
    alert = draft(c)
    typed = (
        f"ALERTA VERIFICADA: ICE en Pilsen. No abra la puerta. {compose.link(alert.verify_code)}"
    )
    edited = actions.edit_draft(actor=c.paty, alert=alert, texts={"es": {"sms": typed}})
    assert edited.texts["es"]["sms"] == typed
    with pytest.raises(ActionRefused, match="code") as refused:
        actions.edit_draft(actor=c.paty, alert=alert, texts={"es": {"sms": "ICE en Pilsen"}})
    assert refused.value.field == "es-sms"
    too_long = typed + " x" * 300
    with pytest.raises(ActionRefused):
        actions.edit_draft(actor=c.paty, alert=alert, texts={"en": {"sms": too_long}})
    alert.refresh_from_db()
    assert alert.texts["es"]["sms"] == typed


def test_a_new_sentence_fills_the_texts_again(c) -> None:
    alert = draft(c)
    edited = actions.edit_draft(actor=c.paty, alert=alert, advice="door")
    assert "warrant signed by a judge" in edited.texts["en"]["push"]
    assert edited.choices["advice"] == "door"


def test_an_approved_alert_cannot_be_edited(c) -> None:
    alert = approved(c)
    with pytest.raises(ActionRefused, match="cannot be changed"):
        actions.edit_draft(actor=c.paty, alert=alert, advice="door")


# --- SMS segments and previews ------------------------------------------------------------------


def test_sms_segments_in_gsm7() -> None:
    assert compose.sms_count("").segments == 0
    one = compose.sms_count("a" * 160)
    assert (one.encoding, one.segments, one.left) == (compose.GSM7, 1, 0)
    two = compose.sms_count("a" * 161)
    assert (two.segments, two.per_segment, two.left) == (2, 153, 145)
    # The euro sign takes two septets; an escape pair is never split between segments.
    euro = compose.sms_count("€" * 80)
    assert (euro.encoding, euro.units, euro.segments) == (compose.GSM7, 160, 1)
    # 306 septets would fill two segments exactly, but the "€" cannot straddle them.
    split = compose.sms_count("a" * 152 + "€" + "a" * 152)
    assert (split.units, split.segments) == (306, 3)
    assert compose.sms_count("¿Qué pasó? ñ ü ¡").encoding == compose.UCS2  # "ó" is not GSM-7


def test_sms_segments_in_ucs2() -> None:
    one = compose.sms_count("á" * 70)
    assert (one.encoding, one.segments, one.not_gsm) == (compose.UCS2, 1, ("á",))
    assert compose.sms_count("á" * 71).segments == 2
    assert compose.sms_count("á" * 134).segments == 2
    assert compose.sms_count("á" * 135).segments == 3
    emoji = compose.sms_count("🚨" * 35)
    assert (emoji.units, emoji.segments) == (70, 1)
    assert compose.gsm_folded("Está aquí, sí") == "Esta aqui, si"
    assert compose.gsm_folded("Está aquí 🚨") == "Está aquí 🚨"  # folding cannot save it


def test_previews_count_sms_and_flag_a_text_without_its_code(c) -> None:
    alert = draft(c)
    texts = {lang: dict(by) for lang, by in alert.texts.items()}
    texts["en"]["push"] = "no code here"
    found = {(p.language, p.channel): p for p in compose.previews(texts, alert.verify_code)}
    assert found[("es", "sms")].sms is not None
    assert found[("es", "push")].sms is None
    assert found[("es", "push")].carries_code
    assert not found[("en", "push")].carries_code


def test_codes_are_typed_back_forgivingly() -> None:
    code = compose.new_code()
    assert compose.normalized_code(compose.shown_code(code).lower()) == code
    assert compose.normalized_code(f" {code[:4]} {code[4:]} ") == code
    assert compose.normalized_code("K7QF-3M2") == ""
    assert compose.normalized_code("O0OO-IIII") == ""


# --- A property: only what a qualified confirmer verified becomes an alert ----------------------


class _Undo(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.sampled_from(list(IncidentStatus.values)),
    disposition=st.sampled_from(["", *Disposition.values]),
    found=st.sampled_from(["", *Disposition.values]),  # what the confirmer recorded ("": none)
    qualified=st.booleans(),
)
def test_an_alert_is_composed_only_from_what_a_qualified_confirmer_verified(
    c, status, disposition, found, qualified
) -> None:
    try:
        with transaction.atomic():
            item = verified(c.tavo, found) if found else incident()
            if not qualified:
                c.tavo.qualifications.update(revoked_at=timezone.now() - timedelta(days=1))
            Incident.objects.filter(pk=item.pk).update(status=status, disposition=disposition)
            item.refresh_from_db()
            kinds = compose.KINDS_FOR.get(disposition, ())
            allowed = (
                status in (IncidentStatus.VERIFIED, IncidentStatus.ALERTED)
                and qualified
                and bool(found)
                and found == disposition
                and bool(kinds)
            )
            kind = kinds[0] if kinds else AlertKind.CONFIRMED
            try:
                actions.compose_alert(actor=c.paty, committee=c.pilsen, kind=kind, incident=item)
            except ActionRefused:
                assert not allowed
            else:
                assert allowed
            raise _Undo
    except _Undo:
        pass
