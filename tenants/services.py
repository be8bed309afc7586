"""Provisioning tenants.

A new tenant's schema is cloned from a template schema that is kept migrated
to the current code, which takes a fraction of a second where running every
migration would take many. The template is rebuilt whenever migrations on disk
are ahead of it. Provisioning is one transaction, serialised by an advisory
lock, and running it again for the same tenant changes nothing.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import (
    get_public_schema_name,
    schema_context,
    schema_exists,
    tenant_context,
)

from core.audit import audit_record
from core.exceptions import InvalidInput
from core.models import User
from core.roles import Role
from core.services import user_create
from tenants.models import Domain, Tenant

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
RESERVED_SCHEMAS = frozenset({"public", "information_schema", "pg_catalog", "pg_toast"})

# Keys of pg_advisory_xact_lock; arbitrary but fixed.
PROVISION_LOCK = 7_341_001
TEMPLATE_LOCK = 7_341_002


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    created: bool
    manager_created: bool


def template_schema_name() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


@cache
def _tenant_migrations_on_disk() -> frozenset[tuple[str, str]]:
    tenant_labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(key for key in loader.disk_migrations if key[0] in tenant_labels)


def _applied_migrations(schema_name: str) -> frozenset[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return frozenset()
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')  # noqa: S608
        return frozenset((app, name) for app, name in cursor.fetchall())


def schema_is_current(schema_name: str) -> bool:
    return _tenant_migrations_on_disk() <= _applied_migrations(schema_name)


def _migrate_schema(schema_name: str) -> None:
    call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _schema_clone(schema_name: str) -> None:
    """The template's tables, data and all, into a new schema.

    The clone copies each table with ``LIKE ... INCLUDING ALL``, which leaves a table's
    storage parameters behind (``fillfactor`` on the tables a migration tuned for
    in-place updates): they are set again from the template's.
    """
    template = template_schema_name()
    CloneSchema().clone_schema(template, schema_name, "DATA")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.reloptions IS NOT NULL",
            [template],
        )
        for table, options in cursor.fetchall():
            cursor.execute(f'ALTER TABLE "{schema_name}"."{table}" SET ({", ".join(options)})')


def template_schema_ensure() -> bool:
    """Build or rebuild the template schema if migrations are ahead of it. True if rebuilt."""
    template = template_schema_name()
    connection.set_schema_to_public()
    if schema_is_current(template):
        return False
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK])
        if schema_is_current(template):
            return False
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{template}" CASCADE')
            cursor.execute(f'CREATE SCHEMA "{template}"')
        # post_migrate syncs the role groups, so every clone starts with them.
        _migrate_schema(template)
    return True


def validate_provision_input(schema_name: str, domain: str, name: str, admin_email: str) -> None:
    errors: dict[str, list[str]] = {}
    if (
        not SCHEMA_NAME_RE.match(schema_name)
        or schema_name in RESERVED_SCHEMAS
        or (schema_name == template_schema_name() or schema_name.startswith("pg_"))
    ):
        errors["schema_name"] = [
            "Use 2-63 lowercase letters, digits or underscores, starting with a letter "
            "(not a reserved name)."
        ]
    if not DOMAIN_RE.match(domain):
        errors["domain"] = ["Enter a valid host name, such as acme.example.com."]
    if not name.strip():
        errors["name"] = ["This field is required."]
    try:
        validate_email(admin_email)
    except ValidationError:
        errors["admin_email"] = ["Enter a valid email address."]
    if not errors:
        errors.update(_conflicts(schema_name, domain))
    if errors:
        raise InvalidInput(errors)


def _conflicts(schema_name: str, domain: str) -> dict[str, list[str]]:
    """Clashes with what exists: a domain of another tenant, a schema with no tenant."""
    errors: dict[str, list[str]] = {}
    owner = (
        Domain.objects.filter(domain=domain).values_list("tenant__schema_name", flat=True).first()
    )
    if owner is not None and owner != schema_name:
        errors["domain"] = ["This domain already belongs to another tenant."]
    if not Tenant.objects.filter(schema_name=schema_name).exists() and schema_exists(
        schema_name, case_sensitive=False
    ):
        errors["schema_name"] = ["A schema with this name already exists."]
    return errors


def tenant_provision(
    *,
    schema_name: str,
    domain: str,
    name: str,
    admin_email: str,
    admin_password: str,
    by: User | None = None,
) -> ProvisionResult:
    """Create (or finish creating) a tenant, its schema, roles and first manager.

    The first manager signs in with their e-mail address as username. Running
    this again for an existing tenant creates nothing and changes nothing.
    """
    domain = domain.strip().lower()
    validate_provision_input(schema_name, domain, name, admin_email)
    template_schema_ensure()
    connection.set_schema_to_public()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PROVISION_LOCK])
        # Checked again under the lock: another provisioning may have just finished.
        conflicts = _conflicts(schema_name, domain)
        if conflicts:
            raise InvalidInput(conflicts)
        owner = Domain.objects.filter(domain=domain).first()

        tenant = Tenant.objects.filter(schema_name=schema_name).first()
        created = tenant is None
        if tenant is None:
            tenant = Tenant(schema_name=schema_name, name=name.strip())
            tenant.save()
            _schema_clone(schema_name)
        elif not schema_exists(schema_name) or not schema_is_current(schema_name):
            if not schema_exists(schema_name):
                _schema_clone(schema_name)
            else:
                _migrate_schema(schema_name)

        if owner is None:
            has_primary = Domain.objects.filter(tenant=tenant, is_primary=True).exists()
            Domain.objects.create(domain=domain, tenant=tenant, is_primary=not has_primary)

        with tenant_context(tenant):
            # Role groups come with the template; user_create heals a schema without them.
            manager_created = not User.objects.filter(username__iexact=admin_email).exists()
            if manager_created:
                user_create(
                    by=None,
                    username=admin_email,
                    email=admin_email,
                    password=admin_password,
                    role=Role.MANAGER,
                )

        if not tenant.ready:
            tenant.ready = True
            tenant.save(update_fields=["ready", "updated_at"])
        if created:
            with schema_context(get_public_schema_name()):
                audit_record(actor=by, action="tenant.provision", obj=tenant)
    connection.set_schema_to_public()
    return ProvisionResult(tenant=tenant, created=created, manager_created=manager_created)
