"""The one definition of acceptable text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from defensa.core.validation import BIDI, INVISIBLE, clean_text


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


HOSTILE = {
    "control character": "Mari\x07a",
    "null byte": "Maria\x00",
    "bidi override": "Maria \u202egnp.exe",
    "bidi isolate": "\u2066admin\u2069",
    "zero-width space": "Ma\u200bria",
    "byte-order mark": "\ufeffMaria",
    "replacement character (undecodable bytes)": "Mar\ufffda",
    "lone surrogate": "Mar\ud800a",
    "private use": "Maria\ue000",
    "newline in a one-line field": "Maria\nAdmin",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_refused_with_a_reason(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        clean_text(value, max_length=80)
    assert refused.value.messages[0].startswith("This contains")


def test_too_long_text_says_how_long_it_may_be() -> None:
    with pytest.raises(ValidationError) as refused:
        clean_text("a" * 81, max_length=80)
    assert "at most 80 characters (it has 81)" in refused.value.messages[0]


def test_real_names_in_many_scripts_are_accepted() -> None:
    for name in [
        "Doña Chela",
        "Jean-Baptiste",
        "Nguyễn",
        "Xóchitl",
        "B'alam",
        "محمد",
        "👩🏽‍🌾 Rosa",
    ]:
        assert clean_text(name, max_length=80) == unicodedata.normalize("NFC", name)


def test_multiline_text_keeps_newlines_and_tabs() -> None:
    assert clean_text("uno\r\ndos\tres", max_length=80, multiline=True) == "uno\ndos\tres"


def test_text_is_normalized_so_lookalike_spellings_compare_equal() -> None:
    assert clean_text("Jose\u0301", max_length=10) == "José"


@given(st.text(max_size=100))
def test_accepted_text_never_holds_forbidden_characters(value: str) -> None:
    try:
        cleaned = clean_text(value, max_length=100)
    except ValidationError:
        return
    assert not (set(cleaned) & (BIDI | INVISIBLE | {"\ufffd"}))
    assert all(unicodedata.category(c) not in {"Cc", "Cs", "Co", "Cn"} for c in cleaned)
    assert clean_text(cleaned, max_length=100) == cleaned
