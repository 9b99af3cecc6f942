"""Roles, memberships and sessions of the people in a committee."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.actions._shared import (
    PERSON_FIELDS,
    _active_coordinators,
    _actor,
    _label,
    is_qualified,
)
from defensa.network.actions.invitations import revoke_invitations_issued_by
from defensa.network.actions.profiles import clean_languages, update_profile
from defensa.network.models import (
    ROLE_NEEDS_QUALIFICATION,
    Committee,
    Membership,
    MembershipRole,
    Person,
    Role,
    User,
)


@transaction.atomic
def grant_role(
    *, actor: Person | None, membership: Membership, role: str, bootstrap: bool = False
) -> MembershipRole:
    """`bootstrap` (starting a network, the demo) may name a network admin; nothing else can:
    administering a network lets one invite coordinators anywhere in it."""
    if role not in Role.values:
        raise ActionRefused(_("Unknown role."), field="role")
    if role == Role.NETWORK_ADMIN and not bootstrap:
        raise ActionRefused(_("The network admin role is not granted here."), field="role")
    needed = ROLE_NEEDS_QUALIFICATION.get(role)
    if needed and not is_qualified(membership.person, needed):
        raise ActionRefused(
            _("%(name)s needs a valid %(qualification)s qualification for this role.")
            % {"name": membership.person.display_name, "qualification": _label(needed)},
            field="role",
        )
    granted, created = MembershipRole.objects.get_or_create(membership=membership, role=role)
    if created:
        audit.record(
            actor=_actor(actor),
            verb="role.granted",
            target=membership,
            committee=membership.committee.code,
            after={"role": role, "person": str(membership.person.code)},
        )
    return granted


@transaction.atomic
def revoke_role(*, actor: Person | None, membership: Membership, role: str) -> None:
    Committee.objects.select_for_update().filter(id=membership.committee_id).first()
    if role == Role.COORDINATOR and _active_coordinators(membership.committee) <= 1:
        raise ActionRefused(
            _("A committee needs at least one coordinator. Name another one first."), field="role"
        )
    if role == Role.MEMBER:
        raise ActionRefused(
            _("Everyone in a committee is a member; end the membership instead."), field="role"
        )
    deleted, _rows = MembershipRole.objects.filter(membership=membership, role=role).delete()
    if deleted and role == Role.COORDINATOR:
        revoke_invitations_issued_by(membership)
    if deleted:
        audit.record(
            actor=_actor(actor),
            verb="role.revoked",
            target=membership,
            committee=membership.committee.code,
            before={"role": role, "person": str(membership.person.code)},
        )


@transaction.atomic
def end_membership(*, actor: Person | None, membership: Membership) -> None:
    Committee.objects.select_for_update().filter(id=membership.committee_id).first()
    is_coordinator = membership.roles.filter(role=Role.COORDINATOR).exists()
    if is_coordinator and _active_coordinators(membership.committee) <= 1:
        raise ActionRefused(
            _("A committee needs at least one coordinator. Name another one first.")
        )
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at"])
    roles = sorted(membership.roles.values_list("role", flat=True))
    membership.roles.all().delete()
    revoke_invitations_issued_by(membership)
    person = membership.person
    if person.user_id and not person.memberships.filter(ended_at__isnull=True).exists():
        # No committee left: sign the account out everywhere.
        User.objects.filter(id=person.user_id).update(session_epoch=F("session_epoch") + 1)
    audit.record(
        actor=_actor(actor),
        verb="membership.ended",
        target=membership,
        committee=membership.committee.code,
        before={"person": str(person.code), "roles": roles},
    )


@transaction.atomic
def sign_out_everywhere(*, actor: Person | None, user: User) -> None:
    User.objects.filter(id=user.id).update(session_epoch=F("session_epoch") + 1)
    person = Person.objects.filter(user=user).first()
    audit.record(
        actor=_actor(actor),
        verb="account.signed_out_everywhere",
        object_type="network.person",
        object_code=str(person.code) if person else "",
        committee=person.home_committee.code if person else None,
    )


@transaction.atomic
def record_sign_in_change(*, user: User, verb: str, kind: str) -> None:
    """Audit a change to how an account signs in (made through allauth's own pages)."""
    person = Person.objects.filter(user=user).select_related("home_committee").first()
    audit.record(
        actor=_actor(person),
        verb=verb,
        object_type="network.person",
        object_code=str(person.code) if person else "",
        committee=person.home_committee.code if person else None,
        after={"kind": kind},
    )


@transaction.atomic
def create_person(
    *,
    actor: Person | None,
    committee: Committee,
    display_name: str,
    languages: Sequence[str] = (),
    roles: Sequence[str] = (Role.MEMBER,),
    user: User | None = None,
    contacts: Sequence[dict[str, str]] = (),
) -> Membership:
    """A member added directly by a coordinator (or the demo), with or without an account."""
    person = Person.objects.create(
        user=user,
        display_name=display_name,
        languages=clean_languages(languages),
        home_committee=committee,
    )
    audit.record(
        actor=_actor(actor) or person.code,
        verb="person.created",
        target=person,
        committee=committee.code,
        after=audit.snapshot(person, PERSON_FIELDS),
    )
    if contacts:
        update_profile(actor=actor, person=person, contacts=contacts)
    membership = Membership.objects.create(person=person, committee=committee)
    audit.record(
        actor=_actor(actor) or person.code,
        verb="membership.joined",
        target=membership,
        committee=committee.code,
        after={"person": str(person.code), "roles": [Role.MEMBER]},
    )
    MembershipRole.objects.create(membership=membership, role=Role.MEMBER)
    for role in roles:
        if role != Role.MEMBER:
            grant_role(actor=actor, membership=membership, role=role)
    return membership


@transaction.atomic
def add_membership(
    *, actor: Person | None, committee: Committee, person: Person, roles: Sequence[str] = ()
) -> Membership:
    """An existing person joins another committee (e.g. a trainer serving two)."""
    if person.memberships.filter(committee=committee, ended_at__isnull=True).exists():
        raise ActionRefused(_("This person is already a member of this committee."))
    membership = Membership.objects.create(person=person, committee=committee)
    MembershipRole.objects.create(membership=membership, role=Role.MEMBER)
    audit.record(
        actor=_actor(actor),
        verb="membership.joined",
        target=membership,
        committee=committee.code,
        after={"person": str(person.code), "roles": [Role.MEMBER]},
    )
    for role in roles:
        if role != Role.MEMBER:
            grant_role(actor=actor, membership=membership, role=role)
    return membership
