from pathlib import Path

from defensa.campaigns.importers.base import Importer
from defensa.campaigns.importers.ice_offices import IceOffices
from defensa.campaigns.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import the ICE office list with coordinates (ice-offices.xlsx)."
    many = False

    def importer_for(self, path: Path) -> Importer:
        return IceOffices()
