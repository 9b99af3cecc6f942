"""Signatures: tampered text, swapped key id, revoked key and replayed old alerts are all
rejected; a key rotation leaves unexpired alerts verifying; anyone can check an alert offline
with the published keys."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone, translation

from defensa.alerts import access, actions, verify
from defensa.alerts.models import Alert, AlertStatus
from defensa.alerts.tests.test_compose import Cast, approved, cast, draft, verified
from defensa.core import crypto, signing

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> Cast:
    return cast()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@contextmanager
def master_keys(spec: str) -> Iterator[None]:
    with override_settings(DEFENSA_MASTER_KEYS=spec):
        crypto.master_ring.cache_clear()
        try:
            yield
        finally:
            crypto.master_ring.cache_clear()


def new_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def rotated() -> str:
    """A new master key first (it signs), the old ones after it (they still verify)."""
    return f"{new_key('m-next')},{settings.DEFENSA_MASTER_KEYS}"


def without_the_old_key() -> str:
    old = signing.active_key_id()
    kept = [e for e in settings.DEFENSA_MASTER_KEYS.split(",") if not e.startswith(f"{old}:")]
    return ",".join([new_key("m-next"), *kept])


def test_an_approved_alert_checks_out_offline_with_the_published_keys(c) -> None:
    alert = approved(c)
    published = Client().get("/.well-known/defensa-signing-keys.json").json()
    text = json.dumps(published)
    assert alert.key_id in text
    raw = base64.b64decode(signing.public_key(alert.key_id).base64)  # type: ignore[union-attr]
    assert base64.b64encode(raw).decode() in text
    assert signing.verify_with(alert.snapshot.encode(), raw, base64.b64decode(alert.signature))
    assert verify.check(alert.verify_code).state == verify.State.CURRENT


def test_tampered_text_in_the_row_is_rejected(c) -> None:
    alert = approved(c)
    texts = alert.texts
    texts["es"]["sms"] = texts["es"]["sms"].replace("ICE", "la policía")
    Alert.objects.filter(pk=alert.pk).update(texts=texts)
    result = verify.check(alert.verify_code)
    assert (result.state, result.reason) == (verify.State.INVALID, "contents")
    assert not result.authentic
    assert access.public_alerts() == []


def test_tampered_text_in_the_signed_snapshot_is_rejected(c) -> None:
    alert = approved(c)
    forged = alert.snapshot.replace("ICE", "CBP")
    assert forged != alert.snapshot
    Alert.objects.filter(pk=alert.pk).update(snapshot=forged)
    result = verify.check(alert.verify_code)
    assert (result.state, result.reason) == (verify.State.INVALID, "signature")
    assert Client().get(f"/alertas/v/{alert.verify_code}/").status_code == 404


def test_a_tampered_expiry_or_area_is_rejected(c) -> None:
    alert = approved(c)
    Alert.objects.filter(pk=alert.pk).update(expires_at=alert.expires_at + timedelta(days=3))
    assert verify.check(alert.verify_code).reason == "contents"
    Alert.objects.filter(pk=alert.pk).update(expires_at=alert.expires_at, cells=alert.cells[:1])
    assert verify.check(alert.verify_code).reason == "contents"


def test_a_swapped_key_id_is_rejected(c) -> None:
    alert = approved(c)
    with master_keys(rotated()):
        # Another listed key: the signature is not by it.
        Alert.objects.filter(pk=alert.pk).update(key_id="m-next")
        assert verify.check(alert.verify_code).reason == "signature"
        # The snapshot's own key id changed to match: the bytes no longer match the signature.
        snapshot = alert.snapshot.replace(f'"key_id":"{alert.key_id}"', '"key_id":"m-next"')
        Alert.objects.filter(pk=alert.pk).update(snapshot=snapshot)
        assert verify.check(alert.verify_code).state == verify.State.INVALID
        # A key nobody lists.
        Alert.objects.filter(pk=alert.pk).update(key_id="m-nobody", snapshot=alert.snapshot)
        assert verify.check(alert.verify_code).reason == "key"


def test_an_alert_signed_by_a_revoked_key_is_rejected(c) -> None:
    alert = approved(c)
    with master_keys(without_the_old_key()):
        assert signing.public_key(alert.key_id) is None
        result = verify.check(alert.verify_code)
        assert (result.state, result.reason) == (verify.State.INVALID, "key")
        assert access.public_alerts() == []
        page = Client().get(f"/alertas/v/{alert.verify_code}/")
        assert page.status_code == 404
        assert page.context["result"].state == verify.State.INVALID


def test_an_alert_signed_by_a_key_on_the_revocation_list_is_rejected(c) -> None:
    """The master key stays (it still unwraps data keys); only its signing key is revoked."""
    alert = approved(c)
    with master_keys(rotated()), override_settings(DEFENSA_REVOKED_SIGNING_KEYS=[alert.key_id]):
        assert crypto.master_ring().keys.get(alert.key_id) is not None
        result = verify.check(alert.verify_code)
        assert (result.state, result.reason) == (verify.State.INVALID, "key")
        assert access.public_alerts() == []
        assert Client().get(f"/alertas/v/{alert.verify_code}/").status_code == 404
        published = Client().get("/.well-known/defensa-signing-keys.json").json()
        assert published["revoked"] == [alert.key_id]


def test_a_key_rotation_keeps_unexpired_alerts_verifying(c) -> None:
    item = verified(c.tavo)
    old = approved(c, item)
    with master_keys(rotated()):
        assert verify.check(old.verify_code).state == verify.State.CURRENT
        new = actions.approve(actor=c.rosa, alert=draft(c, item))
        assert new.key_id == "m-next" != old.key_id
        assert verify.check(new.verify_code).state == verify.State.CURRENT
        assert {p.alert for p in access.public_alerts()} == {old, new}
        about = Client().get("/alertas/acerca/")
        assert next(k.key_id for k in about.context["keys"]) == "m-next"
        assert old.key_id in about.content.decode()


def test_an_old_snapshot_replayed_onto_another_alert_is_rejected(c) -> None:
    item = verified(c.tavo)
    old = approved(c, item)
    fresh = draft(c, item)
    # Someone with database access copies a real, signed alert onto a new row.
    Alert.objects.filter(pk=fresh.pk).update(
        status=AlertStatus.APPROVED,
        approved_at=timezone.now(),
        approved_by=c.rosa,
        snapshot=old.snapshot,
        signature=old.signature,
        key_id=old.key_id,
    )
    result = verify.check(fresh.verify_code)
    assert (result.state, result.reason) == (verify.State.INVALID, "contents")
    assert [p.alert for p in access.public_alerts()] == [old]


def test_an_old_alert_passed_around_again_is_authentic_but_not_current(c) -> None:
    alert = approved(c, expires_in=timedelta(hours=1))
    later = timezone.now() + timedelta(hours=2)
    result = verify.check(alert.verify_code, at=later)
    assert result.state == verify.State.EXPIRED
    assert result.authentic
    assert not result.current
    actions.expire_due(at=later)
    page = Client().get(f"/alertas/v/{alert.verify_code}/")
    assert page.status_code == 200
    assert page.context["result"].state == verify.State.EXPIRED


def test_a_code_moved_to_another_committees_message_is_flagged(c) -> None:
    alert = approved(c)
    result = verify.check(alert.verify_code, committee=str(c.aurora.code))
    assert result.other_committee
    assert not result.current
    assert verify.check(alert.verify_code, committee=str(c.pilsen.code)).current


def test_drafts_and_unknown_codes_do_not_verify(c) -> None:
    alert = draft(c)
    assert verify.check(alert.verify_code).state == verify.State.UNKNOWN
    assert verify.check("ZZZZ-ZZZZ").state == verify.State.UNKNOWN
    assert verify.check("not a code").state == verify.State.UNKNOWN
