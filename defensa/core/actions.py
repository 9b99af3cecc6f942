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
    """After a new master key is placed first in DEFENSA_MASTER_KEYS: re-wrap every live key."""
    count = crypto.rewrap_all()
    audit.record(
        actor=None,
        verb="datakeys.rewrapped",
        object_type="core.datakey",
        after={"keys": count, "master_key": crypto.master_ring().active_id},
    )
    return count
