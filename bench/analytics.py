"""The analytics overview and costs at 1,000,000 work orders (the work order list's tenant,
plus failures and downtime), each through the API beside the raw SQL aggregation of the
same figures in the same run. p50 of 20 requests; goal: at most 2x the raw SQL."""

import json
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant
from bench.work_orders_list import WORK_ORDERS, _fill
from core.auth.tokens import TenantAccessToken
from core.models import User

TITLE = "Analytics at 1,000,000 work orders (p50 milliseconds of 20 requests, last 90 days)"
REQUESTS = 20
DAYS = 90

RAW_OVERVIEW = """
SELECT
  (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) n FROM maintenance_workorder
      WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY status) s),
  (SELECT json_object_agg(priority, n) FROM (SELECT priority, count(*) n FROM maintenance_workorder
      WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY priority) p),
  (SELECT count(*) FROM maintenance_workorder WHERE status IN ('open','scheduled','in_progress','on_hold')),
  (SELECT count(*) FROM maintenance_workorder
      WHERE status IN ('open','scheduled','in_progress','on_hold') AND due_at < now()),
  (SELECT sum(estimated_hours) FROM maintenance_workorder
      WHERE status IN ('open','scheduled','in_progress','on_hold')),
  (SELECT count(*) FROM maintenance_workorder
      WHERE status = 'completed' AND completed_at >= %(start)s AND completed_at < %(end)s),
  (SELECT avg(extract(epoch FROM completed_at - started_at)) / 3600 FROM maintenance_workorder
      WHERE status = 'completed' AND completed_at >= %(start)s AND completed_at < %(end)s
        AND work_type IN ('corrective','emergency')),
  (SELECT count(*) FROM assets_asset WHERE status NOT IN ('retired','decommissioned')),
  (SELECT count(*) FROM assets_failure WHERE occurred_at >= %(start)s AND occurred_at < %(end)s),
  (SELECT coalesce(sum(extract(epoch FROM least(coalesce(ended_at, %(end)s), %(end)s)
                   - greatest(started_at, %(start)s))), 0) / 3600
      FROM assets_assetdowntime WHERE started_at < %(end)s AND coalesce(ended_at, %(end)s) > %(start)s),
  (SELECT row(count(*) FILTER (WHERE status = 'completed' AND completed_at <= pm_on_time_by), count(*))
      FROM maintenance_workorder WHERE pm_on_time_by IS NOT NULL AND due_at >= %(start)s AND due_at < %(end)s),
  (SELECT row(sum(actual_hours) FILTER (WHERE work_type IN ('preventive','predictive','inspection',
          'calibration','cleaning','lubrication')), sum(actual_hours))
      FROM maintenance_workorder
      WHERE status = 'completed' AND completed_at >= %(start)s AND completed_at < %(end)s)
"""

RAW_COSTS = """
SELECT a.asset_id, sum(w.labor_cost), sum(w.parts_cost), sum(w.other_cost), sum(w.total_cost)
FROM maintenance_workorder w LEFT JOIN assets_asset a ON a.id = w.asset_id
WHERE coalesce(w.completed_at, w.created_at) >= %(start)s AND coalesce(w.completed_at, w.created_at) < %(end)s
GROUP BY 1 ORDER BY 5 DESC
"""


def _reliability_history() -> None:
    """Failures and downtime of the bench plant, once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM assets_failure")
        if cursor.fetchone()[0]:
            return
        cursor.execute(
            "INSERT INTO assets_failure (asset_id, occurred_at, failure_mode, cause, remedy, "
            "created_at, updated_at) SELECT 1 + g % 2000, now() - (g || ' hours')::interval, "
            "'bench', '', '', now(), now() FROM generate_series(1, 20000) g"
        )
        cursor.execute(
            "INSERT INTO assets_assetdowntime (asset_id, status, started_at, ended_at, reason, "
            "created_at, updated_at) SELECT 1 + g % 2000, 'repair', now() - (g || ' hours')::interval, "
            "now() - (g || ' hours')::interval + interval '3 hours', '', now(), now() "
            "FROM generate_series(1, 20000) g"
        )
        cursor.execute("ANALYZE")


def _p50(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run() -> list[Figure]:
    tenant = bench_tenant("bench_work_orders")
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM maintenance_workorder")
        if cursor.fetchone()[0] != WORK_ORDERS:
            cursor.execute("TRUNCATE maintenance_workorder, assets_asset RESTART IDENTITY CASCADE")
            _fill()
    with tenant_context(tenant):
        _reliability_history()
        user = User.objects.get(username__startswith="bench@")
        token = str(TenantAccessToken.for_user(user))
    client = Client(
        HTTP_HOST=tenant.get_primary_domain().domain, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    end = timezone.now()
    window = {"start": end - timezone.timedelta(days=DAYS), "end": end}

    def api(path: str, **query: str) -> Callable[[], object]:
        def call() -> None:
            response = client.get(path, query)
            assert response.status_code == 200, response.content[:300]

        return call

    def raw(sql: str) -> Callable[[], object]:
        def call() -> None:
            with tenant_context(tenant), connection.cursor() as cursor:
                cursor.execute(sql, window)
                json.dumps(cursor.fetchall(), default=str)

        return call

    figures = []
    for name, ours, baseline in (
        ("GET /api/v1/analytics/overview/", api("/api/v1/analytics/overview/"), raw(RAW_OVERVIEW)),
        (
            "GET /api/v1/analytics/costs/?group_by=asset",
            api("/api/v1/analytics/costs/", group_by="asset"),
            raw(RAW_COSTS),
        ),
    ):
        ours(), baseline()  # warm caches and connections alike
        figures.append(
            Figure(name, _p50(ours), "ms", "raw SQL of the same figures", _p50(baseline), "<= 2x")
        )
    return figures
