"""Spanish and English are complete; catalogs compile without gettext; the switcher works."""

from __future__ import annotations

import polib
import pytest
from django.test import Client
from django.utils import translation

from defensa.core import i18n


@pytest.fixture(scope="module")
def extracted() -> list[i18n.Message]:
    return i18n.extract()


@pytest.fixture(scope="module")
def spanish() -> polib.POFile:
    return polib.pofile(str(i18n.catalog_path("es")))


def test_extraction_finds_strings_in_code_and_templates(extracted: list[i18n.Message]) -> None:
    locations = {m.location.split(":")[0] for m in extracted}
    assert any(path.endswith(".html") for path in locations)
    assert any("/actions/" in path or path.endswith("actions.py") for path in locations)
    plural = [m for m in extracted if m.plural]
    assert plural, "the roster's member count uses a plural form"


def test_spanish_translates_every_string_the_code_uses(
    extracted: list[i18n.Message], spanish: polib.POFile
) -> None:
    entries = {(e.msgid, e.msgctxt): e for e in spanish}
    problems = []
    for message in extracted:
        entry = entries.get((message.msgid, message.context))
        if entry is None:
            problems.append(f"missing: {message.msgid!r} ({message.location})")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {message.msgid!r}")
        elif message.plural and not all(entry.msgstr_plural.values()):
            problems.append(f"untranslated plural: {message.msgid!r}")
        elif not message.plural and not entry.msgstr:
            problems.append(f"untranslated: {message.msgid!r} ({message.location})")
    assert problems == [], "run manage.py extractmessages and translate:\n" + "\n".join(problems)


def test_spanish_keeps_every_placeholder(spanish: polib.POFile) -> None:
    for entry in spanish:
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert i18n.placeholders(text) == i18n.placeholders(entry.msgid), entry.msgid


def test_catalog_holds_no_stale_strings(
    extracted: list[i18n.Message], spanish: polib.POFile
) -> None:
    used = {(m.msgid, m.context) for m in extracted}
    stale = [e.msgid for e in spanish if (e.msgid, e.msgctxt) not in used]
    assert stale == []


def test_compiled_catalog_is_what_django_reads() -> None:
    written = i18n.compile_catalogs()
    assert any(path.name == "django.mo" for path in written)
    with translation.override("es"):
        assert translation.gettext("Sign in") == "Entrar"
        assert translation.ngettext("%(counter)s member", "%(counter)s members", 2) == (
            "%(counter)s integrantes"
        )
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


@pytest.mark.django_db
def test_spanish_is_the_default_and_the_switcher_changes_language() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/")
    assert page["Content-Language"] == "es"
    assert "Comités para la defensa" in page.content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    page = client.get("/")
    assert page["Content-Language"] == "en"
    assert "Committees for the defense" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert "Comités para la defensa" in client.get("/").content.decode()


@pytest.mark.django_db
def test_unknown_language_choice_falls_back_to_spanish() -> None:
    client = Client()
    client.cookies["django_language"] = "xx"
    assert client.get("/")["Content-Language"] == "es"


def test_template_strings_with_apostrophes_are_extracted(extracted: list[i18n.Message]) -> None:
    # templatize() writes these with double quotes; they must not slip past the catalog check.
    msgids = {m.msgid for m in extracted}
    assert any(msgid.startswith("Lost a phone, or signed in on someone else's") for msgid in msgids)
