"""Property: no sequence of actions verifies an incident, or makes it alertable, without a
finding by a qualified confirmer who was sent there.

Hypothesis drives random sequences of what people do (reports arrive, dispatchers send
confirmers, people answer, time passes, anyone tries to record a finding, qualifications are
revoked, dispatchers settle, merge and close) against the real actions, and checks after
every step that every verified incident holds such a finding, that its disposition is one a
qualified confirmer recorded, and that `can_alert` agrees.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.hotline.media import MediaRefused
from defensa.incidents import actions, clustering, dispatching, field
from defensa.incidents.models import (
    Dispatch,
    DispatchStatus,
    Disposition,
    Incident,
    IncidentStatus,
)
from defensa.incidents.tests.conftest import report
from defensa.incidents.tests.test_dispatch import confirmer, on_call, zone
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Person, Qualification, Role

pytestmark = pytest.mark.django_db

PLACES = [(41.8536, -87.6657), (41.8551, -87.6640), (41.8010, -87.6900)]
TEXTS = ["ICE arrestando en la escuela", "policía en la esquina", "migra en la fábrica"]
DISPOSITIONS = list(Disposition.values)


class Rollback(Exception):
    pass


class Verification(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        committee = testing.committee("Comité de Pilsen")
        network_actions.add_area_unit(
            actor=None, committee=committee, kind=AreaKind.ZIP, value="60608"
        )
        self.committee = committee
        self.dispatcher = testing.member(committee, roles=[Role.DISPATCHER], username="disp")
        self.people: list[Person] = [
            confirmer(committee, f"Conf{n}", f"+1312555020{n}") for n in range(3)
        ]
        self.people.append(confirmer(committee, "Nope", "+13125550299", qualified=False))
        on_call(committee, zone(committee, "Pilsen", "60608"), self.people[:3])
        self.now = timezone.now()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------------

    def incidents(self) -> list[Incident]:
        return list(Incident.objects.filter(committee=self.committee).order_by("pk"))

    def dispatches(self) -> list[Dispatch]:
        return list(Dispatch.objects.filter(incident__committee=self.committee).order_by("pk"))

    @staticmethod
    def pick(items: list, index: int):
        return items[index % len(items)] if items else None

    # --- what people do ----------------------------------------------------------------------

    @rule(place=st.integers(0, 2), text=st.integers(0, 2))
    def a_report_arrives(self, place: int, text: int) -> None:
        item = report(TEXTS[text], point=PLACES[place], now=self.now)
        clustering.cluster_report(report=item)

    @rule(which=st.integers(0, 9))
    def a_dispatcher_sends_confirmers(self, which: int) -> None:
        incident = self.pick(self.incidents(), which)
        if incident is not None:
            with contextlib.suppress(ActionRefused):
                dispatching.dispatch(actor=self.dispatcher, incident=incident, now=self.now)

    @rule(which=st.integers(0, 9), person=st.integers(0, 3))
    def a_dispatcher_sends_someone_by_hand(self, which: int, person: int) -> None:
        incident = self.pick(self.incidents(), which)
        if incident is not None:
            with contextlib.suppress(ActionRefused):
                dispatching.dispatch_by_hand(
                    actor=self.dispatcher,
                    incident=incident,
                    person=self.people[person],
                    now=self.now,
                )

    @rule(which=st.integers(0, 19), accept=st.booleans())
    def a_confirmer_answers(self, which: int, accept: bool) -> None:
        item = self.pick(self.dispatches(), which)
        if item is not None:
            with contextlib.suppress(ActionRefused):
                dispatching.answer(dispatch=item, accept=accept, via="sms", now=self.now)

    @rule(minutes=st.integers(1, 20))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        dispatching.escalate_due(now=self.now)

    @rule(
        which=st.integers(0, 19),
        person=st.integers(0, 4),
        disposition=st.sampled_from(DISPOSITIONS),
    )
    def someone_records_a_finding(self, which: int, person: int, disposition: str) -> None:
        item = self.pick(self.dispatches(), which)
        if item is None:
            return
        # Anyone: the one sent, another confirmer, an untrained member, the dispatcher.
        actor = ([*self.people, self.dispatcher])[person]
        with contextlib.suppress(ActionRefused, MediaRefused):
            field.record_finding(
                actor=actor, dispatch=item, disposition=disposition, observations={}
            )

    @rule(person=st.integers(0, 2))
    def a_qualification_is_revoked(self, person: int) -> None:
        for qualification in Qualification.objects.filter(
            person=self.people[person], revoked_at__isnull=True
        ):
            network_actions.revoke_qualification(
                actor=None, committee=self.committee, qualification=qualification
            )

    @rule(which=st.integers(0, 9), disposition=st.sampled_from(DISPOSITIONS),
          by_dispatcher=st.booleans())  # fmt: skip
    def someone_settles(self, which: int, disposition: str, by_dispatcher: bool) -> None:
        incident = self.pick(self.incidents(), which)
        if incident is not None:
            actor = self.dispatcher if by_dispatcher else self.people[0]
            with contextlib.suppress(ActionRefused):
                field.settle(actor=actor, incident=incident, disposition=disposition)

    @rule(a=st.integers(0, 9), b=st.integers(0, 9))
    def a_dispatcher_merges(self, a: int, b: int) -> None:
        found = self.incidents()
        into, other = self.pick(found, a), self.pick(found, b)
        if into is not None and other is not None:
            with contextlib.suppress(ActionRefused):
                clustering.merge(actor=self.dispatcher, into=into, other=other)

    @rule(which=st.integers(0, 9))
    def a_dispatcher_closes(self, which: int) -> None:
        incident = self.pick(self.incidents(), which)
        if incident is not None:
            with contextlib.suppress(ActionRefused):
                actions.close(actor=self.dispatcher, incident=incident)

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def nothing_is_verified_without_a_qualified_confirmer(self) -> None:
        for incident in self.incidents():
            qualified = actions.qualified_findings(incident)
            if incident.status in (IncidentStatus.VERIFIED, IncidentStatus.ALERTED):
                assert qualified, f"{incident.status} without a qualified finding"
            if incident.disposition:
                assert incident.disposition in {f.disposition for f in qualified}
                assert all(
                    f.dispatch.status == DispatchStatus.REPORTED for f in incident.findings.all()
                )
            assert actions.can_alert(incident) == (
                incident.status in (IncidentStatus.VERIFIED, IncidentStatus.ALERTED)
                and bool(incident.disposition)
            )


def test_no_sequence_verifies_or_alerts_without_a_qualified_confirmer() -> None:
    with fakes.twilio():
        run_state_machine_as_test(
            Verification,
            settings=settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
