"""Maintenance KPIs, computed in the database: the one place these figures come from.

The API, its CSV and XLSX exports and the admin's dashboard all read them here.
Every figure is one set-based query (no loop over rows in Python), so a request
costs the same few queries whatever the number of work orders.

Formulas (published in README and in the OpenAPI descriptions), over a period
[start, end); "elapsed" means up to ``min(end, now)``:

- MTTR (hours) = mean(completed_at - started_at) of corrective and emergency work
  completed in the period.
- MTBF (hours) = (elapsed hours x assets in scope - downtime hours) / failures in the
  period; null without failures. Assets in scope: registered before the period ended
  and not retired or decommissioned.
- Availability (%) = (1 - downtime hours / (elapsed hours x assets in scope)) x 100.
- PM compliance (%) = time-based PM work orders due in the period and completed within
  10% of their plan's interval after the due date / those due (``maintenance.pm``).
- Planned maintenance (%) = hours of planned work (preventive, predictive, inspection,
  calibration, cleaning, lubrication) / hours of all work completed in the period (by
  count when no hours were recorded).
- Backlog (hours) = estimated hours of open work now; backlog (weeks) = that / (active
  technicians x each one's weekly hours, from the maintenance settings).
- Downtime: the asset's down periods (maintenance, repair) clipped to the period.
- Costs count on the work order's completion date, or its creation date until it is
  completed; variance = budget - total.

A figure that is undefined for the period (no failures, no assets, nothing completed)
is null, never a division by zero.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from assets.choices import AssetStatus
from assets.models import Asset
from core.models import User
from core.roles import Role
from iot.health import devices_health
from iot.prediction.reasons import health_reasons, riskiness
from maintenance.choices import ACTIVE_STATUSES, Priority, Status, WorkType
from maintenance.models import MaintenanceSettings
from maintenance.pm.selectors import planned_maintenance_percent, pm_compliance
from sla.selectors import performance as sla_performance

BREAKDOWN = (WorkType.CORRECTIVE, WorkType.EMERGENCY)
OUT_OF_SERVICE = (AssetStatus.RETIRED, AssetStatus.DECOMMISSIONED)
INTERVALS = ("day", "week", "month")
GROUPINGS = ("asset", "work_type", "month")
HOURS = Decimal("0.01")
HEALTH_UNKNOWN: dict[str, Any] = {"health_score": None, "risk_level": None}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def until(self) -> datetime:
        """The end of what has happened: figures about time never count the future."""
        return max(self.start, min(self.end, timezone.now()))

    @property
    def elapsed_hours(self) -> Decimal:
        return Decimal((self.until - self.start).total_seconds()) / 3600

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "until": self.until}


def _one(sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _all(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _round(value: Decimal | float | None, places: Decimal = HOURS) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(places)


def _percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return _round(Decimal(100) * part / whole, Decimal("0.1"))


# --- The pieces every figure is made of -------------------------------------------------

# Hours assets spent down (in maintenance or repair) within the period.
# Hours assets spent down (in maintenance or repair) within the period.
DOWNTIME_SQL = """
    SELECT COALESCE(SUM(EXTRACT(EPOCH FROM
               LEAST(COALESCE(d.ended_at, %(until)s), %(until)s) - GREATEST(d.started_at, %(start)s)
           )), 0) / 3600
    FROM assets_assetdowntime d
    WHERE d.started_at < %(until)s AND COALESCE(d.ended_at, %(until)s) > %(start)s
"""


# Assets registered before the period ended and still in service.
ASSETS_SQL = """
    SELECT count(*) FROM assets_asset WHERE created_at < %(until)s AND status <> ALL(%(out)s)
"""
FAILURES_SQL = """
    SELECT count(*) FROM assets_failure WHERE occurred_at >= %(start)s AND occurred_at < %(until)s
"""
# Mean hours from start to completion of breakdown work completed in the period.
MTTR_SQL = """
    SELECT AVG(EXTRACT(EPOCH FROM completed_at - started_at)) / 3600 FROM maintenance_workorder
    WHERE status = %(completed)s AND completed_at >= %(start)s AND completed_at < %(end)s
      AND work_type = ANY(%(breakdown)s) AND started_at IS NOT NULL
"""


def _piece_params() -> dict[str, Any]:
    return {
        "completed": Status.COMPLETED,
        "breakdown": list(BREAKDOWN),
        "out": list(OUT_OF_SERVICE),
    }


def mtbf_hours(*, operating_hours: Decimal, failures: int) -> Decimal | None:
    return _round(operating_hours / failures) if failures and operating_hours >= 0 else None


# --- Overview ---------------------------------------------------------------------------


def overview(*, period: Period) -> dict[str, Any]:
    """The figures a manager is asked for every month, over the period (see the module)."""
    params = {**period.params(), "active": list(ACTIVE_STATUSES), "now": timezone.now()}
    by_status = dict.fromkeys(Status.values, 0)
    by_priority = dict.fromkeys(Priority.values, 0)
    for kind, key, count in _all(
        """
        SELECT 'status', status, count(*) FROM maintenance_workorder
        WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY status
        UNION ALL
        SELECT 'priority', priority, count(*) FROM maintenance_workorder
        WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY priority
        """,
        params,
    ):
        (by_status if kind == "status" else by_priority)[key] = count
    open_now, overdue_now, backlog, completed, assets, failures, down, mttr = _one(
        f"""
        SELECT open.n, open.overdue, open.backlog, done.n, ({ASSETS_SQL}), ({FAILURES_SQL}),
               ({DOWNTIME_SQL}), ({MTTR_SQL})
        FROM (SELECT count(*) AS n, count(*) FILTER (WHERE due_at < %(now)s) AS overdue,
                     SUM(estimated_hours) AS backlog
              FROM maintenance_workorder WHERE status = ANY(%(active)s)) open,
             (SELECT count(*) AS n FROM maintenance_workorder
              WHERE status = %(completed)s AND completed_at >= %(start)s
                AND completed_at < %(end)s) done
        """,  # noqa: S608 - fixed fragments
        {**params, **_piece_params()},
    )
    down = Decimal(down)
    capacity = weekly_capacity_hours()
    backlog_hours = _round(backlog or Decimal(0))
    compliance = pm_compliance(start=period.start, end=period.end)
    planned = planned_maintenance_percent(start=period.start, end=period.end)
    exposure = period.elapsed_hours * assets
    return {
        "start": period.start,
        "end": period.end,
        "work_orders": {
            "by_status": by_status,
            "by_priority": by_priority,
            "open": open_now,
            "overdue": overdue_now,
            "completed": completed,
        },
        "backlog_hours": backlog_hours,
        "backlog_weeks": _round(backlog_hours / capacity) if capacity else None,
        "mttr_hours": _round(mttr),
        "mtbf_hours": mtbf_hours(operating_hours=exposure - down, failures=failures),
        "availability_percent": _percent(exposure - down, exposure),
        "pm_compliance_percent": _round(compliance.percent, Decimal("0.1")),
        "planned_maintenance_percent": _round(planned, Decimal("0.1")),
        "sla_met_percent": _round(
            sla_performance(start=period.start, end=period.end, now=timezone.now()).met_percent,
            Decimal("0.1"),
        ),
    }


def weekly_capacity_hours() -> Decimal:
    """Hours the active technicians can work in a week (from the maintenance settings)."""
    technicians = User.objects.filter(is_active=True, groups__name=Role.TECHNICIAN).count()
    return Decimal(technicians) * MaintenanceSettings.current().technician_hours_per_week


# --- Trends -----------------------------------------------------------------------------

TRENDS_SQL = """
WITH periods AS (
    SELECT generate_series(
        date_trunc(%(unit)s, %(start)s),
        %(end)s - interval '1 microsecond',
        ('1 ' || %(unit)s)::interval
    ) AS period_start
),
created AS (
    SELECT date_trunc(%(unit)s, created_at) AS k, count(*) AS n FROM maintenance_workorder
    WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
),
completed AS (
    SELECT date_trunc(%(unit)s, completed_at) AS k, count(*) AS n,
           AVG(EXTRACT(EPOCH FROM completed_at - started_at) / 3600)
               FILTER (WHERE work_type = ANY(%(breakdown)s) AND started_at IS NOT NULL) AS mttr
    FROM maintenance_workorder
    WHERE status = %(completed_status)s AND completed_at >= %(start)s AND completed_at < %(end)s
    GROUP BY 1
),
late AS (
    SELECT date_trunc(%(unit)s, due_at) AS k, count(*) AS n FROM maintenance_workorder
    WHERE due_at >= %(start)s AND due_at < %(end)s AND status <> %(cancelled)s
      AND (completed_at > due_at OR (completed_at IS NULL AND due_at < %(now)s))
    GROUP BY 1
),
spent AS (
    SELECT date_trunc(%(unit)s, COALESCE(completed_at, created_at)) AS k, SUM(total_cost) AS cost
    FROM maintenance_workorder
    WHERE COALESCE(completed_at, created_at) >= %(start)s
      AND COALESCE(completed_at, created_at) < %(end)s
    GROUP BY 1
)
SELECT p.period_start, COALESCE(c.n, 0), COALESCE(d.n, 0), COALESCE(l.n, 0), d.mttr,
       COALESCE(s.cost, 0)
FROM periods p
LEFT JOIN created c ON c.k = p.period_start
LEFT JOIN completed d ON d.k = p.period_start
LEFT JOIN late l ON l.k = p.period_start
LEFT JOIN spent s ON s.k = p.period_start
ORDER BY p.period_start
"""


def trends(*, period: Period, interval: str) -> list[dict[str, Any]]:
    """Per day, week (from Monday) or month of the period, in UTC: work created, completed,
    overdue (due then, and finished late or still open), MTTR and cost. One query."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}")
    rows = _all(
        TRENDS_SQL,
        {
            **period.params(),
            "unit": interval,
            "breakdown": list(BREAKDOWN),
            "completed_status": Status.COMPLETED,
            "cancelled": Status.CANCELLED,
            "now": timezone.now(),
        },
    )
    return [
        {
            "period_start": start,
            "created": created,
            "completed": completed,
            "overdue": overdue,
            "mttr_hours": _round(mttr),
            "cost": _round(cost),
        }
        for start, created, completed, overdue, mttr, cost in rows
    ]


# --- Costs against budgets ----------------------------------------------------------------

COST_KEYS = {
    "asset": "a.asset_id",
    "work_type": "w.work_type",
    "month": "to_char(date_trunc('month', COALESCE(w.completed_at, w.created_at)), 'YYYY-MM-DD')",
}
BUDGET_KEYS = {
    "asset": "(SELECT asset_id FROM assets_asset WHERE id = b.asset_id)",
    "work_type": "b.work_type",
    "month": "to_char(b.month, 'YYYY-MM-DD')",
}
BUDGET_SCOPES = {
    "asset": "b.asset_id IS NOT NULL",
    "work_type": "b.work_type <> ''",
    "month": "b.asset_id IS NULL AND b.work_type = ''",
}


def costs(*, period: Period, group_by: str) -> list[dict[str, Any]]:
    """Labor, parts, other and total cost per asset, work type or month, against the
    budgets of the months the period touches. One query.

    With ``group_by=month`` the budget is the tenant's whole-maintenance budget of that
    month; with asset or work type, the sum of that scope's monthly budgets. A key with
    a budget but no cost appears with zero cost; variance is null without a budget.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS}")
    sql = f"""
        WITH spent AS (
            SELECT {COST_KEYS[group_by]} AS key,
                   SUM(w.labor_cost) AS labor, SUM(w.parts_cost) AS parts,
                   SUM(w.other_cost) AS other, SUM(w.total_cost) AS total
            FROM maintenance_workorder w LEFT JOIN assets_asset a ON a.id = w.asset_id
            WHERE COALESCE(w.completed_at, w.created_at) >= %(start)s
              AND COALESCE(w.completed_at, w.created_at) < %(end)s
            GROUP BY 1
        ),
        budgeted AS (
            SELECT {BUDGET_KEYS[group_by]} AS key, SUM(b.amount) AS budget
            FROM analytics_budget b
            WHERE {BUDGET_SCOPES[group_by]}
              AND b.month >= date_trunc('month', %(start)s)::date AND b.month < %(end)s::date
            GROUP BY 1
        )
        SELECT COALESCE(s.key, b.key), COALESCE(s.labor, 0), COALESCE(s.parts, 0),
               COALESCE(s.other, 0), COALESCE(s.total, 0), b.budget
        FROM spent s FULL OUTER JOIN budgeted b ON b.key = s.key
        ORDER BY COALESCE(s.total, 0) DESC, 1
    """  # noqa: S608 - the fragments are fixed, chosen by name
    return [
        {
            "key": key,
            "labor": _round(labor),
            "parts": _round(parts),
            "other": _round(other),
            "total": _round(total),
            "budget": _round(budget),
            "variance": None if budget is None else _round(budget - total),
        }
        for key, labor, parts, other, total, budget in _all(sql, period.params())
    ]


# --- Device performance --------------------------------------------------------------------

DEVICE_SQL = """
WITH down AS (
    SELECT d.asset_id, SUM(EXTRACT(EPOCH FROM
               LEAST(COALESCE(d.ended_at, %(until)s), %(until)s) - GREATEST(d.started_at, %(start)s)
           )) / 3600 AS hours
    FROM assets_assetdowntime d
    WHERE d.started_at < %(until)s AND COALESCE(d.ended_at, %(until)s) > %(start)s
    GROUP BY d.asset_id
),
failed AS (
    SELECT asset_id, count(*) AS n FROM assets_failure
    WHERE occurred_at >= %(start)s AND occurred_at < %(until)s GROUP BY asset_id
),
repairs AS (
    SELECT asset_id, AVG(EXTRACT(EPOCH FROM completed_at - started_at)) / 3600 AS mttr
    FROM maintenance_workorder
    WHERE status = %(completed)s AND completed_at >= %(start)s AND completed_at < %(end)s
      AND work_type = ANY(%(breakdown)s) AND started_at IS NOT NULL AND asset_id IS NOT NULL
    GROUP BY asset_id
)
SELECT a.id, a.asset_id, a.name,
       round((100 * (1 - COALESCE(down.hours, 0) / NULLIF(e.hours, 0)))::numeric, 1),
       COALESCE(failed.n, 0),
       round(((e.hours - COALESCE(down.hours, 0)) / NULLIF(failed.n, 0))::numeric, 2),
       round(repairs.mttr::numeric, 2),
       round(COALESCE(down.hours, 0)::numeric, 2)
FROM assets_asset a
CROSS JOIN LATERAL (
    SELECT GREATEST(EXTRACT(EPOCH FROM %(until)s - GREATEST(a.created_at, %(start)s)) / 3600, 0)
        AS hours
) e
LEFT JOIN down ON down.asset_id = a.id
LEFT JOIN failed ON failed.asset_id = a.id
LEFT JOIN repairs ON repairs.asset_id = a.id
WHERE a.status <> ALL(%(out)s) AND a.created_at < %(until)s {only}
ORDER BY a.asset_id
"""


def device_performance(
    *, period: Period, asset_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Per asset in service: uptime, failures, MTBF, MTTR and downtime over the period
    (each asset's exposure starts when it was registered, if that was later). One query."""
    only = "AND a.asset_id = ANY(%(codes)s)" if asset_ids else ""
    rows = _all(
        DEVICE_SQL.format(only=only),
        {
            **period.params(),
            "completed": Status.COMPLETED,
            "breakdown": list(BREAKDOWN),
            "out": list(OUT_OF_SERVICE),
            "codes": list(asset_ids or []),
        },
    )
    keys = ("asset_id", "name", "uptime_percent", "failures", "mtbf_hours", "mttr_hours")
    health = _health([row[0] for row in rows])
    out = []
    for pk, *figures in rows:
        item = health.get(pk)
        out.append(
            {
                **dict(zip((*keys, "downtime_hours"), figures, strict=True)),
                **(
                    {"health_score": item["health_score"], "risk_level": item["risk_level"]}
                    if item
                    else HEALTH_UNKNOWN
                ),
            }
        )
    return out


# --- Predictive insights -------------------------------------------------------------------

# Assets whose health is computed per round of queries (one query per factor each round).
HEALTH_CHUNK = 1000


def _health(asset_pks: list[int]) -> dict[int, dict[str, Any]]:
    """The IoT health of many assets: a fixed number of queries per chunk of them."""
    health: dict[int, dict[str, Any]] = {}
    for start in range(0, len(asset_pks), HEALTH_CHUNK):
        health.update(devices_health(asset_pks[start : start + HEALTH_CHUNK]))
    return health


def predictive_insights(
    *, period: Period, asset_ids: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Assets in service, riskiest first (risk level, then the nearest predicted failure,
    then the lowest health score), each with the reasons behind its health. Health is
    as of now (the period does not change it); a forecast comes from the newest ready
    remaining-life model and counts from the asset's latest reading."""
    assets = Asset.objects.exclude(status__in=OUT_OF_SERVICE)
    if asset_ids:
        assets = assets.filter(asset_id__in=list(asset_ids))
    rows = list(assets.order_by("asset_id").values_list("pk", "asset_id", "name"))
    health = _health([pk for pk, _, _ in rows])
    lead_days = MaintenanceSettings.current().predictive_lead_days
    out = []
    for pk, code, name in rows:
        item = health[pk]
        out.append(
            {
                "asset_id": code,
                "name": name,
                "risk_level": item["risk_level"],
                "health_score": item["health_score"],
                "predicted_failure_within_days": item["predicted_failure_within_days"],
                "model": item["model"],
                "as_of": item["as_of"],
                "reasons": health_reasons(item, lead_days=lead_days),
                "_rank": riskiness(item),
            }
        )
    out.sort(key=lambda row: row["_rank"])
    for row in out:
        del row["_rank"]
    return out


def open_by_priority() -> dict[str, int]:
    """Open work now, per priority (the backlog a planner works down)."""
    counts = dict.fromkeys(Priority.values, 0)
    for priority, count in _all(
        "SELECT priority, count(*) FROM maintenance_workorder "
        "WHERE status = ANY(%(active)s) GROUP BY priority",
        {"active": list(ACTIVE_STATUSES)},
    ):
        counts[priority] = count
    return counts
