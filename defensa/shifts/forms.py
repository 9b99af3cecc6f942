"""Forms validate input only; actions apply the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from defensa.network.models import Zone
from defensa.shifts.models import BlockKind, ShiftRole

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class TemplateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices)
    zone = forms.ChoiceField(label=_("Zone"), required=False)
    needed = forms.IntegerField(label=_("People per shift"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zones = {str(z.code): z for z in zones}
        field = cast(forms.ChoiceField, self.fields["zone"])
        field.choices = [("", _("Whole committee"))] + [
            (code, z.name) for code, z in self.zones.items()
        ]

    def clean_zone(self) -> Zone | None:
        value = self.cleaned_data.get("zone") or ""
        if value and value not in self.zones:
            raise forms.ValidationError(_("Unknown zone."))
        return self.zones.get(value)


class BlockForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Repeats"), choices=BlockKind.choices, initial=BlockKind.WEEKLY
    )
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), choices=WEEKDAYS, coerce=int, required=False
    )
    start_date = forms.DateField(
        label=_("From (date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(label=_("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_date = forms.DateField(
        label=_("Until (date; for one-off shifts, the day it ends)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class LimitsForm(forms.Form):
    max_hours_per_week = forms.IntegerField(
        label=_("Most hours of shifts per week"), min_value=1, max_value=168
    )
    max_consecutive_nights = forms.IntegerField(
        label=_("Most night shifts in a row"), min_value=0, max_value=7
    )
    min_rest_hours = forms.IntegerField(
        label=_("Least hours of rest between shifts"), min_value=0, max_value=48
    )


class AssignForm(forms.Form):
    membership = forms.UUIDField(label=_("Member"))


class CallForm(forms.Form):
    on_call = forms.TypedChoiceField(
        choices=[("1", _("On call")), ("0", _("Off call"))], coerce=lambda v: v == "1"
    )
