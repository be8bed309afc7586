from core.import_command import ImportCommand
from core.importing import Importer
from core.models import User
from inventory.importers import PartImporter


class Command(ImportCommand):
    help = (
        "Import parts from a CSV, XLSX or JSON file into a tenant, with opening stock per "
        "location (recorded as receipts). Rows are matched by part_number, so running a file "
        "again updates instead of duplicating, and never adds opening stock twice. Columns: "
        "part_number, name, description, category, unit, reorder_point, reorder_quantity, "
        "unit_cost, active, vendor (name), location (code), quantity (opening stock at "
        "location), stock (MAIN:10; VAN-1:2)."
    )
    what = "parts"

    def importer(self, by: User | None) -> Importer:
        return PartImporter(by=by)
