"""Each channel's transport against a local fake of its provider: the exact request, and how
each provider error maps to retry, give up, or "this address is gone"."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings

from defensa.alerts.tests import delivery_fakes as world
from defensa.core import http
from defensa.messaging import transports
from defensa.messaging.tests import fakes
from defensa.messaging.transports import Outgoing, push, voice

# RFC 8291, Appendix A.
RFC_PLAINTEXT = "V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24"
RFC_AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
RFC_UA_PUBLIC = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)
RFC_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
RFC_SALT = "DGv6ra1nlYgDCS1FRnbzlw"
RFC_AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_MESSAGE = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS"
    "6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy"
    "4a-fN"
)


def _key(b64: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(push.unb64url(b64), "big"), ec.SECP256R1())


def _message(n: int, to: object, body: str = "Actividad de ICE.", **extra: str) -> Outgoing:
    return Outgoing(key=n, to=to, body=body, title="Alerta", extra=extra)


# --- Web push ------------------------------------------------------------------------------------


def test_web_push_encryption_is_rfc_8291s_test_vector() -> None:
    sealed = push.encrypt(
        push.unb64url(RFC_PLAINTEXT),
        p256dh=push.unb64url(RFC_UA_PUBLIC),
        auth=push.unb64url(RFC_AUTH),
        _ours=_key(RFC_AS_PRIVATE),
        _salt=push.unb64url(RFC_SALT),
    )
    assert push.b64url(sealed) == RFC_MESSAGE


def test_web_push_payload_opens_with_the_reference_implementation() -> None:
    """http_ece (the reference aes128gcm implementation pywebpush uses) reads what we seal
    under fresh keys."""
    browser = ec.generate_private_key(ec.SECP256R1())
    public = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = b"0123456789abcdef"
    text = json.dumps({"body": "¡Alerta verificada! ñ"}).encode()
    sealed = push.encrypt(text, p256dh=public, auth=auth)
    opened = http_ece.decrypt(sealed, private_key=browser, auth_secret=auth, version="aes128gcm")
    assert opened == text
    # A fresh key and salt every time: two messages never share ciphertext.
    assert push.encrypt(text, p256dh=public, auth=auth)[:86] != sealed[:86]


def test_web_push_signs_one_vapid_token_per_push_service_and_reuses_connections() -> None:
    push.tokens.forget()
    signed = push.tokens.signed
    with world.push_service() as service, override_settings(DEFENSA_PUSH_CONNECTIONS=4):
        messages = [_message(n, service.subscription(n), url="https://x/v/1") for n in range(300)]
        results = transports.get("push").send_many(messages)
        again = transports.get("push").send_many(messages[:10])
    assert all(result.ok for result in [*results, *again])
    assert not service.state.problems  # every token verified, every payload decrypted
    assert push.tokens.signed == signed + 1
    assert service.state.connections <= 4
    assert service.counts[299] == 1
    assert service.counts[0] == 2
    assert service.state.payloads[7][0] == {
        "title": "Alerta",
        "body": "Actividad de ICE.",
        "url": "https://x/v/1",
        "tag": "",
        "lang": "es",
    }
    assert service.state.headers[7]["urgency"] == "high"


def test_web_push_answers_map_to_gone_retry_or_give_up() -> None:
    with world.push_service() as service:
        service.state.gone.add(1)
        service.state.flaky[2] = 1
        results = transports.get("push").send_many(
            [_message(n, service.subscription(n)) for n in range(3)]
        )
    ok, gone, flaky = results
    assert ok.ok
    assert gone.error is not None
    assert gone.error.gone
    assert gone.error.permanent
    assert flaky.error is not None
    assert not flaky.error.permanent


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example/wpush/1",
        "https://fcm.googleapis.com.evil.example/x",
        "http://fcm.googleapis.com/x",  # push services only over HTTPS
        "https://user:pw@fcm.googleapis.com/x",
        "file:///etc/passwd",
    ],
)
def test_web_push_posts_only_to_push_services(endpoint: str) -> None:
    subscription = {"endpoint": endpoint, "keys": world.subscription(1, url="")["keys"]}
    with override_settings(DEFENSA_PUSH_SERVICE_HOSTS=["fcm.googleapis.com"]):
        [result] = transports.get("push").send_many([_message(1, subscription)])
    assert result.error is not None
    assert result.error.gone


def test_web_push_gives_up_on_unusable_keys() -> None:
    with world.push_service() as service:
        broken = {"endpoint": service.subscription(1)["endpoint"], "keys": {"p256dh": "AAAA"}}
        [result] = transports.get("push").send_many([_message(1, broken)])
    assert result.error is not None
    assert result.error.gone
    assert service.state.received == 0


def test_web_push_cuts_a_long_text_to_one_record() -> None:
    message = _message(1, {}, body="ñ" * 5000)
    assert len(push.payload(message)) <= push.MAX_PLAINTEXT


# --- Twilio: SMS, WhatsApp, calls ----------------------------------------------------------------

PHONE = "+13125550142"


def test_sms_asks_for_status_callbacks_and_returns_the_sid() -> None:
    with fakes.twilio() as twilio:
        [result] = transports.get("sms").send_many([_message(1, PHONE, "ALERTA")])
    form = twilio.requests[0].form()
    assert form["To"] == PHONE
    assert form["Body"] == "ALERTA"
    assert form["From"] == "+13125550000"
    assert form["StatusCallback"].endswith("/hooks/twilio/status/")
    assert result.ok
    assert result.ref.startswith("SM")


@pytest.mark.parametrize(
    ("answer", "permanent", "gone"),
    [
        ((400, {"code": 21211, "message": "Invalid 'To' Phone Number"}), True, True),
        (
            (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
            True,
            True,
        ),
        (
            (400, {"code": 21408, "message": "Permission to send an SMS has not been enabled"}),
            True,
            False,
        ),
        ((429, {"code": 20429, "message": "Too Many Requests"}), False, False),
        ((500, {"message": "oops"}), False, False),
        ((401, {"code": 20003, "message": "Authenticate"}), False, False),
    ],
)
def test_sms_errors_map_to_retry_give_up_or_gone(answer, permanent, gone) -> None:
    with fakes.twilio() as twilio:
        twilio.scripted.append(answer)
        [result] = transports.get("sms").send_many([_message(1, PHONE)])
    assert result.error is not None
    assert (result.error.permanent, result.error.gone) == (permanent, gone)
    assert PHONE not in str(result.error)


def test_whatsapp_uses_whatsapp_addresses() -> None:
    with fakes.twilio() as twilio, override_settings(DEFENSA_TWILIO_WHATSAPP_FROM="+13125550001"):
        assert transports.configured("whatsapp")
        [result] = transports.get("whatsapp").send_many([_message(1, PHONE)])
    form = twilio.requests[0].form()
    assert result.ok
    assert form["To"] == f"whatsapp:{PHONE}"
    assert form["From"] == "whatsapp:+13125550001"


def test_whatsapp_is_off_without_its_sender() -> None:
    with fakes.twilio():
        assert not transports.configured("whatsapp")


def test_a_call_reads_the_alert_in_the_subscribers_language_or_plays_a_recording() -> None:
    with fakes.twilio() as twilio:
        results = transports.get("voice").send_many(
            [
                Outgoing(key=1, to=PHONE, body="Actividad de ICE.", language="es"),
                Outgoing(
                    key=2,
                    to=PHONE,
                    body="x",
                    language="mam",
                    extra={"recording": "https://example.org/r.mp3"},
                ),
            ]
        )
    assert all(result.ok for result in results)
    calls = sorted((r.form() for r in twilio.requests), key=lambda f: "Play" in f["Twiml"])
    assert all(r.path.endswith("/Calls.json") for r in twilio.requests)
    spoken, played = calls[0]["Twiml"], calls[1]["Twiml"]
    assert 'language="es-MX"' in spoken
    assert "Actividad de ICE." in spoken
    assert "Esta es una alerta verificada" in spoken
    assert played.count("<Play>https://example.org/r.mp3</Play>") == 2
    assert calls[0]["StatusCallback"].endswith("/hooks/twilio/status/")


def test_twiml_falls_back_to_spanish_for_languages_tts_does_not_speak() -> None:
    assert 'language="es-MX"' in voice.twiml(body="hola", language="mam")
    assert 'language="en-US"' in voice.twiml(body="hi", language="en")


# --- Signal --------------------------------------------------------------------------------------


def test_signal_sends_one_call_per_text_and_reads_each_recipients_result() -> None:
    numbers = [f"+1312555{n:04d}" for n in range(3)]
    with fakes.signal_cli() as signal:
        signal.scripted.append(
            (
                200,
                {
                    "result": {
                        "timestamp": 1764300000001,
                        "results": [
                            {"recipientAddress": {"number": numbers[0]}, "type": "SUCCESS"},
                            {
                                "recipientAddress": {"number": numbers[1]},
                                "type": "UNREGISTERED_FAILURE",
                            },
                            {
                                "recipientAddress": {"number": numbers[2]},
                                "type": "RATE_LIMIT_FAILURE",
                            },
                        ],
                    }
                },
            )
        )
        results = transports.get("signal").send_many(
            [_message(n, number, "ALERTA") for n, number in enumerate(numbers)]
        )
    assert len(signal.requests) == 1
    call = signal.requests[0].json()
    assert call["method"] == "send"
    assert call["params"]["recipient"] == numbers
    ok, gone, limited = results
    assert ok.ok
    assert ok.ref == "1764300000001"
    assert gone.error is not None
    assert gone.error.gone
    assert limited.error is not None
    assert not limited.error.permanent


def test_signal_daemon_down_is_temporary_for_everyone() -> None:
    with fakes.signal_cli() as signal:
        signal.scripted.append((500, {}))
        results = transports.get("signal").send_many([_message(1, PHONE), _message(2, "+1312")])
    assert all(r.error is not None and not r.error.permanent for r in results)


# --- E-mail --------------------------------------------------------------------------------------


def test_email_sends_a_batch_over_one_connection_with_one_click_unsubscribe() -> None:
    with world.smtp_server() as smtp:
        smtp.refused.add("gone@example.org")
        results = transports.get("email").send_many(
            [
                _message(1, "ana@example.org", "Texto", unsubscribe_url="https://d/u/1"),
                _message(2, "gone@example.org", "Texto"),
                _message(3, "beto@example.org", "Texto", unsubscribe_url="https://d/u/3"),
            ]
        )
    assert smtp.connections == 1
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error is not None
    assert results[1].error.gone
    parsed = email.message_from_bytes(smtp.messages[0][2])
    assert parsed["Subject"] == "Alerta"
    assert parsed["List-Unsubscribe"] == "<https://d/u/1>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp.messages[1][1] == ["beto@example.org"]


def test_email_server_down_is_temporary() -> None:
    with world.smtp_server() as smtp:
        port = smtp.port
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        DEFENSA_EMAIL_FROM="alertas@defensa.example.org",
    ):
        results = transports.get("email").send_many([_message(1, "ana@example.org")])
    assert results[0].error is not None
    assert not results[0].error.permanent


def test_the_vapid_key_browsers_get_is_the_one_push_tokens_carry() -> None:
    from defensa.alerts import push_keys

    public = push_keys.public_key_b64url()
    assert len(push.unb64url(public)) == 65  # an uncompressed P-256 point
    push.tokens.forget()
    with world.push_service() as service:
        [result] = transports.get("push").send_many([_message(1, service.subscription(1))])
    assert result.ok
    assert service.state.headers[1]["authorization"].endswith(f"k={public}")


def test_web_push_is_off_without_a_vapid_key() -> None:
    from defensa.alerts import push_keys

    with override_settings(DEFENSA_VAPID_PRIVATE_KEY="", DEFENSA_PUSH_SERVICE_HOSTS=["127.0.0.1"]):
        assert push_keys.public_key_b64url() == ""
        assert not transports.configured("push")
        [result] = transports.get("push").send_many(
            [_message(1, world.subscription(1, url="http://127.0.0.1:9"))]
        )
    assert result.error is not None
    assert not result.error.permanent


# --- The many-in-flight HTTP engine under web push -----------------------------------------------


@contextmanager
def _raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 whose every connection is given to `handle`."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _address = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        server.close()


def _requests(conn: socket.socket) -> Iterator[bytes]:
    """Each request's head as it arrives (bodies are read and dropped)."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
        head, _sep, buffer = buffer.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(buffer) < length:
            buffer += conn.recv(65536)
        buffer = buffer[length:]
        yield head


def test_a_server_that_closes_after_each_answer_still_answers_everything() -> None:
    def one_per_connection(conn: socket.socket) -> None:
        with conn:
            for _head in _requests(conn):
                conn.sendall(
                    b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
                )
                return

    with _raw_server(one_per_connection) as url:
        requests = [http.Request(f"{url}/p/{n}", b"x" * n) for n in range(20)]
        answers = http.send_many(requests, connections=2, pipeline=8)
    assert [getattr(a, "status", a) for a in answers] == [201] * 20


def test_pipelined_answers_come_back_in_order_with_chunked_bodies() -> None:
    def chunked(conn: socket.socket) -> None:
        with conn:
            for head in _requests(conn):
                n = head.split(b" ")[1].rsplit(b"/", 1)[1]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + b"%x\r\n%s\r\n0\r\n\r\n" % (len(n), n)
                )

    with _raw_server(chunked) as url:
        answers = http.send_many(
            [http.Request(f"{url}/p/{n}", b"") for n in range(50)], connections=1, pipeline=8
        )
    assert [a.body for a in answers if isinstance(a, http.Response)] == [
        str(n).encode() for n in range(50)
    ]


def test_a_server_that_never_answers_times_out_and_a_closed_port_fails_fast() -> None:
    def silent(conn: socket.socket) -> None:
        with conn:
            for _head in _requests(conn):
                pass

    with override_settings(DEFENSA_HTTP_TIMEOUT=1.0), _raw_server(silent) as url:
        began = time.monotonic()
        [answer] = http.send_many([http.Request(f"{url}/p/1", b"x")])
        assert isinstance(answer, TimeoutError)
        assert time.monotonic() - began < 5
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    [refused] = http.send_many([http.Request(f"http://127.0.0.1:{port}/p", b"x")])
    assert isinstance(refused, OSError)


def test_headers_with_line_breaks_are_refused_before_anything_is_sent() -> None:
    [answer] = http.send_many([http.Request("http://127.0.0.1:9/p", b"", {"X": "a\r\nB: c"})])
    assert isinstance(answer, ValueError)
