"""The work order list with 1,000,000 work orders in the tenant: our API page of 100
beside raw SQL + json for the same page. Goal: within 3x."""

import json
import statistics
import time

from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant, truncate
from core.auth.tokens import TenantAccessToken
from core.models import User

TITLE = "Work order list at 1,000,000 work orders (p50 milliseconds per page of 100)"
WORK_ORDERS = 1_000_000
PAGE = 100
REQUESTS = 40

RAW_PAGE = """
SELECT w.id, w.number, w.title, w.description, a.asset_id, a.name AS asset_name, w.work_type, w.priority,
       w.status, w.assigned_to_id, w.requested_by_id, w.scheduled_start, w.scheduled_end, w.due_at,
       w.started_at, w.completed_at, w.cancelled_at, w.estimated_hours, w.actual_hours, w.labor_cost,
       w.parts_cost, w.other_cost, w.total_cost, w.source, w.external_ref, w.template_id, w.follow_up_of_id,
       r.id AS request, w.stops_asset, (w.due_at < now() AND w.status IN ('open','scheduled','in_progress','on_hold')) AS overdue,
       w.notes, w.findings, w.recommendations, w.hold_reason, w.cancel_reason, w.created_at, w.updated_at
FROM maintenance_workorder w
LEFT JOIN assets_asset a ON a.id = w.asset_id
LEFT JOIN maintenance_workrequest r ON r.work_order_id = w.id
ORDER BY w.created_at DESC, w.id DESC
LIMIT %s OFFSET %s
"""


def _fill() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO assets_asset (asset_id, name, asset_type, status, condition, criticality, description, "
            "manufacturer, model, serial_number, department, responsible_person, tags, specifications, "
            "request_token, created_at, updated_at) "
            "SELECT 'B-' || g, 'Bench asset ' || g, 'machinery', 'operational', 'good', 'medium', '', '', '', '', "
            "'', '', '{}', '{}', md5(g::text), now(), now() FROM generate_series(1, 2000) g"
        )
        cursor.execute(
            """
            INSERT INTO maintenance_workorder (number, title, description, asset_id, work_type, priority, status,
                assigned_to_id, requested_by_id, due_at, started_at, completed_at, actual_hours, labor_cost,
                parts_cost, other_cost, total_cost, source, external_ref, stops_asset, notes, findings,
                recommendations, hold_reason, cancel_reason, created_at, updated_at)
            SELECT 'WO-' || lpad(g::text, 7, '0'), 'Job ' || g, '', 1 + g %% 2000,
                   (ARRAY['preventive','corrective','inspection','lubrication'])[1 + g %% 4],
                   (ARRAY['low','medium','high','critical'])[1 + g %% 4],
                   CASE WHEN g > %s - 2000 THEN 'open' ELSE 'completed' END,
                   1, 1, now() - (g || ' minutes')::interval + interval '7 days',
                   now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval + interval '2 hours',
                   2, 80, 20, 0, 100, 'manual', '', false, '', '', '', '', '',
                   now() - ((%s - g) || ' minutes')::interval, now()
            FROM generate_series(1, %s) g
            """,
            [WORK_ORDERS, WORK_ORDERS, WORK_ORDERS],
        )
        cursor.execute("ANALYZE maintenance_workorder")


def _p50(action) -> float:
    timings = []
    for i in range(REQUESTS):
        started = time.perf_counter()
        action(i)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run() -> list[Figure]:
    tenant = bench_tenant("bench_work_orders")
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM maintenance_workorder")
        have = cursor.fetchone()[0]
    if have != WORK_ORDERS:
        truncate(tenant, "maintenance_maintenanceevent", "maintenance_workorder", "assets_asset")
        with tenant_context(tenant):
            _fill()
    with tenant_context(tenant):
        user = User.objects.get(username__startswith="bench@")
        token = str(TenantAccessToken.for_user(user))
    client = Client(
        HTTP_HOST=tenant.get_primary_domain().domain, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    pages = [1 + (i * 7) % 50 for i in range(REQUESTS)]

    def api_page(i: int) -> None:
        response = client.get("/api/v1/work-orders/", {"page_size": PAGE, "page": pages[i]})
        assert response.status_code == 200, response.content[:300]

    def raw_page(i: int) -> None:
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM maintenance_workorder")
            count = cursor.fetchone()[0]
            cursor.execute(RAW_PAGE, [PAGE, (pages[i] - 1) * PAGE])
            columns = [c.name for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        json.dumps({"count": count, "results": rows}, default=str)

    api_page(0)
    raw_page(0)
    ours = _p50(api_page)
    baseline = _p50(raw_page)
    return [
        Figure(
            "GET /api/v1/work-orders/?page_size=100",
            ours,
            "ms",
            "raw SQL (same page + count) + json",
            baseline,
            "<= 3x",
        )
    ]
