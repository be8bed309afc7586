"""Failures: recorded by hand or by completing breakdown work, listed per asset, newest first."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from assets.models import Failure
from core.models import AuditEntry
from maintenance.models import WorkOrder
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


def failures_url(asset_id: str) -> str:
    return f"/api/v1/assets/{asset_id}/failures/"


def test_a_technician_records_failures_and_they_list_newest_first(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    first = client.post(
        failures_url("PUMP-1"),
        {"occurred_at": "2026-03-01T08:00:00Z", "failure_mode": "seal leak", "downtime_hours": 4},
    )
    second = client.post(
        failures_url("PUMP-1"),
        {"occurred_at": "2026-05-01T08:00:00Z", "failure_mode": "bearing seized"},
    )
    listed = client.get(failures_url("PUMP-1")).json()["results"]
    march = client.get(
        failures_url("PUMP-1"), {"start": "2026-02-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}
    ).json()["results"]

    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert [f["failure_mode"] for f in listed] == ["bearing seized", "seal leak"]
    assert [f["failure_mode"] for f in march] == ["seal leak"]
    assert first.json()["downtime_hours"] == 4
    assert first.json()["recorded_by"] == in_alpha.users["technician"].pk
    assert AuditEntry.objects.filter(action="failure.record").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {},  # occurred_at is required
        {"occurred_at": "2999-01-01T00:00:00Z"},  # not in the future
        {"occurred_at": "2026-01-01T00:00:00Z", "downtime_hours": -1},
        {"occurred_at": "2026-01-01T00:00:00Z", "work_order": 987654},
        {"occurred_at": "2026-01-01T00:00:00Z", "failure_mode": "x" * 201},
        {"occurred_at": "2026-01-01T00:00:00Z", "mode": "misnamed field"},
    ],
)
def test_bad_failures_are_refused_and_change_nothing(api, in_alpha, body):
    AssetFactory(asset_id="PUMP-2")

    response = api("planner").post(failures_url("PUMP-2"), body, format="json")

    assert response.status_code == 400, response.content
    assert not Failure.objects.exists()


def test_a_failure_names_only_work_on_its_own_asset(api, in_alpha):
    pump, fan = AssetFactory(asset_id="PUMP-3"), AssetFactory(asset_id="FAN-3")
    on_fan = WorkOrderFactory(asset=fan)
    on_pump = WorkOrderFactory(asset=pump)
    client = api("planner")

    wrong = client.post(
        failures_url("PUMP-3"), {"occurred_at": "2026-01-01T00:00:00Z", "work_order": on_fan.pk}
    )
    right = client.post(
        failures_url("PUMP-3"), {"occurred_at": "2026-01-01T00:00:00Z", "work_order": on_pump.pk}
    )

    assert wrong.status_code == 400
    assert right.status_code == 201
    assert right.json()["work_order"] == on_pump.pk


def test_requesters_and_viewers_do_not_record_failures(api, in_alpha):
    AssetFactory(asset_id="PUMP-4")
    body = {"occurred_at": "2026-01-01T00:00:00Z"}

    assert api("requester").post(failures_url("PUMP-4"), body).status_code == 403
    assert api("viewer").post(failures_url("PUMP-4"), body).status_code == 403
    assert api("viewer").get(failures_url("PUMP-4")).status_code == 200


def test_failures_stay_in_their_tenant(api, alpha, beta):
    with tenant_context(alpha.tenant):
        AssetFactory(asset_id="SAME-1")
    with tenant_context(beta.tenant):
        AssetFactory(asset_id="SAME-1")

    api("planner", tenant=alpha).post(
        failures_url("SAME-1"), {"occurred_at": "2026-01-01T00:00:00Z"}
    )

    assert len(api("planner", tenant=alpha).get(failures_url("SAME-1")).json()["results"]) == 1
    assert api("planner", tenant=beta).get(failures_url("SAME-1")).json()["results"] == []


# --- From work orders ----------------------------------------------------------


def complete(client, order_id, **body):
    return client.post(f"/api/v1/work-orders/{order_id}/complete/", body, format="json")


def test_completing_breakdown_work_with_failed_at_records_one_failure(api, in_alpha):
    AssetFactory(asset_id="PRESS-1")
    client = api("planner")
    failed_at = (timezone.now() - timedelta(hours=6)).replace(microsecond=0)
    order = client.post(
        "/api/v1/work-orders/",
        {
            "title": "Hydraulic hose burst",
            "asset_id": "PRESS-1",
            "work_type": "emergency",
            "failed_at": failed_at.isoformat(),
        },
    ).json()
    client.post(f"/api/v1/work-orders/{order['id']}/start/")

    done = complete(client, order["id"], findings="hose chafed on frame", notes="new hose fitted")
    again = complete(client, order["id"])

    assert done.status_code == 200, done.content
    assert again.status_code == 409
    failure = Failure.objects.get()
    assert failure.work_order_id == order["id"]
    assert failure.occurred_at == failed_at
    assert failure.failure_mode == "Hydraulic hose burst"
    assert failure.cause == "hose chafed on frame"
    assert Decimal("5.9") < failure.downtime_hours < Decimal("6.1")


def test_failed_at_can_be_given_when_completing(api, in_alpha):
    asset = AssetFactory()
    order = WorkOrderFactory(asset=asset, work_type="corrective", status="in_progress")

    response = complete(api("planner"), order.pk, failed_at="2026-01-05T10:00:00Z")

    assert response.status_code == 200
    assert response.json()["failed_at"] == "2026-01-05T10:00:00Z"
    assert Failure.objects.get().occurred_at == datetime(2026, 1, 5, 10, tzinfo=UTC)


@pytest.mark.parametrize("work_type", ["preventive", "inspection"])
def test_planned_work_records_no_failure(api, in_alpha, work_type):
    order = WorkOrderFactory(asset=AssetFactory(), work_type=work_type, status="in_progress")

    complete(api("planner"), order.pk, failed_at="2026-01-05T10:00:00Z")

    assert not Failure.objects.exists()


def test_work_is_reported_when_created_unless_told_and_never_in_the_future(api, in_alpha):
    client = api("planner")

    plain = client.post("/api/v1/work-orders/", {"title": "Noise"}).json()
    earlier = client.post(
        "/api/v1/work-orders/", {"title": "Leak", "reported_at": "2026-01-02T03:04:05Z"}
    ).json()
    future = client.post(
        "/api/v1/work-orders/", {"title": "Later", "reported_at": "2999-01-01T00:00:00Z"}
    )
    future_failure = client.post(
        "/api/v1/work-orders/", {"title": "Later", "failed_at": "2999-01-01T00:00:00Z"}
    )

    assert plain["reported_at"] == plain["created_at"]
    assert earlier["reported_at"] == "2026-01-02T03:04:05Z"
    assert future.status_code == 400
    assert "reported_at" in future.json()
    assert future_failure.status_code == 400
    assert "failed_at" in future_failure.json()
    assert WorkOrder.objects.count() == 2
