"""Queueing messages to members: one row per message, delivery enqueued after commit.

Delivery itself (leases, retries) is in `delivery`.
"""

from __future__ import annotations

from django.db import transaction

from defensa.messaging import transports
from defensa.messaging.models import CHANNEL_CONTACT, Channel, OutgoingMessage
from defensa.messaging.tasks import deliver_message
from defensa.network.access import contact_methods_for_delivery
from defensa.network.models import Person


def channels_for(person: Person, *, replies: bool = False) -> list[str]:
    """The person's channels this deployment can use, most preferred first.

    With `replies`, only channels the person can answer on (not e-mail).
    """
    usable: list[str] = []
    for contact in contact_methods_for_delivery(person):
        for channel, kind in CHANNEL_CONTACT.items():
            if contact["kind"] != kind or channel in usable or not transports.configured(channel):
                continue
            if replies and channel == Channel.EMAIL:
                continue
            usable.append(channel)
    return usable


def queue_message(
    *, person: Person, body: str, purpose: str, replies: bool = False
) -> OutgoingMessage | None:
    """Queue a message over the person's preferred usable channel; None if they have none."""
    channels = channels_for(person, replies=replies)
    if not channels:
        return None
    message = OutgoingMessage.objects.create(
        person=person, channel=channels[0], purpose=purpose, body=body
    )
    transaction.on_commit(lambda: deliver_message.enqueue(message.pk))
    return message
