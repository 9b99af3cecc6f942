"""Forms for the campaigns pages: they validate input only; `actions` applies the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensa.campaigns import geography
from defensa.campaigns.models import PolicyLevel
from defensa.core.validation import SafeCharField


class ImportForm(forms.Form):
    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "ICE's 287(g) participating or pending workbook (.xlsx), the ICE office list, "
            "a detention facility list (.csv.gz or .json) or ICE's detention statistics "
            "workbook."
        ),
    )
    as_of = forms.DateField(
        label=_("Date of the list (only if its file name does not say it)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_upload(self) -> Any:
        upload = self.cleaned_data["upload"]
        if upload.size > settings.DEFENSA_CAMPAIGN_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large: at most %(limit)s MB.")
                % {"limit": settings.DEFENSA_CAMPAIGN_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _state_choices() -> list[tuple[str, str]]:
    named = sorted(((s.postal, s.name) for s in geography.states().values()), key=lambda c: c[1])
    return [("", "—"), *named]


class PolicyForm(forms.Form):
    name = SafeCharField(
        label=_("Name"),
        max_length=200,
        help_text=_("As it is known, e.g. “California Values Act (SB 54)”."),
    )
    level = forms.ChoiceField(label=_("Level"), choices=PolicyLevel.choices)
    state = forms.ChoiceField(label=_("State"), choices=())
    place = SafeCharField(
        label=_("County or city (not for a state law)"),
        max_length=120,
        required=False,
    )
    adopted = forms.DateField(
        label=_("Adopted on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = SafeCharField(
        label=_("What it does"),
        max_length=2000,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    source_url = forms.URLField(
        label=_("Where to read it (link)"),
        max_length=480,
        required=False,
        assume_scheme="https",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _state_choices()  # type: ignore[attr-defined]
