from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_health_answers_without_touching_the_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
