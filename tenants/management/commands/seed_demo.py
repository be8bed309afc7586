from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Fill a tenant with realistic demo data. Each app that has demo data provides "
        "`seed_demo(stdout)` on its AppConfig; running the command again adds nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema", help="Schema of the tenant to fill, e.g. demo")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(schema_name=options["schema"], ready=True).first()
        if tenant is None:
            raise CommandError(f"No ready tenant with schema {options['schema']!r}.")
        with tenant_context(tenant):
            for config in apps.get_app_configs():
                seeder = getattr(config, "seed_demo", None)
                if callable(seeder):
                    self.stdout.write(f"Seeding {config.verbose_name}...")
                    seeder(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {tenant.schema_name}."))
