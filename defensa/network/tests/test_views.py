"""Pages: the committee home, joining, and the second-factor gate."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from defensa import testing
from defensa.network import actions
from defensa.network.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    committee = testing.committee("Comité de Pilsen")
    coordinator = testing.member(
        committee, roles=[Role.COORDINATOR], name="Doña Chela", username="chela"
    )
    confirmer = testing.member(committee, roles=[Role.CONFIRMER], name="Tavo", username="tavo")
    outsider = testing.member(testing.committee("Otro"), name="Intruso", username="intruso")
    return {
        "committee": committee,
        "coordinator": coordinator,
        "confirmer": confirmer,
        "outsider": outsider,
    }


def current_code(secret: str) -> str:
    return testing.totp_code(secret)


def test_coordinator_sees_members_roles_and_qualifications(cast) -> None:
    client = testing.staff_client(cast["coordinator"])
    page = client.get(f"/staff/c/{cast['committee'].code}/").content.decode()
    assert "Doña Chela" in page
    assert "Tavo" in page
    assert "Verificador/a" in page  # the confirmer's role, in Spanish
    assert "vigente hasta" in page  # the confirmer's qualification
    assert "2 integrantes" in page


def test_roster_warns_about_a_role_without_a_valid_qualification(cast) -> None:
    qualification = cast["confirmer"].qualifications.get()
    actions.revoke_qualification(
        actor=None, committee=cast["committee"], qualification=qualification
    )
    client = testing.staff_client(cast["coordinator"])
    page = client.get(f"/staff/c/{cast['committee'].code}/").content.decode()
    assert "Sin certificación vigente para: Verificador/a" in page


def test_plain_member_sees_the_committee_but_not_its_members(cast) -> None:
    client = testing.staff_client(cast["confirmer"])
    page = client.get(f"/staff/c/{cast['committee'].code}/").content.decode()
    assert "Comité de Pilsen" in page
    assert "Doña Chela" not in page


def test_outsider_gets_the_same_404_as_for_a_missing_committee(cast) -> None:
    client = testing.staff_client(cast["outsider"])
    hidden = client.get(f"/staff/c/{cast['committee'].code}/")
    missing = client.get("/staff/c/00000000-0000-0000-0000-000000000000/")
    assert hidden.status_code == missing.status_code == 404

    def stable(content: bytes) -> str:
        # Per-response nonces and CSRF tokens aside, the pages are identical.
        return re.sub(r'(nonce="|X-CSRFToken": "|value=")[^"]+', r"\1", content.decode())

    assert stable(hidden.content) == stable(missing.content)


def test_staff_pages_are_never_cached_and_load_nothing_from_elsewhere(cast) -> None:
    client = testing.staff_client(cast["coordinator"])
    response = client.get(f"/staff/c/{cast['committee'].code}/")
    assert "no-store" in response["Cache-Control"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert not re.search(r'(src|href|action)="(https?:)?//', page)
    assert "/static/django_htmx/htmx" in page


def test_issued_code_is_shown_once_and_not_stored(cast) -> None:
    client = testing.staff_client(cast["coordinator"])
    response = client.post(
        f"/staff/c/{cast['committee'].code}/invitations/", {"roles": [Role.TRAINER]}
    )
    code = re.search(r'<p class="code">([0-9A-Z-]+)</p>', response.content.decode())
    assert code is not None
    token = code.group(1)
    again = client.get(f"/staff/c/{cast['committee'].code}/").content.decode()
    assert token not in again
    invitation = cast["committee"].invitations.get()
    assert token.replace("-", "") not in invitation.token_hash


def test_htmx_role_change_returns_just_the_member_row(cast) -> None:
    client = testing.staff_client(cast["coordinator"])
    membership = testing.membership_of(cast["confirmer"], cast["committee"])
    response = client.post(
        f"/staff/c/{cast['committee'].code}/members/{membership.code}/roles/",
        {"role": Role.DOCUMENTARIAN, "op": "grant"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="member-{membership.code}"')
    assert "Documentalista" in html
    refused = client.post(
        f"/staff/c/{cast['committee'].code}/members/{membership.code}/roles/",
        {"role": Role.DISPATCHER, "op": "grant"},
        HTTP_HX_REQUEST="true",
    )
    assert 'role="alert"' in refused.content.decode()


# --- The second-factor gate -------------------------------------------------------------------


def test_account_without_second_factor_is_sent_to_enrol(cast) -> None:
    assert cast["coordinator"].user is not None
    client = testing.signed_in(Client(), cast["coordinator"].user, mfa=False)
    response = client.get(f"/staff/c/{cast['committee'].code}/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/second-factor/"
    page = client.get("/staff/second-factor/").content.decode()
    assert "/accounts/2fa/webauthn/add/" in page
    assert "/accounts/2fa/totp/activate/" in page
    assert "SMS" in page  # says it never sends codes by SMS
    assert client.get("/api/v1/committees").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_enrolling_totp_opens_protected_pages(cast) -> None:
    # Real commits: allauth announces the new authenticator once its transaction commits.
    user = cast["coordinator"].user
    assert user is not None
    client = Client()
    client.post("/accounts/login/", {"login": "chela", "password": "correct horse battery"})
    assert client.get("/staff/").status_code == 302
    # allauth asks for the password again before a factor can be added.
    ask = client.get("/accounts/2fa/totp/activate/")
    assert ask["Location"].startswith("/accounts/reauthenticate/")
    client.post(ask["Location"], {"password": "correct horse battery"})
    activate = client.get("/accounts/2fa/totp/activate/")
    secret = activate.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": testing.totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    from defensa.core.models import AuditEvent

    assert AuditEvent.objects.filter(verb="account.factor_added", after={"kind": "totp"}).exists()
    assert client.get(f"/staff/c/{cast['committee'].code}/").status_code == 200


def test_enrolled_account_signs_in_with_password_and_code(cast) -> None:
    user = cast["coordinator"].user
    assert user is not None
    secret = testing.enrol_totp(user)
    client = Client()
    first = client.post("/accounts/login/", {"login": "chela", "password": "correct horse battery"})
    assert first["Location"] == "/accounts/2fa/authenticate/"
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get("/staff/").status_code == 302
    client.post("/accounts/2fa/authenticate/", {"code": testing.totp_code(secret)})
    assert client.get(f"/staff/c/{cast['committee'].code}/").status_code == 200


def test_sign_up_is_closed_without_an_invitation() -> None:
    response = Client().post(
        "/accounts/signup/",
        {"username": "colado", "password1": "una frase larga", "password2": "una frase larga"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="colado").exists()


def test_joining_by_link_creates_the_account_and_asks_for_a_second_factor(cast) -> None:
    _i, token = actions.issue_invitation(actor=None, committee=cast["committee"], roles=[])
    client = Client()
    form = client.get(f"/join/{token}/")
    assert token in form.content.decode()
    response = client.post(
        "/join/",
        {
            "code": token,
            "username": "marisol",
            "password1": "una frase larga de verdad",
            "password2": "una frase larga de verdad",
            "display_name": "Marisol",
            "languages": ["es", "quc"],
        },
    )
    assert response["Location"] == "/staff/second-factor/"
    assert client.get("/staff/").status_code == 302  # no second factor yet
    person = User.objects.get(username="marisol").person
    assert person.memberships.get().committee == cast["committee"]


def test_changes_to_how_an_account_signs_in_are_audited(cast) -> None:
    from defensa.core.models import AuditEvent

    user = cast["coordinator"].user
    testing.enrol_totp(user)
    client = testing.signed_in(Client(), user)
    client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "correct horse battery",
            "password1": "otra frase larga y segura",
            "password2": "otra frase larga y segura",
        },
    )
    event = AuditEvent.objects.get(verb="account.password_changed")
    assert event.actor == cast["coordinator"].code
    assert event.committee == cast["committee"].code


def test_the_reports_link_follows_the_reports_policy() -> None:
    from defensa.hotline.access import POLICY, ReportCan
    from defensa.network.views import REPORT_READERS

    assert POLICY[ReportCan.READ] == REPORT_READERS
