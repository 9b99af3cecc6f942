"""Translation catalogs without system gettext: extract with Babel, compile with polib.

`manage.py extractmessages` updates `defensa/locale/*/LC_MESSAGES/django.po` from the code and
templates; `manage.py compiletranslations` writes the `.mo` files Django reads. A test checks
that the Spanish catalog translates every string the code uses.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
SKIP_PARTS = {"migrations", "tests", "__pycache__", "locale", "static"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


@dataclass(frozen=True)
class Message:
    msgid: str
    plural: str | None
    context: str | None
    location: str


def source_files(root: Path | None = None) -> Iterator[Path]:
    root = root or settings.PACKAGE_DIR
    for path in sorted(root.rglob("*")):
        if SKIP_PARTS & set(path.relative_to(root).parts):
            continue
        if path.suffix in {".py", ".html", ".txt"} and path.is_file():
            yield path


def extract(root: Path | None = None) -> list[Message]:
    from django.utils.translation.template import templatize

    root = root or settings.PACKAGE_DIR
    found: dict[tuple[str, str | None], Message] = {}
    for path in source_files(root):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(root.parent))
        if path.suffix in {".html", ".txt"}:
            if "{% trans" not in text and "{% blocktrans" not in text:
                continue
            calls = _template_calls(templatize(text, origin=str(path)))
        else:
            calls = _python_calls(text)
        for lineno, singular, plural, context in calls:
            if singular:
                message = Message(singular, plural, context, f"{where}:{lineno}")
                found.setdefault((singular, context), message)
    return sorted(found.values(), key=lambda m: (m.msgid, m.context or ""))


Call = tuple[int, str, str | None, str | None]  # line, singular, plural, context


def _python_calls(text: str) -> Iterator[Call]:
    from babel.messages.extract import extract as babel_extract

    for lineno, message, _comments, context in babel_extract(
        "python", io.BytesIO(text.encode("utf-8")), keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            yield lineno, message[0], message[1], context
        else:
            yield lineno, message, None, context


# templatize() turns a template into text in which only the gettext calls are meaningful.
_STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(rf"\b(n?p?gettext)\(\s*({_STRING}(?:\s*,\s*{_STRING})*)")


def _template_calls(text: str) -> Iterator[Call]:
    for match in _TEMPLATE_CALL.finditer(text):
        name = match.group(1)
        strings = ast.literal_eval(f"({match.group(2)},)")
        lineno = text.count("\n", 0, match.start()) + 1
        context = strings[0] if name.startswith(("pgettext", "npgettext")) else None
        rest = strings[1:] if context is not None else strings
        plural = rest[1] if name.startswith(("ngettext", "npgettext")) and len(rest) > 1 else None
        yield lineno, rest[0], plural, context


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def catalog_path(language: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES" / "django.po"


def update_catalog(language: str, messages: list[Message]) -> tuple[int, int]:
    """Merge extracted messages into a language's catalog. Returns (added, removed)."""
    import polib

    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog = polib.pofile(str(path)) if path.exists() else polib.POFile()
    catalog.metadata.update(
        {
            "Project-Id-Version": "defensa",
            "Language": language,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "Plural-Forms": "nplurals=2; plural=(n != 1);",
        }
    )
    existing = {(e.msgid, e.msgctxt): e for e in catalog}
    wanted = {(m.msgid, m.context) for m in messages}
    added = 0
    for message in messages:
        entry = existing.get((message.msgid, message.context))
        if entry is None:
            entry = polib.POEntry(msgid=message.msgid, msgctxt=message.context, msgstr="")
            if message.plural is not None:
                entry.msgid_plural = message.plural
                entry.msgstr_plural = {0: "", 1: ""}
            catalog.append(entry)
            added += 1
        entry.occurrences = [tuple(message.location.rsplit(":", 1))]
        python_format = "%(" in message.msgid or re.search(r"%[sd]", message.msgid)
        if python_format and "python-format" not in entry.flags:
            entry.flags.append("python-format")
    removed = [e for e in catalog if (e.msgid, e.msgctxt) not in wanted]
    for entry in removed:
        catalog.remove(entry)
    catalog.sort(key=lambda e: (e.msgid, e.msgctxt or ""))
    catalog.save(str(path))
    return added, len(removed)


def compile_catalogs() -> list[Path]:
    import polib

    written: list[Path] = []
    for root in settings.LOCALE_PATHS:
        for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written
