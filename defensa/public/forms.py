"""The public report form. What people write is kept as written (only disguising characters
are neutralized); what cannot be right (a ZIP of letters, an impossible point, a number that
is not a phone) is refused with a message."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core import validators
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_TEXT = 4000

WHEN = [
    ("now", _("Right now")),
    ("hour", _("In the last hour")),
    ("today", _("Earlier today")),
    ("before", _("Before today")),
]
AGENCIES = [
    ("", _("I don't know")),
    ("ice", _("ICE / immigration")),
    ("cbp", _("Border Patrol")),
    ("police", _("Police")),
    ("sheriff", _("Sheriff")),
    ("other", _("Other")),
]


class ReportText(forms.CharField):
    """Accepts whatever people write (disguising characters are neutralized when stored)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            v
            for v in self.validators
            if not isinstance(v, validators.ProhibitNullCharactersValidator)
        ]


class ReportForm(forms.Form):
    what = ReportText(
        label=_("What did you see?"),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        max_length=MAX_TEXT,
        help_text=_("Agents, vehicles, uniforms, what they were doing. Do not write your name."),
    )
    where = ReportText(
        label=_("Where? (street, corner, business, landmark)"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
    zip_code = forms.CharField(
        label=_("ZIP code"),
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    when = forms.ChoiceField(label=_("When?"), choices=WHEN, initial="now")
    agency = forms.ChoiceField(label=_("Who were they?"), choices=AGENCIES, required=False)
    how_many = forms.IntegerField(
        label=_("How many agents or vehicles?"), min_value=0, max_value=500, required=False
    )
    attachment = forms.FileField(
        label=_("Photo or video (optional)"),
        required=False,
        help_text=_("We remove the location and phone details from it before anyone sees it."),
    )
    callback = forms.CharField(
        label=_("A phone number to call you back (optional)"),
        max_length=32,
        required=False,
        # A phone keypad, and no browser remembering the number on a shared phone.
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("Only if you want. It is deleted after a week."),
    )
    spoken = forms.ChoiceField(label=_("Language you speak"), required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    pow_challenge = forms.CharField(required=False, max_length=120, widget=forms.HiddenInput)
    pow_nonce = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    t = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spoken = self.fields["spoken"]
        assert isinstance(spoken, forms.ChoiceField)
        spoken.choices = [("", _("Same as this page")), *list(settings.DEFENSA_SPOKEN_LANGUAGES)]

    def clean_zip_code(self) -> str:
        value = self.cleaned_data.get("zip_code", "").strip()
        if value and not re.fullmatch(r"\d{5}", value):
            raise forms.ValidationError(_("A ZIP code is five digits."))
        return value

    def clean_callback(self) -> str:
        value = self.cleaned_data.get("callback", "").strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, "US")
        except phonenumbers.NumberParseException as exc:
            raise forms.ValidationError(_("This is not a phone number.")) from exc
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("This is not a phone number."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise forms.ValidationError(_("The map point is incomplete; tap the map again."))
        return data

    def point(self) -> tuple[float, float] | None:
        lat, lng = self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        return (round(lat, 5), round(lng, 5)) if lat is not None and lng is not None else None

    def observed_at(self) -> datetime | None:
        when = self.cleaned_data.get("when")
        if when == "now":
            return timezone.now()
        if when == "hour":
            return timezone.now() - timedelta(minutes=30)
        return None
