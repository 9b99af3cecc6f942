"""The committee network's JSON API. Same access functions and actions as the HTML views."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from defensa.core.api import ERRORS, StrictIn
from defensa.core.validation import ApiText
from defensa.network import access, actions
from defensa.network.access import Can, Viewer
from defensa.network.models import (
    AreaKind,
    AreaUnit,
    Committee,
    Invitation,
    Membership,
    Qualification,
    QualificationKind,
    Role,
)

router = Router(tags=["network"])

Name = Annotated[str, ApiText(80)]
LongName = Annotated[str, ApiText(120)]
ShortCode = Annotated[str, ApiText(20)]
ContactValue = Annotated[str, ApiText(254)]


def _viewer(request: HttpRequest) -> Viewer:
    viewer = request.auth  # type: ignore[attr-defined]
    assert isinstance(viewer, Viewer)
    return viewer


# --- Schemas ----------------------------------------------------------------------------------


class ContactIn(StrictIn):
    kind: Annotated[str, Field(pattern="^(phone|signal|email)$")]
    value: ContactValue


class ProfilePatch(StrictIn):
    display_name: Name | None = None
    languages: Annotated[list[Annotated[str, ApiText(8)]], Field(max_length=12)] | None = None
    contacts: Annotated[list[ContactIn], Field(max_length=5)] | None = None


class MembershipBrief(Schema):
    committee: uuid.UUID
    committee_name: str
    roles: list[str]


class MeOut(Schema):
    code: uuid.UUID
    display_name: str
    languages: list[str]
    contacts: list[dict[str, str]]
    memberships: list[MembershipBrief]


class ZoneOut(Schema):
    code: uuid.UUID
    name: str


class AreaUnitOut(Schema):
    code: uuid.UUID
    kind: str
    value: str
    zone: uuid.UUID | None


class CommitteeOut(Schema):
    code: uuid.UUID
    name: str
    region: str
    network: str
    timezone: str
    my_roles: list[str]


class CommitteeDetail(CommitteeOut):
    zones: list[ZoneOut]
    area: list[AreaUnitOut]


class QualificationOut(Schema):
    code: uuid.UUID
    kind: str
    expires_at: dt.datetime
    valid: bool


class MemberOut(Schema):
    code: uuid.UUID
    person: uuid.UUID
    display_name: str
    languages: list[str]
    roles: list[str]
    qualifications: list[QualificationOut]
    joined_at: dt.datetime


class InvitationIn(StrictIn):
    roles: Annotated[list[Role], Field(max_length=len(Role))] = []


class InvitationOut(Schema):
    code: uuid.UUID
    roles: list[str]
    expires_at: dt.datetime


class InvitationIssued(InvitationOut):
    token: str
    link: str


class QualificationIn(StrictIn):
    kind: QualificationKind
    expires_on: dt.date


class ZoneIn(StrictIn):
    name: LongName


class AreaUnitIn(StrictIn):
    kind: AreaKind
    value: ShortCode
    zone: uuid.UUID | None = None


class RegionIn(StrictIn):
    name: LongName


class RegionOut(Schema):
    code: uuid.UUID
    name: str


class CommitteeIn(StrictIn):
    region: uuid.UUID
    name: LongName
    timezone: Annotated[str, Field(max_length=64)] = "America/Chicago"


class NetworkCommitteeOut(Schema):
    code: uuid.UUID
    name: str
    region: str


# --- Converters -------------------------------------------------------------------------------


def _committee_out(viewer: Viewer, committee: Committee) -> dict[str, Any]:
    return {
        "code": committee.code,
        "name": committee.name,
        "region": committee.region.name,
        "network": committee.region.network.name,
        "timezone": committee.timezone,
        "my_roles": sorted(access.roles_in(viewer, committee)),
    }


def _unit_out(unit: AreaUnit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "kind": unit.kind,
        "value": unit.value,
        "zone": unit.zone.code if unit.zone else None,
    }


def _qualification_out(q: Qualification) -> dict[str, Any]:
    return {"code": q.code, "kind": q.kind, "expires_at": q.expires_at, "valid": q.is_valid}


def _member_out(m: Membership) -> dict[str, Any]:
    return {
        "code": m.code,
        "person": m.person.code,
        "display_name": m.person.display_name,
        "languages": m.person.languages,
        "roles": sorted(r.role for r in m.roles.all()),
        "qualifications": [_qualification_out(q) for q in m.person.qualifications.all()],
        "joined_at": m.joined_at,
    }


def _roster_entry(viewer: Viewer, committee: Committee, code: uuid.UUID) -> dict[str, Any]:
    member = access.roster(viewer, committee).filter(code=code).first()
    if member is None:
        raise access.NotFound
    return _member_out(member)


def _invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "code": invitation.code,
        "roles": list(invitation.roles),
        "expires_at": invitation.expires_at,
    }


# --- Me ---------------------------------------------------------------------------------------


def _me(viewer: Viewer) -> dict[str, Any]:
    person = viewer.person
    if person is None:
        raise access.NotFound
    memberships = [
        {"committee": c.code, "committee_name": c.name, "roles": sorted(access.roles_in(viewer, c))}
        for c in access.my_committees(viewer)
    ]
    return {
        "code": person.code,
        "display_name": person.display_name,
        "languages": person.languages,
        "contacts": access.contact_methods(viewer, person),
        "memberships": memberships,
    }


@router.get("/me", response={200: MeOut, **ERRORS})
def get_me(request: HttpRequest) -> dict[str, Any]:
    return _me(_viewer(request))


@router.patch("/me", response={200: MeOut, **ERRORS})
def patch_me(request: HttpRequest, body: ProfilePatch) -> dict[str, Any]:
    viewer = _viewer(request)
    if viewer.person is None:
        raise access.NotFound
    actions.update_profile(
        actor=viewer.person,
        person=viewer.person,
        display_name=body.display_name,
        languages=body.languages,
        contacts=[c.model_dump() for c in body.contacts] if body.contacts is not None else None,
    )
    return _me(viewer)


# --- Committees -------------------------------------------------------------------------------


@router.get("/committees", response={200: list[CommitteeOut], **ERRORS})
def list_committees(request: HttpRequest) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    return [_committee_out(viewer, c) for c in access.my_committees(viewer)]


@router.get("/committees/{code}", response={200: CommitteeDetail, **ERRORS})
def get_committee(request: HttpRequest, code: uuid.UUID) -> dict[str, Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.VIEW_COMMITTEE)
    return {
        **_committee_out(viewer, committee),
        "zones": [{"code": z.code, "name": z.name} for z in access.zones(viewer, committee)],
        "area": [_unit_out(u) for u in access.committee_area(viewer, committee)],
    }


@router.get("/committees/{code}/members", response={200: list[MemberOut], **ERRORS})
def list_members(request: HttpRequest, code: uuid.UUID) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.VIEW_ROSTER)
    return [_member_out(m) for m in access.roster(viewer, committee)]


@router.delete("/committees/{code}/members/{member}", response={204: None, **ERRORS})
def end_membership(request: HttpRequest, code: uuid.UUID, member: uuid.UUID) -> Status[Any]:
    viewer = _viewer(request)
    _committee, membership = access.committee_member(viewer, code, member, Can.MANAGE_MEMBERS)
    actions.end_membership(actor=viewer.person, membership=membership)
    return Status(204, None)


@router.put("/committees/{code}/members/{member}/roles/{role}", response={200: MemberOut, **ERRORS})
def grant_role(request: HttpRequest, code: uuid.UUID, member: uuid.UUID, role: Role) -> Any:
    viewer = _viewer(request)
    committee, membership = access.committee_member(viewer, code, member, Can.MANAGE_MEMBERS)
    actions.grant_role(actor=viewer.person, membership=membership, role=role)
    return _roster_entry(viewer, committee, membership.code)


@router.delete(
    "/committees/{code}/members/{member}/roles/{role}", response={200: MemberOut, **ERRORS}
)
def revoke_role(request: HttpRequest, code: uuid.UUID, member: uuid.UUID, role: Role) -> Any:
    viewer = _viewer(request)
    committee, membership = access.committee_member(viewer, code, member, Can.MANAGE_MEMBERS)
    actions.revoke_role(actor=viewer.person, membership=membership, role=role)
    return _roster_entry(viewer, committee, membership.code)


@router.post(
    "/committees/{code}/members/{member}/qualifications",
    response={201: QualificationOut, **ERRORS},
)
def grant_qualification(
    request: HttpRequest, code: uuid.UUID, member: uuid.UUID, body: QualificationIn
) -> Status[Any]:
    viewer = _viewer(request)
    committee, membership = access.committee_member(viewer, code, member, Can.MANAGE_QUALIFICATIONS)
    tz = zoneinfo.ZoneInfo(committee.timezone)
    expires_at = dt.datetime.combine(body.expires_on, dt.time(23, 59, 59), tzinfo=tz)
    qualification = actions.grant_qualification(
        actor=viewer.person,
        committee=committee,
        person=membership.person,
        kind=body.kind,
        expires_at=expires_at.astimezone(dt.UTC),
    )
    return Status(201, _qualification_out(qualification))


@router.delete("/committees/{code}/qualifications/{item}", response={204: None, **ERRORS})
def revoke_qualification(request: HttpRequest, code: uuid.UUID, item: uuid.UUID) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_QUALIFICATIONS)
    qualification = access.qualification(viewer, committee, item)
    actions.revoke_qualification(
        actor=viewer.person, committee=committee, qualification=qualification
    )
    return Status(204, None)


# --- Invitations ------------------------------------------------------------------------------


@router.get("/committees/{code}/invitations", response={200: list[InvitationOut], **ERRORS})
def list_invitations(request: HttpRequest, code: uuid.UUID) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_MEMBERS)
    return [_invitation_out(i) for i in access.invitations(viewer, committee)]


def _issued(request: HttpRequest, invitation: Invitation, token: str) -> dict[str, Any]:
    link = request.build_absolute_uri(reverse("network:join_token", args=[token]))
    return {**_invitation_out(invitation), "token": token, "link": link}


@router.post("/committees/{code}/invitations", response={201: InvitationIssued, **ERRORS})
def issue_invitation(request: HttpRequest, code: uuid.UUID, body: InvitationIn) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_MEMBERS)
    invitation, token = actions.issue_invitation(
        actor=viewer.person, committee=committee, roles=body.roles
    )
    return Status(201, _issued(request, invitation, token))


@router.delete("/committees/{code}/invitations/{item}", response={204: None, **ERRORS})
def revoke_invitation(request: HttpRequest, code: uuid.UUID, item: uuid.UUID) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_MEMBERS)
    actions.revoke_invitation(
        actor=viewer.person, invitation=access.invitation(viewer, committee, item)
    )
    return Status(204, None)


# --- Zones and area ---------------------------------------------------------------------------


@router.post("/committees/{code}/zones", response={201: ZoneOut, **ERRORS})
def create_zone(request: HttpRequest, code: uuid.UUID, body: ZoneIn) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_AREA)
    return Status(
        201, actions.create_zone(actor=viewer.person, committee=committee, name=body.name)
    )


@router.post("/committees/{code}/area", response={201: AreaUnitOut, **ERRORS})
def add_area(request: HttpRequest, code: uuid.UUID, body: AreaUnitIn) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_AREA)
    zone = access.zone(viewer, committee, body.zone) if body.zone else None
    unit = actions.add_area_unit(
        actor=viewer.person, committee=committee, kind=body.kind, value=body.value, zone=zone
    )
    return Status(201, _unit_out(unit))


@router.delete("/committees/{code}/area/{unit}", response={204: None, **ERRORS})
def remove_area(request: HttpRequest, code: uuid.UUID, unit: uuid.UUID) -> Status[Any]:
    viewer = _viewer(request)
    committee = access.committee(viewer, code, Can.MANAGE_AREA)
    actions.remove_area_unit(actor=viewer.person, unit=access.area_unit(viewer, committee, unit))
    return Status(204, None)


# --- Network administration -------------------------------------------------------------------


@router.get("/networks/{code}/committees", response={200: list[NetworkCommitteeOut], **ERRORS})
def network_committees(request: HttpRequest, code: uuid.UUID) -> list[dict[str, Any]]:
    viewer = _viewer(request)
    network = access.administered_network(viewer, code)
    return [
        {"code": c.code, "name": c.name, "region": c.region.name}
        for c in access.network_committees(viewer, network)
    ]


@router.post("/networks/{code}/regions", response={201: RegionOut, **ERRORS})
def create_region(request: HttpRequest, code: uuid.UUID, body: RegionIn) -> Status[Any]:
    viewer = _viewer(request)
    network = access.administered_network(viewer, code)
    return Status(201, actions.create_region(actor=viewer.person, network=network, name=body.name))


@router.post("/networks/{code}/committees", response={201: NetworkCommitteeOut, **ERRORS})
def create_committee(request: HttpRequest, code: uuid.UUID, body: CommitteeIn) -> Status[Any]:
    viewer = _viewer(request)
    network = access.administered_network(viewer, code)
    region = access.network_region(viewer, network, body.region)
    committee = actions.create_committee(
        actor=viewer.person, region=region, name=body.name, tz=body.timezone
    )
    return Status(201, {"code": committee.code, "name": committee.name, "region": region.name})


@router.post(
    "/networks/{code}/committees/{committee}/invitations",
    response={201: InvitationIssued, **ERRORS},
)
def invite_coordinator(request: HttpRequest, code: uuid.UUID, committee: uuid.UUID) -> Status[Any]:
    viewer = _viewer(request)
    network = access.administered_network(viewer, code)
    target = access.network_committee(viewer, network, committee)
    invitation, token = actions.invite_first_coordinator(actor=viewer.person, committee=target)
    return Status(201, _issued(request, invitation, token))
