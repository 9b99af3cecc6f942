"""Forms for the campaign pages: they validate input only; `campaign_actions` applies the
rules (a real county of the state, a real phone number, a day that has come)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensa.campaigns.campaign_actions import MAX_LOGGED
from defensa.campaigns.campaign_models import ActionKind, CampaignStatus
from defensa.campaigns.forms import _state_choices
from defensa.core.validation import SafeCharField


def _long_text(label: Any, *, help_text: Any = "", max_length: int = 4000) -> SafeCharField:
    return SafeCharField(
        label=label,
        help_text=help_text,
        max_length=max_length,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )


class CampaignForm(forms.Form):
    title = SafeCharField(
        label=_("Name"),
        max_length=200,
        help_text=_("For example “End 287(g) in Galveston County”."),
    )
    state = forms.ChoiceField(label=_("State"), choices=())
    county = SafeCharField(
        label=_("County (empty for a campaign about the whole state)"),
        max_length=120,
        required=False,
    )
    goal = _long_text(_("What winning means"))
    asks = _long_text(_("Asks (one a line)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _state_choices()  # type: ignore[attr-defined]


class CampaignEditForm(forms.Form):
    title = SafeCharField(label=_("Name"), max_length=200)
    goal = _long_text(_("What winning means"))
    asks = _long_text(_("Asks (one a line)"))
    status = forms.ChoiceField(label=_("Status"), choices=CampaignStatus.choices)


class TargetForm(forms.Form):
    name = SafeCharField(label=_("Official's name"), max_length=120)
    office = SafeCharField(
        label=_("Office"), max_length=200, help_text=_("For example “Sheriff of Galveston County”.")
    )
    phone = SafeCharField(label=_("Office phone (public)"), max_length=40, required=False)
    email = forms.EmailField(label=_("Office e-mail (public)"), max_length=200, required=False)
    address = SafeCharField(label=_("Office address (public)"), max_length=300, required=False)


class ScriptForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())
    text = _long_text(
        _("Call-in script"),
        help_text=_("What to say on the phone. Leave it empty to remove this language's script."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.DEFENSA_SPOKEN_LANGUAGES)  # type: ignore[attr-defined]


class LogForm(forms.Form):
    kind = forms.ChoiceField(label=_("What you did"), choices=ActionKind.choices)
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=MAX_LOGGED, initial=1)
    day = forms.DateField(
        label=_("On"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class CorrectForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActionKind.choices)
    day = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    count = forms.IntegerField(label=_("Correct count"), min_value=0, max_value=100_000)
