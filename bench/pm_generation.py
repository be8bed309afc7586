"""PM generation for 10,000 active schedules (work orders per second) beside a raw
multi-row INSERT of the same work order rows in the same run. Goal: at least 0.3 of raw."""

import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant, truncate
from maintenance.pm.generation import pm_generate_due

TITLE = "PM generation, 10,000 active schedules (work orders per second)"
SCHEDULES = 10_000
COLUMNS = (
    "number, title, description, asset_id, work_type, priority, status, due_at, scheduled_start, "
    "estimated_hours, template_id, schedule_id, pm_nominal, stops_asset, source, actual_hours, labor_cost, "
    "parts_cost, other_cost, total_cost, external_ref, notes, findings, recommendations, hold_reason, "
    "cancel_reason, created_at, updated_at"
)


def _fill(now) -> None:
    anchor = now - timedelta(hours=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO assets_asset (asset_id, name, asset_type, status, condition, criticality, description, "
            "manufacturer, model, serial_number, department, responsible_person, tags, specifications, "
            "request_token, created_at, updated_at) "
            "SELECT 'PM-' || g, 'Machine ' || g, 'machinery', 'operational', 'good', 'medium', '', '', '', '', "
            "'', '', '{}', '{}', md5('pm' || g), now(), now() FROM generate_series(1, %s) g",
            [SCHEDULES],
        )
        cursor.execute(
            """
            INSERT INTO maintenance_pmschedule (name, description, maintenance_type, priority, trigger_type, frequency,
                "interval", cron, starts_at, schedule_mode, meter_name, condition_metric, condition_operator,
                condition_duration_minutes, trigger_event, event_min_severity, event_work_type, asset_type,
                lead_time_days, required_skills, required_tools, required_parts, skip_if_open, active,
                created_at, updated_at)
            SELECT 'Plan ' || g, '', 'preventive', 'medium', 'time_based',
                   (ARRAY['daily','weekly','monthly','quarterly'])[1 + g %% 4], 1, '', %s, 'fixed', '', '', '', 0,
                   '', '', '', '', 0, '{}', '{}', '[]', false, true, now(), now()
            FROM generate_series(1, %s) g
            """,
            [anchor, SCHEDULES],
        )
        cursor.execute(
            "INSERT INTO maintenance_pmschedule_assets (pmschedule_id, asset_id) "
            "SELECT s.id, a.id FROM maintenance_pmschedule s JOIN assets_asset a ON a.asset_id = 'PM-' || substr(s.name, 6)"
        )
        cursor.execute(
            "INSERT INTO maintenance_pmscheduleasset (schedule_id, asset_id, usage_accumulated, condition_fired, "
            "skipped, created_at, updated_at) SELECT pmschedule_id, asset_id, 0, false, 0, %s, now() "
            "FROM maintenance_pmschedule_assets",
            [anchor - timedelta(days=1)],
        )
        cursor.execute("ANALYZE")


def run() -> list[Figure]:
    tenant = bench_tenant("bench_pm")
    now = timezone.now()
    tables = (
        "maintenance_maintenanceevent",
        "maintenance_workorder",
        "maintenance_pmscheduleasset",
        "maintenance_pmschedule_assets",
        "maintenance_pmschedule",
        "assets_asset",
        "core_auditentry",
    )
    truncate(tenant, *tables)
    with tenant_context(tenant):
        _fill(now)
        started = time.perf_counter()
        report = pm_generate_due(now=now)
        ours = time.perf_counter() - started
        created = len(report.created)
        assert created == SCHEDULES, created
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {COLUMNS} FROM maintenance_workorder ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("TRUNCATE maintenance_maintenanceevent, maintenance_workorder CASCADE")
        placeholders = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for i in range(0, len(rows), 1000):
                chunk = rows[i : i + 1000]
                cursor.execute(
                    f"INSERT INTO maintenance_workorder ({COLUMNS}) VALUES "
                    + ", ".join([placeholders] * len(chunk)),
                    [value for row in chunk for value in row],
                )
        raw = time.perf_counter() - started
    truncate(tenant, *tables)
    return [
        Figure(
            "pm_generate_due (engine, insert, history, audit, events)",
            created / ours,
            "WO/s",
            "raw multi-row INSERT of the same rows",
            created / raw,
            ">= 0.3 of raw",
        ),
    ]
