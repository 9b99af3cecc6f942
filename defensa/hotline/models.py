"""Reports from every channel, and what the hotline needs to take them.

A report never names its reporter. What it says (text, place, recordings, photos) is sealed
with the committee's monthly report key; an optional callback contact is sealed with a daily
key destroyed after DEFENSA_CONTACT_RETENTION_DAYS. Only coarse, non-identifying facts stay
readable for routing and triage: a ZIP code, a ~5 km² map cell, and what kind of activity.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from defensa.network.models import Committee


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VOICEMAIL = "voicemail", _("Voicemail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SIGNAL = "signal", _("Signal")
    WEB = "web", _("Web form")


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CLUSTERED = "clustered", _("Grouped")
    TRIAGED = "triaged", _("Triaged")
    DISPATCHED = "dispatched", _("Confirmers sent")
    CLOSED = "closed", _("Closed")


class Activity(models.TextChoices):
    ARREST = "arrest", _("Arrest")
    RAID = "raid", _("Raid")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    SURVEILLANCE = "surveillance", _("Watching or waiting")
    PATROL = "patrol", _("Patrol")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not said")


class Agency(models.TextChoices):
    ICE = "ice", _("ICE")
    CBP = "cbp", _("Border Patrol (CBP)")
    POLICE = "police", _("Police")
    SHERIFF = "sheriff", _("Sheriff")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not said")


class RoutedBy(models.TextChoices):
    AREA = "area", _("Its place is in the committee's area")
    NUMBER = "number", _("It came to the committee's number")
    DEFAULT = "default", _("No area matched: the network's intake committee")


class Report(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="reports")
    routed_by = models.CharField(max_length=8, choices=RoutedBy.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The provider's id for the message or call (MessageSid, CallSid...): a repeat is ignored.
    external_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=8, default="es")
    received_at = models.DateTimeField(default=now)
    observed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.RECEIVED
    )
    # Readable for routing and triage; nothing finer than a ~5 km² cell.
    zip_code = models.CharField(max_length=5, blank=True)
    cell = models.CharField(max_length=16, blank=True)
    activity = models.CharField(max_length=12, choices=Activity.choices, blank=True)
    agency = models.CharField(max_length=8, choices=Agency.choices, blank=True)
    size = models.PositiveSmallIntegerField(null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(default=0)
    trusted = models.BooleanField(default=False)
    # Sealed (report key): JSON {"parts": [text, ...], "place": text, "point": [lat, lng],
    # "equipment": text}. Sealed (contact key, short-lived): the callback contact.
    content_sealed = models.BinaryField(null=True, editable=False)
    callback_sealed = models.BinaryField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="report_once_per_provider_id",
            ),
        ]
        indexes = [
            # The inbox: a committee's reports, most urgent and newest first.
            models.Index(fields=["committee", "-urgency", "-received_at"], name="report_inbox_idx"),
        ]

    def __str__(self) -> str:
        return str(self.code)


class ReportMedia(models.Model):
    """A photo, video or recording. Both copies are sealed; staff only ever see the cleaned one."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Recording")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # SHA-256 of the untouched original, for legal use.
    sha256 = models.CharField(max_length=64)
    # The provider's id for the file (RecordingSid, MediaSid, a Signal attachment id), so a
    # repeated callback attaches it once.
    source_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "source_id"],
                condition=~Q(source_id=""),
                name="reportmedia_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


class MediaFetch(models.Model):
    """A file a provider holds for a report (an MMS photo, a voicemail, a Signal attachment),
    kept until it is fetched, cleaned and attached, so a killed worker loses nothing.

    `locator` is the provider's own reference (a Twilio media path, a Signal attachment id);
    it names no person. Rows are deleted once done or given up.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        FETCHING = "fetching", _("Being fetched")
        DONE = "done", _("Attached")
        REFUSED = "refused", _("Refused (not a file we take)")
        DEAD = "dead", _("Could not be fetched")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8)  # "twilio" or "signal"
    locator = models.CharField(max_length=300)
    source_id = models.CharField(max_length=64)
    content_type = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "source_id"], name="mediafetch_once_per_source"
            ),
        ]
        indexes = [
            # The fetch loop: due rows, and claims whose lease ran out.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="mediafetch_due_idx",
                condition=Q(status__in=["pending", "fetching"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.status}"


class HotlineNumber(models.Model):
    """A phone number (E.164) on which a committee takes calls and messages."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=20, unique=True)

    def __str__(self) -> str:
        return self.number


class Prompt(models.Model):
    """A recording a committee uploads for its phone menu, in any language."""

    class Key(models.TextChoices):
        LANGUAGE = "language", _('Language choice ("for Spanish, press 1")')
        MENU = "menu", _("Main menu")
        VOICEMAIL = "voicemail", _("Before a voicemail")
        LEGAL = "legal", _("Where to get legal help")

    # Public: Twilio fetches the recording at a URL carrying this code.
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=10, choices=Key.choices)
    language = models.CharField(max_length=8)
    # Menu position of this language in the language choice (1-9).
    digit = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=32)
    # Cleaned (re-encoded without metadata) by the upload; a menu prompt is not secret.
    audio = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "key", "language"], name="prompt_one_per_key_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}:{self.language}"


class LegalHelp(models.Model):
    """Where to get legal help, as a committee words it, per language (read on option 4)."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8)
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "language"], name="legalhelp_once"),
        ]

    def __str__(self) -> str:
        return self.language


class TrustedToken(models.Model):
    """A link a committee gives people it trusts: their reports skip the proof-of-work."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label


class Step(models.TextChoices):
    """What a text conversation asked last (DONE: it confirmed the report)."""

    WHAT = "what", _("What is happening")
    WHERE = "where", _("Where")
    WHEN = "when", _("When")
    DONE = "done", _("Confirmed")


class LanguageSource(models.TextChoices):
    CHOSEN = "chosen", _("Chosen by the sender")
    DETECTED = "detected", _("Read from the words")
    DEFAULT = "default", _("Not known yet")


class Conversation(models.Model):
    """An SMS/WhatsApp/Signal conversation that is building a report. It lasts
    DEFENSA_CONVERSATION_MINUTES from its first message, then is deleted.

    The sender is known only as a keyed hash under a daily secret kept in memory, enough to
    continue the conversation and useless once the day's secret is gone. Nothing anyone
    wrote is kept here: only which questions are answered.
    """

    sender_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Empty while someone has only chosen a language; their first words make the report.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+", null=True)
    language = models.CharField(max_length=8)
    language_source = models.CharField(
        max_length=8, choices=LanguageSource.choices, default=LanguageSource.DEFAULT
    )
    step = models.CharField(max_length=8, choices=Step.choices, default=Step.WHAT)
    knows_what = models.BooleanField(default=False)
    knows_where = models.BooleanField(default=False)
    knows_when = models.BooleanField(default=False)
    # Messages added to the report, so a long conversation starts a new report before the
    # report's own limit would silently drop words.
    messages = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "sender_hash"], name="conversation_one_per_sender"
            ),
        ]
        indexes = [
            # forget_expired_conversations: rows past their time.
            models.Index(fields=["expires_at"], name="conversation_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.step}"
