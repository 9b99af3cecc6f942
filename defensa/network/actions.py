"""Every write to the committee network. Each action is atomic and leaves one audit event.

Actions trust that the caller loaded their objects through `network.access` (which checked the
viewer's right to act); they enforce the domain's own rules and raise `ActionRefused` with a
clear reason, writing nothing, when a rule says no.
"""

from __future__ import annotations

import secrets
import uuid
import zoneinfo
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from defensa.core import audit, crypto, geo
from defensa.core.errors import ActionRefused
from defensa.core.models import KeyPurpose
from defensa.network.models import (
    ROLE_NEEDS_QUALIFICATION,
    AreaKind,
    AreaUnit,
    Committee,
    Invitation,
    Membership,
    MembershipRole,
    Network,
    Person,
    Qualification,
    QualificationKind,
    Region,
    Role,
    User,
    Zone,
)

CONTACT_KINDS = ("phone", "signal", "email")
# Crockford's base32 without look-alikes: codes are read aloud and typed on phones.
TOKEN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # noqa: S105 - an alphabet
TOKEN_LENGTH = 12
PERSON_FIELDS = ("display_name", "languages", "home_committee")


def _actor(person: Person | None) -> uuid.UUID | None:
    return person.code if person else None


# --- Tree -------------------------------------------------------------------------------------


@transaction.atomic
def create_network(*, actor: Person | None, name: str) -> Network:
    network = Network.objects.create(name=name)
    audit.record(actor=_actor(actor), verb="network.created", target=network, after={"name": name})
    return network


@transaction.atomic
def create_region(*, actor: Person | None, network: Network, name: str) -> Region:
    if network.regions.filter(name__iexact=name).exists():
        raise ActionRefused(_("A region with this name already exists."), field="name")
    region = Region.objects.create(network=network, name=name)
    audit.record(
        actor=_actor(actor),
        verb="region.created",
        target=region,
        after={"name": name, "network": str(network.code)},
    )
    return region


@transaction.atomic
def create_committee(
    *, actor: Person | None, region: Region, name: str, tz: str = "America/Chicago"
) -> Committee:
    if tz not in zoneinfo.available_timezones():
        raise ActionRefused(_("Unknown time zone."), field="timezone")
    if Committee.objects.filter(region=region, name__iexact=name).exists():
        raise ActionRefused(_("A committee with this name already exists here."), field="name")
    committee = Committee.objects.create(region=region, name=name, timezone=tz)
    after = {"name": name, "region": str(region.code), "timezone": tz}
    audit.record(actor=_actor(actor), verb="committee.created", target=committee, after=after)
    # The committee's own chain starts with its creation too.
    audit.record(
        actor=_actor(actor),
        verb="committee.created",
        target=committee,
        committee=committee.code,
        after=after,
    )
    return committee


@transaction.atomic
def create_zone(*, actor: Person | None, committee: Committee, name: str) -> Zone:
    if committee.zones.filter(name__iexact=name).exists():
        raise ActionRefused(_("A zone with this name already exists."), field="name")
    zone = Zone.objects.create(committee=committee, name=name)
    audit.record(
        actor=_actor(actor),
        verb="zone.created",
        target=zone,
        committee=committee.code,
        after={"name": name},
    )
    return zone


def normalize_area_value(kind: str, value: str) -> str:
    """The canonical form of an area unit's value, or ActionRefused saying what is wrong."""
    value = value.strip()
    if kind == AreaKind.ZIP:
        if geo.zip_code(value) is None:
            raise ActionRefused(_("This is not a known US ZIP code."), field="value")
        return value
    if kind == AreaKind.COUNTY:
        if geo.county(value) is None:
            raise ActionRefused(
                _("This is not a known county FIPS code (5 digits)."), field="value"
            )
        return value
    if kind == AreaKind.CELL:
        value = value.lower()
        if not geo.valid_area_cell(value):
            raise ActionRefused(
                _("This is not a map cell we can store (H3, resolution 3 to 7)."), field="value"
            )
        return value
    raise ActionRefused(_("Unknown kind of area."), field="kind")


@transaction.atomic
def add_area_unit(
    *, actor: Person | None, committee: Committee, kind: str, value: str, zone: Zone | None = None
) -> AreaUnit:
    value = normalize_area_value(kind, value)
    if zone is not None and zone.committee_id != committee.id:
        raise ActionRefused(_("Unknown zone."), field="zone")
    duplicate = AreaUnit.objects.filter(committee=committee, zone=zone, kind=kind, value=value)
    if duplicate.exists():
        raise ActionRefused(_("This is already part of the area."), field="value")
    unit = AreaUnit.objects.create(committee=committee, zone=zone, kind=kind, value=value)
    audit.record(
        actor=_actor(actor),
        verb="area.added",
        target=unit,
        committee=committee.code,
        after={"kind": kind, "value": value, "zone": str(zone.code) if zone else None},
    )
    return unit


@transaction.atomic
def remove_area_unit(*, actor: Person | None, unit: AreaUnit) -> None:
    before = {"kind": unit.kind, "value": unit.value}
    committee_code = unit.committee.code
    audit.record(
        actor=_actor(actor),
        verb="area.removed",
        target=unit,
        committee=committee_code,
        before=before,
    )
    unit.delete()


# --- Invitations ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return salted_hmac("defensa.network.invitation", token, algorithm="sha256").hexdigest()


def normalize_token(raw: str) -> str:
    """Accept a code as people type it: any case, with spaces or dashes, O for 0, I/L for 1."""
    cleaned = raw.upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def format_token(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


INVITABLE_ROLES = tuple(
    role for role in Role if role not in ROLE_NEEDS_QUALIFICATION and role != Role.NETWORK_ADMIN
)


@transaction.atomic
def issue_invitation(
    *, actor: Person | None, committee: Committee, roles: Sequence[str], bootstrap: bool = False
) -> tuple[Invitation, str]:
    """Return the invitation and its one-time code; the code is shown once and never stored.

    `bootstrap` (the command that starts a network) may also hand out the network admin role.
    """
    chosen = sorted({Role.MEMBER, *roles})
    allowed = (*INVITABLE_ROLES, Role.NETWORK_ADMIN) if bootstrap else INVITABLE_ROLES
    for role in chosen:
        if role not in allowed:
            raise ActionRefused(
                _("This role cannot be given by invitation; grant it after training."),
                field="roles",
            )
    token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
    invitation = Invitation.objects.create(
        committee=committee,
        roles=chosen,
        token_hash=_token_hash(token),
        issued_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.DEFENSA_INVITATION_DAYS),
    )
    audit.record(
        actor=_actor(actor),
        verb="invitation.issued",
        target=invitation,
        committee=committee.code,
        after={"roles": chosen, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation, format_token(token)


@transaction.atomic
def invite_first_coordinator(
    *, actor: Person | None, committee: Committee
) -> tuple[Invitation, str]:
    """A network admin starts a committee that has no coordinator. Once it has one, its own
    coordinators invite people: the admin cannot use invitations to enter its roster."""
    Committee.objects.select_for_update().filter(id=committee.id).first()
    if has_coordinator(committee):
        raise ActionRefused(_("This committee already has a coordinator; they invite its members."))
    # One open first-coordinator code at a time: a new one replaces the earlier ones.
    for earlier in committee.invitations.filter(used_at__isnull=True, revoked_at__isnull=True):
        revoke_invitation(actor=actor, invitation=earlier)
    return issue_invitation(actor=actor, committee=committee, roles=[Role.COORDINATOR])


@transaction.atomic
def revoke_invitation(*, actor: Person | None, invitation: Invitation) -> None:
    if not invitation.usable:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        actor=_actor(actor),
        verb="invitation.revoked",
        target=invitation,
        committee=invitation.committee.code,
    )


def find_invitation(token: str) -> Invitation | None:
    """The usable invitation for a code, locked for the rest of the transaction."""
    normalized = normalize_token(token)
    if len(normalized) != TOKEN_LENGTH or any(c not in TOKEN_ALPHABET for c in normalized):
        return None
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("committee")
        .filter(token_hash=_token_hash(normalized))
        .first()
    )
    return invitation if invitation is not None and invitation.usable else None


@transaction.atomic
def accept_invitation(
    *,
    token: str,
    user: User | None,
    username: str = "",
    password: str = "",
    display_name: str = "",
    languages: Sequence[str] = (),
) -> Membership:
    """Join a committee with a code: a new account and person, or an existing person."""
    invitation = find_invitation(token)
    if invitation is None:
        raise ActionRefused(
            _("This code is not valid. It may have expired or been used already."), field="code"
        )
    committee = invitation.committee
    first_coordinator = Role.COORDINATOR in invitation.roles and not has_coordinator(committee)
    if user is not None:
        person = Person.objects.filter(user=user).first()
        if person is None:
            raise ActionRefused(_("This account has no member profile."))
        if Membership.objects.filter(
            person=person, committee=committee, ended_at__isnull=True
        ).exists():
            raise ActionRefused(_("You are already a member of this committee."), field="code")
    else:
        user = _create_account(username=username, password=password)
        person = Person.objects.create(
            user=user,
            display_name=display_name,
            languages=list(languages),
            home_committee=committee,
        )
        audit.record(
            actor=person.code,
            verb="person.created",
            target=person,
            committee=committee.code,
            after=audit.snapshot(person, PERSON_FIELDS),
        )
    membership = Membership.objects.create(person=person, committee=committee)
    MembershipRole.objects.bulk_create(
        MembershipRole(membership=membership, role=role) for role in invitation.roles
    )
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    if first_coordinator:
        # From now on the committee's own coordinators decide who joins: codes issued before
        # it had one (by a network admin) stop working.
        for other in committee.invitations.filter(used_at__isnull=True, revoked_at__isnull=True):
            revoke_invitation(actor=None, invitation=other)
    audit.record(
        actor=person.code,
        verb="membership.joined",
        target=membership,
        committee=committee.code,
        after={"person": str(person.code), "roles": list(invitation.roles)},
    )
    return membership


def _create_account(*, username: str, password: str) -> User:
    username = username.strip().lower()
    if User.objects.filter(username__iexact=username).exists():
        raise ActionRefused(_("This username is taken. Please choose another."), field="username")
    user = User(username=username)
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        field = "username" if hasattr(exc, "error_dict") else "password"
        raise ActionRefused(" ".join(exc.messages), field=field) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ActionRefused(
            _("This username is taken. Please choose another."), field="username"
        ) from exc
    return user


def has_coordinator(committee: Committee) -> bool:
    return _active_coordinators(committee) > 0


# --- Roles and memberships --------------------------------------------------------------------


def is_qualified(person: Person, kind: str, *, at: datetime | None = None) -> bool:
    """Whether the person holds a valid qualification of this kind at `at` (default now)."""
    at = at or timezone.now()
    return Qualification.objects.filter(
        person=person, kind=kind, revoked_at__isnull=True, expires_at__gt=at, granted_at__lte=at
    ).exists()


def _active_coordinators(committee: Committee) -> int:
    return MembershipRole.objects.filter(
        membership__committee=committee,
        membership__ended_at__isnull=True,
        role=Role.COORDINATOR,
    ).count()


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
        _revoke_invitations_issued_by(membership)
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
    _revoke_invitations_issued_by(membership)
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


def _revoke_invitations_issued_by(membership: Membership) -> None:
    """A coordinator who leaves, or stops coordinating, takes their unused codes along: an
    expelled infiltrator must not come back through a code they issued."""
    open_codes = Invitation.objects.filter(
        committee=membership.committee_id,
        issued_by=membership.person_id,
        used_at__isnull=True,
        revoked_at__isnull=True,
    )
    for invitation in open_codes:
        revoke_invitation(actor=None, invitation=invitation)


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


# --- Qualifications ---------------------------------------------------------------------------


def _label(kind: str) -> str:
    return str(QualificationKind(kind).label)


@transaction.atomic
def grant_qualification(
    *,
    actor: Person | None,
    committee: Committee,
    person: Person,
    kind: str,
    expires_at: datetime,
) -> Qualification:
    if kind not in QualificationKind.values:
        raise ActionRefused(_("Unknown qualification."), field="kind")
    if actor is not None and actor.id == person.id:
        raise ActionRefused(
            _("Another coordinator must record your own qualifications."), field="kind"
        )
    now = timezone.now()
    if expires_at <= now:
        raise ActionRefused(_("The expiry date must be in the future."), field="expires_on")
    if expires_at > now + timedelta(days=3 * 366):
        raise ActionRefused(
            _("Qualifications last at most three years; renew them after retraining."),
            field="expires_on",
        )
    if not person.memberships.filter(committee=committee, ended_at__isnull=True).exists():
        raise ActionRefused(_("This person is not a member of the committee."))
    qualification = Qualification.objects.create(
        person=person,
        kind=kind,
        committee=committee,
        granted_by=actor,
        granted_at=now,
        expires_at=expires_at,
    )
    audit.record(
        actor=_actor(actor),
        verb="qualification.granted",
        target=qualification,
        committee=committee.code,
        after={"person": str(person.code), "kind": kind, "expires_at": expires_at.isoformat()},
    )
    return qualification


@transaction.atomic
def revoke_qualification(
    *, actor: Person | None, committee: Committee, qualification: Qualification
) -> None:
    if qualification.revoked_at is not None:
        return
    qualification.revoked_at = timezone.now()
    qualification.save(update_fields=["revoked_at"])
    audit.record(
        actor=_actor(actor),
        verb="qualification.revoked",
        target=qualification,
        committee=committee.code,
        before={"person": str(qualification.person.code), "kind": qualification.kind},
    )


# --- Profiles ---------------------------------------------------------------------------------


def _clean_contacts(contacts: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    import phonenumbers

    cleaned: list[dict[str, str]] = []
    for entry in contacts:
        kind, value = entry.get("kind", ""), entry.get("value", "").strip()
        if kind not in CONTACT_KINDS:
            raise ActionRefused(_("Unknown kind of contact."), field="contact")
        if kind in {"phone", "signal"}:
            try:
                number = phonenumbers.parse(value, "US")
            except phonenumbers.NumberParseException as exc:
                raise ActionRefused(_("This is not a phone number."), field="contact") from exc
            if not phonenumbers.is_valid_number(number):
                raise ActionRefused(_("This is not a phone number."), field="contact")
            value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        elif "@" not in value or len(value) > 254:
            raise ActionRefused(_("This is not an e-mail address."), field="contact")
        cleaned.append({"kind": kind, "value": value})
    if len(cleaned) > 5:
        raise ActionRefused(_("Give at most five ways to reach you."), field="contact")
    return cleaned


def _clean_languages(languages: Sequence[str]) -> list[str]:
    known = {code for code, _name in settings.DEFENSA_SPOKEN_LANGUAGES}
    chosen: list[str] = []
    for code in languages:
        if code not in known:
            raise ActionRefused(_("Unknown language."), field="languages")
        if code not in chosen:
            chosen.append(code)
    return chosen


@transaction.atomic
def update_profile(
    *,
    actor: Person | None,
    person: Person,
    display_name: str | None = None,
    languages: Sequence[str] | None = None,
    contacts: Sequence[dict[str, str]] | None = None,
) -> Person:
    before = audit.snapshot(person, ["display_name", "languages"], sealed=["contact_sealed"])
    fields: list[str] = []
    if display_name is not None:
        person.display_name = display_name
        fields.append("display_name")
    if languages is not None:
        person.languages = _clean_languages(languages)
        fields.append("languages")
    if contacts is not None:
        cleaned = _clean_contacts(contacts)
        binding = crypto.Binding.of(person, "contact", committee=person.home_committee.code)
        person.contact_sealed = (
            crypto.seal_json(cleaned, binding=binding, purpose=KeyPurpose.PROFILE)
            if cleaned
            else None
        )
        fields.append("contact_sealed")
    if fields:
        person.save(update_fields=fields)
        after = audit.snapshot(person, ["display_name", "languages"], sealed=["contact_sealed"])
        if contacts is not None:
            # Record that the sealed value was replaced, never what it holds.
            after["contact_sealed"] = "<sealed:replaced>" if person.contact_sealed else None
        audit.record(
            actor=_actor(actor),
            verb="person.updated",
            target=person,
            committee=person.home_committee.code,
            before=before,
            after=after,
        )
    return person


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
        languages=_clean_languages(languages),
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


def shred_committee_profiles(*, actor: Person | None, committee: Committee) -> int:
    """Destroy the committee's profile key: every contact method it sealed becomes unreadable."""
    with transaction.atomic():
        keys = list(
            crypto.DataKey.objects.filter(
                committee=committee.code, purpose=KeyPurpose.PROFILE, destroyed_at__isnull=True
            )
        )
        count = crypto.destroy_keys(keys, now=timezone.now())
        audit.record(
            actor=_actor(actor),
            verb="datakeys.destroyed",
            object_type="core.datakey",
            committee=committee.code,
            after={"purpose": KeyPurpose.PROFILE, "keys": count},
        )
    return count
