"""Run one sync of a connection by hand, here and now (the worker does it when asked)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_tenant_model, tenant_context

from cmms_sync.choices import COUNT_KEYS, Direction, RunEntity
from cmms_sync.models import Connection
from cmms_sync.services.runs import run_execute, run_request
from core.exceptions import Conflict, InvalidInput


class Command(BaseCommand):
    help = "Sync one connection to another CMMS now and print how the run ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="The tenant's schema name")
        parser.add_argument("--connection", required=True, type=int, help="The connection id")
        parser.add_argument("--entity", default=RunEntity.ALL, choices=RunEntity.values)
        parser.add_argument("--direction", choices=Direction.values, default=None)
        parser.add_argument("--force", action="store_true", help="Re-read everything")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = get_tenant_model().objects.filter(schema_name=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with schema {options['tenant']!r}.")
        with tenant_context(tenant):
            connection = Connection.objects.filter(pk=options["connection"]).first()
            if connection is None:
                raise CommandError(f"No connection {options['connection']} in {tenant}.")
            try:
                run = run_request(
                    by=None,
                    connection=connection,
                    entity=options["entity"],
                    direction=options["direction"],
                    force_sync=options["force"],
                )
            except (Conflict, InvalidInput) as exc:
                raise CommandError(str(exc)) from exc
            # Run here rather than wait for a worker: the queued task finds it finished.
            finished = run_execute(run.pk)
        if finished is None:
            raise CommandError("The run was taken by a worker meanwhile.")
        counts = ", ".join(f"{key} {finished.counts.get(key, 0)}" for key in COUNT_KEYS)
        self.stdout.write(f"Run {finished.pk}: {finished.status} ({counts}) {finished.detail}")
        for error in finished.errors[:20]:
            self.stdout.write(f"  {error['external_id']}: {error['error']}")
        if finished.status == "failed":
            raise CommandError("The run failed.")
