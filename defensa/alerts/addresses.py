"""Subscribers' addresses: sealed with the committee's subscriber key, found again only by a
keyed hash of the normalized address (so STOP from a number finds its subscription without
any number in clear)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from defensa.alerts.models import Channel, Subscription
from defensa.core import crypto
from defensa.core.models import KeyPurpose

INDEX_LABEL = "defensa.alerts.address-index"


def normalized(channel: str, address: str) -> str:
    """What two spellings of one address share (e-mail case, spaces in numbers)."""
    value = address.strip()
    if channel == Channel.EMAIL:
        return value.lower()
    if channel == Channel.SIGNAL and not value.startswith("+"):
        # A Signal account that hides its number is known by its UUID: kept whole, so two such
        # accounts can never share an index (and one's STOP never stops another).
        return value.lower()
    if channel in (Channel.SMS, Channel.WHATSAPP, Channel.SIGNAL, Channel.VOICE):
        return "".join(c for c in value if c.isdigit() or c == "+")
    return value  # a push endpoint is a URL, taken as it is


def _index_under(key_id: str, channel: str, address: str) -> str:
    key = crypto.master_ring().derived(key_id, INDEX_LABEL)
    message = f"{channel}:{normalized(channel, address)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def index(channel: str, address: str) -> str:
    """A keyed hash of the channel and address under a key derived from the newest master
    key (never in the database): the same address gives the same index."""
    return _index_under(crypto.master_ring().active_id, channel, address)


def indexes(channel: str, address: str) -> list[str]:
    """The address's index under every master key still listed: lookups find subscriptions
    made before a master-key rotation (`manage.py reindex_subscriptions` re-indexes them
    under the new key afterwards)."""
    return [_index_under(key_id, channel, address) for key_id in crypto.master_ring().keys]


def _binding(subscription: Subscription) -> crypto.Binding:
    return crypto.Binding.of(subscription, "address", committee=subscription.committee.code)


def seal(subscription: Subscription, address: Any) -> None:
    """Put the address (a string, or a push subscription's dict) on the subscription."""
    subscription.address_index = index(
        subscription.channel, address if isinstance(address, str) else str(address["endpoint"])
    )
    subscription.address_sealed = crypto.seal_json(
        address, binding=_binding(subscription), purpose=KeyPurpose.SUBSCRIBER
    )


def address_of(subscription: Subscription) -> Any:
    """The address to deliver to, or None once its key is gone."""
    if not subscription.address_sealed:
        return None
    try:
        return crypto.unseal_json(subscription.address_sealed, binding=_binding(subscription))
    except crypto.KeyDestroyed:
        return None
