"""The committee network's rules, exercised through its actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.core.models import AuditEvent
from defensa.network import access, actions
from defensa.network.models import (
    AreaKind,
    Invitation,
    Membership,
    Person,
    QualificationKind,
    Role,
    User,
)

pytestmark = pytest.mark.django_db


def join(token: str, username: str = "nuevo") -> Membership:
    return actions.accept_invitation(
        token=token,
        user=None,
        username=username,
        password="una frase larga de verdad",
        display_name="Nuevo",
        languages=["es", "mam"],
    )


# --- Invitations ------------------------------------------------------------------------------


def test_invitation_code_makes_an_account_without_email_or_status(committee, coordinator) -> None:
    _invitation, token = actions.issue_invitation(
        actor=coordinator, committee=committee, roles=[Role.TRAINER]
    )
    membership = join(token)
    person = membership.person
    assert person.user is not None
    assert person.user.username == "nuevo"
    assert person.user.check_password("una frase larga de verdad")
    assert person.languages == ["es", "mam"]
    assert sorted(r.role for r in membership.roles.all()) == [Role.MEMBER, Role.TRAINER]
    fields = {f.name for f in User._meta.get_fields()} | {f.name for f in Person._meta.get_fields()}
    for forbidden in ["email", "status", "immigration_status", "birth_date", "address", "ip"]:
        assert forbidden not in fields


def test_invitation_code_works_once(committee, coordinator) -> None:
    _invitation, token = actions.issue_invitation(actor=coordinator, committee=committee, roles=[])
    join(token)
    with pytest.raises(ActionRefused):
        join(token, username="otra")
    assert not User.objects.filter(username="otra").exists()


def test_invitation_code_is_forgiving_to_type_and_stored_only_hashed(
    committee, coordinator
) -> None:
    invitation, token = actions.issue_invitation(actor=coordinator, committee=committee, roles=[])
    assert token.replace("-", "") not in invitation.token_hash
    typed = token.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert join(typed).committee == committee


def test_expired_or_revoked_invitation_is_refused(committee, coordinator) -> None:
    _expired, old_token = actions.issue_invitation(actor=coordinator, committee=committee, roles=[])
    revoked, revoked_token = actions.issue_invitation(
        actor=coordinator, committee=committee, roles=[]
    )
    actions.revoke_invitation(actor=coordinator, invitation=revoked)
    with freeze_time(timezone.now() + timedelta(days=8)), pytest.raises(ActionRefused):
        join(old_token)
    with pytest.raises(ActionRefused):
        join(revoked_token)


def test_trained_roles_cannot_be_handed_out_by_invitation(committee, coordinator) -> None:
    for role in (Role.CONFIRMER, Role.DISPATCHER, Role.LEGAL_OBSERVER, Role.NETWORK_ADMIN):
        with pytest.raises(ActionRefused):
            actions.issue_invitation(actor=coordinator, committee=committee, roles=[role])
    assert not Invitation.objects.exists()


def test_signed_in_person_joins_a_second_committee(committee, coordinator) -> None:
    other = testing.committee("Comité de Aurora")
    _invitation, token = actions.issue_invitation(actor=None, committee=other, roles=[])
    assert coordinator.user is not None
    actions.accept_invitation(token=token, user=coordinator.user)
    viewer = access.build_viewer(coordinator.user)
    assert set(viewer.roles) == {committee.id, other.id}
    assert viewer.roles[committee.id] == {Role.MEMBER, Role.COORDINATOR}
    assert viewer.roles[other.id] == {Role.MEMBER}


def test_taken_usernames_and_weak_passwords_are_refused(committee, coordinator) -> None:
    _i, token = actions.issue_invitation(actor=coordinator, committee=committee, roles=[])
    with pytest.raises(ActionRefused) as taken:
        join(token, username="CHELA")
    assert taken.value.field == "username"
    with pytest.raises(ActionRefused) as weak:
        actions.accept_invitation(
            token=token, user=None, username="x2", password="123", display_name="X"
        )
    assert weak.value.field == "password"
    assert Invitation.objects.get().used_at is None


# --- Roles and qualifications -----------------------------------------------------------------


def test_confirmer_role_needs_a_valid_qualification(committee, coordinator) -> None:
    person = testing.member(committee, name="Tavo")
    membership = testing.membership_of(person, committee)
    with pytest.raises(ActionRefused):
        actions.grant_role(actor=coordinator, membership=membership, role=Role.CONFIRMER)
    actions.grant_qualification(
        actor=coordinator,
        committee=committee,
        person=person,
        kind=QualificationKind.CONFIRMER,
        expires_at=timezone.now() + timedelta(days=30),
    )
    actions.grant_role(actor=coordinator, membership=membership, role=Role.CONFIRMER)
    assert actions.is_qualified(person, QualificationKind.CONFIRMER)


def test_qualification_expires_and_can_be_revoked(committee, coordinator) -> None:
    person = testing.member(committee, roles=[Role.DISPATCHER])
    assert actions.is_qualified(person, QualificationKind.DISPATCHER)
    later = timezone.now() + timedelta(days=91)
    assert not actions.is_qualified(person, QualificationKind.DISPATCHER, at=later)
    qualification = person.qualifications.get()
    actions.revoke_qualification(
        actor=coordinator, committee=committee, qualification=qualification
    )
    assert not actions.is_qualified(person, QualificationKind.DISPATCHER)
    membership = testing.membership_of(person, committee)
    actions.revoke_role(actor=coordinator, membership=membership, role=Role.DISPATCHER)
    with pytest.raises(ActionRefused):
        actions.grant_role(actor=coordinator, membership=membership, role=Role.DISPATCHER)


@pytest.mark.parametrize("days", [0, -1, 3 * 366 + 1])
def test_qualification_expiry_must_be_in_the_future_and_bounded(
    committee, coordinator, days: int
) -> None:
    person = testing.member(committee)
    with pytest.raises(ActionRefused):
        actions.grant_qualification(
            actor=coordinator,
            committee=committee,
            person=person,
            kind=QualificationKind.CONFIRMER,
            expires_at=timezone.now() + timedelta(days=days),
        )


def test_last_coordinator_cannot_be_removed(committee, coordinator) -> None:
    membership = testing.membership_of(coordinator, committee)
    with pytest.raises(ActionRefused):
        actions.revoke_role(actor=coordinator, membership=membership, role=Role.COORDINATOR)
    with pytest.raises(ActionRefused):
        actions.end_membership(actor=coordinator, membership=membership)
    second = testing.member(committee, roles=[Role.COORDINATOR])
    actions.end_membership(actor=second, membership=membership)
    assert testing.membership_of(second, committee).roles.filter(role=Role.COORDINATOR).exists()


def test_ending_the_last_membership_signs_the_account_out_everywhere(
    committee, coordinator
) -> None:
    person = testing.member(committee, username="infiltrado")
    assert person.user is not None
    before = person.user.get_session_auth_hash()
    actions.end_membership(actor=coordinator, membership=testing.membership_of(person, committee))
    person.user.refresh_from_db()
    assert person.user.get_session_auth_hash() != before
    assert access.build_viewer(person.user).roles == {}


def test_every_action_is_audited_in_the_committee_chain(committee, coordinator) -> None:
    before = AuditEvent.objects.filter(committee=committee.code).count()
    person = testing.member(committee, roles=[Role.CONFIRMER])
    verbs = list(
        AuditEvent.objects.filter(committee=committee.code)
        .order_by("seq")
        .values_list("verb", flat=True)[before:]
    )
    assert verbs == ["person.created", "membership.joined", "qualification.granted", "role.granted"]
    assert AuditEvent.objects.filter(object_code=str(person.code)).exists()


# --- Areas ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        (AreaKind.ZIP, "60623", "60623"),
        (AreaKind.COUNTY, "17031", "17031"),
        (AreaKind.CELL, "872664C1AFFFFFF", "872664c1affffff"),
    ],
)
def test_area_units_are_validated_and_normalized(committee, kind, value, stored) -> None:
    unit = actions.add_area_unit(actor=None, committee=committee, kind=kind, value=value)
    assert unit.value == stored


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (AreaKind.ZIP, "00000"),
        (AreaKind.ZIP, "6062"),
        (AreaKind.COUNTY, "99999"),
        (AreaKind.CELL, "not-a-cell"),
        # A resolution-9 cell (~0.1 km²) would be finer than we ever keep.
        (AreaKind.CELL, "89264c1a8a3ffff"),
    ],
)
def test_unknown_or_too_precise_areas_are_refused(committee, kind, value) -> None:
    with pytest.raises(ActionRefused):
        actions.add_area_unit(actor=None, committee=committee, kind=kind, value=value)


def test_zone_area_belongs_to_its_committee(committee) -> None:
    other = testing.committee()
    zone = actions.create_zone(actor=None, committee=other, name="Norte")
    with pytest.raises(ActionRefused):
        actions.add_area_unit(
            actor=None, committee=committee, kind=AreaKind.ZIP, value="60608", zone=zone
        )
