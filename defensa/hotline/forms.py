"""Forms for the phone line's set-up: they validate input only; `line` applies the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from defensa.core.validation import SafeCharField
from defensa.hotline.line import MAX_LEGAL_TEXT
from defensa.hotline.models import Prompt

MAX_PROMPT_BYTES = 10 * 1024 * 1024


def _languages(field: forms.Field) -> None:
    cast(forms.ChoiceField, field).choices = [
        (code, name) for code, name in settings.DEFENSA_SPOKEN_LANGUAGES if code != "other"
    ]


class NumberForm(forms.Form):
    number = SafeCharField(
        label=_("Phone number"),
        max_length=32,
        help_text=_("The hotline number people call or text, e.g. +1 312 555 0000."),
    )


class PromptForm(forms.Form):
    key = forms.ChoiceField(label=_("Where in the menu"), choices=Prompt.Key.choices)
    language = forms.ChoiceField(label=_("Language of the recording"))
    digit = forms.IntegerField(
        label=_("Key that chooses this language (language choice only)"),
        min_value=1,
        max_value=9,
        required=False,
    )
    audio = forms.FileField(
        label=_("Recording"),
        help_text=_("MP3, WAV, M4A, OGG or AMR, up to two minutes. Do not say anyone's name."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _languages(self.fields["language"])

    def clean_audio(self) -> Any:
        upload = self.cleaned_data["audio"]
        if upload.size > MAX_PROMPT_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class LegalHelpForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"))
    text = SafeCharField(
        label=_("What the phone menu says on option 4 (leave empty to remove)"),
        max_length=MAX_LEGAL_TEXT,
        multiline=True,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _languages(self.fields["language"])


class TrustedTokenForm(forms.Form):
    label = SafeCharField(
        label=_("Who it is for"),
        max_length=80,
        help_text=_("A name the committee recognizes, e.g. “San Pío parish”."),
    )
