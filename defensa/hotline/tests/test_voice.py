"""The phone menu, driven the way Twilio drives it: signed webhooks with every parameter
Twilio sends, through the real URLs, following the TwiML we answer with."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from defensa import testing
from defensa.core.models import AuditEvent
from defensa.hotline import fetching, media_store
from defensa.hotline.models import LegalHelp, MediaFetch, Prompt, Report, ReportMedia
from defensa.hotline.tests.calling import (
    ALERT,
    BETO_PHONE,
    CALLER,
    ENGLISH_MENU,
    MARTA_PHONE,
    OFF_SHIFT_PHONE,
    ROSA_PHONE,
    SPANISH_MENU,
    Phone,
    call_params,
    call_sid,
    corpus,
    malformed,
    numbers_dialed,
    on_shift,
    post,
    prompt,
    public,
    query,
    recording_params,
    recording_path,
    recording_sid,
    twiml_of,
    volunteer,
    wav,
    writes,
)
from defensa.hotline.tests.conftest import PILSEN_NUMBER
from defensa.messaging.tests import fakes
from defensa.shifts.models import ShiftRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake():
    with fakes.twilio() as server:
        yield server


@pytest.fixture
def phone(pilsen, fake) -> Phone:
    return Phone(Client())


# --- The language menu ------------------------------------------------------------------------


def test_language_menu_plays_uploaded_languages_and_offers_spanish_and_english(pilsen, phone):
    kiche = prompt(pilsen, Prompt.Key.LANGUAGE, "quc", digit=3)
    twiml = phone.call()
    gather = twiml.find("Gather")
    assert gather is not None
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == f"{public()}/hooks/twilio/voice/language/"
    assert int(gather.get("timeout", "0")) > 0
    assert [(n.tag, n.get("language"), n.text) for n in gather] == [
        ("Say", "es-MX", "Para español, oprima 1."),
        ("Say", "en-US", "For English, press 2."),
        ("Play", None, f"{public()}/hooks/twilio/voice/prompt/{kiche.code}/"),
    ]
    # Twilio fetches the recording without credentials.
    audio = Client().get(phone.played()[0].removeprefix(public()))
    assert audio.status_code == 200
    assert audio["Content-Type"] == "audio/mpeg"
    assert audio.content == bytes(kiche.audio)


def test_recorded_keys_win_and_spanish_and_english_take_free_keys(pilsen, phone):
    prompt(pilsen, Prompt.Key.LANGUAGE, "quc", digit=1)
    prompt(pilsen, Prompt.Key.LANGUAGE, "mam", digit=2)
    spanish = prompt(pilsen, Prompt.Key.LANGUAGE, "es", digit=5)
    phone.call()
    # Spanish has its own recording (on 5), so no text-to-speech for it.
    assert phone.said() == [("en-US", "For English, press 3.")]
    assert f"{public()}/hooks/twilio/voice/prompt/{spanish.code}/" in phone.played()
    phone.press("3")
    assert phone.said() == ENGLISH_MENU
    phone.call()
    phone.press("1")  # K'iche': no menu recording and no text-to-speech, so Spanish
    assert phone.said() == SPANISH_MENU
    assert query(phone.twiml.find("Gather").get("action", ""))["lang"] == "quc"


def test_pressing_nothing_repeats_the_language_menu_once_then_spanish(phone):
    first = phone.call()
    assert query(first.find("Redirect").text or "") == {"again": "1"}
    second = phone.wait()
    assert ("es-MX", "Para español, oprima 1.") in phone.said()
    assert second.find("Redirect").text == f"{public()}/hooks/twilio/voice/menu/?lang=es"
    phone.wait()
    assert phone.said() == SPANISH_MENU


def test_an_unknown_key_asks_for_the_language_again(phone):
    phone.call()
    phone.press("8")
    assert ("en-US", "For English, press 2.") in phone.said()


# --- The main menu ----------------------------------------------------------------------------


def test_main_menu_in_english_asked_twice_then_goodbye(phone):
    phone.call()
    twiml = phone.press("2")
    assert phone.said() == ENGLISH_MENU
    gather = twiml.find("Gather")
    assert gather.get("action") == f"{public()}/hooks/twilio/voice/choose/?lang=en"
    last = phone.wait()
    # The goodbye follows the <Gather>: heard only if the caller presses nothing again.
    goodbye = ("en-US", "We did not receive a choice. Please call again. Goodbye.")
    assert phone.said() == [*ENGLISH_MENU, goodbye]
    assert [node.tag for node in last] == ["Gather", "Say", "Hangup"]


def test_a_recorded_menu_plays_in_its_language(pilsen, phone):
    prompt(pilsen, Prompt.Key.LANGUAGE, "quc", digit=3)
    menu = prompt(pilsen, Prompt.Key.MENU, "quc")
    phone.call()
    phone.press("3")
    assert phone.played() == [f"{public()}/hooks/twilio/voice/prompt/{menu.code}/"]
    assert phone.said() == []


def test_an_invalid_option_says_so_and_asks_again(phone):
    phone.call()
    phone.press("1")
    phone.press("9")
    assert phone.said() == [("es-MX", "Esa opción no es válida."), *SPANISH_MENU]


# --- 1: the dispatcher on shift ---------------------------------------------------------------


def test_option_1_logs_the_call_and_rings_everyone_on_shift_from_the_hotline_number(
    pilsen, phone, dispatcher
):
    marta = volunteer(pilsen, "Marta", MARTA_PHONE)
    rosa = volunteer(pilsen, "Rosa", ROSA_PHONE)
    volunteer(pilsen, "Lalo", OFF_SHIFT_PHONE)  # a dispatcher, but not on shift now
    on_shift(pilsen, ShiftRole.DISPATCHER, [marta, rosa])
    phone.call()
    phone.press("2")
    twiml = phone.press("1")
    report = Report.objects.get()
    assert (report.channel, report.external_id, report.language) == ("phone", phone.sid, "en")
    assert report.committee == pilsen
    # In the dispatchers' inbox before anyone's phone rings.
    inbox = testing.staff_client(dispatcher).get(f"/staff/c/{pilsen.code}/reports/")
    assert str(report.code) in inbox.content.decode()
    dial = twiml.find("Dial")
    assert dial.get("callerId") == PILSEN_NUMBER
    assert dial.get("timeout") == str(settings.DEFENSA_HOTLINE_RING_SECONDS)
    assert query(dial.get("action", "")) == {"lang": "en", "stage": "dispatcher"}
    assert numbers_dialed(twiml) == {MARTA_PHONE, ROSA_PHONE}
    assert phone.said() == [("en-US", "Please wait while we connect you with a dispatcher.")]
    answered = phone.dial_ends("completed")
    assert [node.tag for node in answered] == ["Hangup"]
    assert Report.objects.count() == 1


def test_a_volunteer_presses_1_to_take_the_call_so_their_voicemail_cannot(pilsen, phone) -> None:
    client = Client()
    on_shift(pilsen, ShiftRole.DISPATCHER, [volunteer(pilsen, "Marta", MARTA_PHONE)])
    phone.call()
    phone.press("1")
    twiml = phone.press("1")
    number = twiml.find("Dial/Number")
    assert number is not None
    screen_url = number.get("url", "")
    assert query(screen_url) == {"lang": "es"}
    # The leg that rings Marta: its own CallSid, from the hotline (our caller id), to her.
    leg = call_params(call_sid(), to=MARTA_PHONE) | {
        "From": PILSEN_NUMBER,
        "Direction": "outbound-dial",
        "ParentCallSid": phone.sid,
    }
    answered = post(client, screen_url, leg)
    assert answered.status_code == 200
    screen = twiml_of(answered.content)
    gather = screen.find("Gather")
    assert gather is not None
    assert [n.text for n in gather.iter("Say")] == [
        "Una llamada a la línea de defensa. Idioma: Español. Oprima 1 para tomarla.",
        "A call to the defense hotline. Language: Spanish. Press 1 to take it.",
    ]
    assert [n.tag for n in screen][-1] == "Hangup"  # silence (a voicemail greeting) hangs up
    take = post(client, gather.get("action", ""), leg | {"Digits": "1"})
    assert list(twiml_of(take.content)) == []  # an empty answer connects the caller
    other = post(client, gather.get("action", ""), leg | {"Digits": "9"})
    assert [n.tag for n in twiml_of(other.content)] == ["Hangup"]
    unsigned = client.post(
        screen_url.removeprefix(public()), leg, content_type="application/x-www-form-urlencoded"
    )
    assert unsigned.status_code in (403, 415)
    assert Report.objects.count() == 1


def test_unanswered_dispatchers_ring_the_backups_then_take_a_voicemail(pilsen, phone, fake):
    on_shift(pilsen, ShiftRole.DISPATCHER, [volunteer(pilsen, "Marta", MARTA_PHONE)])
    on_shift(pilsen, ShiftRole.BACKUP_DISPATCHER, [volunteer(pilsen, "Beto", BETO_PHONE)])
    phone.call()
    phone.press("1")
    assert numbers_dialed(phone.press("1")) == {MARTA_PHONE}
    backups = phone.dial_ends("no-answer")
    assert numbers_dialed(backups) == {BETO_PHONE}
    assert backups.find("Dial").get("callerId") == PILSEN_NUMBER
    assert query(backups.find("Dial").get("action", ""))["stage"] == "backup"
    twiml = phone.dial_ends("busy")
    assert phone.said()[0] == (
        "es-MX",
        "En este momento nadie pudo contestar. Por favor, deje un mensaje y nuestro equipo "
        "lo escuchará pronto.",
    )
    record = twiml.find("Record")
    assert query(record.get("recordingStatusCallback", ""))["channel"] == "phone"
    rsid = recording_sid()
    fake.files[recording_path(rsid)] = ("audio/wav", wav())
    phone.leave_message(rsid)
    assert fetching.fetch_due() == 1
    # The voicemail joins the call's report: one report, with its recording.
    report = Report.objects.get()
    assert report.channel == "phone"
    assert list(report.media.values_list("kind", "source_id")) == [("audio", rsid)]


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_without_backups_an_unanswered_call_goes_to_voicemail(pilsen, phone, status):
    on_shift(pilsen, ShiftRole.DISPATCHER, [volunteer(pilsen, "Marta", MARTA_PHONE)])
    phone.call()
    phone.press("1")
    phone.press("1")
    assert phone.dial_ends(status).find("Record") is not None


def test_with_no_dispatcher_on_shift_the_backups_ring_at_once(pilsen, phone):
    on_shift(pilsen, ShiftRole.BACKUP_DISPATCHER, [volunteer(pilsen, "Beto", BETO_PHONE)])
    phone.call()
    phone.press("1")
    twiml = phone.press("1")
    assert numbers_dialed(twiml) == {BETO_PHONE}
    assert query(twiml.find("Dial").get("action", ""))["stage"] == "backup"
    assert phone.dial_ends("no-answer").find("Record") is not None


def test_with_nobody_on_call_the_caller_leaves_a_voicemail_on_the_calls_report(pilsen, phone):
    volunteer(pilsen, "Lalo", OFF_SHIFT_PHONE)  # qualified, with a phone, but not on shift
    phone.call()
    phone.press("1")
    twiml = phone.press("1")
    assert twiml.find("Dial") is None
    record = twiml.find("Record")
    assert query(record.get("recordingStatusCallback", ""))["channel"] == "phone"
    assert Report.objects.get().external_id == phone.sid


# --- 2: a voicemail ---------------------------------------------------------------------------


def test_a_voicemail_is_fetched_cleaned_sealed_and_deleted_at_twilio(pilsen, phone, fake):
    phone.call()
    phone.press("1")
    twiml = phone.press("2")
    assert phone.said() == [
        ("es-MX", "Después del tono, díganos qué pasó, dónde y cuándo. No diga su nombre."),
        ("es-MX", "Cuando termine, oprima la tecla numeral o cuelgue."),
        ("es-MX", "No escuchamos ningún mensaje. Adiós."),  # only if nothing was recorded
    ]
    record = twiml.find("Record")
    assert record.get("maxLength") == str(settings.DEFENSA_VOICEMAIL_SECONDS)
    assert record.get("playBeep") == "true"
    assert record.get("recordingStatusCallbackEvent") == "completed"
    assert not Report.objects.exists()  # nothing to document until there is a recording
    rsid = recording_sid()
    original = wav()
    fake.files[recording_path(rsid)] = ("audio/wav", original)
    after = phone.leave_message(rsid)
    assert phone.said() == [("es-MX", "Gracias. Recibimos su mensaje. Adiós.")]
    assert after.find("Hangup") is not None
    report = Report.objects.get()
    assert (report.channel, report.external_id, report.committee) == (
        "voicemail",
        phone.sid,
        pilsen,
    )
    assert MediaFetch.objects.get().locator == recording_path(rsid)
    assert fetching.fetch_due() == 1
    item = ReportMedia.objects.get()
    assert (item.report, item.kind, item.source_id) == (report, "audio", rsid)
    assert item.sha256 == hashlib.sha256(original).hexdigest()
    # Both copies are sealed on disk; the clean one is a re-encoded recording.
    for which in ("original", "clean"):
        raw = (Path(media_store._root()) / f"{item.code}.{which}").read_bytes()
        assert not raw.startswith(b"RIFF")
    clean = media_store.load(item, "clean", committee=pilsen)
    assert clean[4:8] == b"ftyp"
    # Fetched from our own account's path (never the URL in the callback), then deleted there.
    assert [r.path for r in fake.requests if r.method == "GET"] == [recording_path(rsid)]
    assert fake.deleted() == [recording_path(rsid).replace(".wav", ".json")]


def test_a_recorded_voicemail_prompt_plays_in_the_callers_language(pilsen, phone):
    before = prompt(pilsen, Prompt.Key.VOICEMAIL, "en")
    phone.call()
    phone.press("2")
    phone.press("2")
    assert phone.played() == [f"{public()}/hooks/twilio/voice/prompt/{before.code}/"]


@override_settings(DEFENSA_VOICEMAIL_SECONDS=3600)
def test_a_voicemail_is_never_longer_than_media_cleaning_takes(phone):
    phone.call()
    phone.press("1")
    assert phone.press("2").find("Record").get("maxLength") == "600"


def test_an_absent_recording_writes_nothing(pilsen, phone):
    phone.call()
    phone.press("1")
    record = phone.press("2").find("Record")
    callback = record.get("recordingStatusCallback", "")
    params = recording_params(phone.sid, recording_sid(), status="absent")
    assert post(phone.client, callback, params).status_code == 200
    assert not Report.objects.exists()
    assert not MediaFetch.objects.exists()


# --- 3: verified alerts -----------------------------------------------------------------------

asked: list[tuple[str, str]] = []


def fake_alerts(zip_code: str, language: str) -> list[str]:
    asked.append((zip_code, language))
    return [ALERT] if zip_code == "60608" else []


def broken_alerts(zip_code: str, language: str) -> list[str]:
    raise RuntimeError("the alerts database is down")


ALERTS = "defensa.hotline.tests.test_voice.fake_alerts"
OFFER_EN = (
    "en-US",
    "To get a phone call each time trained volunteers verify an alert for this ZIP code, press 1.",
)
OFFER_ES = (
    "es-MX",
    "Para recibir una llamada cada vez que voluntarios capacitados verifiquen una alerta para "
    "este código postal, marque 1.",
)


@override_settings(DEFENSA_VERIFIED_ALERTS_FOR_ZIP=ALERTS)
def test_option_3_reads_the_verified_alerts_for_a_zip_code(phone):
    asked.clear()
    phone.call()
    phone.press("2")
    twiml = phone.press("3")
    gather = twiml.find("Gather")
    assert gather.get("numDigits") == "5"
    assert phone.said() == [("en-US", "Enter the five digits of the ZIP code.")]
    twiml = phone.press("60608")
    assert asked == [("60608", "en")]
    assert phone.said() == [
        ("en-US", "There is 1 verified alert for ZIP code 6 0 6 0 8."),
        ("en-US", ALERT),
        OFFER_EN,
    ]
    offer = twiml.find("Gather")
    assert offer.get("numDigits") == "1"
    assert query(offer.get("action", "")) == {"lang": "en", "zip": "60608"}
    assert twiml.find("Redirect").text == f"{public()}/hooks/twilio/voice/menu/?lang=en"


@override_settings(DEFENSA_VERIFIED_ALERTS_FOR_ZIP=ALERTS)
def test_a_zip_code_without_alerts_and_an_unknown_one_asked_once_more(phone):
    phone.call()
    phone.press("1")
    phone.press("3")
    phone.press("60623")
    assert phone.said() == [
        ("es-MX", "En este momento no hay alertas verificadas para este código postal."),
        OFFER_ES,
    ]
    phone.wait()
    phone.press("3")
    twiml = phone.press("00000")
    assert phone.said() == [
        ("es-MX", "No reconocemos ese código postal."),
        ("es-MX", "Marque los cinco dígitos del código postal."),
    ]
    assert query(twiml.find("Gather").get("action", "")) == {"lang": "es", "again": "1"}
    twiml = phone.press("123")
    assert phone.said() == [("es-MX", "No reconocemos ese código postal.")]
    assert twiml.find("Gather") is None
    assert twiml.find("Redirect").text == f"{public()}/hooks/twilio/voice/menu/?lang=es"


@override_settings(DEFENSA_VERIFIED_ALERTS_FOR_ZIP="defensa.hotline.tests.test_voice.broken_alerts")
def test_a_broken_alerts_source_is_explained_not_a_failed_call(phone):
    phone.call()
    phone.press("2")
    phone.press("3")
    phone.press("60608")
    assert phone.said() == [
        ("en-US", "We cannot read the alerts right now. Please try again later."),
        OFFER_EN,
    ]


def test_the_default_source_has_no_alerts(phone):
    phone.call()
    phone.press("2")
    phone.press("3")
    phone.press("60608")
    assert phone.said() == [
        ("en-US", "There are no verified alerts for this ZIP code now."),
        OFFER_EN,
    ]


# --- 4: legal help ----------------------------------------------------------------------------


def test_option_4_reads_the_committees_legal_help_then_the_menu(pilsen, phone):
    text = "Llame al Centro Legal de Pilsen, de lunes a viernes. Consultas gratuitas."
    LegalHelp.objects.create(committee=pilsen, language="es", text=text)
    phone.call()
    phone.press("1")
    twiml = phone.press("4")
    assert phone.said() == [("es-MX", text)]
    assert twiml.find("Redirect").text == f"{public()}/hooks/twilio/voice/menu/?lang=es"


def test_option_4_without_a_committee_text_gives_general_advice(pilsen, phone):
    phone.call()
    phone.press("2")
    phone.press("4")
    said = phone.said()
    assert said[0] == (
        "en-US",
        "You have the right to remain silent. You do not have to answer questions about "
        "where you were born or how you came to this country.",
    )
    assert all(language == "en-US" for language, _text in said)
    recording = prompt(pilsen, Prompt.Key.LEGAL, "en")
    phone.wait()
    phone.press("4")
    assert phone.played() == [f"{public()}/hooks/twilio/voice/prompt/{recording.code}/"]


# --- Prompts ----------------------------------------------------------------------------------


def test_prompt_audio_is_public_by_code_only(pilsen):
    item = prompt(pilsen, Prompt.Key.MENU, "es")
    client = Client()
    url = reverse("voice:prompt", args=[item.code])
    assert client.get(url)["Content-Type"] == "audio/mpeg"
    assert client.get(url.replace(str(item.code), "0" * 8 + str(item.code)[8:])).status_code == 404
    assert client.post(url).status_code == 405


# --- Integrity --------------------------------------------------------------------------------


REFUSED_WITH = {
    "no signature": 403,
    "wrong signature": 403,
    "signed for another URL": 403,
    "signed for another query": 403,
    "a parameter changed after signing": 403,
    "no CallSid": 400,
    "a bad CallSid": 400,
    "another account": 400,
    "invalid UTF-8": 400,
    "raw invalid UTF-8": 400,
    "10 MB": 400,
    "JSON": 415,
    "multipart": 415,
    "GET": 405,
}


def test_malformed_requests_are_refused_without_writing_anything(pilsen, fake):
    client = Client(raise_request_exception=False)
    before = writes()
    surprises = []
    for path, params in corpus(call_sid()):
        for case, response in malformed(client, path, params).items():
            if response.status_code != REFUSED_WITH[case]:
                surprises.append(f"{path} {case}: {response.status_code}")
    assert surprises == []  # none accepted, no server error, each refused for its reason
    assert writes() == before
    assert not fake.requests  # nor anything asked of Twilio


def test_the_corpus_requests_are_accepted_when_well_formed(pilsen, fake):
    client = Client()
    for path, params in corpus(call_sid()):
        response = post(client, path, params)
        assert response.status_code == 200, path
        twiml_of(response.content)


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/hooks/twilio/voice/choose/?lang=es", {"Digits": "1" * 40}),
        ("/hooks/twilio/voice/choose/?lang=es", {"To": "client:anonymous"}),
        ("/hooks/twilio/voice/dialed/?lang=es&stage=dispatcher", {"DialCallStatus": "meh"}),
        ("/hooks/twilio/voice/dialed/?lang=es&stage=everyone", {"DialCallStatus": "busy"}),
        ("/hooks/twilio/voice/zip/?lang=es", {"Digits": "6060<8"}),
        ("/hooks/twilio/voice/subscribe/?lang=es&zip=6060", {}),
        ("/hooks/twilio/voice/subscribe/?lang=es", {}),
        ("/hooks/twilio/voice/subscribe/?lang=es&zip=60608", {"Digits": "1<"}),
    ],
)
def test_a_bad_parameter_is_a_400_that_writes_nothing(pilsen, fake, path, change):
    params = call_params(call_sid()) | {"Digits": "1"} | change
    before = writes()
    assert post(Client(), path, params).status_code == 400
    assert writes() == before


@pytest.mark.parametrize(
    ("query", "change"),
    [
        ("lang=es&channel=voicemail&to=%2B13125550000", {"RecordingSid": "RE../../Calls/x"}),
        ("lang=es&channel=voicemail&to=%2B13125550000", {"RecordingSid": ""}),
        ("lang=es&channel=voicemail&to=%2B13125550000", {"RecordingStatus": "done"}),
        ("lang=es&channel=web&to=%2B13125550000", {}),
        ("lang=es&channel=voicemail", {}),
        ("lang=es&channel=voicemail&to=13125550000", {}),
    ],
)
def test_a_bad_recording_callback_is_a_400_that_writes_nothing(pilsen, fake, query, change):
    params = recording_params(call_sid(), recording_sid()) | change
    before = writes()
    assert post(Client(), f"/hooks/twilio/voice/recording/?{query}", params).status_code == 400
    assert writes() == before


def test_an_unknown_language_in_the_query_is_spanish(phone):
    phone.send("/hooks/twilio/voice/menu/?lang=xx", call_params(phone.sid))
    assert phone.said() == SPANISH_MENU
    assert query(phone.twiml.find("Gather").get("action", ""))["lang"] == "es"


def test_voice_webhooks_are_not_found_while_twilio_is_not_configured(pilsen):
    params = call_params(call_sid(), status="ringing")
    with override_settings(DEFENSA_TWILIO_ACCOUNT_SID="", DEFENSA_TWILIO_AUTH_TOKEN=""):
        response = post(Client(), "/hooks/twilio/voice/", params)
    assert response.status_code == 404


def test_a_hotline_without_any_committee_says_it_is_not_ready(fake):
    twiml = Phone(Client()).call()
    assert [node.tag for node in twiml] == ["Say", "Hangup"]
    assert not Report.objects.exists()


def test_the_same_call_and_recording_five_times_are_processed_once(pilsen, fake):
    client = Client()
    sid, rsid = call_sid(), recording_sid()
    fake.files[recording_path(rsid)] = ("audio/wav", wav(0.5))
    gathered = call_params(sid) | {"Digits": "1"}
    for _ in range(5):
        assert post(client, "/hooks/twilio/voice/", call_params(sid)).status_code == 200
    assert not Report.objects.exists()
    for _ in range(5):
        assert post(client, "/hooks/twilio/voice/choose/?lang=es", gathered).status_code == 200
    callback = "/hooks/twilio/voice/recording/?lang=es&channel=phone&to=%2B13125550000"
    for _ in range(5):
        assert post(client, callback, recording_params(sid, rsid)).status_code == 200
    assert (Report.objects.count(), MediaFetch.objects.count()) == (1, 1)
    assert fetching.fetch_due() == 1
    for _ in range(5):
        assert post(client, callback, recording_params(sid, rsid)).status_code == 200
    fetching.fetch_due()
    assert (Report.objects.count(), ReportMedia.objects.count()) == (1, 1)
    assert AuditEvent.objects.filter(verb="report.received").count() == 1
    assert AuditEvent.objects.filter(verb="report.media_added").count() == 1


def test_no_phone_number_is_stored_or_logged(pilsen, fake, caplog):
    on_shift(pilsen, ShiftRole.DISPATCHER, [volunteer(pilsen, "Marta", MARTA_PHONE)])
    caplog.set_level(logging.DEBUG)
    phone = Phone(Client())
    rsid = recording_sid()
    fake.files[recording_path(rsid)] = ("audio/wav", wav(0.5))
    phone.call()
    phone.press("1")
    phone.press("1")
    phone.dial_ends("no-answer")
    phone.leave_message(rsid)
    fetching.fetch_due()
    assert ReportMedia.objects.count() == 1
    secrets_ = (CALLER, CALLER[2:], MARTA_PHONE, MARTA_PHONE[2:])
    assert not [n for n in secrets_ if n in caplog.text]
    for model in apps.get_models():
        if not model._meta.managed:
            continue  # no table of its own (a dashboard)
        for row in model._default_manager.values():
            text = str(row)
            assert not [n for n in secrets_ if n in text], model.__name__
