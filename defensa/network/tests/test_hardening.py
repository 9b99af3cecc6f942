"""Regressions for attacks found in review: each test is one way in that must stay shut."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from defensa import testing
from defensa.core.errors import ActionRefused
from defensa.network import access, actions
from defensa.network.models import Invitation, QualificationKind, Role

pytestmark = pytest.mark.django_db


def test_coordinator_cannot_make_anyone_network_admin(committee, coordinator) -> None:
    membership = testing.membership_of(coordinator, committee)
    with pytest.raises(ActionRefused):
        actions.grant_role(actor=coordinator, membership=membership, role=Role.NETWORK_ADMIN)
    client = testing.staff_client(coordinator)
    url = f"/api/v1/committees/{committee.code}/members/{membership.code}/roles/network_admin"
    assert client.put(url).status_code == 400
    page = client.post(
        f"/staff/c/{committee.code}/members/{membership.code}/roles/",
        {"role": "network_admin", "op": "grant"},
    )
    assert page.status_code == 302
    assert not membership.roles.filter(role=Role.NETWORK_ADMIN).exists()


def test_network_admin_cannot_invite_themselves_into_a_running_committee(committee) -> None:
    admin_home = testing.committee("Casa del admin", reg=committee.region)
    admin = testing.member(admin_home, roles=[Role.COORDINATOR], username="admin")
    actions.grant_role(
        actor=None,
        membership=testing.membership_of(admin, admin_home),
        role=Role.NETWORK_ADMIN,
        bootstrap=True,
    )
    testing.member(committee, roles=[Role.COORDINATOR])
    with pytest.raises(ActionRefused):
        actions.invite_first_coordinator(actor=admin, committee=committee)
    network = committee.region.network
    response = testing.staff_client(admin).post(
        f"/api/v1/networks/{network.code}/committees/{committee.code}/invitations"
    )
    assert response.status_code == 400
    assert not committee.invitations.exists()
    empty = testing.committee("Nuevo comité", reg=committee.region)
    _invitation, token = actions.invite_first_coordinator(actor=admin, committee=empty)
    assert token


def test_codes_of_a_removed_coordinator_stop_working(committee, coordinator) -> None:
    other = testing.member(committee, roles=[Role.COORDINATOR], username="infiltrado")
    _invitation, token = actions.issue_invitation(actor=other, committee=committee, roles=[])
    actions.end_membership(actor=coordinator, membership=testing.membership_of(other, committee))
    assert Invitation.objects.get().revoked_at is not None
    with pytest.raises(ActionRefused):
        actions.accept_invitation(
            token=token, user=None, username="vuelve", password="una frase larga", display_name="X"
        )


def test_codes_of_a_demoted_coordinator_stop_working(committee, coordinator) -> None:
    other = testing.member(committee, roles=[Role.COORDINATOR])
    actions.issue_invitation(actor=other, committee=committee, roles=[])
    membership = testing.membership_of(other, committee)
    actions.revoke_role(actor=coordinator, membership=membership, role=Role.COORDINATOR)
    assert Invitation.objects.get().revoked_at is not None


def test_no_one_certifies_themselves(committee, coordinator) -> None:
    with pytest.raises(ActionRefused):
        actions.grant_qualification(
            actor=coordinator,
            committee=committee,
            person=coordinator,
            kind=QualificationKind.CONFIRMER,
            expires_at=timezone.now() + timedelta(days=30),
        )


def test_a_committee_revokes_only_the_qualifications_it_granted(committee, coordinator) -> None:
    other = testing.committee("Otro")
    person = testing.member(other, roles=[Role.CONFIRMER])  # qualified by the other committee
    actions.add_membership(actor=None, committee=committee, person=person)
    granted_elsewhere = person.qualifications.get()
    assert coordinator.user is not None
    viewer = access.build_viewer(coordinator.user)
    with pytest.raises(access.NotFound):
        access.qualification(viewer, committee, granted_elsewhere.code)
    url = f"/staff/c/{committee.code}/qualifications/{granted_elsewhere.code}/revoke/"
    assert testing.staff_client(coordinator).post(url).status_code == 404


def test_session_without_second_factor_cannot_swap_the_factor(committee, coordinator) -> None:
    user = coordinator.user
    assert user is not None
    testing.enrol_totp(user)
    # A session that signed in with the password alone (e.g. from before enrolment).
    stale = testing.signed_in(Client(), user, mfa=False)
    for path in [
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/webauthn/add/",
        "/accounts/password/change/",
    ]:
        response = stale.get(path)
        assert response["Location"] == "/staff/second-factor/", path
    fresh = testing.signed_in(Client(), user)
    assert fresh.get("/accounts/2fa/").status_code == 200


def test_joining_another_committee_needs_the_second_factor(committee, coordinator) -> None:
    other = testing.committee("Otro")
    _invitation, token = actions.issue_invitation(actor=None, committee=other, roles=[])
    assert coordinator.user is not None
    stale = testing.signed_in(Client(), coordinator.user, mfa=False)
    response = stale.post("/join/", {"code": token})
    assert response["Location"] == "/staff/second-factor/"
    assert not coordinator.memberships.filter(committee=other).exists()


def test_first_coordinator_joining_closes_every_other_open_code(committee) -> None:
    fresh = testing.committee("Sin coordinación", reg=committee.region)
    _first, kept = actions.invite_first_coordinator(actor=None, committee=fresh)
    _second, used = actions.invite_first_coordinator(actor=None, committee=fresh)
    # The earlier first-coordinator code was replaced when the second was issued.
    assert fresh.invitations.filter(revoked_at__isnull=True, used_at__isnull=True).count() == 1
    extra, _extra_token = actions.issue_invitation(actor=None, committee=fresh, roles=[])
    actions.accept_invitation(
        token=used, user=None, username="primera", password="una frase larga", display_name="P"
    )
    extra.refresh_from_db()
    assert extra.revoked_at is not None
    with pytest.raises(ActionRefused):
        actions.accept_invitation(
            token=kept, user=None, username="colada", password="una frase larga", display_name="C"
        )


def test_join_attempts_are_limited_per_client() -> None:
    client = Client(REMOTE_ADDR="127.0.0.9")
    statuses = [client.post("/join/", {"code": "AAAA-BBBB-CCCC"}).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert Client(REMOTE_ADDR="127.0.0.10").post("/join/", {"code": "x"}).status_code == 200


def test_coordinator_signs_a_lost_phone_out(committee, coordinator) -> None:
    member = testing.member(committee, username="tavo")
    phone = testing.staff_client(member)
    assert phone.get("/staff/").status_code == 200
    membership = testing.membership_of(member, committee)
    testing.staff_client(coordinator).post(
        f"/staff/c/{committee.code}/members/{membership.code}/sign-out/"
    )
    assert phone.get("/staff/").status_code == 302


def test_member_ends_their_other_sessions_and_keeps_this_one(committee, coordinator) -> None:
    laptop = testing.staff_client(coordinator)
    phone = testing.staff_client(coordinator)
    response = laptop.post("/staff/me/sign-out/")
    assert response.status_code == 302
    assert laptop.get("/staff/").status_code == 200
    assert phone.get("/staff/").status_code == 302
