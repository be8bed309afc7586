"""provision_tenant and the platform admin: one service, idempotent, validated."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists, tenant_context
from rest_framework.test import APIClient

from core.models import AuditEntry, User
from tenants.models import Domain, Tenant
from tenants.services import schema_is_current, template_schema_ensure, template_schema_name
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def provision(*args, **kwargs):
    out = io.StringIO()
    call_command("provision_tenant", *args, stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def admin_password(monkeypatch):
    monkeypatch.setenv("TENANT_ADMIN_PASSWORD", PASSWORD)


def test_provision_creates_schema_domain_roles_and_first_manager(admin_password):
    output = provision(
        "acme", domain="acme.localhost", name="Acme Mills", admin_email="boss@acme.test"
    )

    assert "Provisioned tenant acme" in output
    tenant = Tenant.objects.get(schema_name="acme")
    assert tenant.name == "Acme Mills"
    assert tenant.ready
    assert schema_exists("acme")
    assert Domain.objects.get(domain="acme.localhost").tenant == tenant
    with tenant_context(tenant):
        boss = User.objects.get(username="boss@acme.test")
        assert boss.role == "manager"
        assert boss.email == "boss@acme.test"
        assert boss.is_staff
        assert not boss.is_superuser
    signed_in = APIClient(HTTP_HOST="acme.localhost").post(
        "/api/v1/auth/token/", {"username": "boss@acme.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 200


def test_provisioning_twice_changes_nothing(admin_password, monkeypatch):
    provision("acme", domain="acme.localhost", name="Acme Mills", admin_email="boss@acme.test")
    tenant = Tenant.objects.get(schema_name="acme")
    with tenant_context(tenant):
        password_hash = User.objects.get(username="boss@acme.test").password

    monkeypatch.setenv("TENANT_ADMIN_PASSWORD", "A-different-Pass-9")
    output = provision(
        "acme", domain="acme.localhost", name="Renamed", admin_email="boss@acme.test"
    )

    assert "nothing changed" in output
    assert Tenant.objects.filter(schema_name="acme").count() == 1
    assert Domain.objects.filter(tenant__schema_name="acme").count() == 1
    tenant.refresh_from_db()
    assert tenant.name == "Acme Mills"
    with tenant_context(tenant):
        assert User.objects.count() == 1
        assert User.objects.get().password == password_hash


def test_password_comes_from_the_named_environment_variable(monkeypatch):
    monkeypatch.delenv("TENANT_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("ACME_PW", PASSWORD)

    with pytest.raises(CommandError, match="TENANT_ADMIN_PASSWORD"):
        provision("acme", domain="acme.localhost", name="Acme", admin_email="boss@acme.test")
    provision(
        "acme",
        domain="acme.localhost",
        name="Acme",
        admin_email="boss@acme.test",
        admin_password_env="ACME_PW",
    )

    assert Tenant.objects.filter(schema_name="acme", ready=True).exists()


@pytest.mark.parametrize(
    ("schema", "domain", "email", "message"),
    [
        ("Acme", "acme.localhost", "boss@acme.test", "schema_name"),
        ("public", "acme.localhost", "boss@acme.test", "schema_name"),
        ("tenant_template", "acme.localhost", "boss@acme.test", "schema_name"),
        ("pg_acme", "acme.localhost", "boss@acme.test", "schema_name"),
        ("acme;drop", "acme.localhost", "boss@acme.test", "schema_name"),
        ("acme", "not a host", "boss@acme.test", "domain"),
        ("acme", "acme.localhost", "not-an-email", "admin_email"),
        ("acme", "ALPHA-DOMAIN", "boss@acme.test", "domain"),
    ],
)
def test_bad_provisioning_input_is_refused_and_creates_nothing(
    admin_password, alpha, schema, domain, email, message
):
    domain = alpha.domain if domain == "ALPHA-DOMAIN" else domain
    tenants_before = Tenant.objects.count()

    with pytest.raises(CommandError, match=message):
        provision(schema, domain=domain, name="Acme", admin_email=email)

    assert Tenant.objects.count() == tenants_before
    assert schema in {"public", "tenant_template"} or not schema_exists(schema)


def test_weak_manager_password_is_refused(monkeypatch):
    monkeypatch.setenv("TENANT_ADMIN_PASSWORD", "123")

    with pytest.raises(CommandError, match="password"):
        provision("acme", domain="acme.localhost", name="Acme", admin_email="boss@acme.test")

    assert not Tenant.objects.filter(schema_name="acme").exists()
    assert not schema_exists("acme")


def test_template_is_rebuilt_when_migrations_are_ahead_of_it():
    template = template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {template}.django_migrations WHERE app = 'core'")  # noqa: S608
    assert not schema_is_current(template)

    assert template_schema_ensure() is True

    assert schema_is_current(template)
    assert template_schema_ensure() is False


def test_platform_staff_create_a_tenant_from_the_public_admin(db):
    with schema_context("public"):
        staff = User.objects.create_superuser("root", "root@platform.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)

    response = client.post(
        "/admin/tenants/tenant/add/",
        {
            "name": "Bolt Works",
            "schema_name": "bolt",
            "domain": "bolt.localhost",
            "admin_email": "chief@bolt.test",
            "admin_password": PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(schema_name="bolt")
    assert tenant.ready
    with tenant_context(tenant):
        assert User.objects.get(username="chief@bolt.test").role == "manager"
    with schema_context("public"):
        entry = AuditEntry.objects.get(action="tenant.provision", object_id=str(tenant.pk))
        assert entry.actor_username == "root"
        assert entry.object_id == str(tenant.pk)


def test_public_admin_form_shows_errors_instead_of_creating(db, alpha):
    with schema_context("public"):
        staff = User.objects.create_superuser("root", "root@platform.test", PASSWORD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)

    response = client.post(
        "/admin/tenants/tenant/add/",
        {
            "name": "Dup",
            "schema_name": "dup",
            "domain": alpha.domain,
            "admin_email": "x@y.test",
            "admin_password": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert b"already belongs to another tenant" in response.content
    assert not Tenant.objects.filter(schema_name="dup").exists()


def test_tenant_admin_shows_neither_tenants_nor_beat_schedules(admin_client):
    client = admin_client("manager")

    index = client.get("/admin/")

    assert index.status_code == 200
    assert b"/admin/core/user/" in index.content
    assert b"tenants/tenant" not in index.content
    assert b"django_celery_beat" not in index.content
    assert client.get("/admin/tenants/tenant/").status_code == 404


def test_manager_assigns_a_role_in_the_tenant_admin(alpha, admin_client):
    client = admin_client("manager")

    response = client.post(
        "/admin/core/user/add/",
        {
            "username": "admin.made",
            "email": "made@alpha.test",
            "role": "technician",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(alpha.tenant):
        made = User.objects.get(username="admin.made")
        assert made.role == "technician"
        assert AuditEntry.objects.filter(action="user.create", object_repr="admin.made").exists()

    changed = client.post(
        f"/admin/core/user/{made.pk}/change/",
        {
            "username": "admin.made",
            "email": "made@alpha.test",
            "role": "planner",
            "is_active": "on",
        },
    )

    assert changed.status_code == 302, changed.content.decode()[:3000]
    with tenant_context(alpha.tenant):
        made.refresh_from_db()
        assert made.role == "planner"


@pytest.mark.parametrize("role", ["technician", "requester", "viewer"])
def test_field_roles_cannot_use_the_tenant_admin(admin_client, role):
    client = admin_client(role)

    assert client.get("/admin/").status_code == 302  # to the login page
