"""The phone line's set-up: numbers, menu recordings in any language (cleaned, MP3, no
metadata), legal-help text and trusted-reporter links; bad input changes nothing."""

from __future__ import annotations

import html
import io
import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest
from django.test import Client

from defensa import testing
from defensa.core.models import AuditEvent
from defensa.hotline.models import HotlineNumber, LegalHelp, Prompt, Report, TrustedToken
from defensa.network.models import Role

pytestmark = pytest.mark.django_db


def tone(seconds: float = 1.0, *, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(
            b"".join(struct.pack("<h", int(6000 * math.sin(i / 6))) for i in range(frames))
        )
    return buffer.getvalue()


def tagged_wav(tmp_path: Path) -> bytes:
    """A WAV carrying who recorded it, as phones and recorders write it (RIFF INFO tags)."""
    source = tmp_path / "plain.wav"
    source.write_bytes(tone())
    target = tmp_path / "tagged.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(source), "-metadata", "artist=Maria Lopez",
         "-metadata", "comment=recorded at 1820 S Blue Island", "-c", "copy", str(target)],
        check=True,
    )  # fmt: skip
    return target.read_bytes()


@pytest.fixture
def committee():
    return testing.committee("Comité de Pilsen")


@pytest.fixture
def coordinator(committee):
    return testing.member(committee, roles=[Role.COORDINATOR], username="coordi")


def page(committee) -> str:
    return f"/staff/c/{committee.code}/line/"


def upload(client: Client, committee, data: bytes, **fields: object):
    audio = io.BytesIO(data)
    audio.name = "menu.wav"
    return client.post(f"{page(committee)}prompts/", {"audio": audio, **fields})


def test_numbers_are_kept_in_e164_and_refused_when_wrong(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    assert (
        client.post(f"{page(committee)}numbers/", {"number": "(312) 555-0100"}).status_code == 302
    )
    assert HotlineNumber.objects.get().number == "+13125550100"
    again = client.post(f"{page(committee)}numbers/", {"number": "+1 312 555 0100"})
    assert again.status_code == 400
    assert "ya es un número de la línea" in again.content.decode()
    wrong = client.post(f"{page(committee)}numbers/", {"number": "llámame"})
    assert wrong.status_code == 400
    assert HotlineNumber.objects.count() == 1
    shown = client.get(page(committee)).content.decode()
    assert "+13125550100" in shown
    assert "/hooks/twilio/voice/" in shown
    assert "/hooks/twilio/sms/" in shown
    client.post(f"{page(committee)}numbers/remove/", {"number": "+13125550100"})
    assert not HotlineNumber.objects.exists()


def test_a_recording_in_any_language_is_cleaned_to_mp3_without_metadata(
    committee, coordinator, tmp_path: Path
) -> None:
    assert shutil.which("exiftool"), "bin/test installs Debian's exiftool"
    original = tagged_wav(tmp_path)
    before = subprocess.run(
        ["exiftool", "-a", "-G", str(tmp_path / "tagged.wav")], capture_output=True, text=True
    ).stdout
    assert "Maria Lopez" in before
    client = testing.staff_client(coordinator)
    response = upload(client, committee, original, key="language", language="quc", digit=3)
    assert response.status_code == 302
    prompt = Prompt.objects.get()
    assert (prompt.key, prompt.language, prompt.digit) == ("language", "quc", 3)
    assert prompt.content_type == "audio/mpeg"
    served = client.get(f"{page(committee)}prompts/{prompt.code}/audio/")
    assert served["Content-Type"] == "audio/mpeg"
    cleaned = tmp_path / "served.mp3"
    cleaned.write_bytes(served.content)
    after = subprocess.run(
        ["exiftool", "-a", "-G", str(cleaned)], capture_output=True, text=True
    ).stdout
    assert "Maria Lopez" not in after
    assert "Blue Island" not in after
    assert "MPEG" in after  # a real MP3 Twilio can play
    assert "K'iche'" in html.unescape(client.get(page(committee)).content.decode())


def test_uploading_the_same_place_and_language_replaces_the_recording(
    committee, coordinator
) -> None:
    client = testing.staff_client(coordinator)
    upload(client, committee, tone(1), key="menu", language="mam")
    first = Prompt.objects.get()
    upload(client, committee, tone(2), key="menu", language="mam")
    second = Prompt.objects.get()
    assert first.code == second.code
    assert bytes(first.audio) != bytes(second.audio)
    assert second.digit is None  # only the language choice has a key


@pytest.mark.parametrize(
    ("fields", "data", "message"),
    [
        ({"key": "language", "language": "quc"}, "tone", "1 a 9"),
        ({"key": "menu", "language": "other"}, "tone", "idioma"),
        ({"key": "menu", "language": "mam"}, b"<html><script>", "grabación"),
        ({"key": "nope", "language": "mam"}, "tone", "nope"),
    ],
    ids=["no-digit", "no-language", "not-audio", "unknown-place"],
)
def test_bad_uploads_are_refused_clearly_and_change_nothing(
    committee, coordinator, fields, data, message
) -> None:
    client = testing.staff_client(coordinator)
    events = AuditEvent.objects.count()
    response = upload(client, committee, tone() if data == "tone" else data, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Prompt.objects.exists()
    assert AuditEvent.objects.count() == events


def test_two_languages_cannot_share_a_key(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    upload(client, committee, tone(), key="language", language="quc", digit=3)
    clash = upload(client, committee, tone(), key="language", language="mam", digit=3)
    assert clash.status_code == 400
    assert "tecla 3" in clash.content.decode()
    assert Prompt.objects.count() == 1


def test_legal_help_text_is_set_per_language_and_removed_when_empty(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    text = "Llame a la Coalición: asesoría gratuita de lunes a viernes."
    assert (
        client.post(f"{page(committee)}legal/", {"language": "es", "text": text}).status_code == 302
    )
    assert LegalHelp.objects.get(language="es").text == text
    assert (
        client.post(f"{page(committee)}legal/", {"language": "es", "text": ""}).status_code == 302
    )
    assert not LegalHelp.objects.exists()
    hostile = client.post(f"{page(committee)}legal/", {"language": "es", "text": "a\u202eb"})
    assert hostile.status_code == 400
    assert not LegalHelp.objects.exists()


def test_a_trusted_link_is_shown_once_works_and_can_be_revoked(committee, coordinator) -> None:
    client = testing.staff_client(coordinator)
    shown = client.post(f"{page(committee)}trusted/", {"label": "Parroquia San Pío"})
    link = shown.content.decode().split('readonly value="')[1].split('"')[0]
    assert "/reportar/?t=" in link
    token = link.split("?t=")[1]
    assert token not in client.get(page(committee)).content.decode()  # never again
    stored = TrustedToken.objects.get()
    assert token not in stored.token_hash
    public = Client()
    form = public.get(f"/reportar/?t={token}")
    sent = public.post(
        "/reportar/",
        {"what": "agentes", "when": "now", "t": token, "pow_challenge": form.context["challenge"]},
    )
    assert sent.status_code == 302
    assert Report.objects.get().trusted
    client.post(f"{page(committee)}trusted/{stored.code}/revoke/")
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert "revocado" in client.get(page(committee)).content.decode()


def test_only_coordinators_see_the_committee_s_line(committee, coordinator) -> None:
    dispatcher = testing.member(committee, roles=[Role.DISPATCHER], username="paty")
    other = testing.committee("Otro")
    stranger = testing.member(other, roles=[Role.COORDINATOR], username="ajena")
    home = testing.staff_client(coordinator).get(f"/staff/c/{committee.code}/").content.decode()
    assert page(committee) in home
    assert testing.staff_client(dispatcher).get(page(committee)).status_code == 404
    assert testing.staff_client(stranger).get(page(committee)).status_code == 404
