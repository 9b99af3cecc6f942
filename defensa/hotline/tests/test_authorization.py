"""Who may read reports and run the phone line: every staff page of the hotline, for every
role, in the committee, in another committee, or in none. An unexpected allow fails; so does
an unlisted page."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver
from PIL import Image

from defensa import testing
from defensa.hotline import actions, line
from defensa.hotline.actions import Incoming
from defensa.hotline.models import HotlineNumber, Prompt, ReportMedia, TrustedToken
from defensa.hotline.tests.test_line import tone
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind, Role

pytestmark = pytest.mark.django_db

OWN, OTHER = "own", "other"
STAFF_MODULES = {"defensa.hotline.views", "defensa.hotline.line_views"}


@dataclass
class World:
    committee: Any
    report: Any
    media: ReportMedia
    prompt: Prompt
    token: TrustedToken
    number: HotlineNumber
    clients: dict[str, Client]


def build_world() -> World:
    committee = testing.committee("Own")
    other = testing.committee("Other")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60608")
    report = actions.receive_report(Incoming(channel="web", language="es", text="migra en 60608"))
    photo = io.BytesIO()
    Image.new("RGB", (8, 8)).save(photo, format="JPEG")
    media = actions.attach_media(report=report, data=photo.getvalue())
    prompt = line.upload_prompt(
        actor=None, committee=committee, key="menu", language="es", data=tone(0.2)
    )
    actions.issue_trusted_token(actor=None, committee=committee, label="Parroquia")
    number = line.add_number(actor=None, committee=committee, number="+13125550100")
    clients: dict[str, Client] = {}
    n = 0
    for role in Role:
        for scope, where in ((OWN, committee), (OTHER, other)):
            n += 1
            roles = [] if role == Role.MEMBER else [role]
            person = testing.member(where, roles=roles, username=f"h{n}")
            clients[f"{role}@{scope}"] = testing.staff_client(person)
    clients["anonymous"] = Client()
    return World(
        committee=committee,
        report=report,
        media=media,
        prompt=prompt,
        token=TrustedToken.objects.get(),
        number=number,
        clients=clients,
    )


def reads_reports(role: str, scope: str) -> bool:
    return scope == OWN and role in {Role.DISPATCHER, Role.COORDINATOR, Role.DOCUMENTARIAN}


def coordinator_of_own(role: str, scope: str) -> bool:
    return scope == OWN and role == Role.COORDINATOR


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[World], str]
    allow: Callable[[str, str], bool]
    data: Callable[[World], dict[str, Any]] = lambda w: {}


def reports(w: World) -> str:
    return f"/staff/c/{w.committee.code}/reports"


def line_url(w: World) -> str:
    return f"/staff/c/{w.committee.code}/line"


ENDPOINTS = [
    Endpoint("hotline:inbox", "get", lambda w: f"{reports(w)}/", reads_reports),
    Endpoint("hotline:report", "get", lambda w: f"{reports(w)}/{w.report.code}/", reads_reports),
    Endpoint(
        "hotline:media", "get", lambda w: f"{reports(w)}/media/{w.media.code}/", reads_reports
    ),
    Endpoint("hotline:line", "get", lambda w: f"{line_url(w)}/", coordinator_of_own),
    Endpoint(
        "hotline:add_number",
        "post",
        lambda w: f"{line_url(w)}/numbers/",
        coordinator_of_own,
        lambda w: {"number": "+13125550199"},
    ),
    Endpoint(
        "hotline:remove_number",
        "post",
        lambda w: f"{line_url(w)}/numbers/remove/",
        coordinator_of_own,
        lambda w: {"number": w.number.number},
    ),
    Endpoint(
        "hotline:upload_prompt",
        "post",
        lambda w: f"{line_url(w)}/prompts/",
        coordinator_of_own,
        lambda w: {"key": "legal", "language": "es", "audio": _audio()},
    ),
    Endpoint(
        "hotline:remove_prompt",
        "post",
        lambda w: f"{line_url(w)}/prompts/{w.prompt.code}/remove/",
        coordinator_of_own,
    ),
    Endpoint(
        "hotline:prompt_audio",
        "get",
        lambda w: f"{line_url(w)}/prompts/{w.prompt.code}/audio/",
        coordinator_of_own,
    ),
    Endpoint(
        "hotline:set_legal_help",
        "post",
        lambda w: f"{line_url(w)}/legal/",
        coordinator_of_own,
        lambda w: {"language": "es", "text": "Ayuda legal gratuita."},
    ),
    Endpoint(
        "hotline:issue_trusted",
        "post",
        lambda w: f"{line_url(w)}/trusted/",
        coordinator_of_own,
        lambda w: {"label": "Centro de trabajadores"},
    ),
    Endpoint(
        "hotline:revoke_trusted",
        "post",
        lambda w: f"{line_url(w)}/trusted/{w.token.code}/revoke/",
        coordinator_of_own,
    ),
]


def _audio() -> io.BytesIO:
    data = io.BytesIO(tone(0.2))
    data.name = "legal.wav"
    return data


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_hotline_authorization_matrix(endpoint: Endpoint) -> None:
    world = build_world()
    surprises = testing.access_surprises(
        world.clients,
        method=endpoint.method,
        url=lambda: endpoint.url(world),
        data=lambda: endpoint.data(world),
        allow=endpoint.allow,
    )
    assert surprises == [], f"{endpoint.name}:\n" + "\n".join(surprises)


def test_matrix_covers_every_hotline_staff_page() -> None:
    names = {
        f"hotline:{p.name}"
        for p in get_resolver().url_patterns
        for p in getattr(p, "url_patterns", [p])
        if isinstance(p, URLPattern) and p.callback.__module__ in STAFF_MODULES
    }
    assert names == {e.name for e in ENDPOINTS}


def test_the_committee_page_links_to_reports_exactly_for_those_who_read_them() -> None:
    from defensa.hotline.access import POLICY, ReportCan
    from defensa.network.views import REPORT_READERS

    assert frozenset(REPORT_READERS) == POLICY[ReportCan.READ]
