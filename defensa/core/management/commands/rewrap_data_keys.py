from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from defensa.core import actions, crypto


class Command(BaseCommand):
    help = (
        "Re-wrap all live data keys under the first master key in DEFENSA_MASTER_KEYS. Run after "
        "adding a new master key in front; then the old one can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.rewrap_data_keys()
        self.stdout.write(f"re-wrapped {count} data key(s) under {crypto.master_ring().active_id}")
