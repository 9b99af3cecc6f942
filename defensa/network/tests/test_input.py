"""Bad input through forms and the API: a clear message, and nothing written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from defensa import testing
from defensa.core.models import AuditEvent
from defensa.network.models import AreaUnit, Person, User

pytestmark = pytest.mark.django_db

HOSTILE = {
    "over-long": "x" * 500,
    "control characters": "Rosa\x1b[31m",
    "bidi override": "Rosa \u202etxt.exe",
    "null byte": "Rosa\x00",
}


@pytest.fixture
def cast() -> dict:
    committee = testing.committee()
    coordinator = testing.member(committee, roles=["coordinator"], name="Rosa", username="rosa")
    return {
        "committee": committee,
        "coordinator": coordinator,
        "client": testing.staff_client(coordinator),
    }


def unchanged(cast: dict) -> tuple:
    person = Person.objects.get(pk=cast["coordinator"].pk)
    return (
        AuditEvent.objects.count(),
        person.display_name,
        bytes(person.contact_sealed or b""),
        AreaUnit.objects.count(),
        User.objects.count(),
    )


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_profile_form_refuses_hostile_names(cast: dict, value: str) -> None:
    before = unchanged(cast)
    response = cast["client"].post("/staff/me/", {"display_name": value, "languages": ["es"]})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert unchanged(cast) == before


def test_profile_form_refuses_a_bad_phone_number(cast: dict) -> None:
    before = unchanged(cast)
    response = cast["client"].post(
        "/staff/me/", {"display_name": "Rosa", "phone": "call me maybe", "languages": ["es"]}
    )
    assert "No es un número de teléfono." in response.content.decode()
    assert unchanged(cast) == before


def test_form_with_invalid_utf8_is_refused_before_parsing(cast: dict) -> None:
    before = unchanged(cast)
    response = cast["client"].post(
        "/staff/me/",
        data=b"display_name=Ros%FF%FEa&languages=es",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert unchanged(cast) == before


def test_query_string_with_invalid_utf8_is_refused(cast: dict) -> None:
    response = cast["client"].get("/staff/?q=%C0%AF")
    assert response.status_code == 400


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_join_form_creates_no_account_from_hostile_input(value: str) -> None:
    before = User.objects.count(), AuditEvent.objects.count()
    response = Client().post(
        "/join/",
        {
            "code": "AAAA-BBBB-CCCC",
            "username": value,
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "display_name": value,
        },
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert (User.objects.count(), AuditEvent.objects.count()) == before


def test_area_form_explains_an_unknown_zip(cast: dict) -> None:
    before = unchanged(cast)
    url = f"/staff/c/{cast['committee'].code}/area/"
    response = cast["client"].post(url, {"kind": "zip", "value": "00000", "zone": ""})
    assert "No es un código postal (ZIP) conocido de EE. UU." in response.content.decode()
    assert unchanged(cast) == before


def api_patch(client: Client, body: object) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body)
    response = client.patch("/api/v1/me", data=raw, content_type="application/json")
    return response.status_code, response.json()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_api_refuses_hostile_names(cast: dict, value: str) -> None:
    before = unchanged(cast)
    status, body = api_patch(cast["client"], {"display_name": value})
    assert status == 422
    assert body["detail"][0]["loc"][-1] == "display_name"
    assert unchanged(cast) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"display_name": "Ros\xffa"}', 400),  # invalid UTF-8
        (b'{"display_name": "Ros\\ud800a"}', 422),  # lone surrogate escape
        (b'{"display_name": ', 400),  # truncated JSON
        ({"display_name": 5}, 422),  # wrong type
        ({"display_name": "Rosa", "is_admin": True}, 422),  # unknown field
        ({"contacts": [{"kind": "pager", "value": "1"}]}, 422),
        ({"contacts": [{"kind": "phone", "value": "123"}]}, 400),
        ({"languages": ["klingon"]}, 400),
    ],
    ids=[
        "invalid-utf8",
        "lone-surrogate",
        "truncated",
        "wrong-type",
        "unknown-field",
        "unknown-contact",
        "bad-phone",
        "unknown-language",
    ],
)
def test_api_refuses_malformed_bodies_clearly(cast: dict, body: object, status: int) -> None:
    before = unchanged(cast)
    got, payload = api_patch(cast["client"], body)
    assert got == status
    assert payload["detail"]
    assert unchanged(cast) == before


def test_api_accepts_a_good_profile(cast: dict) -> None:
    status, body = api_patch(
        cast["client"],
        {"display_name": "Rosa M.", "contacts": [{"kind": "phone", "value": "(312) 555-0142"}]},
    )
    assert status == 200
    assert body["display_name"] == "Rosa M."
    assert body["contacts"] == [{"kind": "phone", "value": "+13125550142"}]
