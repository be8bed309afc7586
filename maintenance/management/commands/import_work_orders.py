from core.import_command import ImportCommand
from core.importing import Importer
from core.models import User


class Command(ImportCommand):
    help = (
        "Import historical work orders from CSV, XLSX or JSON, matched by external_ref or number. "
        "Columns: the API's work order fields; asset_id; assigned_to / requested_by by username; "
        "actual_hours, labor_cost, parts_cost, other_cost. Re-running updates, never duplicates."
    )
    what = "work orders"

    def importer(self, by: User | None) -> Importer:
        from maintenance.importing import WorkOrderImporter

        return WorkOrderImporter(by=by)
