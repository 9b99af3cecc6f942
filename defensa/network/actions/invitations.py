"""One-time invitation codes, and joining with them."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from defensa.core import audit
from defensa.core.errors import ActionRefused
from defensa.network.actions._shared import PERSON_FIELDS, _actor, has_coordinator
from defensa.network.models import (
    ROLE_NEEDS_QUALIFICATION,
    Committee,
    Invitation,
    Membership,
    MembershipRole,
    Person,
    Role,
    User,
)

# Crockford's base32 without look-alikes: codes are read aloud and typed on phones.
TOKEN_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # noqa: S105 - an alphabet


TOKEN_LENGTH = 12


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


def revoke_invitations_issued_by(membership: Membership) -> None:
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
