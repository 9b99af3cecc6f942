"""Ed25519 signing keys derived from the master keys: the newest signs, every configured one
verifies, so a master-key rotation leaves older signatures checkable."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from defensa.core import crypto, signing


@contextmanager
def master_keys(spec: str) -> Iterator[None]:
    with override_settings(DEFENSA_MASTER_KEYS=spec):
        crypto.master_ring.cache_clear()
        try:
            yield
        finally:
            crypto.master_ring.cache_clear()


def spec_of(keys: dict[str, bytes]) -> str:
    return ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in keys.items())


def test_sign_and_verify_and_a_changed_byte_fails() -> None:
    data = b'{"incident": "x"}'
    key_id, signature = signing.sign(data)
    assert key_id == crypto.master_ring().active_id
    assert len(signature) == 64
    assert signing.verify(data, key_id, signature)
    assert not signing.verify(data.replace(b"x", b"y"), key_id, signature)
    assert not signing.verify(data, key_id, bytes([signature[0] ^ 1]) + signature[1:])
    assert not signing.verify(data, "no-such-key", signature)
    assert not signing.verify(data, key_id, b"short")


def test_the_signing_key_is_not_the_master_key_nor_another_derived_key() -> None:
    ring = crypto.master_ring()
    derived = ring.derived(ring.active_id, signing.LABEL)
    assert derived != ring.keys[ring.active_id]
    assert derived != ring.derived(ring.active_id, crypto.MFA_SECRET_LABEL)
    published = signing.public_key(ring.active_id)
    assert published is not None
    assert published.raw != derived


def test_an_old_signature_still_verifies_after_a_master_key_rotation() -> None:
    old = crypto.master_ring().keys
    data = b"a packet signed before the rotation"
    old_id, signature = signing.sign(data)
    new = {"m-new": secrets.token_bytes(32)}
    with master_keys(spec_of({**new, **old})):  # newest first
        assert signing.active_key_id() == "m-new"
        assert [k.key_id for k in signing.public_keys()] == ["m-new", *old]
        assert signing.public_keys()[0].active
        assert signing.verify(data, old_id, signature)
        new_id, fresh = signing.sign(data)
        assert new_id == "m-new"
        assert signing.verify(data, new_id, fresh)
        assert not signing.verify(data, new_id, signature)
    with master_keys(spec_of(new)):
        # Once the old master key is gone, only a kept copy of its public key verifies.
        assert not signing.verify(data, old_id, signature)


def test_the_same_master_key_gives_the_same_signing_key() -> None:
    first = signing.public_keys()
    crypto.master_ring.cache_clear()
    assert signing.public_keys() == first


@pytest.mark.django_db
def test_public_keys_are_published_and_verify() -> None:
    data = b"published"
    key_id, signature = signing.sign(data)
    response = Client().get("/.well-known/defensa-signing-keys.json")
    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    published = {k["id"]: base64.b64decode(k["public_key"]) for k in body["keys"]}
    assert signing.verify_with(data, published[key_id], signature)
    assert "public" in response["Cache-Control"]
    assert all(set(k) == {"id", "public_key", "active"} for k in body["keys"])


def test_a_revoked_signing_key_verifies_nothing_while_its_master_key_stays() -> None:
    old = crypto.master_ring().keys
    data = b"signed before the key was exposed"
    old_id, signature = signing.sign(data)
    new = {"m-new": secrets.token_bytes(32)}
    with (
        master_keys(spec_of({**new, **old})),
        override_settings(DEFENSA_REVOKED_SIGNING_KEYS=[old_id]),
    ):
        assert crypto.master_ring().keys[old_id] == old[old_id]  # still unwraps data keys
        assert not signing.verify(data, old_id, signature)
        assert [k.key_id for k in signing.public_keys()] == ["m-new"]
        published = Client().get("/.well-known/defensa-signing-keys.json").json()
        assert published["revoked"] == [old_id]
        assert old_id not in {k["id"] for k in published["keys"]}
        # Revoking the newest key without adding another stops signing, loudly.
        with (
            override_settings(DEFENSA_REVOKED_SIGNING_KEYS=["m-new"]),
            pytest.raises(ImproperlyConfigured),
        ):
            signing.sign(data)
