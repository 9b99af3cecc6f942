"""Every permission-checked read of the committee network.

Views and the API load protected rows only through these functions. Each takes a `Viewer`
(built once per request from the account's active memberships) and either returns rows scoped to
what the viewer may see, or raises `NotFound` (the same for missing and not allowed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest

from defensa.core import access as kernel
from defensa.core import crypto
from defensa.core.access import NotFound, first_or_404
from defensa.network.models import (
    Committee,
    Invitation,
    Membership,
    MembershipRole,
    Network,
    Person,
    Qualification,
    Role,
    User,
    Zone,
)


class Can(StrEnum):
    VIEW_COMMITTEE = "view_committee"
    VIEW_ROSTER = "view_roster"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_QUALIFICATIONS = "manage_qualifications"
    MANAGE_AREA = "manage_area"


ANY_MEMBER = frozenset(Role)
COORDINATORS = frozenset({Role.COORDINATOR})

# Which roles in a committee allow what in that committee. Anything absent is denied.
POLICY: Mapping[Can, frozenset[str]] = {
    Can.VIEW_COMMITTEE: ANY_MEMBER,
    Can.VIEW_ROSTER: COORDINATORS,
    Can.MANAGE_MEMBERS: COORDINATORS,
    Can.MANAGE_QUALIFICATIONS: COORDINATORS,
    Can.MANAGE_AREA: COORDINATORS,
}


@dataclass(frozen=True)
class Viewer:
    """Who is asking: their person and their roles in each committee they actively belong to."""

    user: User
    person: Person | None
    roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    networks: Mapping[int, int] = field(default_factory=dict)  # committee id -> network id

    def can(self, capability: Can, committee_id: int) -> bool:
        return bool(self.roles.get(committee_id, frozenset()) & POLICY[capability])

    def committees_where(self, capability: Can) -> list[int]:
        return [cid for cid in self.roles if self.can(capability, cid)]

    def administers(self, network_id: int) -> bool:
        return any(
            Role.NETWORK_ADMIN in roles and self.networks.get(cid) == network_id
            for cid, roles in self.roles.items()
        )

    @property
    def person_code(self) -> uuid.UUID | None:
        return self.person.code if self.person else None


def viewer_for(request: HttpRequest) -> Viewer:
    """The request's viewer; raises SignInRequired or MfaRequired before any protected read."""
    cached = getattr(request, "_defensa_viewer", None)
    if cached is not None:
        return cached
    kernel.require_staff(request)
    user = request.user
    assert isinstance(user, User)
    viewer = build_viewer(user)
    request._defensa_viewer = viewer  # type: ignore[attr-defined]
    return viewer


def build_viewer(user: User) -> Viewer:
    person = Person.objects.filter(user=user).first()
    if person is None:
        return Viewer(user=user, person=None)
    roles: dict[int, set[str]] = {}
    networks: dict[int, int] = {}
    rows = MembershipRole.objects.filter(
        membership__person=person, membership__ended_at__isnull=True
    ).values_list("membership__committee_id", "membership__committee__region__network_id", "role")
    for committee_id, network_id, role in rows:
        roles.setdefault(committee_id, set()).add(role)
        networks[committee_id] = network_id
    return Viewer(
        user=user,
        person=person,
        roles={cid: frozenset(r) for cid, r in roles.items()},
        networks=networks,
    )


# --- Committees -------------------------------------------------------------------------------


def my_committees(viewer: Viewer) -> QuerySet[Committee]:
    return (
        Committee.objects.filter(id__in=list(viewer.roles))
        .select_related("region__network")
        .order_by("name")
    )


def committee(viewer: Viewer, code: uuid.UUID | str, need: Can) -> Committee:
    """A committee the viewer may act on with `need`, or NotFound."""
    return committee_with_roles(viewer, code, POLICY[need])


def committee_with_roles(viewer: Viewer, code: uuid.UUID | str, roles: frozenset[str]) -> Committee:
    """A committee where the viewer holds one of `roles` (other apps' policies), or NotFound."""
    ids = [cid for cid, held in viewer.roles.items() if held & roles]
    return first_or_404(
        Committee.objects.filter(code=_uuid(code), id__in=ids).select_related("region__network")
    )


def roles_in(viewer: Viewer, committee: Committee) -> frozenset[str]:
    return viewer.roles.get(committee.id, frozenset())


def zones(viewer: Viewer, committee: Committee) -> QuerySet[Zone]:
    _require(viewer, Can.VIEW_COMMITTEE, committee)
    return committee.zones.order_by("name").prefetch_related("area")


def committee_area(viewer: Viewer, committee: Committee) -> QuerySet[Any]:
    _require(viewer, Can.VIEW_COMMITTEE, committee)
    return committee.area.select_related("zone").order_by("kind", "value")


def area_unit(viewer: Viewer, committee: Committee, code: uuid.UUID | str) -> Any:
    _require(viewer, Can.MANAGE_AREA, committee)
    return first_or_404(committee.area.filter(code=_uuid(code)))


def zone(viewer: Viewer, committee: Committee, code: uuid.UUID | str) -> Zone:
    _require(viewer, Can.VIEW_COMMITTEE, committee)
    return first_or_404(committee.zones.filter(code=_uuid(code)))


# --- Members ----------------------------------------------------------------------------------


def roster(viewer: Viewer, committee: Committee) -> QuerySet[Membership]:
    """Active memberships with roles and the people's current qualifications."""
    _require(viewer, Can.VIEW_ROSTER, committee)
    return (
        Membership.objects.filter(committee=committee, ended_at__isnull=True)
        .select_related("person")
        .prefetch_related(
            "roles",
            Prefetch(
                "person__qualifications",
                queryset=Qualification.objects.filter(revoked_at__isnull=True).order_by(
                    "kind", "-expires_at"
                ),
            ),
        )
        .order_by("person__display_name", "id")
    )


def membership(
    viewer: Viewer, committee: Committee, code: uuid.UUID | str, need: Can
) -> Membership:
    _require(viewer, need, committee)
    return first_or_404(
        Membership.objects.filter(
            committee=committee, code=_uuid(code), ended_at__isnull=True
        ).select_related("person")
    )


def committee_member(
    viewer: Viewer, committee_code: uuid.UUID | str, membership_code: uuid.UUID | str, need: Can
) -> tuple[Committee, Membership]:
    """A committee the viewer may act on with `need`, and one of its active memberships."""
    found = committee(viewer, committee_code, need)
    return found, membership(viewer, found, membership_code, need)


def qualification(viewer: Viewer, committee: Committee, code: uuid.UUID | str) -> Qualification:
    """A qualification this committee granted to one of its members: its coordinators may
    revoke it. Another committee's grant is that committee's to revoke."""
    _require(viewer, Can.MANAGE_QUALIFICATIONS, committee)
    members = Membership.objects.filter(committee=committee, ended_at__isnull=True)
    return first_or_404(
        Qualification.objects.filter(
            code=_uuid(code),
            committee=committee,
            person__in=members.values("person"),
            revoked_at__isnull=True,
        ).select_related("person")
    )


def invitations(viewer: Viewer, committee: Committee) -> QuerySet[Invitation]:
    _require(viewer, Can.MANAGE_MEMBERS, committee)
    return committee.invitations.filter(used_at__isnull=True, revoked_at__isnull=True).order_by(
        "-created_at"
    )


def invitation(viewer: Viewer, committee: Committee, code: uuid.UUID | str) -> Invitation:
    return first_or_404(invitations(viewer, committee).filter(code=_uuid(code)))


def contact_methods(viewer: Viewer, person: Person) -> list[dict[str, str]]:
    """A person's contact methods: for themselves, or coordinators of a committee they are in."""
    allowed = viewer.person is not None and viewer.person.id == person.id
    if not allowed:
        shared = Membership.objects.filter(
            person=person,
            ended_at__isnull=True,
            committee_id__in=viewer.committees_where(Can.VIEW_ROSTER),
        )
        allowed = shared.exists()
    if not allowed:
        raise NotFound
    return _unsealed_contacts(person)


def contact_methods_for_delivery(person: Person) -> list[dict[str, str]]:
    """A person's contact methods, most preferred first, for the system to send them a message.

    No viewer: only `messaging` calls this, at the moment of sending, and nothing it returns
    is stored or logged.
    """
    return _unsealed_contacts(person)


def _unsealed_contacts(person: Person) -> list[dict[str, str]]:
    if not person.contact_sealed:
        return []
    binding = crypto.Binding.of(person, "contact", committee=person.home_committee.code)
    try:
        value = crypto.unseal_json(person.contact_sealed, binding=binding)
    except crypto.KeyDestroyed:
        return []
    return list(value)


# --- Networks ---------------------------------------------------------------------------------


def administered_network(viewer: Viewer, code: uuid.UUID | str) -> Network:
    network = Network.objects.filter(code=_uuid(code)).first()
    if network is None or not viewer.administers(network.id):
        raise NotFound
    return network


def administered_networks(viewer: Viewer) -> list[Network]:
    ids = {nid for cid, nid in viewer.networks.items() if Role.NETWORK_ADMIN in viewer.roles[cid]}
    return list(Network.objects.filter(id__in=ids).order_by("name"))


def network_committees(viewer: Viewer, network: Network) -> QuerySet[Committee]:
    """Names and regions only: administering a network does not open committees' rosters."""
    if not viewer.administers(network.id):
        raise NotFound
    return (
        Committee.objects.filter(region__network=network)
        .select_related("region")
        .order_by("region__name", "name")
    )


def network_committee(viewer: Viewer, network: Network, code: uuid.UUID | str) -> Committee:
    return first_or_404(network_committees(viewer, network).filter(code=_uuid(code)))


def network_region(viewer: Viewer, network: Network, code: uuid.UUID | str) -> Any:
    if not viewer.administers(network.id):
        raise NotFound
    return first_or_404(network.regions.filter(code=_uuid(code)))


# --- Helpers ----------------------------------------------------------------------------------


def _require(viewer: Viewer, need: Can, committee: Committee) -> None:
    if not viewer.can(need, committee.id):
        raise NotFound


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound from exc
