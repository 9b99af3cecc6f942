"""Incidents: what several reports are about, and how it was verified.

An incident keeps in clear only what triage and dispatch read (its committee, cells, ZIP
codes, activity, agency, times, priority and state); what its reports say, why they were
grouped, and what the confirmers saw are sealed with the committee's report key.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from defensa.hotline.models import Activity, Agency, Report
from defensa.network.models import Committee, Person


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISPATCHED = "dispatched", _("Confirmers sent")
    VERIFIED = "verified", _("Verified")
    ALERTED = "alerted", _("Alert sent")
    CLOSED = "closed", _("Closed")


class Disposition(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PROBABLE = "probable", _("Probable")
    UNVERIFIED = "unverified", _("Could not be verified")
    FALSE_ALARM = "false_alarm", _("False alarm")
    OTHER_AGENCY = "other_agency", _("Another agency (not immigration)")


class Incident(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(
        max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    opened_at = models.DateTimeField(default=now)
    first_seen_at = models.DateTimeField(default=now)
    last_report_at = models.DateTimeField(default=now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(default=0)
    # Where: the cell most of its reports were in (resolution 7), and a ZIP code when known.
    cell = models.CharField(max_length=16, blank=True)
    zip_code = models.CharField(max_length=5, blank=True)
    activity = models.CharField(max_length=12, choices=Activity.choices, blank=True)
    agency = models.CharField(max_length=8, choices=Agency.choices, blank=True)
    size = models.PositiveSmallIntegerField(null=True, blank=True)
    reports_count = models.PositiveSmallIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(default=0)
    # Which triage rules gave the priority: [[rule, points], ...] (rule names, no words).
    priority_because = models.JSONField(default=list)
    disposition = models.CharField(max_length=12, choices=Disposition.choices, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Sealed (report key): what the engine compares new reports with (points, words, ZIP
    # codes, facts) and the words that made its priority.
    features_sealed = models.BinaryField(null=True, editable=False)

    class Meta:
        indexes = [
            # The incident inbox: a committee's incidents by priority, newest first.
            models.Index(
                fields=["committee", "status", "-priority", "-last_report_at"],
                name="incident_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.code)


class IncidentCell(models.Model):
    """The cells an incident's reports were in: the clustering looks up candidates by cell."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="cells")
    cell = models.CharField(max_length=16)
    # Copied from the incident so the candidate query needs no join to filter by time.
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    last_report_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "cell"], name="incidentcell_once"),
        ]
        indexes = [
            # Candidates for a new report: the committee's incidents in nearby cells, recent.
            models.Index(fields=["committee", "cell", "last_report_at"], name="incidentcell_idx"),
        ]

    def __str__(self) -> str:
        return self.cell


class Membership(models.TextChoices):
    ENGINE = "engine", _("Grouped automatically")
    DISPATCHER = "dispatcher", _("Moved by a dispatcher")


class IncidentReport(models.Model):
    """A report in an incident, and why it is there."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="incident_link")
    joined_at = models.DateTimeField(default=now)
    by = models.CharField(max_length=10, choices=Membership.choices, default=Membership.ENGINE)
    score = models.FloatField(default=0.0)
    # Sealed (report key): the engine's reasons ([what, value], ...), which may quote words.
    because_sealed = models.BinaryField(null=True, editable=False)

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.report_id}"


class TriageRules(models.Model):
    """A committee's priority rules, as points (see incidents.triage for the defaults)."""

    committee = models.OneToOneField(Committee, on_delete=models.CASCADE, related_name="+")
    points = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return str(self.committee_id)


class DispatchStatus(models.TextChoices):
    OFFERED = "offered", _("Asked, waiting for an answer")
    ACCEPTED = "accepted", _("On the way")
    DECLINED = "declined", _("Cannot go")
    EXPIRED = "expired", _("Did not answer in time")
    CANCELLED = "cancelled", _("No longer needed")
    REPORTED = "reported", _("Reported what they found")


class Dispatch(models.Model):
    """A confirmer asked to go and look."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="dispatches")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="dispatches")
    status = models.CharField(
        max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.OFFERED
    )
    by_hand = models.BooleanField(default=False)
    # How near, in km, from the confirmer's shift zone (or committee area) to the incident.
    km = models.FloatField(null=True, blank=True)
    offered_at = models.DateTimeField(default=now)
    answer_by = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # For answers by SMS or Signal ("SI 482913"): six digits, unique among open offers.
    reply_code = models.CharField(max_length=6, blank=True)
    # The link the confirmer opens from the message: only a keyed HMAC is kept.
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="dispatch_once_per_person"),
        ]
        indexes = [
            # Escalation: offers whose time to answer ran out.
            models.Index(
                fields=["status", "answer_by"],
                name="dispatch_due_idx",
                condition=Q(status="offered"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.status}"


class Finding(models.Model):
    """What a confirmer found on the ground. Immutable: a second look is a second finding."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="findings")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="findings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="findings")
    disposition = models.CharField(max_length=12, choices=Disposition.choices)
    agency = models.CharField(max_length=8, choices=Agency.choices, blank=True)
    activity = models.CharField(max_length=12, choices=Activity.choices, blank=True)
    size = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    # Sealed (report key): the SALUTE observations and notes.
    observations_sealed = models.BinaryField(null=True, editable=False)

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.disposition}"


class FindingMedia(models.Model):
    """A photo or video a confirmer took: cleaned like intake media, both copies sealed."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=8)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"


class SharedIncident(models.Model):
    """A verified incident shown, without any reporter data, to a neighbouring committee."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="shares")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    shared_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "committee"], name="share_once"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}->{self.committee_id}"
