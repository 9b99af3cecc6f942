from pathlib import Path

from defensa.campaigns.importers.base import Importer
from defensa.campaigns.importers.detention_stats import DetentionStats
from defensa.campaigns.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = "Import the per-facility table of ICE's detention statistics workbook (.xlsx)."
    many = False

    def importer_for(self, path: Path) -> Importer:
        return DetentionStats()
