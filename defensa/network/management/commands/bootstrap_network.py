from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from defensa.network import actions
from defensa.network.models import Role


class Command(BaseCommand):
    help = (
        "Start a real network: create it with a first region and committee, and print a one-time "
        "invitation for its first coordinator (who is also the network admin)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--network", required=True, help="network name")
        parser.add_argument("--region", required=True, help="first region, e.g. a state")
        parser.add_argument("--committee", required=True, help="first committee")
        parser.add_argument("--timezone", default="America/Chicago")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            network = actions.create_network(actor=None, name=options["network"])
            region = actions.create_region(actor=None, network=network, name=options["region"])
            committee = actions.create_committee(
                actor=None, region=region, name=options["committee"], tz=options["timezone"]
            )
            _invitation, token = actions.issue_invitation(
                actor=None,
                committee=committee,
                roles=[Role.COORDINATOR, Role.NETWORK_ADMIN],
                bootstrap=True,
            )
        self.stdout.write(f"Invitation code for the first coordinator: {token}")
        self.stdout.write(f"Or open: {options['base_url'].rstrip('/')}/join/{token}/")
