"""A corpus of scripts and tricky characters goes in through every channel that carries text
(web form, SMS, WhatsApp, Signal) and comes out in the dispatcher's inbox and report page as
it was written, with direction overrides neutralized into visible markers.

The phone channel carries no text: its recordings are kept as sound.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client

from defensa import testing
from defensa.hotline.models import Report
from defensa.hotline.tests.test_message_intake import SIGNAL_UUID, TEXTS, expected
from defensa.hotline.tests.texting import PHONE, post
from defensa.messaging.tests import fakes
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


def by_web(text: str) -> None:
    client = Client()
    challenge = client.get("/reportar/").context["challenge"]
    response = client.post("/reportar/", {"what": text, "when": "now", "pow_challenge": challenge})
    assert response.status_code == 302


def by_sms(text: str) -> None:
    with fakes.twilio():
        post(fakes.sms_payload(PHONE, text))


def by_whatsapp(text: str) -> None:
    with fakes.twilio():
        post(fakes.whatsapp_payload(PHONE, text, profile_name="Rosa"))


def by_signal(text: str) -> None:
    with fakes.signal_cli() as signal:
        signal.inbox.append(
            fakes.signal_envelope(
                number=PHONE, account_uuid=SIGNAL_UUID, text=text, timestamp=1795767300000
            )
        )
        call_command("signal_receive", "--once")


CHANNELS: dict[str, Callable[[str], None]] = {
    "web": by_web,
    "sms": by_sms,
    "whatsapp": by_whatsapp,
    "signal": by_signal,
}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", TEXTS)
def test_text_reaches_the_inbox_as_written(pilsen, dispatcher, channel, name) -> None:
    text = TEXTS[name]
    CHANNELS[channel](text)
    report = Report.objects.get()
    assert report.channel == channel
    client = testing.staff_client(dispatcher)
    inbox = client.get(f"/staff/c/{pilsen.code}/reports/").content.decode()
    page = client.get(f"/staff/c/{pilsen.code}/reports/{report.code}/").content.decode()
    want = expected(text)
    assert want in html.unescape(inbox)
    assert want in html.unescape(page)
    for control in "\u202e\u202c\u2066\u2069":
        assert control not in inbox
        assert control not in page
    # Right-to-left scripts are laid out by the browser from the text itself.
    assert 'dir="auto"' in page


def test_the_inbox_is_in_the_dispatcher_s_language(pilsen) -> None:
    by_web("agentes en la esquina")
    person = testing.member(pilsen, roles=[Role.DISPATCHER], username="sam")
    client = testing.staff_client(person)
    client.cookies["django_language"] = "en"
    page = client.get(f"/staff/c/{pilsen.code}/reports/").content.decode()
    assert "Most urgent and newest first" in page
    client.cookies["django_language"] = "es"
    page = client.get(f"/staff/c/{pilsen.code}/reports/").content.decode()
    assert "Primero lo más urgente y lo más nuevo" in page
