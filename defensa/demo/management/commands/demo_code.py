from __future__ import annotations

import time
from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensa.network import demo

PERIOD = 30


class Command(BaseCommand):
    help = "Print the current 6-digit sign-in code of a demo account (demo accounts only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = demo.totp_secret(options["username"])
        if secret is None:
            raise CommandError("no such demo account in this data directory")
        now = time.time()
        code = format_hotp_value(hotp_value(secret, int(now) // PERIOD))
        self.stdout.write(f"{code}  (valid for {PERIOD - int(now) % PERIOD} more seconds)")
