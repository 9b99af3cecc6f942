"""The security kernel's own rows: data keys, the audit log and the periodic job ledger.

Committees are referred to by their public code (a UUID), not a foreign key, so the kernel does
not depend on the network app and an audit row never changes when a committee does.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyPurpose(models.TextChoices):
    # Members' profiles (contact methods): lives as long as the committee does.
    PROFILE = "profile", _("Member profiles")
    # A reporter's optional callback contact: destroyed after the retention period.
    CONTACT = "contact", _("Reporter contact")
    # What reports say (text, places, recordings, photos): destroyed after its retention period.
    REPORT = "report", _("Reports")
    # Alert subscribers' addresses (phone, e-mail, push endpoint): live as long as the
    # committee; stopping a subscription deletes its row.
    SUBSCRIBER = "subscriber", _("Alert subscribers")


class DataKey(models.Model):
    """A per-committee AES-256 data key, stored only wrapped by a master key.

    Destroying `wrapped` (crypto-shredding) makes every ciphertext sealed with this key unreadable,
    including copies in backups and PostgreSQL's WAL, which deleting rows cannot reach.
    """

    kid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    committee = models.UUIDField()
    purpose = models.CharField(max_length=16, choices=KeyPurpose.choices)
    period_start = models.DateTimeField()
    generation = models.PositiveIntegerField(default=1)
    master_key_id = models.CharField(max_length=32)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    destroy_after = models.DateTimeField(null=True)
    destroyed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "purpose", "period_start", "generation"],
                name="datakey_unique_generation",
            ),
            models.CheckConstraint(
                condition=models.Q(destroyed_at__isnull=True, wrapped__isnull=False)
                | models.Q(destroyed_at__isnull=False, wrapped__isnull=True),
                name="datakey_destroyed_has_no_material",
            ),
        ]
        indexes = [
            # The retention job: live keys whose time has come.
            models.Index(
                fields=["destroy_after"],
                name="datakey_due_idx",
                condition=models.Q(destroyed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}:{self.kid}"


class AuditEvent(models.Model):
    """One append-only, hash-chained record of an action.

    Each committee has its own chain (`chain` is the committee code, or "network"); `hash` covers
    the previous hash and every field, so an edited, inserted or removed row breaks the chain.
    Database triggers refuse UPDATE (and DELETE on PostgreSQL); `manage.py verify_audit` checks.
    """

    chain = models.CharField(max_length=40)
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor = models.UUIDField(null=True)
    committee = models.UUIDField(null=True)
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_code = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_position"),
        ]
        indexes = [
            # An incident's timeline: a committee's events about given objects.
            models.Index(fields=["chain", "object_code"], name="auditevent_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.verb}"


class AuditChainHead(models.Model):
    """The last position and hash of each chain; locked while appending, so appends serialize."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


class PeriodicJob(models.Model):
    """When each periodic task is next due; a scheduler claims a run by moving `next_run`."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run = models.DateTimeField()
    last_enqueued = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name
