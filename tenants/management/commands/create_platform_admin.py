import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_public_schema_name, schema_context

from core.models import User


class Command(BaseCommand):
    help = "Create a platform staff account (public admin) if it does not exist yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="E-mail, also the username")
        parser.add_argument(
            "--password-env",
            default="PLATFORM_ADMIN_PASSWORD",
            help="Environment variable holding the password (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(options["password_env"], "")
        if not password:
            raise CommandError(
                f"Set the password in the environment variable {options['password_env']}."
            )
        with schema_context(get_public_schema_name()):
            if User.objects.filter(username__iexact=options["email"]).exists():
                self.stdout.write(f"Platform admin {options['email']} already exists.")
                return
            User.objects.create_superuser(options["email"], options["email"], password)
        self.stdout.write(self.style.SUCCESS(f"Platform admin {options['email']} created."))
