from pathlib import Path

from defensa.campaigns.importers.base import Importer
from defensa.campaigns.importers.ice_287g import Agencies287g
from defensa.campaigns.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import ICE's 287(g) participating and pending agency workbooks (.xlsx); which list "
        "each file is comes from its columns. Importing the same file again changes nothing."
    )

    def importer_for(self, path: Path) -> Importer:
        return Agencies287g()
