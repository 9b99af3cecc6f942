"""Replayed provider payloads (SMS, MMS, WhatsApp, Signal) and a corpus of malformed ones.

Valid messages become reports with their photos; refused requests answer 4xx and write
nothing; nobody's number, profile name or words reach the database in clear or the logs.
"""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from PIL import Image
from twilio.request_validator import RequestValidator

from defensa import testing
from defensa.hotline import actions, fetching, media_store
from defensa.hotline.models import MediaFetch, Report, ReportMedia
from defensa.hotline.tests.test_media import leaky_jpeg
from defensa.hotline.tests.texting import (
    HOOK,
    PHONE,
    answer,
    counts,
    everything_stored,
    only_report,
    post,
)
from defensa.messaging.models import SeenInbound
from defensa.messaging.tests import fakes

pytestmark = pytest.mark.django_db

PROFILE_NAME = "Rosa Elena Quispe"
SIGNAL_UUID = "3f0d5b2c-8a1e-4c7b-9e62-5d1f0a7b9c44"


@pytest.fixture
def twilio(pilsen):
    with fakes.twilio() as fake:
        yield fake


@pytest.fixture
def signal(pilsen):
    with fakes.signal_cli() as fake:
        yield fake


def said(report: Report) -> list[str]:
    return [part["text"] for part in actions.read_content(report)["parts"]]


def no_metadata(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return not exif and not exif.get_ifd(0x8825)


# --- SMS, MMS, WhatsApp -----------------------------------------------------------------------


def test_an_mms_photo_becomes_a_cleaned_photo_of_the_report(twilio) -> None:
    mm, me = fakes.twilio_sid("MM"), fakes.twilio_sid("ME")
    url = fakes.media_url(twilio.url, mm, me)
    photo = leaky_jpeg()
    fakes.serve_media(twilio, url, photo)
    params = fakes.mms_payload(
        PHONE, "Camioneta de ICE en la 18", media=[(url, "image/jpeg")], MessageSid=mm
    )
    assert "¿Cuándo" in answer(post(params))
    report = only_report()
    assert report.zip_code == ""  # the number's own city and ZIP (FromZip) are not the place
    assert MediaFetch.objects.get().status == MediaFetch.Status.PENDING
    assert fetching.fetch_due() == 1
    item = ReportMedia.objects.get(report=report)
    assert item.kind == ReportMedia.Kind.PHOTO
    assert item.source_id == me
    clean = media_store.load(item, "clean", committee=report.committee)
    assert no_metadata(clean)
    # Twilio's copy is deleted once ours is safe.
    assert twilio.deleted() == [url[len(twilio.url) :] + ".json"]
    assert fetching.fetch_due() == 0  # attached once


def test_a_photo_alone_is_a_report(twilio) -> None:
    url = fakes.media_url(twilio.url, fakes.twilio_sid("MM"), fakes.twilio_sid("ME"))
    fakes.serve_media(twilio, url, leaky_jpeg())
    params = fakes.mms_payload(PHONE, "", media=[(url, "image/jpeg")])
    assert "¿Dónde" in answer(post(params))  # the photo shows what; it does not say where
    report = only_report()
    assert said(report) == []
    fetching.fetch_due()
    assert report.media.count() == 1


def test_a_keyword_with_a_photo_is_a_report(twilio) -> None:
    url = fakes.media_url(twilio.url, fakes.twilio_sid("MM"), fakes.twilio_sid("ME"))
    fakes.serve_media(twilio, url, leaky_jpeg())
    post(fakes.mms_payload(PHONE, "ALTO", media=[(url, "image/jpeg")]))
    assert said(only_report()) == ["ALTO"]
    assert MediaFetch.objects.count() == 1


def test_whatsapp_is_answered_and_the_profile_name_is_kept_nowhere(twilio, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    params = fakes.whatsapp_payload(
        PHONE, "La migra está en Cermak y Pulaski", profile_name=PROFILE_NAME
    )
    assert "¿Cuándo" in answer(post(params))
    url = fakes.media_url(twilio.url, fakes.twilio_sid("MM"), fakes.twilio_sid("ME"))
    fakes.serve_media(twilio, url, leaky_jpeg())
    photo = fakes.whatsapp_payload(
        PHONE, "ahorita", profile_name=PROFILE_NAME, media=[(url, "image/jpeg")]
    )
    assert answer(post(photo)).startswith("Recibido, gracias.")
    fetching.fetch_due()
    report = only_report()
    assert report.channel == "whatsapp"
    assert said(report) == ["La migra está en Cermak y Pulaski", "ahorita"]
    assert report.media.count() == 1
    stored = everything_stored()
    for secret in (PROFILE_NAME, "Quispe", "5550142", "Cermak"):
        assert secret not in stored
        assert secret not in caplog.text


def test_the_same_message_five_times_is_handled_once(twilio) -> None:
    params = fakes.sms_payload(PHONE, "Migra en la 18 y Ashland ahora")
    answers = [answer(post(params)) for _ in range(5)]
    assert answers[0].startswith("Recibido, gracias.")
    assert answers[1:] == ["", "", "", ""]
    assert Report.objects.count() == 1
    assert SeenInbound.objects.count() == 1
    assert said(only_report()) == ["Migra en la 18 y Ashland ahora"]


# --- The malformed corpus ---------------------------------------------------------------------


def _signed_raw(body: bytes, content_type: str, *, signature_params: dict | None = None):
    signature = fakes.twilio_signature(settings.DEFENSA_PUBLIC_URL + HOOK, signature_params or {})
    return Client(raise_request_exception=False).generic(
        "POST", HOOK, body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE=signature
    )


def _unsigned(params: dict) -> object:
    return Client(raise_request_exception=False).post(
        HOOK, urlencode(params), content_type="application/x-www-form-urlencoded"
    )


def _wrong_signature(params: dict) -> object:
    return Client(raise_request_exception=False).post(
        HOOK,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="bm90IGEgc2lnbmF0dXJl",
    )


def _signed_elsewhere(params: dict) -> object:
    signature = fakes.twilio_signature(settings.DEFENSA_PUBLIC_URL + "/hooks/twilio/voice/", params)
    return Client(raise_request_exception=False).post(
        HOOK,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def _signed_with_another_token(params: dict) -> object:
    signature = RequestValidator("someone-elses-token").compute_signature(
        settings.DEFENSA_PUBLIC_URL + HOOK, params
    )
    return Client(raise_request_exception=False).post(
        HOOK,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def _signed_without(name: str):
    def send(params: dict) -> object:
        params = {k: v for k, v in params.items() if k != name}
        return post(params, client=Client(raise_request_exception=False))

    return send


def _signed(changes: dict):
    def send(params: dict) -> object:
        return post({**params, **changes}, client=Client(raise_request_exception=False))

    return send


def _invalid_utf8(params: dict) -> object:
    body = urlencode({**params, "Body": "x"}).replace("Body=x", "Body=%FF%FEmigra").encode()
    return _signed_raw(body, "application/x-www-form-urlencoded", signature_params=params)


def _raw_invalid_utf8(params: dict) -> object:
    body = urlencode(params).encode() + b"&Extra=\xc3\x28"
    return _signed_raw(body, "application/x-www-form-urlencoded", signature_params=params)


def _ten_megabytes(params: dict) -> object:
    return post(
        {**params, "Body": "a" * (10 * 1024 * 1024)}, client=Client(raise_request_exception=False)
    )


def _as_json(params: dict) -> object:
    return _signed_raw(json.dumps(params).encode(), "application/json", signature_params=params)


def _as_multipart(params: dict) -> object:
    signature = fakes.twilio_signature(settings.DEFENSA_PUBLIC_URL + HOOK, params)
    return Client(raise_request_exception=False).post(
        HOOK, params, HTTP_X_TWILIO_SIGNATURE=signature
    )


def _as_latin1(params: dict) -> object:
    body = urlencode({**params, "Body": "se\u00f1or"}, encoding="latin-1").encode()
    return _signed_raw(
        body,
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        signature_params={**params, "Body": "se\u00f1or"},
    )


def _get(params: dict) -> object:
    return Client(raise_request_exception=False).get(HOOK, params)


MALFORMED = {
    "missing signature": _unsigned,
    "wrong signature": _wrong_signature,
    "signed for another URL": _signed_elsewhere,
    "signed with another token": _signed_with_another_token,
    "no MessageSid": _signed_without("MessageSid"),
    "no From": _signed_without("From"),
    "a MessageSid that is not one": _signed({"MessageSid": "SM123'; DROP TABLE x"}),
    "a call's id as MessageSid": _signed({"MessageSid": "CA" + "0" * 32}),
    "invalid UTF-8 (escaped)": _invalid_utf8,
    "invalid UTF-8 (raw)": _raw_invalid_utf8,
    "a 10 MB body": _ten_megabytes,
    "JSON": _as_json,
    "multipart": _as_multipart,
    "another charset": _as_latin1,
    "GET": _get,
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_requests_are_refused_and_write_nothing(twilio, case, caplog) -> None:
    before = counts()
    response = MALFORMED[case](fakes.sms_payload(PHONE, "migra en la 18"))
    assert 400 <= response.status_code < 500, response.status_code
    assert counts() == before
    assert twilio.requests == []
    assert "5550142" not in caplog.text
    assert "migra en la 18" not in caplog.text


def test_files_named_anywhere_but_our_account_are_never_fetched(twilio) -> None:
    mm, me = fakes.twilio_sid("MM"), fakes.twilio_sid("ME")
    ours = fakes.media_url(twilio.url, mm, me)
    hostile = [
        fakes.media_url("https://evil.example", mm, me),
        fakes.media_url(twilio.url + ".evil.example", mm, me),
        fakes.media_url(twilio.url, mm, me, account="AC" + "1" * 32),
        ours.replace(
            f"/Accounts/{fakes.TWILIO_SID}/", f"/Accounts/{fakes.TWILIO_SID}/../AC{'1' * 32}/"
        ),
        ours.replace(
            f"/Accounts/{fakes.TWILIO_SID}/", f"/Accounts/{fakes.TWILIO_SID}/%2e%2e/AC{'1' * 32}/"
        ),
        ours + "?redirect=https://evil.example",
        ours.replace(me, "../../../../etc/passwd"),
        f"{twilio.url}/2010-04-01/Accounts/{fakes.TWILIO_SID}/Recordings/RE{'0' * 32}",
        f"http://user@127.0.0.1:1/2010-04-01/Accounts/{fakes.TWILIO_SID}/Messages/{mm}/Media/{me}",
    ]
    for index, url in enumerate(hostile):
        params = fakes.mms_payload(
            f"+1312555{index:04d}", "foto de la migra", media=[(url, "image/jpeg")]
        )
        assert answer(post(params))  # the message itself is taken
    assert Report.objects.count() == len(hostile)
    assert MediaFetch.objects.count() == 0
    fetching.fetch_due()
    assert twilio.requests == []


# --- Text kept as written ---------------------------------------------------------------------

TEXTS = {
    "Spanish": "Señora Muñoz: ¿la migra está aquí? ¡Sí, en la esquina!",
    "Haitian Creole": "Imigrasyon ap arete moun nan lari a kounye a, tanpri vin ède nou",
    "K'iche'": "Maltyox. K'o e ajq'ij chi la' pa ri b'e, xkich'ap jun achi",
    "Arabic": "الشرطة هنا الآن عند الزاوية",
    "Chinese": "移民局的人在这里\uff0c两辆车",  # with a full-width comma
    "emoji ZWJ": "👩🏽\u200d🌾 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 agentes",
    "combining marks": "q\u0308 n\u0303\u0301 a\u030b\u0324 ti\u0300\u0323",
    "decomposed accents": "Jose\u0301 esta\u0301 aqui\u0301",
    "RTL override": "foto \u202egpj.exe\u202c y \u2066texto\u2069",
}


def expected(text: str) -> str:
    """As written; only direction overrides and isolates made visible."""
    out = text
    for char in "\u202e\u202c\u2066\u2069":
        out = out.replace(char, f"<U+{ord(char):04X}>")
    return out


@pytest.mark.parametrize("name", TEXTS)
def test_text_arrives_by_sms_as_written(twilio, name) -> None:
    post(fakes.sms_payload(PHONE, TEXTS[name]))
    assert said(only_report()) == [expected(TEXTS[name])]


@pytest.mark.parametrize("name", TEXTS)
def test_text_arrives_by_whatsapp_as_written(twilio, name) -> None:
    post(fakes.whatsapp_payload(PHONE, TEXTS[name], profile_name=PROFILE_NAME))
    assert said(only_report()) == [expected(TEXTS[name])]


@pytest.mark.parametrize("name", TEXTS)
def test_text_arrives_by_signal_as_written(signal, name) -> None:
    signal.inbox.append(
        fakes.signal_envelope(
            number=PHONE, account_uuid=SIGNAL_UUID, text=TEXTS[name], timestamp=1795767300000
        )
    )
    call_command("signal_receive", "--once")
    assert said(only_report()) == [expected(TEXTS[name])]


def test_control_characters_are_dropped_and_the_message_is_taken(twilio) -> None:
    post(fakes.sms_payload(PHONE, "migra\x00 en la\x07 18\r\nahora\x1b"))
    assert said(only_report()) == ["migra en la 18\nahora"]


def test_rtl_overrides_are_neutralized_and_visible() -> None:
    assert expected(TEXTS["RTL override"]) == "foto <U+202E>gpj.exe<U+202C> y <U+2066>texto<U+2069>"


# --- Signal -----------------------------------------------------------------------------------


def test_a_signal_photo_becomes_a_report_with_a_cleaned_photo(signal, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    photo = leaky_jpeg()
    attachment = "Yk3pQ9xYz1AbCdEf2g4h.jpg"
    signal.attachments[attachment] = photo
    signal.inbox.append(
        fakes.signal_envelope(
            number=PHONE,
            account_uuid=SIGNAL_UUID,
            text="ICE en la 26 y Pulaski ahora mismo",
            timestamp=1795767300000,
            attachments=[fakes.signal_attachment(attachment, size=len(photo))],
            profile_name=PROFILE_NAME,
        )
    )
    call_command("signal_receive", "--once")
    calls = [r.json() for r in signal.requests]
    assert [c["method"] for c in calls] == ["receive", "send"]
    assert calls[1]["params"]["recipient"] == [PHONE]
    assert calls[1]["params"]["message"].startswith("Recibido, gracias.")
    report = only_report()
    assert report.channel == "signal"
    assert fetching.fetch_due() == 1
    item = ReportMedia.objects.get(report=report)
    assert item.kind == ReportMedia.Kind.PHOTO
    assert no_metadata(media_store.load(item, "clean", committee=report.committee))
    assert [r.json()["method"] for r in signal.requests][-1] == "getAttachment"
    stored = everything_stored()
    for secret in (PROFILE_NAME, "5550142", SIGNAL_UUID, "Pulaski"):
        assert secret not in stored
        assert secret not in caplog.text


def test_a_signal_conversation_with_a_hidden_number(signal, pilsen, dispatcher) -> None:
    def receive(text: str, stamp: int) -> str:
        signal.inbox.append(
            fakes.signal_envelope(number=None, account_uuid=SIGNAL_UUID, text=text, timestamp=stamp)
        )
        call_command("signal_receive", "--once")
        sent = signal.requests[-1].json()
        assert sent["method"] == "send"
        assert sent["params"]["recipient"] == [SIGNAL_UUID]
        return sent["params"]["message"]

    assert "¿Dónde" in receive("Hay agentes de la migra", 1795767300000)
    assert "¿Cuándo" in receive("Calle 18 y Ashland", 1795767360000)
    assert "se comunicará" in receive("LLÁMENME", 1795767420000)
    report = only_report()
    assert actions.callback_of(report) == f"signal:{SIGNAL_UUID}"
    page = testing.staff_client(dispatcher).get(f"/staff/c/{pilsen.code}/reports/{report.code}/")
    assert f"signal:{SIGNAL_UUID}" in page.content.decode()
    assert "tel:signal" not in page.content.decode()  # not a number to dial
    # The same envelope again (signal-cli redelivers after a crash) changes nothing.
    signal.inbox.append(
        fakes.signal_envelope(
            number=None,
            account_uuid=SIGNAL_UUID,
            text="Calle 18 y Ashland",
            timestamp=1795767360000,
        )
    )
    call_command("signal_receive", "--once")
    assert len(said(Report.objects.get(pk=report.pk))) == 2


def test_signal_group_messages_are_not_reports(signal) -> None:
    signal.inbox.append(
        fakes.signal_envelope(
            number=PHONE,
            account_uuid=SIGNAL_UUID,
            text="migra",
            timestamp=1795767300000,
            group=True,
        )
    )
    call_command("signal_receive", "--once")
    assert Report.objects.count() == 0
    assert [r.json()["method"] for r in signal.requests] == ["receive"]


def test_one_bad_signal_envelope_does_not_lose_the_others(signal) -> None:
    signal.inbox.extend(
        [
            {"envelope": {"sourceNumber": PHONE, "dataMessage": "not an object"}},
            {"envelope": "nonsense"},
            42,
            fakes.signal_envelope(
                number=PHONE,
                account_uuid=SIGNAL_UUID,
                text="migra en la 18",
                timestamp=1795767300000,
            ),
        ]
    )
    call_command("signal_receive", "--once")
    assert said(only_report()) == ["migra en la 18"]


def test_a_failed_reply_does_not_lose_the_next_signal_message(signal) -> None:
    other = "6b1c2d3e-0000-4000-8000-00000000beef"
    waiting = [
        fakes.signal_envelope(
            number=PHONE, account_uuid=SIGNAL_UUID, text="migra en la 18", timestamp=1795767300000
        ),
        fakes.signal_envelope(
            number=None, account_uuid=other, text="ICE en Cermak", timestamp=1795767300500
        ),
    ]
    rate_limited = {"error": {"code": -5, "message": "Rate limit exceeded"}}
    # signal-cli hands over both messages, then refuses the first answer.
    signal.scripted.extend([(200, {"result": waiting}), (200, rate_limited)])
    call_command("signal_receive", "--once")
    assert Report.objects.count() == 2
    sent = [r.json() for r in signal.requests if r.json()["method"] == "send"]
    assert [c["params"]["recipient"] for c in sent] == [[PHONE], [other]]
