"""Completing work: parts from stock (all or nothing), labor and costs, follow-ups, the asset."""

from decimal import Decimal

import pytest

from assets.models import Asset, AssetDowntime
from inventory.models import Part, StockMovement
from maintenance.models import LaborEntry, MaintenanceEvent, WorkOrder
from tests.assets.factories import AssetFactory, MeterFactory
from tests.maintenance.factories import WorkOrderFactory, stocked_part

pytestmark = pytest.mark.django_db


def complete(client, work_order, **body):
    return client.post(f"/api/v1/work-orders/{work_order.pk}/complete/", body, format="json")


@pytest.fixture
def job(in_alpha):
    return WorkOrderFactory(status="in_progress", assigned_to=in_alpha.users["technician"])


def test_parts_used_come_out_of_stock_and_their_cost_from_the_ledger(api, job):
    bearing = stocked_part("BRG-1", 10, unit_cost="12.50")
    seal = stocked_part("SEAL-1", 4, unit_cost="3.10")

    response = complete(
        api("technician"),
        job,
        parts_used=[{"part": bearing.pk, "quantity": 2}, {"part": seal.pk, "quantity": 3}],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["parts_cost"] == 34.30  # 2 x 12.50 + 3 x 3.10
    assert body["total_cost"] == body["labor_cost"] + body["parts_cost"] + body["other_cost"]
    assert Part.objects.get(pk=bearing.pk).quantity_on_hand == 8
    assert Part.objects.get(pk=seal.pk).quantity_on_hand == 1
    issues = StockMovement.objects.filter(work_order_id=job.pk)
    assert sum(m.total_cost for m in issues) == Decimal("34.30")
    assert {m.reference for m in issues} == {job.number}
    lines = {line.part_id: line for line in job.parts.all()}
    assert lines[bearing.pk].quantity_used == 2
    assert lines[bearing.pk].cost == Decimal("25.00")
    assert MaintenanceEvent.objects.filter(work_order=job, kind="work_order.parts_used").exists()


def test_one_short_part_means_nothing_changes_at_all(api, job):
    plenty = stocked_part("OK-1", 10)
    scarce = stocked_part("SHORT-1", 1)

    response = complete(
        api("technician"),
        job,
        parts_used=[{"part": plenty.pk, "quantity": 5}, {"part": scarce.pk, "quantity": 2}],
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "insufficient_stock"
    job.refresh_from_db()
    assert job.status == "in_progress"
    assert job.completed_at is None
    assert Part.objects.get(pk=plenty.pk).quantity_on_hand == 10
    assert Part.objects.get(pk=scarce.pk).quantity_on_hand == 1
    assert not StockMovement.objects.filter(work_order_id=job.pk).exists()
    assert not job.parts.exists()


@pytest.mark.parametrize(
    "parts_used",
    [
        [{"part": 999999, "quantity": 1}],
        [{"part": "PART-1", "quantity": 1}],
        [{"quantity": 1}],
        [{"part": 1, "quantity": 0}],
        [{"part": 1, "quantity": -3}],
        "not a list",
    ],
)
def test_bad_parts_used_is_400_and_nothing_changes(api, job, parts_used):
    stocked_part("P-1", 5)

    response = complete(api("technician"), job, parts_used=parts_used)

    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == "in_progress"


def test_actual_hours_become_labor_of_the_assignee_and_roll_up(api, job, in_alpha):
    technician = in_alpha.users["technician"]
    technician.hourly_rate = Decimal("40.00")
    technician.save()

    body = complete(api("technician"), job, actual_hours="2.5", notes="belt replaced").json()

    assert body["actual_hours"] == 2.5
    assert body["labor_cost"] == 100.0
    assert body["notes"] == "belt replaced"
    entry = LaborEntry.objects.get(work_order=job)
    assert entry.technician == technician
    assert entry.rate == Decimal("40.00")


def test_labor_logged_during_the_job_counts_and_completion_adds_the_rest(api, job, in_alpha):
    client = api("technician")
    client.post(f"/api/v1/work-orders/{job.pk}/labor/", {"hours": "1.5", "rate": "30"})

    fewer = complete(client, job, actual_hours="1")
    more = complete(client, job, actual_hours="4")

    assert fewer.status_code == 400
    assert more.status_code == 200
    assert more.json()["actual_hours"] == 4.0
    assert LaborEntry.objects.filter(work_order=job).count() == 2


def test_other_costs_roll_into_the_total(api, job):
    client = api("planner")

    client.post(
        f"/api/v1/work-orders/{job.pk}/costs/",
        {"description": "Crane hire", "amount": "450.00", "category": "rental"},
    )
    client.post(
        f"/api/v1/work-orders/{job.pk}/labor/",
        {"hours": 2, "rate": 50, "technician": job.assigned_to_id},
    )

    body = client.get(f"/api/v1/work-orders/{job.pk}/").json()
    assert body["other_cost"] == 450.0
    assert body["labor_cost"] == 100.0
    assert body["total_cost"] == 550.0
    job.refresh_from_db()
    assert job.total_cost == job.labor_cost + job.parts_cost + job.other_cost


def test_non_stock_items_are_costed_as_parts(api, job):
    response = api("planner").post(
        f"/api/v1/work-orders/{job.pk}/parts/",
        {"description": "Special gasket", "quantity": 2, "unit_cost": "7.25"},
    )

    assert response.status_code == 201
    job.refresh_from_db()
    assert job.parts_cost == Decimal("14.50")


def test_technicians_book_only_their_own_time(api, job, in_alpha):
    response = api("technician").post(
        f"/api/v1/work-orders/{job.pk}/labor/",
        {"hours": 1, "technician": in_alpha.users["planner"].pk},
    )

    assert response.status_code == 403


@pytest.mark.parametrize("hours", ["0", "-1", "5000", "lots"])
def test_bad_labor_is_400(api, job, hours):
    assert (
        api("technician").post(f"/api/v1/work-orders/{job.pk}/labor/", {"hours": hours}).status_code
        == 400
    )


def test_failed_inspection_opens_a_linked_corrective_follow_up(api, job):
    client = api("technician")
    step = api("planner").post(
        f"/api/v1/work-orders/{job.pk}/steps/",
        {"title": "Guard fitted?", "kind": "inspection"},
        format="json",
    )
    client.patch(
        f"/api/v1/work-orders/{job.pk}/steps/{step.json()['id']}/",
        {"result": "fail", "notes": "missing bolt"},
        format="json",
    )

    completed = complete(client, job)

    assert completed.status_code == 200
    follow_up = WorkOrder.objects.get(follow_up_of=job)
    assert follow_up.work_type == "corrective"
    assert follow_up.status == "open"
    assert "Guard fitted?" in follow_up.description
    assert "missing bolt" in follow_up.description
    assert client.get(f"/api/v1/work-orders/{follow_up.pk}/").json()["follow_up_of"] == job.pk


def test_passed_checks_open_no_follow_up(api, job):
    client = api("technician")
    step = api("planner").post(
        f"/api/v1/work-orders/{job.pk}/steps/",
        {"title": "Guard fitted?", "kind": "inspection"},
        format="json",
    )
    client.patch(
        f"/api/v1/work-orders/{job.pk}/steps/{step.json()['id']}/",
        {"result": "pass"},
        format="json",
    )

    complete(client, job)

    assert not WorkOrder.objects.filter(follow_up_of=job).exists()


def test_starting_repair_work_takes_the_asset_down_and_completion_brings_it_back(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    client = api("planner")
    created = client.post(
        "/api/v1/work-orders/", {"title": "Leak", "asset_id": "PUMP-1", "work_type": "corrective"}
    ).json()
    assert created["stops_asset"] is True

    client.post(f"/api/v1/work-orders/{created['id']}/start/")
    assert Asset.objects.get(pk=pump.pk).status == "repair"
    down = AssetDowntime.objects.get(asset=pump)
    assert down.ended_at is None

    client.post(f"/api/v1/work-orders/{created['id']}/complete/", {}, format="json")
    assert Asset.objects.get(pk=pump.pk).status == "operational"
    down.refresh_from_db()
    assert down.ended_at is not None


def test_the_asset_stays_down_while_another_job_still_holds_it(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    client = api("planner")
    first = client.post("/api/v1/work-orders/", {"title": "A", "asset_id": "PUMP-1"}).json()
    second = client.post("/api/v1/work-orders/", {"title": "B", "asset_id": "PUMP-1"}).json()
    client.post(f"/api/v1/work-orders/{first['id']}/start/")
    client.post(f"/api/v1/work-orders/{second['id']}/start/")

    client.post(f"/api/v1/work-orders/{first['id']}/complete/", {}, format="json")
    assert Asset.objects.get(pk=pump.pk).status == "repair"
    client.post(f"/api/v1/work-orders/{second['id']}/cancel/", {"reason": "duplicate"})
    assert Asset.objects.get(pk=pump.pk).status == "operational"


def test_an_inspection_does_not_take_the_asset_down(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    client = api("planner")
    created = client.post(
        "/api/v1/work-orders/",
        {"title": "Walk-round", "asset_id": "PUMP-1", "work_type": "inspection"},
    ).json()

    client.post(f"/api/v1/work-orders/{created['id']}/start/")

    assert Asset.objects.get(pk=pump.pk).status == "operational"


def test_a_meter_step_records_a_reading_on_the_assets_meter(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    meter = MeterFactory(asset=pump, name="Running hours", unit="h")
    job = WorkOrderFactory(
        asset=pump, status="in_progress", assigned_to=in_alpha.users["technician"]
    )
    client = api("technician")
    step = (
        api("planner")
        .post(
            f"/api/v1/work-orders/{job.pk}/steps/",
            {"title": "Read hours", "kind": "meter", "meter": meter.pk},
            format="json",
        )
        .json()
    )

    recorded = client.patch(
        f"/api/v1/work-orders/{job.pk}/steps/{step['id']}/", {"result": 1234.5}, format="json"
    )

    assert recorded.status_code == 200, recorded.content
    meter.refresh_from_db()
    assert meter.current_value == Decimal("1234.5")
    assert recorded.json()["reading"] is not None
    assert MaintenanceEvent.objects.filter(asset=pump, kind="asset.reading").exists()
