"""Subscribing and stopping by text message, through the real Twilio webhook with Twilio's own
signatures (recorded payloads signed by twilio's RequestValidator), as a phone's message would.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from defensa import testing
from defensa.alerts import addresses, keywords
from defensa.alerts.models import Channel, Subscription, SubscriptionCell, SubscriptionStatus
from defensa.core.models import AuditEvent
from defensa.hotline.models import Conversation, HotlineNumber, Report
from defensa.hotline.tests.texting import HOOK, answer, everything_stored, post
from defensa.messaging.inbound import Inbound
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import AreaKind

pytestmark = pytest.mark.django_db

PHONE = "+17735550123"
NUMBER = "+17735550000"  # the Little Village committee's hotline


@pytest.fixture(autouse=True)
def twilio():
    with fakes.twilio() as fake:
        yield fake


@pytest.fixture
def la_villita():
    committee = testing.committee("Comité de La Villita")
    network_actions.add_area_unit(actor=None, committee=committee, kind=AreaKind.ZIP, value="60623")
    HotlineNumber.objects.create(committee=committee, number=NUMBER)
    return committee


def text(body: str, *, sender: str = PHONE, **extra: str) -> str:
    return answer(post(fakes.sms_payload(sender, body, to=NUMBER, **extra)))


def whatsapp(body: str, *, sender: str = PHONE) -> str:
    payload = fakes.whatsapp_payload(sender, body, profile_name="Rosa", to=NUMBER)
    return answer(post(payload))


# --- Reading the keywords ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "language", "zips"),
    [
        ("ALERTA 60623", "es", ("60623",)),
        ("alerta 60623", "es", ("60623",)),
        ("  Alértá   60623 ", "es", ("60623",)),
        ("ALERTAS 60623", "es", ("60623",)),
        ("¡Alerta! 60623.", "es", ("60623",)),
        ("ALERTA CP 60623", "es", ("60623",)),
        ("ALERT 60623", "en", ("60623",)),
        ("alerts zip 60623-1234", "en", ("60623",)),
        ("ALERTA 60623 60608", "es", ("60623", "60608")),
    ],
)
def test_subscription_keywords_are_read_in_any_case_with_accents_and_spaces(
    message, language, zips
) -> None:
    command = keywords.parse(message)
    assert command is not None
    assert (command.verb, command.language, command.zips) == ("subscribe", language, zips)


@given(st.text(max_size=300))
def test_reading_keywords_never_fails_and_only_takes_digits_for_zips(message) -> None:
    command = keywords.parse(message)
    if command is not None and command.verb == "subscribe":
        assert all(len(code) == 5 and code.isascii() and code.isdigit() for code in command.zips)


def test_full_width_digits_read_as_a_zip_code() -> None:
    def wide(text: str) -> str:
        return "".join(chr(ord(c) + 0xFEE0) for c in text)

    command = keywords.parse(wide("ALERTA") + "\u3000" + wide("60623"))
    assert command is not None
    assert command.zips == ("60623",)


@pytest.mark.parametrize(
    "message", ["alerta, la migra en la 26", "ALERTA ICE en Pulaski", "la alerta 60623", "hola"]
)
def test_a_message_that_says_more_than_the_keyword_is_left_to_the_hotline(message) -> None:
    assert keywords.parse(message) is None


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("STOP", "en"),
        ("baja", "es"),
        ("Parar", "es"),
        ("¡ALTO!", "es"),
        ("UNSUBSCRIBE", "en"),
        ("cancelar", "es"),
        ("BAJA ALERTAS", "es"),
        ("stop alerts", "en"),
    ],
)
def test_stop_words_are_read_in_both_languages(message, language) -> None:
    command = keywords.parse(message)
    assert command is not None
    assert (command.verb, command.language) == ("stop", language)


# --- Subscribing ----------------------------------------------------------------------------------


def test_alerta_and_a_zip_by_signed_sms_subscribes_with_the_address_sealed(la_villita) -> None:
    reply = text("ALERTA 60623")
    assert reply.startswith("Listo:")
    assert "60623" in reply
    assert "BAJA" in reply
    subscription = Subscription.objects.get()
    assert (subscription.channel, subscription.status, subscription.language) == (
        Channel.SMS,
        SubscriptionStatus.ACTIVE,
        "es",
    )
    assert subscription.committee == la_villita
    assert subscription.area == {"zips": ["60623"]}
    cells = set(SubscriptionCell.objects.values_list("cell", flat=True))
    assert len(cells) == 7  # the ZIP code's centre cell and its ring, resolution 7
    assert addresses.address_of(subscription) == PHONE
    stored = everything_stored()
    for spelling in (PHONE, PHONE.lstrip("+"), "7735550123", "773-555-0123"):
        assert spelling not in stored
    assert AuditEvent.objects.filter(verb="alerts.subscribed").count() == 1
    assert not Report.objects.exists()  # a subscription is not a report


def test_the_same_signed_message_replayed_five_times_makes_one_subscription(la_villita) -> None:
    payload = fakes.sms_payload(PHONE, "ALERTA 60623", to=NUMBER)
    replies = [answer(post(payload, client=Client())) for _ in range(5)]
    assert replies[0].startswith("Listo:")
    assert replies[1:] == ["", "", "", ""]  # Twilio's retries are handled once
    assert Subscription.objects.count() == 1
    assert AuditEvent.objects.filter(verb__startswith="alerts.").count() == 1


def test_signing_up_again_from_the_same_number_updates_instead_of_duplicating(la_villita) -> None:
    text("ALERTA 60623")
    for _ in range(4):
        reply = text("ALERT 60623 60608")
    assert reply.startswith("Updated:")
    subscription = Subscription.objects.get()
    assert subscription.language == "en"
    assert subscription.area == {"zips": ["60623", "60608"]}
    # Both ZIP codes' cells (they touch, so a few are shared), still one row each.
    assert SubscriptionCell.objects.filter(subscription=subscription).count() > 7


def test_english_keyword_answers_in_english(la_villita) -> None:
    reply = text("alert 60623")
    assert reply.startswith("Done: you will receive verified alerts for ZIP code 60623.")
    assert Subscription.objects.get().language == "en"


@pytest.mark.parametrize("body", ["ALERTA 6062", "ALERTA 606231", "ALERTA 00000"])
def test_a_bad_zip_gets_a_clear_answer_and_writes_nothing(la_villita, body) -> None:
    audit_before = AuditEvent.objects.count()
    reply = text(body)
    assert "código postal" in reply
    assert "ALERTA 60623" in reply
    assert not Subscription.objects.exists()
    assert not SubscriptionCell.objects.exists()
    assert not Report.objects.exists()
    assert not Conversation.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_alerta_without_a_zip_asks_for_one(la_villita) -> None:
    assert "ALERTA 60623" in text("ALERTA")
    assert not Subscription.objects.exists()


def test_a_zip_no_committee_covers_is_routed_by_the_number_it_reached(la_villita) -> None:
    text("ALERTA 60608")  # Pilsen: no committee names it, the text reached La Villita's number
    assert Subscription.objects.get().committee == la_villita


def test_a_zip_nobody_serves_is_refused_clearly() -> None:
    testing.committee("Comité de Aurora")
    reply = text("ALERT 80010")
    assert reply == "No committee sends alerts for ZIP code 80010 yet."
    assert not Subscription.objects.exists()


def test_whatsapp_subscribes_on_its_own_channel(la_villita) -> None:
    assert whatsapp("ALERTA 60623").startswith("Listo:")
    text("ALERTA 60623")
    assert sorted(Subscription.objects.values_list("channel", flat=True)) == ["sms", "whatsapp"]


def test_signal_subscribes_through_the_inbound_handlers(la_villita) -> None:
    from defensa.messaging import inbound

    reply = inbound.handle_once(
        Inbound(channel="signal", sender=PHONE, text="ALERTA 60623", message_id="sig-1")
    )
    assert reply is not None
    assert reply.startswith("Listo:")
    assert Subscription.objects.get().channel == Channel.SIGNAL


def test_a_report_that_starts_with_alerta_is_still_a_report(la_villita) -> None:
    text("Alerta: la migra está en la 26 y Pulaski ahorita")
    assert Report.objects.count() == 1
    assert not Subscription.objects.exists()


# --- Stopping -------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "BAJA", "PARAR", "ALTO", "UNSUBSCRIBE", "CANCELAR"])
def test_inbound_stop_replayed_with_valid_signatures_stops_and_answers_politely(
    la_villita, word
) -> None:
    text("ALERTA 60623")
    subscription = Subscription.objects.get()
    payload = fakes.sms_payload(PHONE, word, to=NUMBER)
    replies = [answer(post(payload, client=Client())) for _ in range(3)]
    # The subscriber's own language (Spanish) even for the English STOP.
    assert replies[0].startswith("Listo: ya no recibirá alertas aquí.")
    assert replies[1:] == ["", ""]
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.STOPPED
    assert subscription.stopped_at is not None
    assert subscription.address_sealed is None
    assert subscription.address_index == ""
    assert not SubscriptionCell.objects.exists()
    assert AuditEvent.objects.filter(verb="alerts.subscription_stopped").count() == 1
    # Signing up again makes a new live subscription (the stopped one keeps nothing).
    assert text("ALERTA 60623").startswith("Listo:")
    assert Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count() == 1


def test_stop_with_a_bad_signature_changes_nothing(la_villita) -> None:
    text("ALERTA 60623")
    payload = fakes.sms_payload(PHONE, "STOP", to=NUMBER)
    response = Client().post(
        HOOK,
        urlencode(payload),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=fakes.twilio_signature("http://elsewhere.example" + HOOK, payload),
    )
    assert response.status_code == 403
    assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE


def test_stop_by_sms_also_stops_calls_to_that_number_but_not_whatsapp(la_villita) -> None:
    from defensa.alerts import subscriptions

    subscriptions.subscribe(
        channel=Channel.VOICE,
        address=PHONE,
        language="es",
        area=subscriptions.Area(zips=("60623",)),
    )
    whatsapp("ALERTA 60623")
    text("BAJA")
    statuses = dict(Subscription.objects.values_list("channel", "status"))
    assert statuses == {"voice": "stopped", "whatsapp": "active"}


def test_stop_from_someone_who_is_not_subscribed_is_the_hotlines(la_villita) -> None:
    assert text("STOP").startswith("Done: we will not write or call you.")


def test_baja_alertas_from_someone_not_subscribed_says_so(la_villita) -> None:
    assert text("BAJA ALERTAS") == "No había alertas que detener en este número."
    assert not Report.objects.exists()


def test_stop_in_the_middle_of_a_report_also_ends_the_conversation(la_villita) -> None:
    text("ALERTA 60623")
    text("Hay agentes de ICE en la 26")
    assert Conversation.objects.count() == 1
    text("STOP")
    assert not Conversation.objects.exists()
    assert Subscription.objects.get().status == SubscriptionStatus.STOPPED


def test_english_subscriber_is_answered_in_english_at_stop(la_villita) -> None:
    text("ALERT 60623")
    assert text("BAJA").startswith("Done: you will not receive alerts here any more.")


def test_whatsapp_and_signal_stop_their_own_subscriptions(la_villita) -> None:
    from defensa.messaging import inbound

    whatsapp("ALERTA 60623")
    inbound.handle_once(
        Inbound(channel="signal", sender=PHONE, text="ALERT 60623", message_id="s1")
    )
    assert whatsapp("Baja").startswith("Listo: ya no recibirá alertas aquí.")
    reply = inbound.handle_once(
        Inbound(channel="signal", sender=PHONE, text="stop", message_id="s2")
    )
    assert reply == (
        "Done: you will not receive alerts here any more. To subscribe again, send ALERT and "
        "your ZIP code."
    )
    assert set(Subscription.objects.values_list("status", flat=True)) == {"stopped"}


def test_signal_accounts_that_hide_their_number_stay_apart(la_villita) -> None:
    """Two Signal accounts known only by their UUIDs (whose digits could coincide) are two
    subscriptions, and one's STOP leaves the other's alone."""
    from defensa.messaging import inbound

    first = "1a2b3c4d-0000-4000-8000-000000000001"
    second = "1f2e3d4c-0000-4000-8000-000000000001"  # the same digits in the same order
    for n, sender in enumerate((first, second)):
        inbound.handle_once(
            Inbound(channel="signal", sender=sender, text="ALERTA 60623", message_id=f"u{n}")
        )
    assert Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count() == 2
    inbound.handle_once(Inbound(channel="signal", sender=first, text="BAJA", message_id="u9"))
    statuses = sorted(Subscription.objects.values_list("status", flat=True))
    assert statuses == ["active", "stopped"]
    [live] = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
    assert addresses.address_of(live) == second


def test_after_a_master_key_rotation_stop_still_finds_the_subscription(la_villita) -> None:
    """Signed up under the old master key; the new one is put first, data keys re-wrapped and
    addresses re-indexed, the old key removed: STOP still stops it."""
    import base64
    import io
    import secrets

    from django.core.management import call_command
    from django.test import override_settings

    from defensa.core import crypto

    text("ALERTA 60623")
    subscription = Subscription.objects.get()
    old_spec = crypto.master_ring()  # the key the index was made under
    old = ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in old_spec.keys.items())
    new = f"m-next:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    try:
        with override_settings(DEFENSA_MASTER_KEYS=f"{new},{old}"):
            crypto.master_ring.cache_clear()
            call_command("rewrap_data_keys", stdout=io.StringIO())
            out = io.StringIO()
            call_command("reindex_subscriptions", stdout=out)
            assert out.getvalue().strip() == "re-indexed 1 subscription(s) under m-next"
        with override_settings(DEFENSA_MASTER_KEYS=new):
            crypto.master_ring.cache_clear()
            assert Subscription.objects.get().address_index == addresses.index(Channel.SMS, PHONE)
            assert text("BAJA").startswith("Listo: ya no recibirá alertas aquí.")
            assert Subscription.objects.get(pk=subscription.pk).status == SubscriptionStatus.STOPPED
    finally:
        crypto.master_ring.cache_clear()
    reindexed = AuditEvent.objects.get(verb="alerts.addresses_reindexed")
    assert reindexed.after == {"subscriptions": 1, "master_key": "m-next"}
