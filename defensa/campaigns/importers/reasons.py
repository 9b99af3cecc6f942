"""Why an import refused a file or a row, as codes with parameters: stored as data, shown in
the reader's language. Every code has one whole translated sentence with named placeholders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Problems with a whole file: nothing is imported.
FILE: dict[str, Promise] = {
    "file_too_large": _("The file is too large: at most %(limit)s bytes."),
    "empty_file": _("The file is empty."),
    "not_a_zip": _("This is not an Excel workbook (.xlsx): it is not a zip archive."),
    "corrupt_zip": _("The workbook is damaged and cannot be read (%(detail)s)."),
    "too_many_members": _("The workbook holds too many parts (more than %(limit)s)."),
    "member_too_large": _(
        "A part of the workbook (%(member)s) would unpack to more than %(limit)s bytes."
    ),
    "total_too_large": _("The workbook would unpack to more than %(limit)s bytes."),
    "compression_ratio": _(
        "A part of the workbook (%(member)s) is compressed %(ratio)s times: this looks like a "
        "zip bomb, not a spreadsheet."
    ),
    "encrypted": _("The workbook is encrypted or password-protected."),
    "xml_entities": _("The workbook declares XML entities (%(member)s), which are refused."),
    "xml_malformed": _("A part of the workbook (%(member)s) is not well-formed XML."),
    "not_a_workbook": _("This zip archive is not an Excel workbook (no xl/workbook.xml)."),
    "unreadable_workbook": _("The workbook cannot be read: %(detail)s"),
    "no_sheet": _("The workbook has no sheet named %(sheet)s."),
    "no_header": _("No header row was found in the first %(limit)s rows (expected %(columns)s)."),
    "missing_columns": _("The sheet lacks the columns %(columns)s."),
    "too_many_rows": _("The sheet has more than %(limit)s rows; split it or check it."),
    "too_many_formulas": _("The sheet has more than %(limit)s formulas."),
    "unknown_kind": _("Cannot tell what this file is (%(name)s)."),
    "no_date": _(
        "Cannot tell the date of this list from its name or contents; give it explicitly."
    ),
    "not_gzip": _("The file is not a gzip-compressed text file."),
    "not_json": _("The file is not valid JSON (%(detail)s)."),
    "not_text": _("The file is not UTF-8 text."),
    "bad_structure": _("The file does not have the expected structure (%(detail)s)."),
    "no_rows": _("The file has no data rows."),
}

# Problems with one row or one value of it.
ROW: dict[str, Promise] = {
    "missing_value": _("%(column)s is empty."),
    "unknown_state": _("“%(value)s” is not a US state or territory."),
    "unknown_model": _("“%(value)s” is not a 287(g) model."),
    "unknown_type": _("“%(value)s” is not an agency type (county, municipality, state)."),
    "duplicate": _("Repeats row %(row)s (same agency and model)."),
    "duplicate_facility": _("Repeats row %(row)s (same facility)."),
    "formula_without_value": _(
        "%(column)s is a formula with no saved value (formulas are never computed here)."
    ),
    "too_long": _("%(column)s is longer than %(limit)s characters."),
    "date_unreadable": _("“%(value)s” is not a date."),
    "date_ambiguous": _("“%(value)s” could be more than one date."),
    "date_out_of_range": _("%(value)s is not a possible date here (from %(low)s to %(high)s)."),
    "county_unmatched": _("“%(value)s” is not a county of %(state)s."),
    "link_missing": _("The cell says “%(value)s” but carries no link."),
    "url_refused": _("“%(value)s” is not a web address (http or https)."),
    "number_unreadable": _("%(column)s: “%(value)s” is not a number."),
    "coordinates_refused": _("The coordinates (%(lat)s, %(lng)s) are not a place in the US."),
}


# How the date of a list was found, when it was not simply the file name's.
AS_OF: dict[str, Promise] = {
    "as_of_given": _("The date was given when importing."),
    "as_of_year_corrected": _(
        "The file name says %(named)s but the workbook was saved on %(saved)s: read as "
        "%(saved)s (the year in the name is a typo)."
    ),
    "as_of_from_saved": _("No date in the file name: the workbook's saved date, %(saved)s."),
    "as_of_from_contents": _("No date in the file name: the latest date in the file, %(date)s."),
    "as_of_from_metadata": _("The date the file itself states, %(date)s."),
    "data_pulled": _("ICE pulled these figures from its systems on %(date)s."),
}


def describe(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The reason in the active language."""
    template = FILE.get(code) or ROW.get(code) or AS_OF.get(code)
    if template is None:
        return code
    try:
        return str(template) % dict(params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)


def describe_note(note: Mapping[str, Any] | None) -> str:
    """A stored {"code": ..., params} note in the active language ("" for none)."""
    if not note or "code" not in note:
        return ""
    params = {k: v for k, v in note.items() if k != "code"}
    return describe(str(note["code"]), params)


class ImportRefused(Exception):
    """A whole file is refused; nothing was written."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return describe(self.code, self.params)

    def __str__(self) -> str:
        return self.message
