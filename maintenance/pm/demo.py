"""A realistic PM programme for the demo plant (idempotent)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assets.models import Asset
from maintenance.models import PMSchedule, WorkOrderTemplate
from maintenance.pm.calendars import calendar_create
from maintenance.pm.generation import pm_generate_due
from maintenance.pm.schedules import schedule_create


def seed_demo_programme(*, stdout: Any) -> None:
    if PMSchedule.objects.exists():
        stdout.write("  preventive maintenance: programme already present")
        return
    day_shift = calendar_create(
        by=None,
        name="Plant day shift",
        timezone="Europe/Amsterdam",
        working_days=[0, 1, 2, 3, 4],
        working_hours=["07:00-12:00", "12:30-15:30"],
        holidays=[
            day
            for year in (timezone.now().year, timezone.now().year + 1)
            for day in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26))
        ],
    )
    now = timezone.now()
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    compressor_service = WorkOrderTemplate.objects.filter(name__startswith="Compressor").first()
    forklift_check = WorkOrderTemplate.objects.filter(name__startswith="Forklift").first()
    machines = list(Asset.objects.filter(asset_type="machinery"))
    plans: list[dict[str, Any]] = [
        {
            "name": "Monthly machine service",
            "frequency": "monthly",
            "assets": machines,
            "lead_time_days": 7,
            "estimated_duration": 120,
            "required_skills": ["mechanical"],
        },
        {
            "name": "Weekly fire pump test",
            "frequency": "weekly",
            "assets": list(Asset.objects.filter(asset_id__startswith="FPS-")),
            "priority": "high",
            "maintenance_type": "inspection",
            "estimated_duration": 30,
        },
        {
            "name": "Forklift monthly safety check",
            "frequency": "monthly",
            "asset_type": "vehicle",
            "maintenance_type": "inspection",
            "template": forklift_check,
            "schedule_mode": "floating",
        },
        {
            "name": "Annual calibration",
            "frequency": "annual",
            "asset_type": "instrument",
            "maintenance_type": "calibration",
            "lead_time_days": 30,
        },
        {
            "name": "Chiller quarterly cleaning",
            "frequency": "quarterly",
            "maintenance_type": "cleaning",
            "assets": list(Asset.objects.filter(asset_id__startswith="CHL-")),
        },
    ]
    for plan in plans:
        assets = plan.pop("assets", [])
        schedule_create(
            by=None,
            trigger_type="time_based",
            calendar=day_shift,
            starts_at=monday,
            assets=assets,
            **plan,
        )
    schedule_create(
        by=None,
        name="Compressor 2,000 h service",
        trigger_type="usage_based",
        meter_name="Running hours",
        trigger_value=Decimal(2000),
        template=compressor_service,
        assets=list(Asset.objects.filter(asset_id__startswith="CMP-")),
        starts_at=now,
    )
    schedule_create(
        by=None,
        name="Overheating check",
        trigger_type="condition_based",
        condition_metric="temperature",
        condition_operator="gt",
        condition_threshold=Decimal(85),
        condition_duration_minutes=60,
        asset_type="machinery",
        maintenance_type="predictive",
        priority="high",
        starts_at=now,
    )
    schedule_create(
        by=None,
        name="Verify after breakdown repair",
        trigger_type="event_based",
        trigger_event="work_order_completed",
        event_work_type="emergency",
        asset_type="machinery",
        maintenance_type="inspection",
        starts_at=now,
    )
    report = pm_generate_due()
    stdout.write(
        f"  preventive maintenance: {PMSchedule.objects.count()} schedules, "
        f"{len(report.created)} work orders due"
    )
