from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from defensa.network import demo


class Command(BaseCommand):
    help = "Create the demo network (three committees, about 40 members) unless it exists."

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.loaded():
            self.stdout.write("Demo data is already loaded.")
            return
        demo.load(data_dir=Path(settings.DATA_DIR))
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
