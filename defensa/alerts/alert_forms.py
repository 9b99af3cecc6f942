"""Forms of the alert composer: they validate input only; `actions` applies the rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from defensa.alerts import compose
from defensa.alerts.models import Alert, AlertKind, Channel
from defensa.core.validation import SafeCharField
from defensa.network.models import Committee


def _hours_label(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def expiry_choices() -> list[tuple[str, str]]:
    return [(str(h), _hours_label(h)) for h in compose.EXPIRY_HOURS]


class ComposeForm(forms.Form):
    """Where, what to do and for how long; the rest comes from the incident."""

    place = forms.ChoiceField(label=gettext_lazy("Where (as the public will read it)"))
    advice = forms.ChoiceField(label=gettext_lazy("What people should do"))
    expires_in = forms.ChoiceField(label=gettext_lazy("Current for"))

    def __init__(
        self,
        *args: Any,
        kind: str,
        places: Sequence[compose.Place],
        committee: Committee,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self._choice("place").choices = [(p.key, p.label(committee)) for p in places]
        self._choice("advice").choices = compose.advice_choices(kind)
        self._choice("expires_in").choices = expiry_choices()
        self.fields["expires_in"].initial = str(compose.DEFAULT_HOURS[kind])

    def _choice(self, name: str) -> forms.ChoiceField:
        found = self.fields[name]
        assert isinstance(found, forms.ChoiceField)
        return found

    def expires_delta(self) -> timedelta:
        return timedelta(hours=int(self.cleaned_data["expires_in"]))


def text_field_name(language: str, channel: str) -> str:
    return f"text-{language}-{channel}"


class EditForm(ComposeForm):
    """A draft's choices and, below them, every text as it will be sent."""

    def __init__(
        self, *args: Any, alert: Alert, places: Sequence[compose.Place], **kw: Any
    ) -> None:
        super().__init__(*args, kind=alert.kind, places=places, committee=alert.committee, **kw)
        self.fields["expires_in"].required = False
        self._choice("expires_in").choices = [("", _("Keep the current expiry")), *expiry_choices()]
        self.fields["expires_in"].initial = ""
        if alert.corrects_id is not None:
            self.fields["place"].disabled = True
        self.fields["place"].initial = alert.choices.get("place")
        self.fields["advice"].initial = alert.choices.get("advice")
        for language in compose.languages():
            for channel in compose.CHANNELS:
                family = compose.FAMILY[channel]
                self.fields[text_field_name(language, channel)] = SafeCharField(
                    max_length=compose.MAX_LENGTH[family],
                    multiline=True,
                    required=False,
                    label=f"{language.upper()} · {Channel(channel).label}",
                    initial=alert.texts.get(language, {}).get(channel, ""),
                    widget=forms.Textarea(attrs={"rows": 4 if family == compose.EMAIL else 3}),
                )

    def expires_delta(self) -> timedelta | None:  # type: ignore[override]
        value = self.cleaned_data.get("expires_in")
        return timedelta(hours=int(value)) if value else None

    def texts(self) -> dict[str, dict[str, str]]:
        """The texts that were submitted (one left out is not one cleared)."""
        out: dict[str, dict[str, str]] = {}
        for language in compose.languages():
            for channel in compose.CHANNELS:
                name = text_field_name(language, channel)
                if name in self.data:
                    out.setdefault(language, {})[channel] = self.cleaned_data.get(name) or ""
        return out


class CorrectForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (AlertKind.FALSE_ALARM, gettext_lazy("It was a false alarm")),
            (AlertKind.ALL_CLEAR, gettext_lazy("All clear: it is over")),
        ]
    )
