from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from defensa.core import i18n


class Command(BaseCommand):
    help = "Compile the .po catalogs to .mo (pure Python; no gettext tools needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        for path in i18n.compile_catalogs():
            self.stdout.write(f"compiled {path}")
