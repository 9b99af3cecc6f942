"""What the import commands share: run one importer over paths, print the result, and turn
a refused file into a CommandError (nothing written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from defensa.campaigns import actions
from defensa.campaigns.importers.base import Importer, Source
from defensa.campaigns.importers.reasons import ImportRefused, describe, describe_note


class ImportCommand(BaseCommand):
    many = True

    def importer_for(self, path: Path) -> Importer:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+" if self.many else 1, type=Path)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help="The date the list describes (YYYY-MM-DD), when its name does not say it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = []
        for path in options["paths"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                result = actions.import_file(
                    actor=None,
                    committee=None,
                    source=Source(path.name, path=path),
                    importer=self.importer_for(path),
                    as_of=options["as_of"],
                )
            except ImportRefused as exc:
                failed.append(f"{path.name}: {exc.message}")
                self.stderr.write(f"{path.name}: refused, nothing imported: {exc.message}")
                continue
            sheet = result.sheet
            if not result.created:
                self.stdout.write(f"{path.name}: already imported on {sheet.imported_at:%Y-%m-%d}")
                continue
            note = describe_note(sheet.as_of_note)
            self.stdout.write(
                f"{path.name}: {sheet.get_kind_display()} as of {sheet.as_of}"
                + (f" ({note})" if note else "")
            )
            stored = result.stored
            self.stdout.write(
                f"  rows read {sheet.rows_read}, rejected {sheet.rows_rejected}, "
                f"added {stored.added}, ended {stored.ended}, updated {stored.updated}"
            )
            if sheet.stopped_at_row:
                self.stdout.write(f"  stopped reading at row {sheet.stopped_at_row} (blank rows)")
            for row in result.rejected:
                params = {"column": row.column, **row.params}
                self.stdout.write(
                    f"  row {row.row_number} [{row.get_outcome_display()}] "
                    f"{row.column}: {describe(row.reason, params)}"
                )
        if failed:
            raise CommandError("; ".join(failed))
