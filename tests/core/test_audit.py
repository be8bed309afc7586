"""The audit trail: recorded by services, in the tenant's schema, read by managers."""

import pytest
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def create_user(client, username, request_id=None):
    headers = {"HTTP_X_REQUEST_ID": request_id} if request_id else {}
    return client.post("/api/v1/users/", {"username": username, "password": PASSWORD}, **headers)


def test_service_write_records_actor_action_object_changes_and_request_id(api, alpha):
    response = create_user(api("manager"), "audited", request_id="req-abc-123")

    assert response["X-Request-ID"] == "req-abc-123"
    with tenant_context(alpha.tenant):
        entry = AuditEntry.objects.get(action="user.create", object_repr="audited")
    assert entry.actor_id == alpha.users["manager"].pk
    assert entry.actor_username == "manager"
    assert entry.object_type == "core.user"
    assert entry.object_id == str(response.json()["id"])
    assert entry.object_repr == "audited"
    assert entry.changes["username"] == {"before": None, "after": "audited"}
    assert entry.request_id == "req-abc-123"
    assert entry.created_at is not None


def test_request_id_is_generated_when_missing_or_unsafe(api, alpha):
    client = api("manager")

    generated = create_user(client, "one")
    replaced = create_user(client, "two", request_id="bad id\nwith newline")

    assert len(generated["X-Request-ID"]) == 32
    assert replaced["X-Request-ID"] != "bad id\nwith newline"
    with tenant_context(alpha.tenant):
        ids = set(AuditEntry.objects.values_list("request_id", flat=True))
    assert {generated["X-Request-ID"], replaced["X-Request-ID"]} <= ids


def test_managers_read_the_audit_log_newest_first(api):
    client = api("manager")
    for name in ("first", "second", "third"):
        create_user(client, name)

    response = client.get("/api/v1/audit-log/", {"action": "user.create"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["object_repr"] for row in body["results"]][:3] == ["third", "second", "first"]
    assert body["results"][0]["changes"]["username"]["after"] == "third"


@pytest.mark.parametrize("role", ["planner", "technician", "requester", "viewer"])
def test_only_managers_read_the_audit_log(api, role):
    assert api(role).get("/api/v1/audit-log/").status_code == 403


def test_audit_log_is_per_tenant(api, alpha, beta):
    create_user(api("manager"), "alpha.person")

    beta_log = api("manager", tenant=beta).get("/api/v1/audit-log/").json()["results"]

    assert "alpha.person" not in {row["object_repr"] for row in beta_log}
    with tenant_context(beta.tenant):
        assert not AuditEntry.objects.filter(object_repr="alpha.person").exists()


def test_audit_log_is_read_only_in_the_admin(in_alpha, admin_client):
    create_user_entry = AuditEntry.objects.create(
        action="user.create", object_type="core.user", object_id="1"
    )
    client = admin_client("manager")

    listing = client.get("/admin/core/auditentry/")
    add = client.get("/admin/core/auditentry/add/")
    delete = client.post(f"/admin/core/auditentry/{create_user_entry.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEntry.objects.filter(pk=create_user_entry.pk).exists()


def test_api_writes_are_all_or_nothing(api, alpha):
    """A refused write leaves neither the object nor an audit entry behind."""
    with tenant_context(alpha.tenant):
        before = AuditEntry.objects.count()

    response = api("manager").post("/api/v1/users/", {"username": "weak", "password": "1"})

    assert response.status_code == 400
    with tenant_context(alpha.tenant):
        assert AuditEntry.objects.count() == before


def test_bulk_creation_audit_reads_like_a_snapshot_of_the_stored_row(in_alpha):
    """The database writes the creation audit of work orders in bulk; it must say what the
    Python snapshot of the same row says, value for value."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from core.audit import changes_between, snapshot
    from core.models import AuditEntry
    from maintenance.models import WorkOrder
    from maintenance.services.work_orders import AUDITED_FIELDS, work_order_create

    created = work_order_create(
        by=in_alpha.users["planner"],
        title="Align shaft",
        due_at=datetime(2027, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
        scheduled_start=datetime(2027, 3, 1, 8, tzinfo=UTC),
        estimated_hours=Decimal("2.5"),
        stops_asset=False,
    )

    stored = WorkOrder.objects.get(pk=created.pk)
    entry = AuditEntry.objects.get(action="work_order.create", object_id=str(created.pk))
    assert entry.changes == changes_between({}, snapshot(stored, AUDITED_FIELDS))
    assert entry.changes["due_at"]["after"] == "2027-03-04T05:06:07.000890+00:00"
    assert entry.object_repr == str(stored)
    assert entry.actor_username == "planner"
