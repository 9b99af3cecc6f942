"""Ed25519 signatures for what Defensa publishes or hands over (evidence packets, later alerts).

Signing keys are not stored anywhere: each is derived (HKDF-SHA256) from one master key, so a
signing key lives exactly as long as its master key and needs no backup of its own. The key id
is the master key's id. The newest master key (the first in DEFENSA_MASTER_KEYS) signs; every
configured master key still verifies, so rotating master keys leaves older signatures
checkable for as long as the old master key stays in the list. A signing key that must stop
verifying while its master key stays (to unwrap data keys until they are re-wrapped) is named
in DEFENSA_REVOKED_SIGNING_KEYS: it verifies nothing, is published as revoked, and may not
sign. Whoever must check signatures later, without the server, keeps a copy of the published
public keys (`/.well-known/defensa-signing-keys.json`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from defensa.core import crypto

ALGORITHM = "Ed25519"
# The HKDF label: different from every other key derived from a master key (e.g. TOTP seeds).
LABEL = "signing"


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    raw: bytes  # 32 bytes
    active: bool

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")


def _private(key_id: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(crypto.master_ring().derived(key_id, LABEL))


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(encoding=Encoding.Raw, format=PublicFormat.Raw)


def revoked_key_ids() -> list[str]:
    return list(getattr(settings, "DEFENSA_REVOKED_SIGNING_KEYS", []))


def active_key_id() -> str:
    key_id = crypto.master_ring().active_id
    if key_id in revoked_key_ids():
        raise ImproperlyConfigured(
            f"the newest master key {key_id!r} is in DEFENSA_REVOKED_SIGNING_KEYS: add a new one"
        )
    return key_id


def public_keys() -> list[PublicKey]:
    """Every key that verifies, the signing one first (revoked keys are not among them)."""
    ring = crypto.master_ring()
    revoked = set(revoked_key_ids())
    return [
        PublicKey(key_id=key_id, raw=_raw_public(_private(key_id)), active=key_id == ring.active_id)
        for key_id in ring.keys
        if key_id not in revoked
    ]


def public_key(key_id: str) -> PublicKey | None:
    return next((key for key in public_keys() if key.key_id == key_id), None)


def sign(data: bytes) -> tuple[str, bytes]:
    """(key id, 64-byte signature) over exactly these bytes, with the newest key."""
    key_id = active_key_id()
    return key_id, _private(key_id).sign(data)


def verify(data: bytes, key_id: str, signature: bytes) -> bool:
    """Whether `signature` is a signature of `data` by key `key_id` (False for unknown ids)."""
    found = public_key(key_id)
    if found is None:
        return False
    return verify_with(data, found.raw, signature)


def verify_with(data: bytes, raw_public_key: bytes, signature: bytes) -> bool:
    """Check against a public key held elsewhere (a copy of the published keys)."""
    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
