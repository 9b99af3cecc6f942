"""Envelope encryption for sensitive fields.

A field is sealed with AES-256-GCM under a per-committee *data key*; data keys are stored only
wrapped (AES-256-GCM again) by a *master key* that lives outside the database. Every ciphertext
is bound through its associated data to the table, field, row and committee it belongs to, so a
ciphertext copied to another row or committee does not decrypt. Destroying a data key
(crypto-shredding) makes everything sealed with it unreadable for good.

Sealed layout: version (1 byte) | data key id (16) | nonce (12) | ciphertext and tag.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from defensa.core.models import DataKey, KeyPurpose

logger = logging.getLogger(__name__)

VERSION = b"\x01"
SYSTEM_VERSION = b"\x02"
NONCE_BYTES = 12
HEADER_BYTES = 1 + 16 + NONCE_BYTES
# One key for a purpose without retention; daily keys for purposes that are shredded on a clock,
# so a day's material dies together, `retention` days after that day ends.
FOREVER = datetime(2000, 1, 1, tzinfo=UTC)
# Unwrapped keys are cached briefly per process; a key shredded elsewhere stays usable here for
# at most this long.
KEY_CACHE_SECONDS = 30.0


class CryptoError(Exception):
    """Sealed data cannot be opened."""


class KeyDestroyed(CryptoError):
    """The data key was shredded: the plaintext is gone for good."""


class Tampered(CryptoError):
    """The ciphertext was altered or does not belong to this row, field or committee."""


@dataclass(frozen=True)
class Binding:
    """Where a ciphertext lives. It only opens at the same place."""

    table: str
    field: str
    row: uuid.UUID
    committee: uuid.UUID

    @classmethod
    def of(cls, instance: Model, field: str, *, committee: uuid.UUID) -> Binding:
        row = getattr(instance, "code", None)
        if not isinstance(row, uuid.UUID):
            raise TypeError("sealed fields need a model with a UUID `code`")
        return cls(table=instance._meta.db_table, field=field, row=row, committee=committee)

    def aad(self, kid: uuid.UUID) -> bytes:
        return b"|".join(
            [
                b"defensa-field-v1",
                self.table.encode(),
                self.field.encode(),
                self.row.bytes,
                self.committee.bytes,
                kid.bytes,
            ]
        )


class MasterKeyRing:
    """Master keys from DEFENSA_MASTER_KEYS: "id:base64key,id:base64key", the first is active."""

    def __init__(self, spec: str) -> None:
        self.keys: dict[str, bytes] = {}
        self.active_id = ""
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id or len(key_id) > 32:
                raise ImproperlyConfigured("DEFENSA_MASTER_KEYS entries look like id:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise ImproperlyConfigured(f"master key {key_id!r} is not base64") from exc
            if len(key) != 32:
                raise ImproperlyConfigured(f"master key {key_id!r} must be 32 bytes")
            if key_id in self.keys:
                raise ImproperlyConfigured(f"master key id {key_id!r} appears twice")
            self.keys[key_id] = key
            self.active_id = self.active_id or key_id
        if not self.keys:
            raise ImproperlyConfigured("DEFENSA_MASTER_KEYS holds no key")

    def _key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError as exc:
            raise CryptoError(f"master key {key_id!r} is not configured") from exc

    @staticmethod
    def _wrap_aad(kid: uuid.UUID, committee: uuid.UUID, purpose: str) -> bytes:
        return b"|".join([b"defensa-datakey-v1", kid.bytes, committee.bytes, purpose.encode()])

    def wrap(self, data_key: bytes, *, kid: uuid.UUID, committee: uuid.UUID, purpose: str) -> bytes:
        nonce = _nonce()
        sealed = AESGCM(self._key(self.active_id)).encrypt(
            nonce, data_key, self._wrap_aad(kid, committee, purpose)
        )
        return nonce + sealed

    def unwrap(self, key: DataKey) -> bytes:
        if key.wrapped is None:
            raise KeyDestroyed(str(key.kid))
        blob = bytes(key.wrapped)
        try:
            return AESGCM(self._key(key.master_key_id)).decrypt(
                blob[:NONCE_BYTES],
                blob[NONCE_BYTES:],
                self._wrap_aad(key.kid, key.committee, key.purpose),
            )
        except InvalidTag as exc:
            raise Tampered("data key does not unwrap") from exc

    def derived(self, key_id: str, label: str) -> bytes:
        """A key derived from a master key for one system purpose (e.g. TOTP secrets)."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(
            self._key(key_id)
        )


@cache
def master_ring() -> MasterKeyRing:
    return MasterKeyRing(settings.DEFENSA_MASTER_KEYS)


def _nonce() -> bytes:
    import os

    return os.urandom(NONCE_BYTES)


class _KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[uuid.UUID, tuple[bytes, uuid.UUID, float]] = {}
        # (committee, purpose, period start) -> the period's current key, for sealing.
        self._current: dict[tuple[uuid.UUID, str, datetime], tuple[DataKey, float]] = {}

    def get(self, kid: uuid.UUID) -> tuple[bytes, uuid.UUID] | None:
        with self._lock:
            item = self._items.get(kid)
            if item is None or item[2] < time.monotonic():
                self._items.pop(kid, None)
                return None
            return item[0], item[1]

    def put(self, kid: uuid.UUID, key: bytes, committee: uuid.UUID) -> None:
        with self._lock:
            self._items[kid] = (key, committee, time.monotonic() + KEY_CACHE_SECONDS)

    def current(self, committee: uuid.UUID, purpose: str, start: datetime) -> DataKey | None:
        with self._lock:
            item = self._current.get((committee, purpose, start))
            if item is None or item[1] < time.monotonic():
                self._current.pop((committee, purpose, start), None)
                return None
            return item[0]

    def put_current(self, key: DataKey) -> None:
        with self._lock:
            if len(self._current) > 10_000:  # committees x purposes x live periods, at most
                self._current.clear()
            entry = (key.committee, key.purpose, key.period_start)
            self._current[entry] = (key, time.monotonic() + KEY_CACHE_SECONDS)

    def forget(self, kid: uuid.UUID | None = None) -> None:
        with self._lock:
            if kid is None:
                self._items.clear()
                self._current.clear()
            else:
                self._items.pop(kid, None)
                for entry, (key, _expiry) in list(self._current.items()):
                    if key.kid == kid:
                        del self._current[entry]


key_cache = _KeyCache()


# --- Data keys --------------------------------------------------------------------------------


def _period(purpose: str, at: datetime) -> tuple[datetime, datetime | None]:
    """The period a new ciphertext falls in, and when that period's key must be destroyed."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if purpose == KeyPurpose.CONTACT:
        retention = timedelta(days=settings.DEFENSA_CONTACT_RETENTION_DAYS)
        return day, day + timedelta(days=1) + retention
    if purpose == KeyPurpose.REPORT:
        # One key per month: a month's reports become unreadable together.
        month = day.replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        return month, next_month + timedelta(days=settings.DEFENSA_REPORT_RETENTION_DAYS)
    return FOREVER, None


def current_key(*, committee: uuid.UUID, purpose: str, at: datetime | None = None) -> DataKey:
    """The newest live data key for this committee, purpose and period, created when missing."""
    at = at or timezone.now()
    start, destroy_after = _period(purpose, at)
    # Keys of a period (a report month, a contact day) are destroyed only once their period is
    # over, so the current one can be remembered briefly (a query less per report): at worst a
    # key rotated in another process is taken up here KEY_CACHE_SECONDS later. Keys without a
    # period can be shredded at any time and are always looked up.
    remembered = destroy_after is not None
    key = key_cache.current(committee, purpose, start) if remembered else None
    if key is not None:
        return key
    live = DataKey.objects.filter(
        committee=committee, purpose=purpose, period_start=start, destroyed_at__isnull=True
    )
    key = live.order_by("-generation").first()
    if key is not None:
        if remembered:
            key_cache.put_current(key)
        return key
    # After a shredding the period's old generations are dead: start a new one above them.
    last = (
        DataKey.objects.filter(committee=committee, purpose=purpose, period_start=start)
        .order_by("-generation")
        .values_list("generation", flat=True)
        .first()
    )
    return _create_key(
        committee=committee,
        purpose=purpose,
        start=start,
        destroy_after=destroy_after,
        generation=(last or 0) + 1,
    )


def _create_key(
    *,
    committee: uuid.UUID,
    purpose: str,
    start: datetime,
    destroy_after: datetime | None,
    generation: int = 1,
) -> DataKey:
    kid = uuid.uuid4()
    material = AESGCM.generate_key(bit_length=256)
    ring = master_ring()
    key = DataKey(
        kid=kid,
        committee=committee,
        purpose=purpose,
        period_start=start,
        generation=generation,
        master_key_id=ring.active_id,
        wrapped=ring.wrap(material, kid=kid, committee=committee, purpose=purpose),
        destroy_after=destroy_after,
    )
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        # Another process created this generation first: use theirs, if it is still alive.
        theirs = DataKey.objects.filter(
            committee=committee,
            purpose=purpose,
            period_start=start,
            generation=generation,
            destroyed_at__isnull=True,
        ).first()
        if theirs is None:
            raise CryptoError("no live data key could be created") from None
        return theirs
    key_cache.put(kid, material, committee)
    if destroy_after is not None:
        key_cache.put_current(key)
    return key


def rotate_key(*, committee: uuid.UUID, purpose: str, at: datetime | None = None) -> DataKey:
    """Start a new generation: new ciphertext uses it, old ciphertext still opens with its key."""
    at = at or timezone.now()
    previous = current_key(committee=committee, purpose=purpose, at=at)
    return _create_key(
        committee=committee,
        purpose=purpose,
        start=previous.period_start,
        destroy_after=previous.destroy_after,
        generation=previous.generation + 1,
    )


def _material(kid: uuid.UUID) -> tuple[bytes, uuid.UUID]:
    cached = key_cache.get(kid)
    if cached is not None:
        return cached
    key = DataKey.objects.filter(kid=kid).first()
    if key is None:
        raise KeyDestroyed(str(kid))
    material = master_ring().unwrap(key)
    key_cache.put(kid, material, key.committee)
    return material, key.committee


# --- Sealing ----------------------------------------------------------------------------------


def seal(plaintext: bytes, *, binding: Binding, purpose: str) -> bytes:
    key = current_key(committee=binding.committee, purpose=purpose)
    material, _ = _material(key.kid)
    nonce = _nonce()
    sealed = AESGCM(material).encrypt(nonce, plaintext, binding.aad(key.kid))
    return VERSION + key.kid.bytes + nonce + sealed


def unseal(blob: bytes | memoryview, *, binding: Binding) -> bytes:
    data = bytes(blob)
    if len(data) < HEADER_BYTES + 16 or data[:1] != VERSION:
        raise Tampered("not a sealed value")
    kid = uuid.UUID(bytes=data[1:17])
    material, committee = _material(kid)
    if committee != binding.committee:
        raise Tampered("sealed for another committee")
    try:
        return AESGCM(material).decrypt(
            data[17:HEADER_BYTES], data[HEADER_BYTES:], binding.aad(kid)
        )
    except InvalidTag as exc:
        raise Tampered("sealed for another place, or altered") from exc


def seal_json(value: Any, *, binding: Binding, purpose: str) -> bytes:
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return seal(encoded, binding=binding, purpose=purpose)


def unseal_json(blob: bytes | memoryview, *, binding: Binding) -> Any:
    return json.loads(unseal(blob, binding=binding))


def sealed_key_id(blob: bytes | memoryview) -> uuid.UUID:
    data = bytes(blob)
    return uuid.UUID(bytes=data[1:17])


# --- System secrets (not committee data): e.g. TOTP seeds ------------------------------------

# The label under which second-factor secrets (TOTP keys, recovery-code seeds) are sealed.
MFA_SECRET_LABEL = "allauth-totp"  # noqa: S105 - a derivation label, not a secret


def seal_system(text: str, *, label: str) -> str:
    ring = master_ring()
    nonce = _nonce()
    key_id = ring.active_id.encode()
    sealed = AESGCM(ring.derived(ring.active_id, label)).encrypt(nonce, text.encode(), key_id)
    blob = SYSTEM_VERSION + bytes([len(key_id)]) + key_id + nonce + sealed
    return base64.urlsafe_b64encode(blob).decode("ascii")


def system_key_id(token: str) -> str:
    """The master key a sealed system value depends on."""
    blob = base64.urlsafe_b64decode(token.encode("ascii"))
    return blob[2 : 2 + blob[1]].decode()


def unseal_system(token: str, *, label: str) -> str:
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError) as exc:
        raise Tampered("not a sealed system value") from exc
    if blob[:1] != SYSTEM_VERSION or len(blob) < 2:
        raise Tampered("not a sealed system value")
    size = blob[1]
    key_id = blob[2 : 2 + size]
    rest = blob[2 + size :]
    ring = master_ring()
    try:
        return (
            AESGCM(ring.derived(key_id.decode(), label))
            .decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], key_id)
            .decode()
        )
    except InvalidTag as exc:
        raise Tampered("system value altered") from exc


# --- Shredding and master-key rotation --------------------------------------------------------


def destroy_keys(keys: list[DataKey], *, now: datetime) -> int:
    """Destroy the material of these data keys. Not reversible."""
    if not keys:
        return 0
    kids = [key.kid for key in keys]
    DataKey.objects.filter(kid__in=kids, destroyed_at__isnull=True).update(
        wrapped=None, destroyed_at=now
    )
    for kid in kids:
        key_cache.forget(kid)
    if connection.vendor == "sqlite":
        # secure_delete zeroed the freed bytes in the database file; the write-ahead log still
        # holds the old page until it is checkpointed and truncated.
        transaction.on_commit(_truncate_sqlite_wal)
    return len(kids)


def _truncate_sqlite_wal(attempts: int = 10) -> bool:
    """Copy the write-ahead log into the database and empty it; a reader can delay this."""
    for _attempt in range(attempts):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
        if not busy:
            return True
        time.sleep(0.2)
    logger.warning("shredding: the SQLite write-ahead log could not be emptied yet")
    return False


def due_keys(*, now: datetime) -> list[DataKey]:
    return list(
        DataKey.objects.filter(destroyed_at__isnull=True, destroy_after__lte=now).only(
            "kid", "committee", "purpose"
        )
    )


def rewrap_all(*, batch: int = 500) -> int:
    """Re-wrap every live data key under the active master key (after adding a new one)."""
    ring = master_ring()
    done = 0
    while True:
        with transaction.atomic():
            keys = list(
                DataKey.objects.select_for_update()
                .filter(destroyed_at__isnull=True)
                .exclude(master_key_id=ring.active_id)[:batch]
            )
            for key in keys:
                material = ring.unwrap(key)
                key.wrapped = ring.wrap(
                    material, kid=key.kid, committee=key.committee, purpose=key.purpose
                )
                key.master_key_id = ring.active_id
                key.save(update_fields=["wrapped", "master_key_id"])
        done += len(keys)
        if len(keys) < batch:
            return done
