from core.import_command import ImportCommand
from core.importing import Importer
from core.models import User


class Command(ImportCommand):
    help = (
        "Import PM schedules from CSV, XLSX or JSON, matched by name. Columns: the API's schedule "
        "fields; assets as asset_ids separated by commas; template and calendar by name; "
        "condition_metric / condition_operator / condition_threshold / condition_duration_minutes. "
        "Re-running updates, never duplicates."
    )
    what = "schedules"

    def importer(self, by: User | None) -> Importer:
        from maintenance.pm.importing import ScheduleImporter

        return ScheduleImporter(by=by)
