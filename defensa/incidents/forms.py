"""Forms validate input only; actions apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from defensa.incidents import triage


class PrioritiesForm(forms.Form):
    """One whole number of points (0 to 100) per triage rule."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in triage.DEFAULTS:
            self.fields[key] = forms.IntegerField(
                label=triage.LABELS[key], min_value=0, max_value=100
            )

    def points(self) -> dict[str, int]:
        return {key: int(self.cleaned_data[key]) for key in triage.DEFAULTS}
