"""Public facts for campaigns against police-ICE cooperation: places, agencies, 287(g)
agreements with their history, ICE offices, detention facilities and their statistics, and
the sanctuary policies committees record by hand.

Everything here is public (ICE's own lists, public officials' offices, enacted laws), so it is
plaintext. Nothing about people is stored. Each imported row keeps the sheet it came from.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from defensa.network.models import Committee


class JurisdictionKind(models.TextChoices):
    STATE = "state", _("State")
    COUNTY = "county", _("County")
    MUNICIPALITY = "municipality", _("City or town")


class Jurisdiction(models.Model):
    """A state (FIPS 2 digits), a county or county-equivalent (FIPS 5 digits), or a city."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=JurisdictionKind.choices)
    state = models.CharField(max_length=2)  # postal code
    fips = models.CharField(max_length=5, blank=True)
    name = models.CharField(max_length=120)
    # Census class (H1 county, H4 Connecticut's, C7 independent city...); blank for others.
    census_class = models.CharField(max_length=2, blank=True)
    # Replaced by other codes (Connecticut's counties in 2022, renamed areas); still valid for
    # older data and for maps drawn with the old shapes.
    superseded = models.BooleanField(default=False)
    overlaps = models.ManyToManyField("self", blank=True, symmetrical=True)
    # The area's centre, for "the nearest offices and facilities" (counties only).
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fips"], condition=~Q(fips=""), name="jurisdiction_unique_fips"
            ),
            models.UniqueConstraint(
                fields=["state", "name"],
                condition=Q(kind="municipality"),
                name="jurisdiction_unique_municipality",
            ),
            models.CheckConstraint(
                condition=Q(kind="municipality", fips="")
                | Q(kind="state", fips__regex=r"^[0-9]{2}$")
                | Q(kind="county", fips__regex=r"^[0-9]{5}$"),
                name="jurisdiction_fips_matches_kind",
            ),
        ]
        indexes = [
            # Pickers and facts pages: the counties (and cities) of one state by name.
            models.Index(fields=["state", "kind", "name"], name="jurisdiction_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.state}"


class SheetKind(models.TextChoices):
    PARTICIPATING = "287g_participating", _("287(g) participating agencies (ICE)")
    PENDING = "287g_pending", _("287(g) pending agencies (ICE)")
    ICE_OFFICES = "ice_offices", _("ICE offices")
    FACILITIES_UWCHR = "facilities_uwchr", _("Detention facilities (UWCHR, DETLOC codes)")
    FACILITIES_ICEWATCH = "facilities_icewatch", _("Detention facilities (icewatch, FY2025)")
    DETENTION_STATS = "detention_stats", _("ICE detention statistics workbook")


class SourceSheet(models.Model):
    """One imported file. The same bytes are imported once (by SHA-256)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=SheetKind.choices)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    # The date the publisher's list describes: from the file name, corrected by the
    # workbook's own saved date when ICE mistyped the year (see importers.dates).
    as_of = models.DateField()
    # How the date was found when not simply from the file name: {"code": ..., params}.
    as_of_note = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=now)
    rows_read = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    # Reading stopped here after many blank rows in a row (0: read to the end).
    stopped_at_row = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # History: the sheets of one kind in date order (added/ended between them).
            models.Index(fields=["kind", "as_of", "imported_at"], name="sourcesheet_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.file_name


class RejectedRow(models.Model):
    """Something a sheet said that could not be read: the whole row (not imported) or one
    value of it (the row was imported without it). The reason is a code and parameters,
    shown in the reader's language by `importers.reasons.describe`."""

    class Outcome(models.TextChoices):
        ROW = "row", _("Row not imported")
        VALUE = "value", _("Imported without this value")

    sheet = models.ForeignKey(SourceSheet, on_delete=models.CASCADE, related_name="rejected")
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=5, choices=Outcome.choices)
    column = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    # The row's cells as text, as the sheet had them (cut to a few hundred characters each).
    cells = models.JSONField(default=list)

    class Meta:
        indexes = [
            # The import result page: a sheet's problems in row order.
            models.Index(fields=["sheet", "row_number"], name="rejectedrow_sheet_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}:{self.row_number}:{self.reason}"


class AgencyType(models.TextChoices):
    COUNTY = "county", _("County")
    MUNICIPALITY = "municipality", _("Municipality")
    STATE = "state", _("State agency")
    UNKNOWN = "", _("Not said")


class Agency(models.Model):
    """A law-enforcement agency as ICE names it, one per state and normalized name."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # Case, spacing and apostrophes folded: "Kansas  Bureau Of Investigation" is one agency.
    name_key = models.CharField(max_length=200)
    state = models.CharField(max_length=2)
    type = models.CharField(max_length=12, choices=AgencyType.choices, blank=True)
    county_fips = models.CharField(max_length=5, blank=True)
    # The sheet whose name and type are kept: the newest that lists the agency.
    described_by = models.ForeignKey(
        SourceSheet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The county as the sheet wrote it, and which sheet said so (the newest that did wins).
    county_raw = models.CharField(max_length=120, blank=True)
    county_source = models.ForeignKey(
        SourceSheet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Its county when known, else its state.
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="agencies"
    )

    class Meta:
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["state", "name_key"], name="agency_unique_name"),
        ]
        indexes = [
            # Facts pages: the agencies of a county.
            models.Index(fields=["county_fips"], name="agency_county_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class SupportModel(models.TextChoices):
    JAIL = "jem", _("Jail Enforcement Model")
    TASK_FORCE = "tfm", _("Task Force Model")
    WARRANT = "wso", _("Warrant Service Officer")


class Agreement(models.Model):
    """A 287(g) agreement: one agency, one model. Its values are those of the newest sheet
    that lists it; `first_seen`, `last_seen` and `ended_seen` are kept by `history`."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="agreements")
    model = models.CharField(max_length=3, choices=SupportModel.choices)
    signed = models.DateField(null=True, blank=True)
    signed_raw = models.CharField(max_length=40, blank=True)
    moa_url = models.URLField(max_length=500, blank=True)
    addendum_url = models.URLField(max_length=500, blank=True)
    first_seen = models.ForeignKey(SourceSheet, on_delete=models.PROTECT, related_name="+")
    last_seen = models.ForeignKey(SourceSheet, on_delete=models.PROTECT, related_name="+")
    # The first newer sheet of the same kind that no longer listed it; null while current.
    ended_seen = models.ForeignKey(
        SourceSheet, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "model"], name="agreement_once_per_model"),
        ]
        indexes = [
            # Current agreements by model (ended_seen null) for counts and maps.
            models.Index(fields=["model", "ended_seen"], name="agreement_current_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.model}"


class PendingAgreement(models.Model):
    """An agreement ICE lists as pending: one agency, one model, with the same history."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="pending")
    model = models.CharField(max_length=3, choices=SupportModel.choices)
    moa_url = models.URLField(max_length=500, blank=True)
    first_seen = models.ForeignKey(SourceSheet, on_delete=models.PROTECT, related_name="+")
    last_seen = models.ForeignKey(SourceSheet, on_delete=models.PROTECT, related_name="+")
    ended_seen = models.ForeignKey(
        SourceSheet, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "model"], name="pending_once_per_model"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}:{self.model}"


class Listing(models.Model):
    """One sheet listing one agreement (or pending agreement): the history, row by row, with
    what that sheet said. Counting listings per sheet gives agreements over time."""

    sheet = models.ForeignKey(SourceSheet, on_delete=models.CASCADE, related_name="listings")
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, null=True, blank=True, related_name="listings"
    )
    pending = models.ForeignKey(
        PendingAgreement, on_delete=models.CASCADE, null=True, blank=True, related_name="listings"
    )
    row_number = models.PositiveIntegerField()
    signed = models.DateField(null=True, blank=True)
    signed_raw = models.CharField(max_length=40, blank=True)
    moa_url = models.URLField(max_length=500, blank=True)
    addendum_url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement__isnull=False, pending__isnull=True)
                | Q(agreement__isnull=True, pending__isnull=False),
                name="listing_of_one_kind",
            ),
            models.UniqueConstraint(
                fields=["sheet", "agreement"],
                condition=Q(agreement__isnull=False),
                name="listing_once_per_agreement",
            ),
            models.UniqueConstraint(
                fields=["sheet", "pending"],
                condition=Q(pending__isnull=False),
                name="listing_once_per_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}:{self.row_number}"


class IceOffice(models.Model):
    """An ICE office (ERO field office or sub-office, OPLA, HSI...), public by nature."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=120, blank=True)
    agency = models.CharField(max_length=10)  # ERO, OPLA, HSI, OPE...
    field_office = models.CharField(max_length=120, blank=True)
    sub_office = models.BooleanField(default=False)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=5, blank=True)
    area = models.TextField(blank=True)  # its area of responsibility, as ICE words it
    county_fips = models.CharField(max_length=5, blank=True)  # from its ZIP code
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    source = models.ForeignKey(SourceSheet, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "address"], name="iceoffice_unique"),
        ]
        indexes = [
            # Nearest offices: the offices of a state (then by distance in Python).
            models.Index(fields=["state", "agency"], name="iceoffice_state_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class DetentionFacility(models.Model):
    """A place ICE detains people. Keyed by ICE's DETLOC code where a source gives it;
    otherwise matched by name and state, then by address and ZIP (see importers.facilities)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    detloc = models.CharField(max_length=12, blank=True)
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=5, blank=True)
    county_fips = models.CharField(max_length=5, blank=True)
    aor = models.CharField(max_length=8, blank=True)  # ICE area of responsibility
    type_detailed = models.CharField(max_length=20, blank=True)  # IGSA, CDF, SPC, USMS IGA...
    capacity = models.PositiveIntegerField(null=True, blank=True)
    first_used = models.DateField(null=True, blank=True)
    last_used = models.DateField(null=True, blank=True)
    # Third-party geocodes (see data sources): provisional, for maps and distances.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    coordinates_from = models.CharField(max_length=20, choices=SheetKind.choices, blank=True)
    in_uwchr = models.BooleanField(default=False)
    in_icewatch = models.BooleanField(default=False)
    in_stats = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "detention facilities"
        constraints = [
            models.UniqueConstraint(
                fields=["detloc"], condition=~Q(detloc=""), name="facility_unique_detloc"
            ),
        ]
        indexes = [
            # Matching rows of other sources: by normalized name within a state.
            models.Index(fields=["state", "name_key"], name="facility_name_idx"),
            # Facts pages: the facilities of a county.
            models.Index(fields=["county_fips"], name="facility_county_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class DetentionStatistic(models.Model):
    """One facility's row of ICE's detention statistics workbook ("Facilities FY25"):
    average daily population (ADP) by classification, criminality and threat level."""

    sheet = models.ForeignKey(SourceSheet, on_delete=models.CASCADE, related_name="statistics")
    facility = models.ForeignKey(
        DetentionFacility, on_delete=models.PROTECT, related_name="statistics"
    )
    row_number = models.PositiveIntegerField()
    fiscal_year = models.PositiveSmallIntegerField()
    aor = models.CharField(max_length=8, blank=True)
    type_detailed = models.CharField(max_length=20, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    average_stay_days = models.FloatField(null=True, blank=True)
    level_a = models.FloatField(null=True, blank=True)
    level_b = models.FloatField(null=True, blank=True)
    level_c = models.FloatField(null=True, blank=True)
    level_d = models.FloatField(null=True, blank=True)
    male_criminal = models.FloatField(null=True, blank=True)
    male_non_criminal = models.FloatField(null=True, blank=True)
    female_criminal = models.FloatField(null=True, blank=True)
    female_non_criminal = models.FloatField(null=True, blank=True)
    threat_level_1 = models.FloatField(null=True, blank=True)
    threat_level_2 = models.FloatField(null=True, blank=True)
    threat_level_3 = models.FloatField(null=True, blank=True)
    no_threat_level = models.FloatField(null=True, blank=True)
    mandatory = models.FloatField(null=True, blank=True)
    guaranteed_minimum = models.PositiveIntegerField(null=True, blank=True)
    last_inspection_type = models.CharField(max_length=40, blank=True)
    last_inspection_end = models.DateField(null=True, blank=True)
    pending_inspection = models.CharField(max_length=40, blank=True)
    last_inspection_standard = models.CharField(max_length=60, blank=True)
    last_final_rating = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sheet", "facility"], name="statistic_once_per_sheet"),
        ]

    def __str__(self) -> str:
        return f"{self.sheet_id}:{self.facility_id}"

    @property
    def average_daily_population(self) -> float:
        parts = (
            self.male_criminal,
            self.male_non_criminal,
            self.female_criminal,
            self.female_non_criminal,
        )
        return sum(p or 0.0 for p in parts)


class PolicyLevel(models.TextChoices):
    STATE = "state", _("State")
    COUNTY = "county", _("County")
    CITY = "city", _("City")


class Policy(models.Model):
    """A sanctuary or anti-entanglement policy (e.g. California's TRUST, TRUTH and VALUES
    Acts), recorded by a committee by hand. Audited."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    level = models.CharField(max_length=6, choices=PolicyLevel.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="policies"
    )
    adopted = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        verbose_name_plural = "policies"
        indexes = [
            # A committee's list, newest first; facts pages read them by jurisdiction.
            models.Index(fields=["committee", "-created_at"], name="policy_committee_idx"),
        ]

    def __str__(self) -> str:
        return self.name


# Campaigns live in their own module; importing them here is how Django finds them.
from defensa.campaigns.campaign_models import (  # noqa: E402, F401
    ActionKind,
    ActionTally,
    CallScript,
    Campaign,
    CampaignStatus,
    Target,
)
