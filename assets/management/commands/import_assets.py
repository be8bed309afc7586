from core.import_command import ImportCommand
from core.importing import Importer
from core.models import User


class Command(ImportCommand):
    help = (
        "Import assets from CSV, XLSX or JSON. Columns are the API's asset fields; parent is "
        "the parent's asset_id (in any row order); location is a path like "
        "'Main Plant / Building A / Floor 2'. Re-running updates instead of duplicating."
    )
    what = "assets"

    def importer(self, by: User | None) -> Importer:
        from assets.importing import AssetImporter

        return AssetImporter(by=by)
