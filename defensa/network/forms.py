"""Forms validate input only; actions apply the rules and write."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, cast

from allauth.mfa.webauthn.forms import AddWebAuthnForm, EditWebAuthnForm
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensa.core.validation import SafeCharField, clean_text
from defensa.network.actions import INVITABLE_ROLES, normalize_token
from defensa.network.models import AreaKind, QualificationKind, Role, Zone

NAME_MAX = 80


def _spoken_languages() -> list[tuple[str, Any]]:
    return list(settings.DEFENSA_SPOKEN_LANGUAGES)


class ProfileForm(forms.Form):
    display_name = SafeCharField(
        label=_("Name others see"),
        max_length=NAME_MAX,
        help_text=_("A nickname is fine. Never your legal name if you would rather not."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=_spoken_languages,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    phone = SafeCharField(label=_("Phone (SMS or calls)"), max_length=32, required=False)
    signal = SafeCharField(label=_("Signal number"), max_length=32, required=False)
    email = SafeCharField(label=_("E-mail"), max_length=254, required=False)
    preferred = forms.ChoiceField(
        label=_("How should we reach you first?"),
        choices=[("phone", _("SMS")), ("signal", _("Signal")), ("email", _("E-mail"))],
        required=False,
    )

    def contacts(self) -> list[dict[str, str]]:
        """The contact methods given, the preferred one first."""
        kinds = ["phone", "signal", "email"]
        preferred = self.cleaned_data.get("preferred")
        if preferred in kinds:
            kinds.remove(preferred)
            kinds.insert(0, preferred)
        return [
            {"kind": kind, "value": self.cleaned_data[kind]}
            for kind in kinds
            if self.cleaned_data.get(kind)
        ]


class CodeForm(forms.Form):
    code = SafeCharField(
        label=_("Invitation code"), max_length=20, help_text=_("For example: K7QF-9M2X-PA4T")
    )

    def clean_code(self) -> str:
        return normalize_token(self.cleaned_data["code"])


class JoinForm(CodeForm):
    username = SafeCharField(
        label=_("Username"),
        max_length=40,
        help_text=_("Letters, digits and . _ - only. It does not need to be your name."),
    )
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, max_length=128, strip=False
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput, max_length=128, strip=False
    )
    display_name = SafeCharField(label=_("Name others see"), max_length=NAME_MAX)
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=_spoken_languages,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are different."))
        return data


class InvitationForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles besides member"),
        choices=[(r.value, r.label) for r in Role if r in INVITABLE_ROLES and r != Role.MEMBER],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


# Roles a coordinator can give; the network admin role comes only from starting a network.
GRANTABLE_ROLES = [(r.value, r.label) for r in Role if r != Role.NETWORK_ADMIN]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=lambda: GRANTABLE_ROLES)
    op = forms.ChoiceField(choices=[("grant", _("Grant")), ("revoke", _("Remove"))])


class QualificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Qualification"), choices=QualificationKind.choices)
    expires_on = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def expires_at(self, tz_name: str) -> dt.datetime:
        """The end of the chosen day in the committee's time zone."""
        day: dt.date = self.cleaned_data["expires_on"]
        local_end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(tz_name))
        return local_end.astimezone(dt.UTC)


class ZoneForm(forms.Form):
    name = SafeCharField(label=_("Zone name"), max_length=120)


class AreaUnitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AreaKind.choices)
    value = SafeCharField(label=_("Code"), max_length=20)
    zone = forms.ChoiceField(label=_("Zone"), required=False)

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zones = {str(z.code): z for z in zones}
        choices: list[tuple[str, str]] = [("", str(_("Whole committee")))]
        field = cast(forms.ChoiceField, self.fields["zone"])
        field.choices = choices + [(code, z.name) for code, z in self.zones.items()]

    def chosen_zone(self) -> Zone | None:
        return self.zones.get(self.cleaned_data.get("zone") or "")


class RegionForm(forms.Form):
    name = SafeCharField(label=_("Region name"), max_length=120)


class CommitteeForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    name = SafeCharField(label=_("Committee name"), max_length=120)
    timezone = forms.ChoiceField(label=_("Time zone"))

    US_ZONES = (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Puerto_Rico",
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = cast(forms.ChoiceField, self.fields["region"])
        tz = cast(forms.ChoiceField, self.fields["timezone"])
        region.choices = regions
        tz.choices = [(z, z) for z in self.US_ZONES]
        tz.initial = "America/Chicago"


class AddPasskeyForm(AddWebAuthnForm):
    """allauth's passkey form, with the passkey's name held to our text rules."""

    def clean_name(self) -> str:
        return clean_text(super().clean_name(), max_length=NAME_MAX)


class EditPasskeyForm(EditWebAuthnForm):
    def clean_name(self) -> str:
        return clean_text(self.cleaned_data["name"], max_length=NAME_MAX)
