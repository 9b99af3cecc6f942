"""Messages to members over their own channels, kept until delivered and shortly after.

A message names its recipient (a person), never an address: the phone number or Signal
account is unsealed from the person's profile at the moment of sending and is not stored here.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    SIGNAL = "signal", _("Signal")
    EMAIL = "email", _("E-mail")


# Which contact method each channel sends to.
CHANNEL_CONTACT = {Channel.SMS: "phone", Channel.SIGNAL: "signal", Channel.EMAIL: "email"}


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed")


class OutgoingMessage(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "network.Person", on_delete=models.CASCADE, related_name="outgoing_messages"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # What the message is about, e.g. "shifts.coverage_warning" (for operators, never the text).
    purpose = models.CharField(max_length=48)
    body = models.TextField()
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claimed_until = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(null=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # The delivery loop: due messages, and claims whose lease ran out.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="outgoing_due_idx",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.purpose}"


class SeenInbound(models.Model):
    """Provider ids of inbound messages already handled (providers retry): kept two days.

    Written in the same transaction as the handling, so a message whose handling failed is
    handled again when the provider retries it.
    """

    external_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # forget_old_messages: rows past their two days.
            models.Index(fields=["seen_at"], name="seeninbound_age_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id
