"""PM schedules in the admin, import_schedules, and the demo programme."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from maintenance.models import MaintenanceCalendar, PMSchedule, WorkOrder
from maintenance.pm import schedules
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def run_import(tenant, tmp_path, content, name="plans.json"):
    path = tmp_path / name
    path.write_text(content)
    out = io.StringIO()
    try:
        call_command(
            "import_schedules", str(path), "--tenant", tenant.schema, "--no-progress", stdout=out
        )
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


PLANS = [
    {
        "name": "Monthly pump service",
        "trigger_type": "time_based",
        "frequency": "monthly",
        "assets": "PUMP-1, PUMP-2",
        "calendar": "Office",
        "lead_time_days": 5,
        "required_skills": "mechanical; electrical",
    },
    {
        "name": "Overheat",
        "trigger_type": "condition_based",
        "asset_type": "equipment",
        "condition_metric": "temperature",
        "condition_operator": "gt",
        "condition_threshold": "85",
        "condition_duration_minutes": 15,
    },
    {"name": "Bad", "trigger_type": "time_based", "assets": "PUMP-1"},
    {"name": "Unknown calendar", "trigger_type": "manual", "assets": "PUMP-1", "calendar": "Nope"},
    {"name": "Unknown asset", "trigger_type": "manual", "assets": "NOPE"},
]


@pytest.fixture
def setup(in_alpha):
    AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="PUMP-2")
    MaintenanceCalendar.objects.create(
        name="Office", timezone="UTC", working_days=[0, 1, 2, 3, 4], working_hours=["08:00-17:00"]
    )


def test_import_schedules_good_and_bad_rows_and_a_second_run(alpha, setup, tmp_path):
    output, error = run_import(alpha, tmp_path, json.dumps(PLANS))

    assert "3 rows rejected" in str(error)
    for row, reason in [(3, "frequency"), (4, "calendar"), (5, "assets")]:
        assert any(
            line.startswith(f"row {row}") and reason in line for line in output.splitlines()
        ), output
    monthly = PMSchedule.objects.get(name="Monthly pump service")
    assert sorted(monthly.assets.values_list("asset_id", flat=True)) == ["PUMP-1", "PUMP-2"]
    assert monthly.calendar.name == "Office"
    assert monthly.required_skills == ["mechanical", "electrical"]
    assert PMSchedule.objects.get(name="Overheat").condition_duration_minutes == 15

    again, _ = run_import(alpha, tmp_path, json.dumps(PLANS))
    assert "0 created, 0 updated, 2 unchanged" in again
    changed = [dict(PLANS[0], lead_time_days=9)]
    updated, _ = run_import(alpha, tmp_path, json.dumps(changed))
    assert "0 created, 1 updated" in updated
    assert PMSchedule.objects.count() == 2


def test_import_dry_run_changes_nothing(alpha, setup, tmp_path):
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(PLANS[:2]))
    out = io.StringIO()

    call_command(
        "import_schedules",
        str(path),
        "--tenant",
        alpha.schema,
        "--no-progress",
        "--dry-run",
        stdout=out,
    )

    assert "Dry run" in out.getvalue()
    assert not PMSchedule.objects.exists()


def test_admin_lists_schedules_and_generates_now(admin_client, in_alpha):
    plan = schedules.schedule_create(
        by=None, name="On demand", trigger_type="manual", assets=[AssetFactory()]
    )
    client = admin_client("planner")

    listing = client.get("/admin/maintenance/pmschedule/")
    page = client.get(f"/admin/maintenance/pmschedule/{plan.pk}/change/")
    client.post(
        "/admin/maintenance/pmschedule/", {"action": "generate_now", "_selected_action": [plan.pk]}
    )

    assert listing.status_code == 200
    assert page.status_code == 200
    assert WorkOrder.objects.filter(schedule=plan).count() == 1
    assert client.get("/admin/maintenance/maintenancecalendar/").status_code == 200


def test_demo_programme_and_seeding_twice(in_alpha):
    from assets.demo import seed_demo_plant
    from inventory.seed import seed_demo as seed_inventory
    from maintenance.demo import seed_demo_work
    from maintenance.pm.demo import seed_demo_programme

    for seed in (seed_demo_plant, seed_inventory, seed_demo_work, seed_demo_programme):
        seed(stdout=io.StringIO())
    programme_size = PMSchedule.objects.count()
    generated = WorkOrder.objects.filter(schedule__isnull=False).count()
    seed_demo_programme(stdout=io.StringIO())

    assert programme_size == PMSchedule.objects.count() >= 8
    assert WorkOrder.objects.filter(schedule__isnull=False).count() == generated > 0
    assert set(PMSchedule.objects.values_list("trigger_type", flat=True)) == {
        "time_based",
        "usage_based",
        "condition_based",
        "event_based",
    }
    assert (
        PMSchedule.objects.filter(trigger_type="time_based", next_due_at__isnull=True).count() == 0
    )
