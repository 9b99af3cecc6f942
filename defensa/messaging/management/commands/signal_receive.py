from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensa.messaging import inbound
from defensa.messaging.transports import TransportError
from defensa.messaging.transports.signal import SignalTransport

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Receive Signal messages from the signal-cli daemon and answer them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0)
        parser.add_argument("--once", action="store_true", help="receive once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if not SignalTransport.configured():
            raise CommandError("Signal is not configured (DEFENSA_SIGNAL_RPC_URL, _ACCOUNT)")
        transport = SignalTransport()
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            try:
                for message in transport.receive():
                    reply = inbound.handle_once(message)
                    if reply:
                        transport.send(to=message.sender, body=reply)
            except TransportError as exc:
                logger.warning("signal: %s", exc)
            if options["once"]:
                return
            time.sleep(options["interval"])
