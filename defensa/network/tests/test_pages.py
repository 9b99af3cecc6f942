"""Every page without parameters answers without a server error, whoever asks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from defensa import testing
from defensa.network.models import Role

pytestmark = pytest.mark.django_db

# A page that names another host in a src, href or form action would leak visitors to it.
ELSEWHERE = re.compile(r'(src|href|action)="(https?:)?//')


def routes(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            route = prefix + str(pattern.pattern)
            if "<" not in route and "(?P" not in route and not route.startswith("^"):
                yield "/" + route


def test_every_plain_page_answers_without_a_server_error() -> None:
    committee = testing.committee()
    staff = testing.member(committee, roles=[Role.COORDINATOR], username="staff")
    plain = testing.member(committee, username="plain")
    assert plain.user is not None
    visitors = {
        "anonymous": Client(),
        "without second factor": testing.signed_in(Client(), plain.user, mfa=False),
        "staff": testing.staff_client(staff),
    }
    paths = sorted(set(routes(get_resolver().url_patterns)))
    assert "/accounts/password/reset/" not in paths  # no e-mail flows
    failures = []
    for who, client in visitors.items():
        for path in paths:
            response = client.get(path)
            if response.status_code >= 500:
                failures.append(f"{who} {path}: {response.status_code}")
            elif response.get("Content-Type", "").startswith("text/html") and ELSEWHERE.search(
                response.content.decode()
            ):
                failures.append(f"{who} {path}: loads or sends something to another site")
    assert failures == []
