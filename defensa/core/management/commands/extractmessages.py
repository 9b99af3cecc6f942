from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from defensa.core import i18n


class Command(BaseCommand):
    help = "Update every language's catalog from the strings in the code and templates."

    def handle(self, *args: Any, **options: Any) -> None:
        messages = i18n.extract()
        for code, _name in settings.LANGUAGES:
            if code == "en":
                continue  # English is the source language: msgids are the English text.
            added, removed = i18n.update_catalog(code, messages)
            self.stdout.write(f"{code}: {len(messages)} strings, {added} new, {removed} removed")
