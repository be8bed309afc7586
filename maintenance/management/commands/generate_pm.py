from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from maintenance.pm.generation import CHUNK_SIZE, pm_generate_due
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create the PM work orders now due in a tenant (what the beat job does every run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Schema of the tenant")
        parser.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE, help="States per transaction"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(schema_name=options["tenant"], ready=True).first()
        if tenant is None:
            raise CommandError(f"No ready tenant with schema {options['tenant']!r}.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        with tenant_context(tenant):
            report = pm_generate_due(chunk_size=options["chunk_size"])
        self.stdout.write(
            f"{len(report.created)} work orders created, {report.skipped} occurrences skipped."
        )
