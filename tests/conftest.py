"""Shared fixtures: two real tenants on the real PostgreSQL and Redis.

The tenants ``alpha`` and ``beta`` are provisioned once per session, committed,
each with one user per role. Their usernames and ids are the same in both
tenants on purpose: that is what a cross-tenant token replay would exploit.
Ordinary tests run inside a transaction that is rolled back; tests that need
real commits (concurrency, live servers) use ``committed``, which cleans up.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, tenant_context
from rest_framework.test import APIClient

from core.auth.tokens import TenantAccessToken
from core.models import User
from core.roles import Role
from core.services import user_create
from tenants.models import Tenant
from tenants.services import tenant_provision

PASSWORD = "Correct-Horse-42!"
# Parallel runs (xdist workers, or two checkouts on one machine) share Redis pub/sub,
# which ignores database numbers; distinct schema names keep their events apart.
_suffix = os.environ.get("TEST_TENANT_SUFFIX", os.environ.get("PYTEST_XDIST_WORKER", ""))

# Tables a committed test may not wipe: migrations, permissions and the session's users.
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "core_user",
    "core_user_groups",
    "core_user_user_permissions",
}


@dataclass(frozen=True)
class TestTenant:
    tenant: Tenant
    domain: str
    users: dict[str, User]

    @property
    def schema(self) -> str:
        return self.tenant.schema_name


def _make_tenant(label: str) -> TestTenant:
    schema = f"{label}{'_' + _suffix if _suffix else ''}"
    domain = f"{schema.replace('_', '-')}.localhost"
    result = tenant_provision(
        schema_name=schema,
        domain=domain,
        name=f"{label.title()} Works",
        admin_email=f"owner@{domain}",
        admin_password=PASSWORD,
    )
    users: dict[str, User] = {}
    with tenant_context(result.tenant):
        for role in Role.values:
            users[role] = user_create(
                by=None,
                username=role,
                email=f"{role}@{domain}",
                password=PASSWORD,
                role=role,
                first_name=role.title(),
            )
    return TestTenant(tenant=result.tenant, domain=domain, users=users)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker) -> Iterator[None]:
    """Always create the test database, whether or not a test carries a django_db mark.

    Tests that commit for real (``committed``) carry no mark, and pytest-django
    would otherwise leave them pointed at the development database.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def test_tenants(django_db_setup, django_db_blocker) -> dict[str, TestTenant]:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        assert name.startswith("test_"), f"refusing to create test tenants in {name}"
        made = {"alpha": _make_tenant("alpha"), "beta": _make_tenant("beta")}
        connection.set_schema_to_public()
    return made


@pytest.fixture(scope="session")
def demo_tenant(test_tenants, django_db_blocker) -> TestTenant:
    """A third tenant holding what `make run` seeds, written once and committed, for the
    tests that walk the whole admin (they roll their own writes back). Seeding takes
    seconds; doing it once instead of per test saves most of them."""
    import io

    from django.apps import apps
    from django.db import transaction

    with django_db_blocker.unblock():
        made = _make_tenant("demo")
        with tenant_context(made.tenant), transaction.atomic():
            for config in apps.get_app_configs():
                seeder = getattr(config, "seed_demo", None)
                if callable(seeder):
                    seeder(stdout=io.StringIO())
            # The seed's after-commit work (events, e-mails, jobs) would reach the session's
            # live worker and change the data under the tests: these tests want none of it.
            connection.run_on_commit.clear()
        connection.set_schema_to_public()
    return made


@pytest.fixture
def alpha(test_tenants) -> TestTenant:
    return test_tenants["alpha"]


@pytest.fixture
def beta(test_tenants) -> TestTenant:
    return test_tenants["beta"]


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    # Counters (rate limits) from one test must not throttle the next, and no test
    # may inherit the schema a previous test's request left on the connection.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    connection.set_schema_to_public()


@pytest.fixture
def in_alpha(db, alpha) -> Iterator[TestTenant]:
    """Run the test's own queries in tenant alpha (inside the rolled-back transaction)."""
    connection.set_tenant(alpha.tenant)
    yield alpha
    connection.set_schema_to_public()


def bearer(tenant: TestTenant, user: User) -> str:
    with tenant_context(tenant.tenant):
        return str(TenantAccessToken.for_user(user))


@pytest.fixture
def api(db, alpha) -> Callable[..., APIClient]:
    """``api(role="manager", tenant=alpha)`` -> a client on that tenant's host, signed in."""

    def make(role: str | None = "manager", tenant: TestTenant | None = None) -> APIClient:
        tenant = tenant or alpha
        client = APIClient(HTTP_HOST=tenant.domain)
        if role is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(tenant, tenant.users[role])}")
        return client

    return make


@pytest.fixture
def admin_client(db, alpha) -> Callable[..., Client]:
    """``admin_client(role="manager", tenant=alpha)`` -> a signed-in session in that admin."""

    def make(role: str = "manager", tenant: TestTenant | None = None) -> Client:
        tenant = tenant or alpha
        client = Client(HTTP_HOST=tenant.domain)
        # Sessions live in the tenant's schema, so the login must happen there.
        with tenant_context(tenant.tenant):
            client.force_login(tenant.users[role])
        return client

    return make


def _seeded_tables(cursor) -> frozenset[str]:
    """The tables migrations seed in every tenant (default thresholds, the main storeroom...)."""
    global _SEEDED
    if _SEEDED is None:
        _SEEDED = frozenset(_non_empty(cursor, settings.TENANT_TEMPLATE_SCHEMA))
    return _SEEDED


_SEEDED: frozenset[str] | None = None


def _non_empty(cursor, schema: str) -> list[str]:
    """The tables of ``schema`` holding a row, found in one statement."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
    tables = [name for (name,) in cursor.fetchall() if name not in KEEP_TABLES]
    if not tables:
        return []
    probes = " UNION ALL ".join(
        f'SELECT %s WHERE EXISTS (SELECT 1 FROM "{schema}"."{name}")'  # noqa: S608
        for name in tables
    )
    cursor.execute(probes, tables)
    return [name for (name,) in cursor.fetchall()]


def _wipe_tenant(tenant: TestTenant) -> None:
    """Empty what a committed test wrote: only the tables holding rows are truncated
    (truncating every table costs more than most tests), then every sequence restarts
    and the seeded rows come back from the template."""
    keep_ids = [user.pk for user in tenant.users.values()]
    schema = tenant.schema
    template = settings.TENANT_TEMPLATE_SCHEMA
    with schema_context(schema), connection.cursor() as cursor:
        seeded = _seeded_tables(cursor)
        written = _non_empty(cursor, schema)
        if written:
            quoted = ", ".join(f'"{schema}"."{name}"' for name in written)
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
        # Every sequence of a table this wipe empties restarts, as RESTART IDENTITY would.
        cursor.execute(
            "SELECT setval(s.oid, 1, false) FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_class'::regclass "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE s.relkind = 'S' AND n.nspname = %s AND NOT (t.relname = ANY(%s))",
            [schema, sorted(KEEP_TABLES)],
        )
        for name in seeded:
            cursor.execute(f'INSERT INTO "{schema}"."{name}" SELECT * FROM "{template}"."{name}"')  # noqa: S608
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{schema}"."{name}"'])
            sequence = cursor.fetchone()[0]
            if sequence:
                cursor.execute(
                    f'SELECT setval(%s, (SELECT max(id) FROM "{schema}"."{name}"))',  # noqa: S608
                    [sequence],
                )
        extra = (
            f'SELECT id FROM "{tenant.schema}".core_user '  # noqa: S608
            "WHERE username NOT LIKE %s AND NOT (id = ANY(%s))"
        )
        for table in ("core_user_groups", "core_user_user_permissions"):
            cursor.execute(
                f'DELETE FROM "{tenant.schema}".{table} WHERE user_id IN ({extra})',  # noqa: S608
                ["owner@%", keep_ids],
            )
        cursor.execute(
            f'DELETE FROM "{tenant.schema}".core_user WHERE id IN ({extra})',  # noqa: S608
            ["owner@%", keep_ids],
        )
        # The session's user objects (and the tokens minted from them) are version 0.
        cursor.execute(f'UPDATE "{tenant.schema}".core_user SET token_version = 0')  # noqa: S608


@pytest.fixture
def committed(django_db_blocker, test_tenants) -> Iterator[dict[str, TestTenant]]:
    """Real commits (for concurrency and live servers); the tenants' data is wiped after."""
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        yield test_tenants
        connection.set_schema_to_public()
        for tenant in test_tenants.values():
            _wipe_tenant(tenant)


@pytest.fixture
def celery_eager() -> Iterator[None]:
    """Tasks the code under test sends run at once, in the test's thread and transaction
    (Celery's own eager mode), e.g. the delivery of an e-mail after a write commits."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def asgi_server(test_tenants):
    from tests.live import AsgiServer

    server = AsgiServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_worker(test_tenants):
    from tests.live import CeleryWorker

    worker = CeleryWorker()
    yield worker
    worker.stop()
