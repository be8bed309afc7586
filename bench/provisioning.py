"""Tenant provisioning: our clone-from-template service beside migrating a fresh schema."""

from django.core.management import call_command
from django.db import connection
from django_tenants.clone import CloneSchema

from bench import Figure, median_seconds
from tenants.models import Tenant
from tenants.services import template_schema_ensure, template_schema_name, tenant_provision

TITLE = "Tenant provisioning (median seconds per tenant)"
RUNS = 7
BASELINE_RUNS = 3
PASSWORD = "Bench-Pass-2026!"


def _drop(prefix: str) -> None:
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(schema_name__startswith=prefix):
        tenant.domains.all().delete()
        Tenant.objects.filter(pk=tenant.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            [prefix.replace("_", r"\_") + "%"],
        )
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _provision(i: int) -> None:
    tenant_provision(
        schema_name=f"bench_p{i}",
        domain=f"bench-p{i}.localhost",
        name=f"Bench {i}",
        admin_email=f"m{i}@bench.test",
        admin_password=PASSWORD,
    )


def _migrate_fresh(i: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "bench_m{i}"')
    call_command("migrate_schemas", schema_name=f"bench_m{i}", interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _clone_only(i: int) -> None:
    CloneSchema().clone_schema(template_schema_name(), f"bench_c{i}", "DATA")


def run() -> list[Figure]:
    for prefix in ("bench_p", "bench_m", "bench_c"):
        _drop(prefix)
    template_schema_ensure()  # built once per deployment, not per tenant
    try:
        ours = median_seconds(_provision, RUNS)
        fresh = median_seconds(_migrate_fresh, BASELINE_RUNS)
        clone = median_seconds(_clone_only, RUNS)
    finally:
        for prefix in ("bench_p", "bench_m", "bench_c"):
            _drop(prefix)
    return [
        Figure(
            "provision_tenant service",
            ours,
            "s",
            "CREATE SCHEMA + run every migration",
            fresh,
            "<= 2 s",
        ),
        Figure("provision_tenant service", ours, "s", "raw clone_schema() of the template", clone),
    ]
