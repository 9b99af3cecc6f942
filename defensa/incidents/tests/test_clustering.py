"""Reports of one event become one incident, incrementally and for reasons a dispatcher can
read; other events stay apart; a dispatcher merges and splits in one action each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from defensa.core.models import AuditEvent
from defensa.hotline import actions as hotline
from defensa.hotline.models import Report, ReportStatus
from defensa.incidents import clustering, tasks
from defensa.incidents.models import Incident, IncidentReport, IncidentStatus
from defensa.incidents.tests.conftest import place, report

pytestmark = pytest.mark.django_db

SCHOOL = (41.8536, -87.6657)  # 18th and Loomis
NEAR_SCHOOL = (41.8551, -87.6640)
FAR = (41.8010, -87.6900)  # Back of the Yards, ~6 km south


def test_three_reports_of_one_operation_are_one_incident(pilsen) -> None:
    first = place(
        report("ICE arrestando a un señor afuera de la escuela", point=SCHOOL, minutes_ago=12)
    )
    second = place(
        report(
            "la migra se llevó a un señor en la escuela de la 18",
            channel="sms",
            zip_code="60608",
            minutes_ago=8,
        )
    )
    third = place(
        report("agentes de ICE en la escuela, 2 camionetas", point=NEAR_SCHOOL, minutes_ago=3)
    )
    assert first is not None
    assert first == second == third
    incident = Incident.objects.get()
    assert incident.reports_count == 3
    assert (incident.activity, incident.agency) == ("arrest", "ice")
    links = list(IncidentReport.objects.filter(incident=incident).order_by("joined_at"))
    reasons = [clustering.because_of(link) for link in links]
    assert reasons[0] == [["new", ""]]
    assert any(what == "words" and "escuel" in value for what, value in reasons[2])
    assert all(r.status == ReportStatus.CLUSTERED for r in Report.objects.all())
    # What the reports share is sealed: no word of it in clear.
    assert b"escuel" not in bytes(links[2].because_sealed or b"")
    assert b"escuel" not in bytes(incident.features_sealed or b"")


def test_a_different_event_nearby_at_the_same_time_is_another_incident(pilsen) -> None:
    place(report("ICE arrestando a un señor afuera de la escuela", point=SCHOOL))
    other = place(report("retén de la policía en Cermak, parando carros", point=NEAR_SCHOOL))
    assert Incident.objects.count() == 2
    assert other is not None
    assert other.agency == "police"


def test_far_apart_or_hours_apart_are_separate(pilsen) -> None:
    place(report("ICE en la escuela", point=SCHOOL, minutes_ago=300))
    place(report("ICE en la escuela", point=SCHOOL))
    place(report("ICE en la escuela", point=FAR))
    assert Incident.objects.count() == 3


def test_a_closed_incident_reopens_when_a_matching_report_arrives(pilsen) -> None:
    incident = place(report("ICE arrestando en la escuela", point=SCHOOL, minutes_ago=40))
    assert incident is not None
    Incident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.CLOSED, closed_at=timezone.now() - timedelta(minutes=30)
    )
    again = place(report("siguen los de ICE en la escuela arrestando", point=SCHOOL))
    assert again == incident
    again.refresh_from_db()
    assert (again.status, again.reopened, again.closed_at) == (IncidentStatus.OPEN, 1, None)


def test_placing_is_idempotent(pilsen) -> None:
    item = report("ICE en la escuela", point=SCHOOL)
    assert place(item) == place(item)
    assert IncidentReport.objects.count() == 1


def test_a_report_without_a_place_waits_and_is_placed_when_it_has_one(
    pilsen, settings, django_capture_on_commit_callbacks
) -> None:
    first = place(report("ICE arrestando en la escuela", point=SCHOOL))
    item = report("hay migra arrestando en la escuela")
    assert clustering.cluster_report(report=item) is None
    assert clustering.unclustered(older_than=timedelta(0)) == []  # nothing to go on yet
    settings.DEFENSA_REPORT_HANDLERS = [f"{__name__}.remember"]
    REMEMBERED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        hotline.add_to_report(report=item, text="en la 18, 60608")
    told = list(REMEMBERED)
    assert told == [item.pk]  # the incidents app is told (in the transaction, or at commit)
    assert place(item) == first


REMEMBERED: list[int] = []


def remember(pk: int) -> None:
    REMEMBERED.append(pk)


def test_with_the_database_backend_the_task_is_written_with_the_report(pilsen, settings) -> None:
    if settings.TASKS_BACKEND != "db":
        pytest.skip("the database task backend only")
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(task_path="defensa.incidents.tasks.cluster")
    item = report("ICE en la escuela", point=SCHOOL)
    newest = queued.order_by("-enqueued_at").first()
    assert newest is not None
    assert newest.args_kwargs["args"] == [item.pk]


def test_priority_follows_readable_rules(pilsen) -> None:
    quiet = place(report("una camioneta estacionada", point=FAR, minutes_ago=90))
    urgent = place(report("ICE arrestando a un papá en la escuela ahora", point=SCHOOL))
    place(report("ICE se llevó a un señor de la escuela", point=NEAR_SCHOOL))
    assert quiet is not None
    assert urgent is not None
    quiet.refresh_from_db()
    urgent.refresh_from_db()
    rules = dict(urgent.priority_because)
    assert {"arrest", "school", "in_progress", "per_reporter"} <= set(rules)
    assert urgent.priority == sum(rules.values())
    assert quiet.priority < urgent.priority


def test_merge_and_split_are_one_action_each_and_audited(pilsen, dispatcher) -> None:
    a = place(report("ICE en la escuela", point=SCHOOL))
    b = place(report("policía en la escuela", point=NEAR_SCHOOL))
    assert a is not None
    assert b is not None
    assert a != b
    merged = clustering.merge(actor=dispatcher, into=a, other=b)
    assert merged.reports_count == 2
    assert not Incident.objects.filter(pk=b.pk).exists()
    policia = Report.objects.get(incident_link__incident=merged, activity="", agency="police")
    fresh = clustering.split(actor=dispatcher, incident=merged, reports=[policia])
    assert fresh.reports_count == 1
    assert fresh.agency == "police"
    merged.refresh_from_db()
    assert merged.reports_count == 1
    verbs = list(AuditEvent.objects.values_list("verb", flat=True))
    assert "incident.merged" in verbs
    assert "incident.split" in verbs
    # A report a person placed is not moved again by the engine.
    assert place(policia) == fresh


def test_the_safety_net_places_what_a_killed_worker_left(pilsen) -> None:
    item = report("ICE en la escuela", point=SCHOOL)
    Report.objects.filter(pk=item.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    assert clustering.unclustered() == [item.pk]
    assert tasks.cluster_left_behind.call() == 1
    assert clustering.unclustered() == []


def test_merging_incidents_a_confirmer_was_sent_to_twice_keeps_one_request(pilsen) -> None:
    from django.utils import timezone as tz

    from defensa import testing
    from defensa.incidents.models import Dispatch, DispatchStatus

    a = place(report("ICE en la escuela", point=SCHOOL))
    b = place(report("policía en la escuela", point=NEAR_SCHOOL))
    confirmer = testing.member(pilsen, username="conf")
    later = tz.now() + timedelta(minutes=5)
    Dispatch.objects.create(
        incident=a, person=confirmer, status=DispatchStatus.EXPIRED, answer_by=later, token_hash="a"
    )
    Dispatch.objects.create(
        incident=b,
        person=confirmer,
        status=DispatchStatus.ACCEPTED,
        answer_by=later,
        token_hash="b",
    )
    merged = clustering.merge(actor=None, into=a, other=b)
    kept = Dispatch.objects.get(incident=merged, person=confirmer)
    assert kept.status == DispatchStatus.ACCEPTED
