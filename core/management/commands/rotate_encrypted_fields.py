"""Re-encrypt every stored secret under the newest key of FIELD_ENCRYPTION_KEYS.

Key rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old one
after it), run this in every tenant, then drop the old key.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django_tenants.utils import get_tenant_model, tenant_context

from core.crypto import EncryptedJSONField, reencrypt


def rotate_current_schema() -> int:
    """Re-encrypt the encrypted columns of every model in the current schema; rows changed."""
    changed = 0
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        if not fields or not _table_exists(model._meta.db_table):
            continue
        table = model._meta.db_table
        for field in fields:
            column = field.column
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL FOR UPDATE'  # noqa: S608
                )
                rows = cursor.fetchall()
                for pk, stored in rows:
                    cursor.execute(
                        f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s',  # noqa: S608
                        [reencrypt(stored), pk],
                    )
                changed += len(rows)
    return changed


def _table_exists(table: str) -> bool:
    return table in connection.introspection.table_names()


class Command(BaseCommand):
    help = "Re-encrypt stored secrets under the newest key (after adding a key)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="One tenant's schema (default: every tenant)")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = get_tenant_model().objects.exclude(schema_name="public")
        if options["tenant"]:
            tenants = tenants.filter(schema_name=options["tenant"])
        for tenant in tenants:
            with tenant_context(tenant):
                count = rotate_current_schema()
            self.stdout.write(f"{tenant.schema_name}: {count} secrets re-encrypted")
