"""One definition of acceptable text, shared by forms and the API.

Text is normalized to NFC and refused, with a message that says why, when it holds control
characters, bidirectional overrides (which make a name display differently than it reads),
invisible formatting, private-use or unassigned code points, lone surrogates or U+FFFD (what
undecodable bytes become), or when it is longer than the field allows.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic_core import core_schema

# Bidirectional embeddings, overrides, isolates and marks.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Invisible characters that hide or disguise text. U+200D (joiner) stays: emoji need it.
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad\u180e")
MULTILINE_WHITESPACE = frozenset("\n\t")


def problem(value: str, *, max_length: int, multiline: bool = False) -> str | None:
    """Why `value` (already normalized) is not acceptable, or None."""
    if len(value) > max_length:
        return _("This is too long: at most %(limit)d characters (it has %(count)d).") % {
            "limit": max_length,
            "count": len(value),
        }
    for char in value:
        if char == "\ufffd":
            return _("This contains characters that could not be read. Please type it again.")
        if char in BIDI:
            return _("This contains invisible text-direction characters, which are not allowed.")
        if char in INVISIBLE:
            return _("This contains invisible characters, which are not allowed.")
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in MULTILINE_WHITESPACE):
            return _("This contains control characters, which are not allowed.")
        if category in {"Cs", "Co", "Cn"}:
            return _("This contains characters that are not allowed.")
    return None


def clean_text(value: Any, *, max_length: int, multiline: bool = False) -> str:
    """Normalize and check; raise ValidationError with a clear message."""
    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    value = value.replace("\r\n", "\n") if multiline else value
    normalized = unicodedata.normalize("NFC", value).strip()
    reason = problem(normalized, max_length=max_length, multiline=multiline)
    if reason:
        raise ValidationError(reason)
    return normalized


class SafeCharField(forms.CharField):
    """A form field that applies `clean_text`."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        # The browser limit is only a hint; the check below is the rule.
        super().__init__(max_length=None, strip=False, **kwargs)
        self.limit = max_length
        self.widget.attrs.setdefault("maxlength", str(max_length))

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return ""
        return clean_text(value, max_length=self.limit, multiline=self.multiline)


@dataclass(frozen=True)
class ApiText:
    """Pydantic metadata that applies `clean_text`: `Annotated[str, ApiText(80)]`."""

    max_length: int
    multiline: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.check,
            json_schema_input_schema=core_schema.str_schema(max_length=self.max_length),
        )

    def check(self, value: Any) -> str:
        try:
            return clean_text(value, max_length=self.max_length, multiline=self.multiline)
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from exc


def neutralize(value: str) -> str:
    """Text people send us, kept as they wrote it, except what could disguise it.

    Used for reports, which must never be refused for their characters: direction overrides
    and invisible formatting become visible markers like <U+202E>, control characters other
    than newlines and tabs are dropped, and line endings become plain newlines. Combining
    marks, joiners (emoji sequences) and every script are left untouched.
    """
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in value:
        if char in BIDI or char in INVISIBLE:
            out.append(f"<U+{ord(char):04X}>")
        elif unicodedata.category(char) in {"Cc", "Cs"} and char not in MULTILINE_WHITESPACE:
            continue
        else:
            out.append(char)
    return "".join(out)
