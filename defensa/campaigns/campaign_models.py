"""A committee's campaigns (e.g. "End 287(g) in Galveston County"): targets, asks, call-in
scripts and the actions members took, counted.

Targets are public officials with their public office contacts, so they are plaintext. What
members did is kept only as counts per campaign, day and kind: no row names who called,
testified or met (see docs/threat-model.md, "Campaigns"). Imported by `models`, so Django
finds these models in the campaigns app.
"""

from __future__ import annotations

import uuid

import phonenumbers
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from defensa.network.models import Committee


class CampaignStatus(models.TextChoices):
    PLANNING = "planning", pgettext_lazy("campaign status", "Planning")
    ACTIVE = "active", pgettext_lazy("campaign status", "Active")
    PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
    WON = "won", pgettext_lazy("campaign status", "Won")
    LOST = "lost", pgettext_lazy("campaign status", "Lost")


# A campaign that is over takes no more actions.
CLOSED_STATUSES = frozenset({CampaignStatus.WON, CampaignStatus.LOST})


class Campaign(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    # A county or a state: its facts go on the fact sheet.
    jurisdiction = models.ForeignKey(
        "campaigns.Jurisdiction", on_delete=models.PROTECT, related_name="campaigns"
    )
    goal = models.TextField(blank=True)  # what winning means
    asks = models.TextField(blank=True)  # one ask a line
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.PLANNING
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # A committee's campaigns, newest first.
            models.Index(fields=["committee", "-created_at"], name="campaign_committee_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ask_list(self) -> list[str]:
        return [line.strip() for line in self.asks.splitlines() if line.strip()]

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class Target(models.Model):
    """A public official the campaign presses, with their office's public contacts."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=120)
    office = models.CharField(max_length=200)  # "Sheriff, Galveston County"
    phone = models.CharField(max_length=20, blank=True)  # E.164
    phone_extension = models.CharField(max_length=10, blank=True)
    email = models.EmailField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            # A campaign's targets in the order they were added.
            models.Index(fields=["campaign", "created_at"], name="target_campaign_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_display(self) -> str:
        if not self.phone:
            return ""
        try:
            number = phonenumbers.parse(self.phone)
        except phonenumbers.NumberParseException:
            return self.phone
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if number.country_code == 1
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)

    @property
    def phone_link(self) -> str:
        if not self.phone:
            return ""
        return f"tel:{self.phone}" + (
            f";ext={self.phone_extension}" if self.phone_extension else ""
        )


class CallScript(models.Model):
    """What to say when calling a target, in one spoken language."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="scripts")
    language = models.CharField(max_length=8)  # a DEFENSA_SPOKEN_LANGUAGES code
    text = models.TextField()
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="callscript_once_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.language}"

    @property
    def language_name(self) -> str:
        return str(dict(settings.DEFENSA_SPOKEN_LANGUAGES).get(self.language, self.language))


class ActionKind(models.TextChoices):
    CALL = "call", _("Calls")
    TESTIMONY = "testimony", _("Public testimony")
    MEETING = "meeting", _("Meetings with officials")
    OTHER = "other", _("Other actions")


class ActionTally(models.Model):
    """How many actions of one kind members took for a campaign on one day. No person."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tallies")
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "action tallies"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "day", "kind"], name="tally_once_per_day_and_kind"
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="tally_count_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.day}:{self.kind}={self.count}"
