"""The confirmer's form and the dispatcher's settle form: they validate input only; the rules
are `incidents.field`'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from defensa.core.validation import SafeCharField
from defensa.hotline.models import Activity, Agency
from defensa.incidents import field
from defensa.incidents.models import Disposition

OBSERVATIONS = {
    "size": _("How many agents and vehicles, in your words"),
    "activity": _("What they were doing"),
    "location": _("Where exactly, as you saw it"),
    "uniform": _("Uniforms, badges, agency markings"),
    "time": _("When you saw it (time)"),
    "equipment": _("Vehicles, plates, weapons, equipment"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class FindingForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("What did you find?"), choices=Disposition.choices, widget=forms.RadioSelect
    )
    activity = forms.ChoiceField(
        label=_("What were they doing?"), choices=Activity.choices, required=False
    )
    agency = forms.ChoiceField(label=_("Which agency?"), choices=Agency.choices, required=False)
    size = forms.IntegerField(
        label=_("How many agents or vehicles?"),
        min_value=0,
        max_value=field.MAX_SIZE,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = SafeCharField(
        label=_("Notes (what neighbors said, anything else)"),
        max_length=field.MAX_NOTES,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    photos = MultipleFileField(
        label=_("Photos or videos (optional)"),
        required=False,
        help_text=_(
            "The team sees copies without location or phone details; "
            "the original is kept sealed for the committee's lawyers."
        ),
        widget=MultipleFileInput(attrs={"accept": "image/*,video/*"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The SALUTE observations go between the choices and the notes, in SALUTE order.
        notes, photos = self.fields.pop("notes"), self.fields.pop("photos")
        for key, label in OBSERVATIONS.items():
            self.fields[f"seen_{key}"] = SafeCharField(
                label=label,
                max_length=field.MAX_OBSERVATION,
                required=False,
                widget=forms.TextInput(attrs={"dir": "auto"}),
            )
        self.fields["notes"], self.fields["photos"] = notes, photos

    def observation_fields(self) -> list[forms.BoundField]:
        return [self[f"seen_{key}"] for key in OBSERVATIONS]

    def observations(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"seen_{key}"] for key in OBSERVATIONS}

    def uploads(self) -> list[field.FieldFile]:
        return [
            field.FieldFile(data=upload.read(), content_type=upload.content_type or "")
            for upload in self.cleaned_data["photos"][: field.MAX_FILES + 1]
        ]


class SettleForm(forms.Form):
    disposition = forms.ChoiceField(choices=Disposition.choices)
