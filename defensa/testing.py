"""Builders for tests: committees, members and signed-in clients with a second factor.

Everything is made through the real actions, so tests exercise the same paths as users.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.test import Client
from django.utils import timezone

from defensa.network import actions
from defensa.network.models import (
    ROLE_NEEDS_QUALIFICATION,
    Committee,
    Membership,
    Network,
    Person,
    Region,
    Role,
    User,
)

_counter = itertools.count(1)


def network(name: str = "Test network") -> Network:
    existing = Network.objects.filter(name=name).first()
    return existing or actions.create_network(actor=None, name=name)


def region(name: str = "Illinois", *, net: Network | None = None) -> Region:
    net = net or network()
    existing = net.regions.filter(name=name).first()
    return existing or actions.create_region(actor=None, network=net, name=name)


def committee(name: str | None = None, *, reg: Region | None = None) -> Committee:
    name = name or f"Committee {next(_counter)}"
    return actions.create_committee(actor=None, region=reg or region(), name=name)


def member(
    committee: Committee,
    *,
    roles: Sequence[str] = (),
    name: str | None = None,
    username: str | None = None,
    languages: Sequence[str] = ("es",),
) -> Person:
    """A person in `committee` with `roles` (qualifying them first where a role needs it)."""
    user = None
    if username:
        user = User.objects.create_user(username=username, password="correct horse battery")
    membership = actions.create_person(
        actor=None,
        committee=committee,
        display_name=name or f"Person {next(_counter)}",
        languages=languages,
        user=user,
    )
    for role in roles:
        give_role(membership, role)
    return membership.person


def give_role(membership: Membership, role: str) -> None:
    needed = ROLE_NEEDS_QUALIFICATION.get(role)
    if needed:
        actions.grant_qualification(
            actor=None,
            committee=membership.committee,
            person=membership.person,
            kind=needed,
            expires_at=timezone.now() + timedelta(days=90),
        )
    # Tests may name network admins the way starting a network does.
    actions.grant_role(
        actor=None, membership=membership, role=role, bootstrap=role == Role.NETWORK_ADMIN
    )


def membership_of(person: Person, committee: Committee) -> Membership:
    return person.memberships.get(committee=committee, ended_at__isnull=True)


def totp_code(secret: str) -> str:
    """The current code, waiting out the last seconds of a window so it is still current
    when the server checks it (allauth accepts only the current window)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.1)
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def enrol_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def signed_in(client: Client, user: User, *, mfa: bool = True) -> Client:
    """Log `user` in; with `mfa`, as if they had also entered a TOTP code at sign-in."""
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    if mfa:
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            enrol_totp(user)
        session = client.session
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "username": user.username},
            {"method": "mfa", "at": time.time(), "type": "totp"},
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


def staff_client(person: Person) -> Client:
    assert person.user is not None
    return signed_in(Client(), person.user)


# --- Authorization matrices --------------------------------------------------------------------


class _Undo(Exception):
    """Rolls back what one request of a matrix wrote, so the next client sees the same world."""


def access_outcome(response: Any) -> str:
    """What a request's answer means for access: allowed, denied (404), or sent to sign in."""
    status, location = response.status_code, response.get("Location", "")
    if status == 404:
        return "denied"
    if status == 302 and "/accounts/login/" in location:
        return "sign-in"
    if status in (200, 302):
        return "allowed"
    return f"unexpected {status}"


def access_surprises(
    clients: Mapping[str, Client],
    *,
    method: str,
    url: Callable[[], str],
    data: Callable[[], dict[str, Any]],
    allow: Callable[[str, str], bool],
) -> list[str]:
    """One request as each client (keyed "role@scope", or "anonymous", who must be sent to
    sign in), each rolled back afterwards; where what happened is not what `allow` says."""
    surprises = []
    for who, client in clients.items():
        got = ""
        try:
            with transaction.atomic():
                call = getattr(client, method)
                address = url()
                response = call(address, data()) if method == "post" else call(address)
                got = access_outcome(response)
                raise _Undo
        except _Undo:
            pass
        if who == "anonymous":
            want = "sign-in"
        else:
            role, scope = who.split("@")
            want = "allowed" if allow(role, scope) else "denied"
        if got != want:
            surprises.append(f"{who}: expected {want}, got {got}")
    return surprises
