"""A tenant of the benchmark database, provisioned once and emptied between runs."""

from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tenants.services import tenant_provision

PASSWORD = "Bench-Pass-2026!"


def bench_tenant(schema: str) -> Tenant:
    tenant = Tenant.objects.filter(schema_name=schema).first()
    if tenant is None:
        tenant = tenant_provision(
            schema_name=schema,
            domain=f"{schema.replace('_', '-')}.localhost",
            name=f"Bench {schema}",
            admin_email=f"bench@{schema.replace('_', '-')}.test",
            admin_password=PASSWORD,
        ).tenant
    return tenant


def truncate(tenant: Tenant, *tables: str) -> None:
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE "
            + ", ".join(f'"{tenant.schema_name}"."{t}"' for t in tables)
            + " RESTART IDENTITY CASCADE"
        )
