from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensa.core import audit
from defensa.core.models import AuditChainHead


class Command(BaseCommand):
    help = "Check the hash chains of the audit log; exit non-zero if any was tampered with."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="check only this chain (a committee code or 'network')")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = audit.verify(chain=options.get("chain"))
        if breaks:
            for item in breaks:
                self.stderr.write(f"BROKEN {item}")
            raise CommandError(f"audit log: {len(breaks)} problem(s) found")
        for head in AuditChainHead.objects.order_by("chain"):
            # Printing heads lets operators keep them elsewhere: truncating a chain and
            # rewriting its head is then detectable too.
            self.stdout.write(f"ok {head.chain} #{head.seq} {head.hash}")
