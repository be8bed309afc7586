import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import InvalidInput
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = (
        "Create a tenant: its schema, its domain and its first manager (who signs in with "
        "the admin e-mail). Running it again for the same tenant changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schema", help="PostgreSQL schema name, e.g. acme")
        parser.add_argument("--domain", required=True, help="Host name, e.g. acme.example.com")
        parser.add_argument("--name", required=True, help="Display name of the organisation")
        parser.add_argument("--admin-email", required=True, help="E-mail of the first manager")
        parser.add_argument(
            "--admin-password-env",
            default="TENANT_ADMIN_PASSWORD",
            help="Environment variable holding the manager's password (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        variable = options["admin_password_env"]
        password = os.environ.get(variable, "")
        if not password:
            raise CommandError(
                f"Set the manager's password in the environment variable {variable}."
            )
        started = time.perf_counter()
        try:
            result = tenant_provision(
                schema_name=options["schema"],
                domain=options["domain"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_password=password,
            )
        except InvalidInput as exc:
            problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items())
            raise CommandError(problems) from exc
        elapsed = time.perf_counter() - started
        tenant = result.tenant
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"Provisioned tenant {tenant.schema_name} in {elapsed:.2f}s")
            )
        else:
            self.stdout.write(f"Tenant {tenant.schema_name} already exists; nothing changed.")
        if result.manager_created:
            self.stdout.write(f"Manager {options['admin_email']} created.")
