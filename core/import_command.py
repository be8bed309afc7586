"""The shared shape of ``import_assets``, ``import_parts``, ``import_work_orders`` ..."""

import csv
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context
from tqdm import tqdm

from core.exceptions import InvalidInput
from core.importing import Importer, ImportReport, read_rows
from core.models import User


class ImportCommand(BaseCommand, ABC):
    """``import_x --tenant SCHEMA FILE [--dry-run] [--report rejected.csv] [--as USERNAME]``.

    Exits with status 1 when any row was rejected (the accepted rows are saved,
    unless --dry-run), so a script can notice.
    """

    what = "records"

    @abstractmethod
    def importer(self, by: User | None) -> Importer:
        """The importer for this command's kind of record."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV, XLSX or JSON file")
        parser.add_argument("--tenant", required=True, help="Schema of the tenant to import into")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, save nothing")
        parser.add_argument("--report", type=Path, help="Write rejected rows to this CSV file")
        parser.add_argument("--as", dest="username", help="Record the import as this user's work")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        from tenants.models import Tenant

        tenant = Tenant.objects.filter(schema_name=options["tenant"], ready=True).first()
        if tenant is None:
            raise CommandError(f"No ready tenant with schema {options['tenant']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            rows = read_rows(path)
        except InvalidInput as exc:
            raise CommandError(" ".join(exc.errors["file"])) from exc

        with tenant_context(tenant):
            by = None
            if options["username"]:
                by = User.objects.filter(username=options["username"]).first()
                if by is None:
                    raise CommandError(
                        f"No user {options['username']!r} in tenant {tenant.schema_name}."
                    )
            with tqdm(
                total=len(rows),
                desc=f"Importing {self.what}",
                unit="row",
                file=sys.stderr,
                disable=options["no_progress"],
            ) as bar:
                report = self.importer(by).run(
                    rows, dry_run=options["dry_run"], progress=bar.update
                )
        self._print(report, options["report"])
        if report.rejected:
            raise CommandError(f"{len(report.rejected)} rows rejected.", returncode=1)

    def _print(self, report: ImportReport, report_path: Path | None) -> None:
        for rejected in report.rejected:
            key = f" ({rejected.key})" if rejected.key else ""
            self.stdout.write(self.style.WARNING(f"row {rejected.number}{key}: {rejected.reason}"))
        self.stdout.write(
            self.style.SUCCESS(report.summary()) if not report.rejected else report.summary()
        )
        if report_path is not None:
            with report_path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["row", "key", "reason"])
                for rejected in report.rejected:
                    writer.writerow([rejected.number, rejected.key, rejected.reason])
