from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from defensa.core import actions


class Command(BaseCommand):
    help = "Destroy data keys whose retention period has ended (the retention job, run now)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.shred_expired_keys()
        self.stdout.write(f"destroyed {count} data key(s)")
