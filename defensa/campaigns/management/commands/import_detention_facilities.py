from pathlib import Path

from defensa.campaigns.importers.base import Importer
from defensa.campaigns.importers.facilities import IcewatchFacilities, UwchrFacilities
from defensa.campaigns.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import detention facility lists with coordinates: UWCHR's facilities.csv.gz (DETLOC "
        "codes) and icewatch's facilities_geocoded_*.json. Import UWCHR's first: the other is "
        "matched to it by name and address."
    )

    def importer_for(self, path: Path) -> Importer:
        if path.name.casefold().endswith(".json"):
            return IcewatchFacilities()
        return UwchrFacilities()
