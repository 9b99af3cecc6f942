"""The network API: real flows, its OpenAPI contract, and fuzzing from that contract."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from defensa import testing
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> dict[str, Any]:
    committee = testing.committee("Comité de Aurora")
    coordinator = testing.member(committee, roles=[Role.COORDINATOR], username="brenda")
    member = testing.member(committee, name="Toño")
    return {
        "committee": committee,
        "coordinator": coordinator,
        "member": member,
        "client": testing.staff_client(coordinator),
    }


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, data=json.dumps(body), content_type="application/json")


def test_coordinator_invites_lists_and_cancels(cast) -> None:
    client, code = cast["client"], cast["committee"].code
    issued = send(client, "post", f"/api/v1/committees/{code}/invitations", {"roles": ["trainer"]})
    assert issued.status_code == 201
    body = issued.json()
    assert body["roles"] == ["member", "trainer"]
    assert body["link"].endswith(f"/join/{body['token']}/")
    listed = send(client, "get", f"/api/v1/committees/{code}/invitations").json()
    assert [i["code"] for i in listed] == [body["code"]]
    assert "token" not in listed[0]
    gone = send(client, "delete", f"/api/v1/committees/{code}/invitations/{body['code']}")
    assert gone.status_code == 204
    assert send(client, "get", f"/api/v1/committees/{code}/invitations").json() == []


def test_coordinator_qualifies_and_assigns_a_confirmer(cast) -> None:
    client, code = cast["client"], cast["committee"].code
    member = testing.membership_of(cast["member"], cast["committee"])
    base = f"/api/v1/committees/{code}/members/{member.code}"
    refused = send(client, "put", f"{base}/roles/confirmer")
    assert refused.status_code == 400
    assert refused.json()["field"] == "role"
    until = (timezone.now() + timedelta(days=120)).date().isoformat()
    granted = send(
        client, "post", f"{base}/qualifications", {"kind": "confirmer", "expires_on": until}
    )
    assert granted.status_code == 201
    assert granted.json()["valid"] is True
    row = send(client, "put", f"{base}/roles/confirmer").json()
    assert row["roles"] == ["confirmer", "member"]
    members = send(client, "get", f"/api/v1/committees/{code}/members").json()
    assert {m["display_name"] for m in members} == {cast["coordinator"].display_name, "Toño"}


def test_committee_detail_shows_zones_and_area(cast) -> None:
    client, code = cast["client"], cast["committee"].code
    zone = send(client, "post", f"/api/v1/committees/{code}/zones", {"name": "Aurora Norte"}).json()
    added = send(
        client,
        "post",
        f"/api/v1/committees/{code}/area",
        {"kind": "zip", "value": "80010", "zone": zone["code"]},
    )
    assert added.status_code == 201
    detail = send(client, "get", f"/api/v1/committees/{code}").json()
    assert detail["zones"] == [zone]
    assert detail["area"][0]["value"] == "80010"
    assert detail["my_roles"] == ["coordinator", "member"]


def test_writes_need_the_csrf_token(cast) -> None:
    client = testing.signed_in(Client(enforce_csrf_checks=True), cast["coordinator"].user)
    response = send(client, "patch", "/api/v1/me", {"display_name": "X"})
    assert response.status_code == 403


def test_openapi_declares_errors_and_loads_nothing_from_elsewhere() -> None:
    spec = Client().get("/api/openapi.json").json()
    operation = spec["paths"]["/api/v1/committees/{code}/members"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    docs = Client().get("/api/docs").content.decode()
    assert "cdn" not in docs.lower()


# --- Fuzzing from the contract ----------------------------------------------------------------

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Like Django's test client: raw WSGI calls must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(cast, keep_test_connection) -> dict[str, str]:
    session = cast["client"].cookies["sessionid"].value
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_keeps_its_contract_under_fuzzing(case, auth_headers) -> None:
    case.call_and_validate(
        headers=auth_headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
