"""A believable demo network: three committees in two states, about 40 pseudonymous members.

Every write goes through the same actions as real use, so the demo's audit log is real too.
Demo sign-in secrets are generated here and written only to the git-ignored data directory.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from defensa.network import actions
from defensa.network.models import (
    AreaKind,
    Committee,
    Network,
    Person,
    QualificationKind,
    Role,
    User,
)

DEMO_NETWORK = "Red de Comités de Defensa (demo)"

NICKNAMES = [
    "Doña Chela",
    "Tío Beto",
    "Marisol",
    "Don Pancho",
    "Lupita",
    "Chepe",
    "Tavo",
    "Rosalía",
    "Jean-Baptiste",
    "Nadège",
    "Fabiola",
    "Wilner",
    "Tere",
    "Memo",
    "Yoli",
    "Cuauhtémoc",
    "Xóchitl",
    "Ixchel",
    "Maruca",
    "Kike",
    "Paty",
    "Chuy",
    "Nico",
    "Lorena",
    "Ana Paula",
    "Thiago",
    "Joana",
    "Concha",
    "Efraín",
    "Brenda",
    "Toño",
    "Gaby",
    "Ximena",
    "Balam",
    "Itzel",
    "Ramiro",
    "Sol",
    "Mireya",
    "Junior",
    "Candelaria",
    "Abigail",
    "Rigo",
]

LANGUAGE_MIX = [
    ["es"],
    ["es"],
    ["es", "en"],
    ["es"],
    ["en", "es"],
    ["es", "quc"],
    ["mam", "es"],
    ["ht", "fr", "en"],
    ["ht", "en"],
    ["pt", "es"],
    ["es"],
    ["en"],
    ["es", "kjb"],
]


@dataclass(frozen=True)
class CommitteePlan:
    name: str
    region: str
    tz: str
    zones: dict[str, list[str]]  # zone name -> ZIP codes
    counties: list[str]
    size: int


PLANS = [
    CommitteePlan(
        "Comité de Defensa de Pilsen",
        "Illinois",
        "America/Chicago",
        {"Pilsen": ["60608"], "Back of the Yards": ["60609"]},
        ["17031"],
        16,
    ),
    CommitteePlan(
        "Comité de Defensa de La Villita",
        "Illinois",
        "America/Chicago",
        {"La Villita": ["60623"], "Brighton Park": ["60632"]},
        ["17031"],
        12,
    ),
    CommitteePlan(
        "Comité de Defensa de Aurora",
        "Colorado",
        "America/Denver",
        {"Aurora Norte": ["80010", "80011"], "Aurora Sur": ["80012", "80014"]},
        ["08005", "08001"],
        12,
    ),
]

# Roles for the first members of each committee, in order; the rest are plain members.
ROLE_PLAN = [
    [Role.COORDINATOR, Role.TRAINER],
    [Role.DISPATCHER],
    [Role.DISPATCHER],
    [Role.CONFIRMER],
    [Role.CONFIRMER],
    [Role.CONFIRMER, Role.DOCUMENTARIAN],
    [Role.CONFIRMER],
    [Role.LEGAL_OBSERVER],
    [Role.ACCOMPANIER],
    [Role.ACCOMPANIER, Role.DOCUMENTARIAN],
    [Role.LEGAL_PARTNER],
]

ROLE_QUALIFICATION = {
    Role.DISPATCHER: QualificationKind.DISPATCHER,
    Role.CONFIRMER: QualificationKind.CONFIRMER,
    Role.LEGAL_OBSERVER: QualificationKind.LEGAL_OBSERVER,
    Role.ACCOMPANIER: QualificationKind.ACCOMPANIER,
}

# Demo accounts: (username, committee index, member index in that committee).
ACCOUNTS = [
    ("coordinadora", 0, 0),
    ("despacho", 0, 1),
    ("aurora", 2, 0),
]


def loaded() -> bool:
    return Network.objects.filter(name=DEMO_NETWORK).exists()


def load(*, data_dir: Path, seed: int = 2026) -> list[dict[str, str]]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    names = iter(rng.sample(NICKNAMES, len(NICKNAMES)))
    now = timezone.now()
    with transaction.atomic():
        network = actions.create_network(actor=None, name=DEMO_NETWORK)
        regions = {
            name: actions.create_region(actor=None, network=network, name=name)
            for name in sorted({plan.region for plan in PLANS})
        }
        members: list[list[Person]] = []
        committees: list[Committee] = []
        for plan in PLANS:
            committee = actions.create_committee(
                actor=None, region=regions[plan.region], name=plan.name, tz=plan.tz
            )
            committees.append(committee)
            for county in plan.counties:
                actions.add_area_unit(
                    actor=None, committee=committee, kind=AreaKind.COUNTY, value=county
                )
            for zone_name, zips in plan.zones.items():
                zone = actions.create_zone(actor=None, committee=committee, name=zone_name)
                for code in zips:
                    actions.add_area_unit(
                        actor=None, committee=committee, kind=AreaKind.ZIP, value=code, zone=zone
                    )
            people: list[Person] = []
            coordinator: Person | None = None
            for index in range(plan.size):
                roles = ROLE_PLAN[index] if index < len(ROLE_PLAN) else []
                membership = actions.create_person(
                    actor=coordinator,
                    committee=committee,
                    display_name=next(names),
                    languages=rng.choice(LANGUAGE_MIX),
                    roles=[Role.MEMBER, *[r for r in roles if r not in ROLE_QUALIFICATION]],
                    contacts=[{"kind": "phone", "value": f"+1312555{rng.randrange(100, 200):04d}"}],
                )
                person = membership.person
                coordinator = coordinator or person
                for role in roles:
                    kind = ROLE_QUALIFICATION.get(role)
                    if kind is None:
                        continue
                    # One confirmer's training lapsed: the roster warns about it.
                    lapsed = role == Role.CONFIRMER and index == 6
                    actions.grant_qualification(
                        actor=coordinator,
                        committee=committee,
                        person=person,
                        kind=kind,
                        expires_at=now + timedelta(days=rng.randrange(60, 400)),
                    )
                    actions.grant_role(actor=coordinator, membership=membership, role=role)
                    if lapsed:
                        qualification = person.qualifications.get(kind=kind)
                        actions.revoke_qualification(
                            actor=coordinator, committee=committee, qualification=qualification
                        )
                people.append(person)
            members.append(people)
        # A trainer who serves two committees, and the network's admin.
        actions.add_membership(
            actor=members[1][0], committee=committees[1], person=members[0][0], roles=[]
        )
        first = members[0][0]
        pilsen_membership = first.memberships.get(committee=committees[0])
        actions.grant_role(
            actor=None, membership=pilsen_membership, role=Role.NETWORK_ADMIN, bootstrap=True
        )
        logins = [
            _account(username, members[c][m], data_dir=data_dir) for username, c, m in ACCOUNTS
        ]
    _write_logins(data_dir, logins)
    return logins


def _account(username: str, person: Person, *, data_dir: Path) -> dict[str, str]:
    password = "-".join(secrets.token_hex(3) for _ in range(3))
    user = User.objects.create_user(username=username, password=password)
    person.user = user
    person.save(update_fields=["user"])
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return {
        "username": username,
        "password": password,
        "totp_secret": secret,
        "name": person.display_name,
    }


def _write_logins(data_dir: Path, logins: list[dict[str, str]]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    json_path = data_dir / "demo-logins.json"
    text_path = data_dir / "demo-logins.txt"
    lines = ["Demo sign-ins (also in data/demo-logins.txt):"]
    for login in logins:
        lines.append(
            f"  {login['username']:<13} password {login['password']}  "
            f"({login['name']}; authenticator key {login['totp_secret']})"
        )
    lines.append("  Current 6-digit code: .venv/bin/python manage.py demo_code USERNAME")
    for path, body in ((json_path, json.dumps(logins, indent=2)), (text_path, "\n".join(lines))):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")


def totp_secret(username: str, *, data_dir: Path | None = None) -> str | None:
    path = (data_dir or Path(settings.DATA_DIR)) / "demo-logins.json"
    if not path.exists():
        return None
    for login in json.loads(path.read_text(encoding="utf-8")):
        if login["username"] == username:
            return str(login["totp_secret"])
    return None
