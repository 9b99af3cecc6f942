from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from defensa.alerts import subscriptions
from defensa.core import crypto


class Command(BaseCommand):
    help = (
        "Re-index alert subscribers' addresses under the first master key in "
        "DEFENSA_MASTER_KEYS, so STOP keeps finding them once an older key is removed. Run "
        "after a new master key is put in front, with rewrap_data_keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = subscriptions.reindex_addresses()
        active = crypto.master_ring().active_id
        self.stdout.write(f"re-indexed {count} subscription(s) under {active}")
