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
                messages = transport.receive()
            except TransportError as exc:
                logger.warning("signal: %s", exc)
                messages = []
            for message in messages:
                take(transport, message)
            if options["once"]:
                return
            time.sleep(options["interval"])


def take(transport: SignalTransport, message: inbound.Inbound) -> None:
    """Handle one message and answer it. signal-cli has already handed the whole batch over,
    so one message that fails (or one answer it refuses) must not cost the ones after it."""
    try:
        reply = inbound.handle_once(message)
    except Exception as exc:  # logged by kind only: the text stays out of logs
        logger.error("signal: a message could not be handled (%s)", type(exc).__name__)
        return
    if not reply:
        return
    try:
        transport.send(to=message.sender, body=reply)
    except TransportError as exc:
        logger.warning("signal: an answer was not sent: %s", exc)
