"""The SLA monitor's pass over 100,000 open work orders in one tenant, 1,000 of whose
clocks crossed a warning or due point since the last pass: our pass (record, move the
clocks on, escalate, announce) beside a raw SQL query finding the same crossings. Goal:
within 3x, and the same number of queries at 10,000 as at 100,000 work orders."""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant, truncate
from sla.services.monitor import monitor_pass

TITLE = "SLA monitor pass, 100,000 open work orders, 1,000 crossings (median milliseconds)"
WORK_ORDERS = 100_000
CROSSING = 1_000
RUNS = 9

# The same crossings the pass records, found by one plain query.
RAW_CROSSINGS = """
SELECT c.work_order_id, p.clock, p.kind, p.due_at
FROM sla_workorderclock c
CROSS JOIN LATERAL (VALUES
    ('response', 'warning', c.response_warn_at, c.response_due_at, c.responded_at),
    ('response', 'violation', c.response_due_at, c.response_due_at, c.responded_at),
    ('resolution', 'warning', c.resolution_warn_at, c.resolution_due_at, c.resolved_at),
    ('resolution', 'violation', c.resolution_due_at, c.resolution_due_at, c.resolved_at)
) AS p(clock, kind, point, due_at, stopped_at)
WHERE c.next_check_at <= %(now)s AND c.paused_at IS NULL AND c.cancelled_at IS NULL
  AND p.stopped_at IS NULL AND p.point <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM sla_clockcrossing x WHERE x.work_order_id = c.work_order_id
                  AND x.clock = p.clock AND x.kind = p.kind)
"""


def _fill(count: int) -> None:
    """``count`` open work orders under one 24x7 policy; the last CROSSING of them were
    reported long enough ago that their response warning is due (and nothing else)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sla_policy (name, response_minutes, resolution_minutes, pause_on_hold, "
            "warning_threshold_percent, escalation, active, created_at, updated_at) "
            "VALUES ('Bench', 60, 480, false, 80, '[]', true, now(), now()) RETURNING id"
        )
        policy = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO maintenance_workorder (number, title, description, work_type, priority,
                status, actual_hours, labor_cost, parts_cost, other_cost, total_cost, source,
                external_ref, stops_asset, notes, findings, recommendations, hold_reason,
                cancel_reason, reported_at, created_at, updated_at)
            SELECT 'WO-' || lpad(g::text, 7, '0'), 'Job ' || g, '', 'corrective', 'medium',
                   'open', 0, 0, 0, 0, 0, 'manual', '', false, '', '', '', '', '',
                   now() - CASE WHEN g > %(count)s - %(crossing)s THEN interval '50 minutes'
                                ELSE interval '1 minute' END,
                   now(), now()
            FROM generate_series(1, %(count)s) g
            """,
            {"count": count, "crossing": CROSSING},
        )
        cursor.execute(
            """
            INSERT INTO sla_workorderclock (work_order_id, policy_id, started_at, response_minutes,
                resolution_minutes, warning_threshold_percent, pause_on_hold, response_warn_at,
                response_due_at, resolution_warn_at, resolution_due_at, paused_seconds,
                next_check_at, created_at, updated_at)
            SELECT w.id, %(policy)s, w.reported_at, 60, 480, 80, false,
                   w.reported_at + interval '48 minutes', w.reported_at + interval '60 minutes',
                   w.reported_at + interval '384 minutes', w.reported_at + interval '480 minutes',
                   0, w.reported_at + interval '48 minutes', now(), now()
            FROM maintenance_workorder w
            """,
            {"policy": policy},
        )
        cursor.execute("ANALYZE maintenance_workorder")
        cursor.execute("ANALYZE sla_workorderclock")


def _rearm() -> None:
    """Undo a pass: forget its crossings and point the clocks back at their warnings."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sla_clockcrossing")
        cursor.execute(
            "UPDATE sla_workorderclock SET next_check_at = response_warn_at "
            "WHERE next_check_at IS DISTINCT FROM response_warn_at"
        )
        # Each undo leaves a pass's worth of dead rows and index entries behind; a live
        # system's autovacuum clears them, so each measured pass starts as the first did.
        cursor.execute("VACUUM (ANALYZE) sla_clockcrossing, sla_workorderclock")


def _median_ms(action, runs: int) -> float:
    timings = []
    for _ in range(runs):
        _rearm()
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _queries_per_pass(count: int) -> int:
    tenant = bench_tenant("bench_sla_small")
    with tenant_context(tenant):
        truncate(
            tenant, "sla_clockcrossing", "sla_workorderclock", "sla_policy", "maintenance_workorder"
        )
        _fill(count)
        with CaptureQueriesContext(connection) as captured:
            report = monitor_pass()
        assert report.warnings == CROSSING, report
    return len(captured)


def run() -> list[Figure]:
    tenant = bench_tenant("bench_sla")
    with tenant_context(tenant):
        # Filled afresh each run: the crossings are placed relative to the time of filling.
        truncate(
            tenant,
            "sla_clockcrossing",
            "sla_workorderclock",
            "sla_policy",
            "maintenance_workorder",
        )
        _fill(WORK_ORDERS)
        now = timezone.now()

        def ours() -> None:
            report = monitor_pass(now=now)
            assert report.warnings == CROSSING, report

        def raw() -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW_CROSSINGS, {"now": now})
                assert len(cursor.fetchall()) == CROSSING

        _rearm()  # warm up both
        raw()
        ours()
        pass_ms = _median_ms(ours, RUNS)
        raw_ms = _median_ms(raw, RUNS)
        _rearm()
        with CaptureQueriesContext(connection) as captured:
            ours()
        _rearm()
        big = len(captured)
    small = _queries_per_pass(10_000)
    return [
        Figure(
            "monitor_pass (record, advance, announce)",
            pass_ms,
            "ms",
            "raw SELECT of the same crossings",
            raw_ms,
            "<= 3x",
        ),
        Figure(
            "queries per pass at 100,000 work orders",
            big,
            "queries",
            "at 10,000 work orders",
            small,
            "equal",
        ),
    ]
