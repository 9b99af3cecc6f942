"""The VAPID key pair web push signs with (RFC 8292).

Browsers bind each push subscription to the public key they were given
(`applicationServerKey`), so the key must outlive master-key rotations: it is derived from its
own secret, DEFENSA_VAPID_PRIVATE_KEY (or its _FILE), which outside production is generated
once into the data directory like the other local secrets. Changing it means every browser
must subscribe again.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

# The order of the P-256 group: a private scalar is in [1, ORDER - 1].
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@cache
def _key_from(secret: str) -> ec.EllipticCurvePrivateKey:
    seed = hashlib.sha256(b"defensa.vapid:" + secret.encode()).digest()
    return ec.derive_private_key(int.from_bytes(seed, "big") % (ORDER - 1) + 1, ec.SECP256R1())


def configured() -> bool:
    return bool(settings.DEFENSA_VAPID_PRIVATE_KEY)


def private_key() -> ec.EllipticCurvePrivateKey | None:
    """The application server's key, or None when none is set (web push is then off)."""
    secret = settings.DEFENSA_VAPID_PRIVATE_KEY
    return _key_from(secret) if secret else None


def public_key_b64url() -> str:
    """What a browser's `pushManager.subscribe({applicationServerKey})` takes: the public key
    as an uncompressed point, base64url without padding ("" when web push is off)."""
    key = private_key()
    if key is None:
        return ""
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
