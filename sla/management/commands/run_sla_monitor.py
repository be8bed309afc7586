"""Run one SLA monitor pass in one tenant by hand (the beat job does it every minute)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_tenant_model, tenant_context

from sla.services.monitor import monitor_pass


class Command(BaseCommand):
    help = "Record and announce the SLA warnings, violations and escalations due in a tenant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's schema name")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = get_tenant_model().objects.filter(schema_name=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with schema {options['tenant']!r}.")
        with tenant_context(tenant):
            report = monitor_pass()
        self.stdout.write(
            f"{tenant.schema_name}: {report.warnings} warnings, {report.violations} violations, "
            f"{report.escalations} escalation steps"
        )
