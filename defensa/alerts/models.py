"""Verified alerts and the people who asked for them.

A subscription needs no account: a channel, an address (sealed with the committee's
subscriber key; only a keyed hash of it in clear, to find it again at STOP), a language and
an area made of resolution-7 cells (about 5 km² each, the finest place we keep). An alert is
composed from a verified incident (or is a know-your-rights reminder), approved by a second
qualified person, frozen into a signed snapshot, and delivered in batches that workers claim
with leases.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from defensa.incidents.models import Incident
from defensa.network.models import Committee, Person


class Channel(models.TextChoices):
    PUSH = "push", _("Web push")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SIGNAL = "signal", _("Signal")
    EMAIL = "email", _("E-mail")
    VOICE = "voice", _("Voice call")


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    ACTIVE = "active", _("Active")
    STOPPED = "stopped", _("Stopped by the subscriber")
    GONE = "gone", _("Address no longer works")


class Subscription(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The committee whose area it is in (whose key seals the address).
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=8, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    language = models.CharField(max_length=8, default="es")
    # A keyed hash of the channel and the normalized address: finds it again (STOP, a second
    # sign-up) without the address in clear.
    address_index = models.CharField(max_length=64)
    # Sealed (subscriber key): the address: a phone number, an e-mail, a Signal number, or a
    # push subscription (endpoint and keys).
    address_sealed = models.BinaryField(null=True, editable=False)
    # What the subscriber chose, as they chose it: ZIP codes, zones (codes), or a map cell.
    area = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    # E-mail double opt-in and one-click unsubscribe: only keyed hashes of the tokens.
    confirm_token_hash = models.CharField(max_length=64, blank=True)
    unsubscribe_token_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address_index"],
                condition=Q(status__in=["pending", "active"]),
                name="subscription_once_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.status}"


class SubscriptionCell(models.Model):
    """A cell a subscription covers: alerts are matched to subscribers by cell."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="cells")
    cell = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "cell"], name="subscriptioncell_once"),
        ]
        indexes = [
            # Fan-out: the subscriptions covering the cells of an alert's area.
            models.Index(fields=["cell"], name="subscriptioncell_cell_idx"),
        ]

    def __str__(self) -> str:
        return self.cell


class AlertKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed activity")
    FALSE_ALARM = "false_alarm", _("False alarm (rumor control)")
    ALL_CLEAR = "all_clear", _("All clear")
    KNOW_YOUR_RIGHTS = "rights", _("Know your rights")


class AlertStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CORRECTED = "corrected", _("Corrected")
    EXPIRED = "expired", _("Expired")
    DISCARDED = "discarded", _("Discarded")


class Alert(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="alerts")
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    # A correction ("false alarm", "all clear") names the alert it corrects.
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="corrections", null=True, blank=True
    )
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.DRAFT)
    composed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    composed_at = models.DateTimeField(default=now)
    approved_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # Where: resolution-7 cells (the incident's and its neighbours', or a zone's).
    cells = models.JSONField(default=list)
    # Public text per language and channel: {"es": {"sms": "...", "push": "...", ...}, ...}.
    texts = models.JSONField(default=dict)
    # What the composer chose to fill the templates with, so an edit can fill them again:
    # {"place": "zip:60608" | "zone:<code>" | "area", "advice": "<key>"} (see alerts.compose).
    choices = models.JSONField(default=dict)
    # Frozen at approval: the canonical JSON that was signed, the signature and its key.
    snapshot = models.TextField(blank=True)
    signature = models.CharField(max_length=128, blank=True)
    key_id = models.CharField(max_length=40, blank=True)
    # The short code every message carries, checked on the public verify page.
    verify_code = models.CharField(max_length=16, blank=True)
    # Per channel {"batches", "sent", "failed"}, kept when the delivery batches and the rows
    # of who was reached are forgotten (DEFENSA_DELIVERY_RETENTION_DAYS after expiry).
    delivery_summary = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["verify_code"], condition=~Q(verify_code=""), name="alert_verify_code"
            ),
        ]
        indexes = [
            # The public feed: approved alerts, newest first.
            models.Index(fields=["status", "-approved_at"], name="alert_feed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.status}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Will try again")
    DEAD = "dead", _("Failed")


class Delivery(models.Model):
    """A batch of one alert to some subscriptions of one channel. Claimed with a lease: a
    worker killed mid-batch leaves the lease to run out and the batch is sent again (at most
    one batch of duplicates per failure)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    subscriptions = models.JSONField(default=list)  # subscription ids
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Subscription ids given up on (a permanent failure): not tried again when the batch is.
    given_up = models.JSONField(default=list)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # The delivery loop: due batches and claims whose lease ran out.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_due_idx",
                condition=Q(status__in=["pending", "claimed", "retry"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.status}"


class Reached(models.Model):
    """Who an alert reached (for its corrections): one row per alert and subscription."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reached")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=now)
    # The provider's id for the message (a Twilio SID), so its status callback finds the
    # subscription without any address stored.
    provider_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "subscription"], name="reached_once"),
        ]
        indexes = [
            # Twilio status callbacks: the message a callback is about.
            models.Index(
                fields=["provider_ref"],
                name="reached_provider_ref_idx",
                condition=~Q(provider_ref=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id}:{self.subscription_id}"


class SenderPace(models.Model):
    """The next free sending slot of one paced sender (an SMS number, the WhatsApp sender, the
    calling number), shared by every worker: each reserves slots by moving it forward."""

    # The channel and a hash of our own sending number (never a subscriber's).
    sender = models.CharField(max_length=80, unique=True)
    next_slot = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.sender
