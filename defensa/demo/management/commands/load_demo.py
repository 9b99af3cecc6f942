from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from defensa.hotline import demo as hotline_demo
from defensa.incidents import demo as incidents_demo
from defensa.network import demo as network_demo
from defensa.shifts import demo as shifts_demo


class Command(BaseCommand):
    help = "Create the demo network (committees, members, shifts, hotline) unless it exists."

    def handle(self, *args: Any, **options: Any) -> None:
        if network_demo.loaded():
            self.stdout.write("Demo data is already loaded.")
            return
        with transaction.atomic():
            network_demo.load(data_dir=Path(settings.DATA_DIR))
            shifts_demo.load()
            hotline_demo.load()
            incidents_demo.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
