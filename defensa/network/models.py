"""The committee network: network → region → committee → zone, and the people in it.

People are pseudonymous: a display name, the languages they speak and (sealed) ways to reach
them. There is no field for immigration status, date of birth, legal name or home address, and
an account needs no e-mail address.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    DISPATCHER = "dispatcher", _("Dispatcher")
    CONFIRMER = "confirmer", _("Confirmer")
    LEGAL_OBSERVER = "legal_observer", _("Legal observer")
    ACCOMPANIER = "accompanier", _("Accompanier")
    DOCUMENTARIAN = "documentarian", _("Documentarian")
    TRAINER = "trainer", _("Trainer")
    COORDINATOR = "coordinator", _("Coordinator")
    LEGAL_PARTNER = "legal_partner", _("Legal partner")
    NETWORK_ADMIN = "network_admin", _("Network admin")


class QualificationKind(models.TextChoices):
    DISPATCHER = "dispatcher", _("Dispatcher")
    CONFIRMER = "confirmer", _("Confirmer")
    LEGAL_OBSERVER = "legal_observer", _("Legal observer")
    ACCOMPANIER = "accompanier", _("Accompanier")


# A role whose duties need training can only be held with a valid qualification.
ROLE_NEEDS_QUALIFICATION: dict[str, str] = {
    Role.DISPATCHER: QualificationKind.DISPATCHER,
    Role.CONFIRMER: QualificationKind.CONFIRMER,
    Role.LEGAL_OBSERVER: QualificationKind.LEGAL_OBSERVER,
}


class AreaKind(models.TextChoices):
    COUNTY = "county", _("County (FIPS)")
    ZIP = "zip", _("ZIP code")
    CELL = "cell", _("Map cell (H3)")


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None) -> User:
        user = self.model(username=username)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A sign-in account: a username and a password, plus MFA authenticators (allauth).

    No e-mail, no names, no last-login timestamp (a pattern-of-life record nobody needs).
    `session_epoch` is part of the session hash: bumping it signs the account out everywhere.
    """

    username = models.CharField(
        _("username"), max_length=40, unique=True, validators=[ASCIIUsernameValidator()]
    )
    is_active = models.BooleanField(default=True)
    session_epoch = models.PositiveIntegerField(default=0)
    last_login = None

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.username

    def get_session_auth_hash(self) -> str:
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "defensa.network.User.session",
            f"{self.password}:{self.session_epoch}",
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_fallback_hash(self):  # type: ignore[no-untyped-def]
        from django.conf import settings
        from django.utils.crypto import salted_hmac

        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield salted_hmac(
                "defensa.network.User.session",
                f"{self.password}:{self.session_epoch}",
                secret=fallback,
                algorithm="sha256",
            ).hexdigest()


class Network(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="regions")
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="region_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="committees")
    name = models.CharField(max_length=120)
    # IANA zone for shifts and local times, e.g. America/Chicago.
    timezone = models.CharField(max_length=64, default="America/Chicago")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="committee_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="zone_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AreaUnit(models.Model):
    """One county, ZIP code or coarse H3 cell of a committee's area (and optionally a zone's)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="area")
    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, null=True, blank=True, related_name="area"
    )
    kind = models.CharField(max_length=8, choices=AreaKind.choices)
    value = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "kind", "value"],
                condition=models.Q(zone__isnull=True),
                name="areaunit_unique_committee_level",
            ),
            models.UniqueConstraint(
                fields=["zone", "kind", "value"],
                condition=models.Q(zone__isnull=False),
                name="areaunit_unique_zone_level",
            ),
        ]
        indexes = [
            # "Which committees cover this ZIP / county / cell?" (routing reports and alerts).
            models.Index(fields=["kind", "value"], name="areaunit_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Person(models.Model):
    """A pseudonymous member. `home_committee` holds the key that seals their contact methods."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    display_name = models.CharField(max_length=80)
    # Language codes from settings.DEFENSA_SPOKEN_LANGUAGES, most preferred first.
    languages = models.JSONField(default=list)
    home_committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    # Sealed JSON list of {"kind": "phone"|"signal"|"email", "value": ...}.
    contact_sealed = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.display_name


class Membership(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(default=now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "committee"],
                condition=models.Q(ended_at__isnull=True),
                name="membership_one_active_per_committee",
            ),
        ]
        indexes = [
            # Building a viewer: the active memberships of one person.
            models.Index(
                fields=["person"],
                condition=models.Q(ended_at__isnull=True),
                name="membership_active_person_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.committee_id}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class MembershipRole(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="membershiprole_unique"),
        ]

    def __str__(self) -> str:
        return self.role


class QualificationQuerySet(models.QuerySet["Qualification"]):
    def valid(self) -> QualificationQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=Now())


class Qualification(models.Model):
    """A certification (e.g. confirmer training) with an expiry, granted by a coordinator."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(max_length=20, choices=QualificationKind.choices)
    # The committee whose coordinator granted it; it answers for the grant.
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    granted_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="qualification_expires_after_grant",
            ),
        ]
        indexes = [
            # "Is this person qualified as X now?" (role grants, and later dispatch).
            models.Index(fields=["person", "kind", "expires_at"], name="qualification_check_idx"),
        ]

    def __str__(self) -> str:
        return self.kind

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Invitation(models.Model):
    """A one-time code a coordinator hands to a new member. Only a keyed hash of it is stored."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="invitations")
    roles = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.code)

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
