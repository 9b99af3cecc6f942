"""Helpers for the tests of the phone menu: Twilio's requests about a call, with every
parameter Twilio sends, signed; a caller's phone that follows our TwiML the way Twilio does;
and what a call needs around it (recordings, menu prompts, volunteers on shift)."""

from __future__ import annotations

import io
import json
import math
import secrets
import struct
import wave
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from defensa import testing
from defensa.core.models import AuditEvent
from defensa.hotline.models import MediaFetch, Prompt, Report, ReportMedia
from defensa.hotline.tests.conftest import PILSEN_NUMBER
from defensa.messaging.tests import fakes
from defensa.network import actions as network_actions
from defensa.network.models import Committee, Person, Role
from defensa.shifts import actions as shift_actions
from defensa.shifts.models import BlockKind

CALLER = "+17735550123"
MARTA_PHONE = "+13125550142"
ROSA_PHONE = "+13125550143"
BETO_PHONE = "+13125550144"
OFF_SHIFT_PHONE = "+13125550145"
ALERT = "Confirmed: ICE agents at the corner of 18th and Blue Island. Stay inside."


def public() -> str:
    return settings.DEFENSA_PUBLIC_URL.rstrip("/")


def call_sid() -> str:
    return "CA" + secrets.token_hex(16)


def recording_sid() -> str:
    return "RE" + secrets.token_hex(16)


def recording_path(sid: str) -> str:
    return f"/2010-04-01/Accounts/{fakes.TWILIO_SID}/Recordings/{sid}.wav"


def call_params(sid: str, *, to: str = PILSEN_NUMBER, status: str = "in-progress") -> dict:
    """What Twilio sends with every request about an inbound call."""
    return {
        "AccountSid": fakes.TWILIO_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": sid,
        "CallStatus": status,
        "Called": to,
        "CalledCity": "CHICAGO",
        "CalledCountry": "US",
        "CalledState": "IL",
        "CalledZip": "60608",
        "Caller": CALLER,
        "CallerCity": "CHICAGO",
        "CallerCountry": "US",
        "CallerState": "IL",
        "CallerZip": "60623",
        "Direction": "inbound",
        "From": CALLER,
        "FromCity": "CHICAGO",
        "FromCountry": "US",
        "FromState": "IL",
        "FromZip": "60623",
        "StirVerstat": "TN-Validation-Passed-B",
        "To": to,
        "ToCity": "CHICAGO",
        "ToCountry": "US",
        "ToState": "IL",
        "ToZip": "60608",
    }


def recording_params(sid: str, rsid: str, *, status: str = "completed") -> dict:
    """The recording status callback: no caller, no hotline number."""
    return {
        "AccountSid": fakes.TWILIO_SID,
        "CallSid": sid,
        "ErrorCode": "0",
        "RecordingChannels": "1",
        "RecordingDuration": "14",
        "RecordingSid": rsid,
        "RecordingSource": "RecordVerb",
        "RecordingStartTime": "Fri, 27 Nov 2026 08:15:00 +0000",
        "RecordingStatus": status,
        "RecordingTrack": "inbound",
        # Never fetched: the path is built from the RecordingSid under our own account.
        "RecordingUrl": f"https://evil.example/2010-04-01/Accounts/{fakes.TWILIO_SID}/x/{rsid}",
    }


def twiml_of(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own answer, not untrusted input


def post(client: Client, url: str, params: dict):
    return fakes.signed_twilio_post(client, url.removeprefix(public()), params, public_url=public())


class Phone:
    """A caller's phone as Twilio handles it: each answer's TwiML says what happens next."""

    def __init__(self, client: Client, *, to: str = PILSEN_NUMBER) -> None:
        self.client, self.to, self.sid = client, to, call_sid()
        self.twiml = ET.Element("Response")

    def send(self, url: str, params: dict) -> ET.Element:
        response = post(self.client, url, params)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        self.twiml = twiml_of(response.content)
        return self.twiml

    def call(self) -> ET.Element:
        return self.send(
            reverse("voice:incoming"), call_params(self.sid, to=self.to, status="ringing")
        )

    def press(self, digits: str) -> ET.Element:
        gather = self.twiml.find("Gather")
        assert gather is not None, ET.tostring(self.twiml)
        extra = {"Digits": digits, "FinishedOnKey": "", "msg": "Gather End"}
        return self.send(gather.get("action", ""), call_params(self.sid, to=self.to) | extra)

    def wait(self) -> ET.Element:
        """Say nothing: Twilio moves on to the <Redirect> after the <Gather>."""
        redirect = self.twiml.find("Redirect")
        assert redirect is not None, ET.tostring(self.twiml)
        return self.send(redirect.text or "", call_params(self.sid, to=self.to))

    def dial_ends(self, status: str) -> ET.Element:
        dial = self.twiml.find("Dial")
        assert dial is not None, ET.tostring(self.twiml)
        extra = {"DialCallStatus": status, "DialCallDuration": "0", "DialBridged": "false"}
        if status == "completed":
            extra |= {"DialCallSid": call_sid(), "DialCallDuration": "95", "DialBridged": "true"}
        return self.send(dial.get("action", ""), call_params(self.sid, to=self.to) | extra)

    def leave_message(self, rsid: str) -> ET.Element:
        """Speak after the tone and press #: the recording callback, then <Record>'s action."""
        record = self.twiml.find("Record")
        assert record is not None, ET.tostring(self.twiml)
        callback = record.get("recordingStatusCallback", "")
        response = post(self.client, callback, recording_params(self.sid, rsid))
        assert response.status_code == 200, response.content
        extra = {
            "RecordingSid": rsid,
            "RecordingUrl": f"https://api.twilio.com{recording_path(rsid)[:-4]}",
            "RecordingDuration": "14",
            "Digits": "#",
        }
        return self.send(record.get("action", ""), call_params(self.sid, to=self.to) | extra)

    def said(self) -> list[tuple[str, str]]:
        return [(node.get("language", ""), node.text or "") for node in self.twiml.iter("Say")]

    def played(self) -> list[str]:
        return [node.text or "" for node in self.twiml.iter("Play")]


def wav(seconds: float = 1.0) -> bytes:
    """A real (short) recording: a 440 Hz tone, 8 kHz mono, as Twilio stores voicemails."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(int(8000 * seconds))
        )
        writer.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return out.getvalue()


def prompt(committee: Committee, key: str, language: str, digit: int | None = None) -> Prompt:
    # The upload's own tests cover cleaning; here only the menu's use of a stored recording.
    return Prompt.objects.create(
        committee=committee,
        key=key,
        language=language,
        digit=digit,
        content_type="audio/mpeg",
        audio=b"ID3\x04\x00" + key.encode() + language.encode(),
    )


def on_shift(committee: Committee, role: str, people: list[Person]) -> None:
    """`people` on a whole-committee shift of `role` that started an hour ago (or at midnight)."""
    template = shift_actions.create_template(
        actor=None, committee=committee, zone=None, role=role, needed=len(people)
    )
    local = timezone.now().astimezone(shift_actions.tz_of(committee))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(local - timedelta(hours=1), midnight).replace(second=0, microsecond=0)
    end = start + timedelta(hours=3)
    block = shift_actions.add_block(
        actor=None,
        template=template,
        kind=BlockKind.ONCE,
        start_date=start.date(),
        end_date=end.date(),
        start_time=start.time(),
        end_time=end.time(),
    )
    slot = block.slots.get()
    for person in people:
        shift_actions.sign_up(actor=None, person=person, slot=slot)


def volunteer(committee: Committee, name: str, phone: str) -> Person:
    person = testing.member(committee, roles=[Role.DISPATCHER], name=name, username=name.lower())
    network_actions.update_profile(
        actor=None, person=person, contacts=[{"kind": "phone", "value": phone}]
    )
    return person


def numbers_dialed(twiml: ET.Element) -> set[str]:
    dial = twiml.find("Dial")
    assert dial is not None
    return {node.text or "" for node in dial.iter("Number")}


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


SPANISH_MENU = [
    ("es-MX", "Para hablar ahora con una persona del equipo de despacho, oprima 1."),
    ("es-MX", "Para dejar un mensaje sobre algo que ya pasó, oprima 2."),
    ("es-MX", "Para escuchar las alertas verificadas de un código postal, oprima 3."),
    ("es-MX", "Para saber dónde conseguir ayuda legal, oprima 4."),
]
ENGLISH_MENU = [
    ("en-US", "To talk with a dispatcher now, press 1."),
    ("en-US", "To leave a message about something that already happened, press 2."),
    ("en-US", "To hear the verified alerts for a ZIP code, press 3."),
    ("en-US", "To hear where to get legal help, press 4."),
]


def writes() -> tuple[int, ...]:
    return (
        Report.objects.count(),
        ReportMedia.objects.count(),
        MediaFetch.objects.count(),
        AuditEvent.objects.count(),
    )


def corpus(sid: str) -> list[tuple[str, dict]]:
    """Every voice webhook with the parameters Twilio would send it."""
    voice = "/hooks/twilio/voice/"
    base = call_params(sid)
    gathered = base | {"Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}
    return [
        (voice, call_params(sid, status="ringing")),
        (f"{voice}language/", gathered),
        (f"{voice}menu/?lang=es", base),
        (f"{voice}choose/?lang=es", gathered),
        (f"{voice}dialed/?lang=es&stage=dispatcher", base | {"DialCallStatus": "no-answer"}),
        (f"{voice}zip/?lang=es", base | {"Digits": "60608"}),
        (f"{voice}recorded/?lang=es", base | {"RecordingSid": recording_sid(), "Digits": "#"}),
        (
            f"{voice}recording/?lang=es&channel=voicemail&to=%2B13125550000",
            recording_params(sid, recording_sid()),
        ),
    ]


def malformed(client: Client, path: str, params: dict) -> dict[str, Any]:
    """The same request, broken in every way we can think of."""
    url = public() + path
    form = "application/x-www-form-urlencoded"
    signature = fakes.twilio_signature(url, params)
    body = urlencode(params)

    def send(data: object, *, content_type: str = form, sign: str | None = signature):
        headers = {"X-Twilio-Signature": sign} if sign is not None else {}
        return client.post(path, data, content_type=content_type, headers=headers)

    dropped = {k: v for k, v in params.items() if k != "CallSid"}
    bad_sid = params | {"CallSid": "CA../../etc/passwd"}
    other_account = params | {"AccountSid": "AC" + "1" * 32}
    return {
        "no signature": send(body, sign=None),
        "wrong signature": send(body, sign="bm90IGEgc2lnbmF0dXJl"),
        "signed for another URL": send(
            body, sign=fakes.twilio_signature(public() + "/hooks/twilio/sms/", params)
        ),
        "signed for another query": send(
            body,
            sign=fakes.twilio_signature(url + ("&" if "?" in url else "?") + "lang=en", params),
        ),
        "a parameter changed after signing": send(urlencode(params | {"Digits": "2"})),
        "no CallSid": send(urlencode(dropped), sign=fakes.twilio_signature(url, dropped)),
        "a bad CallSid": send(urlencode(bad_sid), sign=fakes.twilio_signature(url, bad_sid)),
        "another account": send(
            urlencode(other_account), sign=fakes.twilio_signature(url, other_account)
        ),
        "invalid UTF-8": send(body.encode() + b"&Body=%FF%FE"),
        "raw invalid UTF-8": send(b"CallSid=\xff\xfe\xfd"),
        "10 MB": send(body + "&Pad=" + "x" * (10 * 1024 * 1024)),
        "JSON": send(json.dumps(params), content_type="application/json"),
        "multipart": client.post(path, params, headers={"X-Twilio-Signature": signature}),
        "GET": client.get(path, params),
    }
