"""Envelope encryption: round trips, binding to place, shredding, rotation."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from defensa import testing
from defensa.core import actions, crypto
from defensa.core.models import DataKey, KeyPurpose
from defensa.network import access
from defensa.network import actions as network_actions
from defensa.network.models import Person

pytestmark = pytest.mark.django_db

COMMITTEE_A = uuid.uuid4()
COMMITTEE_B = uuid.uuid4()


def blob(value: bytes | memoryview | None) -> bytes:
    assert value is not None
    return bytes(value)


def binding(row: uuid.UUID | None = None, committee: uuid.UUID = COMMITTEE_A) -> crypto.Binding:
    return crypto.Binding(table="t", field="f", row=row or uuid.uuid4(), committee=committee)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048))
def test_any_plaintext_round_trips(plaintext: bytes) -> None:
    place = binding()
    sealed = crypto.seal(plaintext, binding=place, purpose=KeyPurpose.PROFILE)
    assert len(plaintext) < 16 or plaintext not in sealed
    assert crypto.unseal(sealed, binding=place) == plaintext


def test_ciphertext_moved_to_another_row_does_not_open() -> None:
    here = binding()
    sealed = crypto.seal(b"+13125550142", binding=here, purpose=KeyPurpose.PROFILE)
    with pytest.raises(crypto.Tampered):
        crypto.unseal(sealed, binding=binding())


def test_ciphertext_moved_to_another_committee_does_not_open() -> None:
    row = uuid.uuid4()
    sealed = crypto.seal(b"secret", binding=binding(row), purpose=KeyPurpose.PROFILE)
    crypto.seal(b"other", binding=binding(committee=COMMITTEE_B), purpose=KeyPurpose.PROFILE)
    with pytest.raises(crypto.Tampered):
        crypto.unseal(sealed, binding=binding(row, committee=COMMITTEE_B))


def test_ciphertext_moved_to_another_field_does_not_open() -> None:
    place = binding()
    sealed = crypto.seal(b"secret", binding=place, purpose=KeyPurpose.PROFILE)
    other_field = crypto.Binding(
        table=place.table, field="other", row=place.row, committee=place.committee
    )
    with pytest.raises(crypto.Tampered):
        crypto.unseal(sealed, binding=other_field)


def test_flipped_bit_is_detected() -> None:
    place = binding()
    sealed = bytearray(crypto.seal(b"secret", binding=place, purpose=KeyPurpose.PROFILE))
    sealed[-1] ^= 1
    with pytest.raises(crypto.Tampered):
        crypto.unseal(bytes(sealed), binding=place)


def test_committees_get_separate_data_keys() -> None:
    a = crypto.current_key(committee=COMMITTEE_A, purpose=KeyPurpose.PROFILE)
    b = crypto.current_key(committee=COMMITTEE_B, purpose=KeyPurpose.PROFILE)
    assert a.kid != b.kid
    assert blob(a.wrapped) != blob(b.wrapped)


def test_data_keys_are_stored_only_wrapped() -> None:
    key = crypto.current_key(committee=COMMITTEE_A, purpose=KeyPurpose.PROFILE)
    material, _committee = crypto._material(key.kid)
    assert material not in blob(key.wrapped)
    assert len(material) == 32  # AES-256


def test_rotated_key_seals_new_data_and_still_opens_old() -> None:
    place = binding()
    old = crypto.seal(b"old", binding=place, purpose=KeyPurpose.PROFILE)
    rotated = crypto.rotate_key(committee=COMMITTEE_A, purpose=KeyPurpose.PROFILE)
    new = crypto.seal(b"new", binding=place, purpose=KeyPurpose.PROFILE)
    assert crypto.sealed_key_id(new) == rotated.kid != crypto.sealed_key_id(old)
    assert crypto.unseal(old, binding=place) == b"old"
    assert crypto.unseal(new, binding=place) == b"new"


def test_new_master_key_rewraps_every_live_key_and_mfa_secret() -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    place = binding()
    sealed = crypto.seal(b"kept", binding=place, purpose=KeyPurpose.PROFILE)
    person = testing.member(testing.committee(), username="totp-user")
    assert person.user is not None
    totp_secret = testing.enrol_totp(person.user)
    old_spec = crypto.master_ring().keys
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    spec = ",".join(
        [f"m2:{new_key}"] + [f"{k}:{base64.b64encode(v).decode()}" for k, v in old_spec.items()]
    )
    with override_settings(DEFENSA_MASTER_KEYS=spec):
        crypto.master_ring.cache_clear()
        try:
            assert actions.rewrap_data_keys() >= 1
            assert set(
                DataKey.objects.filter(destroyed_at__isnull=True).values_list(
                    "master_key_id", flat=True
                )
            ) == {"m2"}
            # Only the new master key is needed from now on.
            with override_settings(DEFENSA_MASTER_KEYS=f"m2:{new_key}"):
                crypto.master_ring.cache_clear()
                crypto.key_cache.forget()
                assert crypto.unseal(sealed, binding=place) == b"kept"
                totp = Authenticator.objects.get(user=person.user, type="totp")
                assert crypto.system_key_id(totp.data["secret"]) == "m2"
                stored = TOTP(totp).instance.data["secret"]
                assert crypto.unseal_system(stored, label=crypto.MFA_SECRET_LABEL) == totp_secret
        finally:
            crypto.master_ring.cache_clear()


def test_bad_master_key_configuration_is_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    for spec in ["", "nocolon", "a:notbase64!", f"a:{base64.b64encode(b'short').decode()}"]:
        with pytest.raises(ImproperlyConfigured):
            crypto.MasterKeyRing(spec)


def test_system_values_round_trip_and_resist_tampering() -> None:
    token = crypto.seal_system("JBSWY3DPEHPK3PXP", label="allauth-totp")
    assert "JBSWY3DPEHPK3PXP" not in token
    assert crypto.unseal_system(token, label="allauth-totp") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(crypto.Tampered):
        crypto.unseal_system(token, label="another-purpose")


def test_retention_job_destroys_only_expired_contact_keys() -> None:
    long_ago = timezone.now() - timedelta(days=30)
    old_place, new_place, profile_place = binding(), binding(), binding()
    old_key = crypto.current_key(committee=COMMITTEE_A, purpose=KeyPurpose.CONTACT, at=long_ago)
    material, _ = crypto._material(old_key.kid)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    old = (
        crypto.VERSION
        + old_key.kid.bytes
        + nonce
        + AESGCM(material).encrypt(nonce, b"callback me", old_place.aad(old_key.kid))
    )
    new = crypto.seal(b"fresh", binding=new_place, purpose=KeyPurpose.CONTACT)
    profile = crypto.seal(b"kept", binding=profile_place, purpose=KeyPurpose.PROFILE)

    assert actions.shred_expired_keys() == 1

    with pytest.raises(crypto.KeyDestroyed):
        crypto.unseal(old, binding=old_place)
    assert crypto.unseal(new, binding=new_place) == b"fresh"
    assert crypto.unseal(profile, binding=profile_place) == b"kept"
    assert DataKey.objects.get(kid=old_key.kid).wrapped is None
    assert actions.shred_expired_keys() == 0


def _every_stored_text() -> list[str]:
    from django.apps import apps

    out: list[str] = []
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            for row in model._default_manager.values_list():
                out.extend(
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                )
    return out


def _database_files() -> list[Path]:
    name = str(connection.settings_dict["NAME"])
    base = Path(name)
    return [p for p in (base, Path(name + "-wal"), Path(name + "-journal")) if p.exists()]


@pytest.mark.django_db(transaction=True)
def test_shredded_contact_cannot_be_read_or_found_in_the_database_file() -> None:
    on_sqlite = connection.vendor == "sqlite"
    canary = f"+1312555{secrets.randbelow(10**4):04d}"
    committee = testing.committee()
    person = testing.member(committee, name="Canary", username="canary")
    network_actions.update_profile(
        actor=person, person=person, contacts=[{"kind": "phone", "value": canary}]
    )
    # Other committees' keys around it, so its row sits between others in the page.
    for _ in range(3):
        crypto.current_key(committee=uuid.uuid4(), purpose=KeyPurpose.PROFILE)
    key = DataKey.objects.get(committee=committee.code, purpose=KeyPurpose.PROFILE)
    wrapped = blob(key.wrapped)
    assert person.user is not None
    viewer = access.build_viewer(person.user)
    assert access.contact_methods(viewer, person)[0]["value"] == canary
    if on_sqlite:
        # The search below can see key material: before shredding, the wrapped key is on disk.
        assert any(wrapped in path.read_bytes() for path in _database_files())

    count = network_actions.shred_committee_profiles(actor=None, committee=committee)
    assert count == 1

    person = Person.objects.get(pk=person.pk)
    with pytest.raises(crypto.KeyDestroyed):
        crypto.unseal_json(
            blob(person.contact_sealed),
            binding=crypto.Binding.of(person, "contact", committee=committee.code),
        )
    assert access.contact_methods(viewer, person) == []
    assert canary not in "".join(_every_stored_text())
    if not on_sqlite:
        return  # PostgreSQL keeps old row versions in WAL and backups: the key's loss is the purge.
    files = _database_files()
    assert files
    for path in files:
        content = path.read_bytes()
        assert canary.encode() not in content, path
        assert canary[2:].encode() not in content, path
        # Freed cells keep most of their bytes unless overwritten: look for any 16-byte window.
        for start in range(0, len(wrapped) - 16, 8):
            assert wrapped[start : start + 16] not in content, f"key material left in {path}"


def test_sqlite_connections_overwrite_deleted_content() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL relies on crypto-shredding alone")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def test_committee_can_seal_again_after_its_keys_were_shredded() -> None:
    committee = testing.committee()
    person = testing.member(committee, name="Nueva")
    network_actions.update_profile(
        actor=person, person=person, contacts=[{"kind": "phone", "value": "+13125550198"}]
    )
    assert network_actions.shred_committee_profiles(actor=None, committee=committee) == 1
    network_actions.update_profile(
        actor=person, person=person, contacts=[{"kind": "phone", "value": "+13125550199"}]
    )
    keys = DataKey.objects.filter(committee=committee.code, purpose=KeyPurpose.PROFILE)
    assert sorted(keys.values_list("generation", flat=True)) == [1, 2]
    person = Person.objects.get(pk=person.pk)
    place = crypto.Binding.of(person, "contact", committee=committee.code)
    assert crypto.unseal_json(blob(person.contact_sealed), binding=place)[0]["value"].endswith(
        "0199"
    )
