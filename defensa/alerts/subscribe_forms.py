"""The public sign-up for alerts: how (e-mail, a phone call, or this browser's push), the
language, and where (ZIP codes, a committee zone, or "where I am", kept as one coarse cell).

Forms only check the shape of what was sent; the action decides whether it can be served."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensa.alerts import subscriptions
from defensa.alerts.models import Channel
from defensa.core.validation import SafeCharField
from defensa.network.models import Zone

ZIP_WORD = re.compile(r"\d+")
MAX_ZONE_CHOICES = 200


def zone_choices() -> list[tuple[str, str]]:
    """Every committee's zones, named "zone (committee)", for the sign-up's list."""
    zones = Zone.objects.select_related("committee").order_by("committee__name", "name")[
        :MAX_ZONE_CHOICES
    ]
    return [("", "—")] + [(str(z.code), f"{z.name} ({z.committee.name})") for z in zones]


class AreaForm(forms.Form):
    """Where: shared by the page's form and the push sign-up (which posts JSON)."""

    language = forms.ChoiceField(label=_("Language of the alerts"), choices=settings.LANGUAGES)
    zips = SafeCharField(
        label=_("ZIP codes"),
        max_length=60,
        required=False,
        help_text=_("One or more, separated by spaces, for example 60623 60608."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    zone = forms.ChoiceField(label=_("Or a committee zone"), required=False, choices=())
    # "Where I am" (with JavaScript): only the coarse cell around the point is kept.
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = zone_choices()  # type: ignore[attr-defined]

    def clean_zips(self) -> list[str]:
        value = self.cleaned_data.get("zips", "")
        words = ZIP_WORD.findall(value)
        if re.sub(r"[\d\s,;-]", "", value):
            raise forms.ValidationError(_("Write ZIP codes with digits only, like 60623."))
        for word in words:
            if len(word) != 5:
                raise forms.ValidationError(
                    _("%(number)s is not a ZIP code: it has five digits, like 60623.")
                    % {"number": word[:10]}
                )
        return list(dict.fromkeys(words))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lng") is None):
            raise forms.ValidationError(_("That place could not be used."))
        chose = data.get("zips") or data.get("zone") or data.get("lat") is not None
        if not chose and not any(name in self.errors for name in ("zips", "zone", "lat", "lng")):
            raise forms.ValidationError(
                _("Choose where: a ZIP code, a zone or your place on the map.")
            )
        return data

    def area(self) -> subscriptions.Area:
        data = self.cleaned_data
        cell = ""
        if data.get("lat") is not None and data.get("lng") is not None:
            cell = subscriptions.Area.around(data["lat"], data["lng"]).cell
        zones = (data["zone"],) if data.get("zone") else ()
        return subscriptions.Area(zips=tuple(data.get("zips") or ()), zones=zones, cell=cell)


HOW = [
    (Channel.EMAIL, _("By e-mail")),
    (Channel.VOICE, _("By a phone call (the alert is read aloud)")),
]


class SubscribeForm(AreaForm):
    how = forms.ChoiceField(
        label=_("How do you want to receive alerts?"), choices=HOW, widget=forms.RadioSelect
    )
    email = forms.EmailField(
        label=_("E-mail address"), required=False, max_length=254, widget=forms.EmailInput
    )
    phone = forms.CharField(
        label=_("Phone number for the call"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    field_order = ["how", "email", "phone", "language", "zips", "zone", "lat", "lng"]

    def __init__(self, *args: Any, email_offered: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not email_offered:
            self.fields["how"].choices = [c for c in HOW if c[0] != Channel.EMAIL]  # type: ignore[attr-defined]
            del self.fields["email"]

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "").strip()
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
        # The address first: every missing part is shown at once.
        data = self.cleaned_data
        how = data.get("how")
        if how == Channel.EMAIL and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Write the e-mail address to send alerts to."))
        if how == Channel.VOICE and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Write the phone number to call."))
        return super().clean()

    def address(self) -> str:
        data = self.cleaned_data
        return str(data["email"] if data["how"] == Channel.EMAIL else data["phone"])


class UnsubscribePushForm(forms.Form):
    endpoint = forms.URLField(max_length=subscriptions.MAX_ENDPOINT, assume_scheme="https")
