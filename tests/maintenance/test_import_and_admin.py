"""import_work_orders, and work orders and requests in the tenant admin."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from maintenance.models import MaintenanceEvent, WorkOrder, WorkRequest
from maintenance.services import numbering
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

HISTORY = """external_ref,number,title,asset_id,work_type,priority,status,assigned_to,created_at,started_at,completed_at,actual_hours,labor_cost,parts_cost,other_cost
EXT-1,WO-009001,Bearing failure,PUMP-1,corrective,high,completed,technician,2025-03-01T08:00:00Z,2025-03-01T09:00:00Z,2025-03-01T13:30:00Z,4.5,180.00,95.50,20.00
EXT-2,,Quarterly PM,PUMP-1,preventive,medium,completed,,2025-04-01T08:00:00Z,,2025-04-01T10:00:00Z,2,80,,
EXT-3,,Open job,,corrective,low,,,2025-05-01T08:00:00Z,,,,,,
EXT-4,,No asset,NOPE,corrective,low,completed,,2025-05-01T08:00:00Z,,2025-05-02T08:00:00Z,,,,
EXT-5,,Backwards,PUMP-1,corrective,low,completed,,2025-05-03T08:00:00Z,,2025-05-02T08:00:00Z,,,,
EXT-6,,Completed when?,PUMP-1,corrective,low,completed,,2025-05-03T08:00:00Z,,,,,,
,,No key,PUMP-1,corrective,low,,,,,,,,,
EXT-8,,Bad cost,PUMP-1,corrective,low,completed,,2025-05-03T08:00:00Z,,2025-05-04T08:00:00Z,1,-5,,
EXT-9,,Ghost tech,PUMP-1,corrective,low,,nobody,2025-05-03T08:00:00Z,,,,,,
"""


def run_import(tenant, tmp_path: Path, content: str, name: str = "history.csv", *extra):
    path = tmp_path / name
    path.write_text(content)
    out = io.StringIO()
    try:
        call_command(
            "import_work_orders",
            str(path),
            "--tenant",
            tenant.schema,
            "--no-progress",
            *extra,
            stdout=out,
        )
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def pump(in_alpha):
    return AssetFactory(asset_id="PUMP-1")


def test_history_lands_with_costs_and_events_and_bad_rows_are_reported(alpha, pump, tmp_path):
    output, error = run_import(alpha, tmp_path, HISTORY)

    assert "6 rows rejected" in str(error)
    assert "3 created" in output
    for row, reason in [
        (5, "asset_id"),
        (6, "Completed before"),
        (7, "completed_at"),
        (8, "external_ref"),
        (9, "labor_cost"),
        (10, "assigned_to"),
    ]:
        assert any(
            line.startswith(f"row {row}") and reason in line for line in output.splitlines()
        ), (row, output)
    failure = WorkOrder.objects.get(external_ref="EXT-1")
    assert failure.number == "WO-009001"
    assert failure.status == "completed"
    assert failure.assigned_to.username == "technician"
    assert str(failure.labor_cost) == "180.00"
    assert str(failure.parts_cost) == "95.50"
    assert str(failure.other_cost) == "20.00"
    assert str(failure.total_cost) == "295.50"
    assert str(failure.actual_hours) == "4.50"
    assert failure.created_at.isoformat().startswith("2025-03-01T08:00")
    assert WorkOrder.objects.get(external_ref="EXT-3").status == "open"
    kinds = set(MaintenanceEvent.objects.filter(work_order=failure).values_list("kind", flat=True))
    assert kinds == {"work_order.created", "work_order.completed"}
    # New work orders never reuse an imported number.
    assert int(numbering.next_work_order_number().removeprefix("WO-")) > 9001


def test_second_run_changes_nothing_and_a_changed_row_updates(alpha, pump, tmp_path):
    run_import(alpha, tmp_path, HISTORY)

    again, _ = run_import(alpha, tmp_path, HISTORY)
    changed, _ = run_import(alpha, tmp_path, HISTORY.replace("4.5,180.00", "5,200.00"))

    assert "0 created, 0 updated, 3 unchanged" in again
    assert "0 created, 1 updated, 2 unchanged" in changed
    assert WorkOrder.objects.count() == 3
    failure = WorkOrder.objects.get(external_ref="EXT-1")
    assert str(failure.labor_cost) == "200.00"
    assert failure.labor.count() == 1


def import_entries(work_order: WorkOrder) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="work_order.import", object_id=str(work_order.pk)
        ).order_by("id")
    )


def test_a_reimported_row_that_changed_leaves_one_audit_entry_with_its_changes(
    alpha, pump, tmp_path
):
    run_import(alpha, tmp_path, HISTORY)
    failure = WorkOrder.objects.get(external_ref="EXT-1")
    assert len(import_entries(failure)) == 1

    output, _ = run_import(
        alpha,
        tmp_path,
        HISTORY.replace("Bearing failure", "Bearing seized").replace(
            "2025-03-01T13:30:00Z,4.5,180.00", "2025-03-02T13:30:00Z,5,200.00"
        ),
    )

    assert "0 created, 1 updated, 2 unchanged" in output
    _, updated = import_entries(failure)
    assert set(updated.changes) == {"title", "completed_at", "costs"}
    assert updated.changes["title"] == {"before": "Bearing failure", "after": "Bearing seized"}
    assert updated.changes["costs"]["before"][:2] == ["4.50", "180.00"]
    assert updated.changes["costs"]["after"][:2] == ["5.00", "200.00"]
    failure.refresh_from_db()
    assert failure.title == "Bearing seized"
    assert str(failure.labor_cost) == "200.00"
    # The imported labour is dated by the completion the row now carries.
    assert str(failure.labor.get().work_date) == "2025-03-02"


def test_a_reimported_row_changing_only_fields_or_only_costs_is_audited_once(alpha, pump, tmp_path):
    run_import(alpha, tmp_path, HISTORY)
    failure = WorkOrder.objects.get(external_ref="EXT-1")

    run_import(alpha, tmp_path, HISTORY.replace("Bearing failure", "Bearing seized"))
    run_import(
        alpha,
        tmp_path,
        HISTORY.replace("Bearing failure", "Bearing seized").replace("95.50", "99.00"),
    )
    again, _ = run_import(
        alpha,
        tmp_path,
        HISTORY.replace("Bearing failure", "Bearing seized").replace("95.50", "99.00"),
    )

    assert "0 created, 0 updated, 3 unchanged" in again
    _, title_only, costs_only = import_entries(failure)
    assert set(title_only.changes) == {"title"}
    assert set(costs_only.changes) == {"costs"}
    assert costs_only.changes["costs"]["after"][2] == "99.00"
    failure.refresh_from_db()
    assert str(failure.parts_cost) == "99.00"
    assert str(failure.total_cost) == "299.00"


def test_dry_run_changes_nothing(alpha, pump, tmp_path):
    output, _ = run_import(alpha, tmp_path, HISTORY, "history.csv", "--dry-run")

    assert output.splitlines()[-1].startswith("Dry run")
    assert not WorkOrder.objects.exists()


def test_matching_by_number_when_there_is_no_external_ref(alpha, pump, tmp_path):
    existing = WorkOrderFactory(number="WO-000777", title="Old title")

    output, error = run_import(
        alpha, tmp_path, json.dumps([{"number": "WO-000777", "title": "New title"}]), "h.json"
    )

    assert error is None, output
    existing.refresh_from_db()
    assert existing.title == "New title"


def test_admin_lists_filters_and_acts_through_services(admin_client, in_alpha):
    job = WorkOrderFactory(status="in_progress", title="Pump seal")
    WorkOrderFactory(status="open", title="Other")
    client = admin_client("manager")

    listing = client.get("/admin/maintenance/workorder/", {"status__exact": "in_progress"})
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset.values_list("title", flat=True)) == ["Pump seal"]
    assert client.get(f"/admin/maintenance/workorder/{job.pk}/change/").status_code == 200

    client.post(
        "/admin/maintenance/workorder/", {"action": "complete", "_selected_action": [job.pk]}
    )
    job.refresh_from_db()
    assert job.status == "completed"


def test_admin_assign_and_cancel_ask_for_what_they_need(admin_client, in_alpha):
    job = WorkOrderFactory()
    client = admin_client("manager")

    page = client.post(
        "/admin/maintenance/workorder/", {"action": "assign", "_selected_action": [job.pk]}
    )
    assert page.status_code == 200
    assert "Assign to" in page.content.decode()
    client.post(
        "/admin/maintenance/workorder/",
        {
            "action": "assign",
            "_selected_action": [job.pk],
            "apply": "1",
            "assigned_to": in_alpha.users["technician"].pk,
        },
    )
    job.refresh_from_db()
    assert job.assigned_to == in_alpha.users["technician"]

    client.post(
        "/admin/maintenance/workorder/",
        {"action": "cancel", "_selected_action": [job.pk], "apply": "1", "reason": "duplicate"},
    )
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert job.cancel_reason == "duplicate"


def test_admin_reviews_requests(admin_client, api, in_alpha):
    first = api("requester").post("/api/v1/work-requests/", {"description": "Noise"}).json()
    second = api("requester").post("/api/v1/work-requests/", {"description": "Smell"}).json()
    client = admin_client("planner")

    client.post(
        "/admin/maintenance/workrequest/", {"action": "approve", "_selected_action": [first["id"]]}
    )
    client.post(
        "/admin/maintenance/workrequest/",
        {"action": "reject", "_selected_action": [second["id"]], "apply": "1", "reason": "fine"},
    )

    assert WorkRequest.objects.get(pk=first["id"]).work_order is not None
    assert WorkRequest.objects.get(pk=second["id"]).status == "rejected"


def test_import_is_per_tenant(alpha, beta, pump, tmp_path):
    run_import(alpha, tmp_path, HISTORY)

    with tenant_context(beta.tenant):
        assert not WorkOrder.objects.exists()


def test_demo_history_is_a_realistic_year_and_seeding_twice_adds_nothing(in_alpha):
    from assets.demo import seed_demo_plant
    from inventory.seed import seed_demo as seed_inventory
    from maintenance.demo import seed_demo_work

    seed_demo_plant(stdout=io.StringIO())
    seed_inventory(stdout=io.StringIO())
    seed_demo_work(stdout=io.StringIO())
    count = WorkOrder.objects.count()
    seed_demo_work(stdout=io.StringIO())

    assert WorkOrder.objects.count() == count
    assert count > 2000
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {
        "open",
        "scheduled",
        "in_progress",
        "on_hold",
        "completed",
        "cancelled",
    }
    assert len(set(WorkOrder.objects.values_list("work_type", flat=True))) >= 6
    spans = WorkOrder.objects.order_by("created_at").values_list("created_at", flat=True)
    assert (spans.last() - spans.first()).days > 300
    for order in WorkOrder.objects.filter(status="completed")[:200]:
        assert order.total_cost == order.labor_cost + order.parts_cost + order.other_cost
    assert WorkOrder.objects.filter(parts_cost__gt=0).count() > 200
