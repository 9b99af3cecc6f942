"""The kernel's own writes: the retention job's shredding and master-key rotation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from defensa.core import audit, crypto


def shred_expired_keys(*, now: datetime | None = None) -> int:
    """Destroy every data key whose retention period has ended (crypto-shredding).

    One audit event per committee and purpose says how many keys went; the keys' ids are not
    needed to prove anything later and are not recorded.
    """
    now = now or timezone.now()
    with transaction.atomic():
        keys = crypto.due_keys(now=now)
        crypto.destroy_keys(keys, now=now)
        for (committee, purpose), count in Counter((k.committee, k.purpose) for k in keys).items():
            audit.record(
                actor=None,
                verb="datakeys.destroyed",
                object_type="core.datakey",
                committee=committee,
                after={"purpose": purpose, "keys": count, "reason": "retention"},
            )
    return len(keys)


def rewrap_data_keys() -> int:
    """After a new master key is placed first in DEFENSA_MASTER_KEYS: re-wrap every live data
    key and re-seal second-factor secrets, so the old master key can then be removed."""
    count = crypto.rewrap_all()
    resealed = reseal_mfa_secrets()
    audit.record(
        actor=None,
        verb="datakeys.rewrapped",
        object_type="core.datakey",
        after={
            "keys": count,
            "mfa_secrets": resealed,
            "master_key": crypto.master_ring().active_id,
        },
    )
    return count


# allauth keeps these inside Authenticator.data, sealed by our MFA adapter.
MFA_SEALED_FIELDS = {"totp": "secret", "recovery_codes": "seed"}


@transaction.atomic
def reseal_mfa_secrets() -> int:
    from allauth.mfa.models import Authenticator

    active = crypto.master_ring().active_id
    label = crypto.MFA_SECRET_LABEL
    count = 0
    authenticators = Authenticator.objects.select_for_update().filter(
        type__in=list(MFA_SEALED_FIELDS)
    )
    for authenticator in authenticators:
        field = MFA_SEALED_FIELDS[authenticator.type]
        token = authenticator.data.get(field)
        if not token or crypto.system_key_id(token) == active:
            continue
        plain = crypto.unseal_system(token, label=label)
        authenticator.data[field] = crypto.seal_system(plain, label=label)
        authenticator.save(update_fields=["data"])
        count += 1
    return count


def clear_expired_sessions() -> int:
    """Expired sessions are dead weight that a seizure would still find."""
    from django.contrib.sessions.models import Session

    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
