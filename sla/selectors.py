"""Reads of the SLA app: which policy applies, violations, performance over a window."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from maintenance.choices import Priority
from sla.models import Policy, Violation, WorkOrderClock


def active_policies() -> list[Policy]:
    """Every active policy, with its calendar (one query)."""
    return list(Policy.objects.filter(active=True).select_related("calendar"))


def _specificity(policy: Policy) -> int:
    # asset criticality > work type > priority: a policy naming the criticality beats one
    # naming both of the others.
    return (
        4 * (policy.asset_criticality is not None)
        + 2 * (policy.work_type is not None)
        + (policy.priority is not None)
    )


def policy_for(
    policies: Sequence[Policy],
    *,
    priority: str,
    work_type: str,
    asset_criticality: str | None,
) -> Policy | None:
    """The most specific of ``policies`` that applies (two of the same specificity that
    both apply name the same scope, which the database allows once among active ones)."""
    best: Policy | None = None
    for policy in policies:
        if (
            policy.priority not in (None, priority)
            or policy.work_type not in (None, work_type)
            or policy.asset_criticality not in (None, asset_criticality)
        ):
            continue
        if best is None or _specificity(policy) > _specificity(best):
            best = policy
    return best


def violation_list() -> QuerySet[Violation]:
    return Violation.objects.select_related("work_order")


@dataclass(frozen=True)
class Performance:
    total: int
    met: int
    breached: int
    met_percent: float | None
    by_priority: dict[str, dict[str, Any]]
    mean_response_minutes: float | None
    mean_resolution_minutes: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "met": self.met,
            "breached": self.breached,
            "met_percent": self.met_percent,
            "by_priority": self.by_priority,
            "mean_response_minutes": self.mean_response_minutes,
            "mean_resolution_minutes": self.mean_resolution_minutes,
        }


def _percent(met: int, breached: int) -> float | None:
    return round(met * 100 / (met + breached), 2) if met + breached else None


# A clock breached when it stopped after its due time, or is still running (paused or
# cancelled clocks count where they stood) past it; a work order is met when both
# clocks stopped in time.
PERFORMANCE_SQL = """
WITH judged AS (
    SELECT w.priority,
           c.response_minutes_taken, c.resolution_minutes_taken,
           (CASE WHEN c.responded_at IS NOT NULL THEN c.responded_at > c.response_due_at
                 ELSE LEAST(c.paused_at, c.cancelled_at, %(now)s) >= c.response_due_at END)
           OR
           (CASE WHEN c.resolved_at IS NOT NULL THEN c.resolved_at > c.resolution_due_at
                 ELSE LEAST(c.paused_at, c.cancelled_at, %(now)s) >= c.resolution_due_at END)
             AS breached,
           c.responded_at IS NOT NULL AND c.resolved_at IS NOT NULL AS stopped
    FROM sla_workorderclock c
    JOIN maintenance_workorder w ON w.id = c.work_order_id
    WHERE c.started_at >= %(start)s AND c.started_at < %(end)s
)
SELECT priority,
       count(*),
       count(*) FILTER (WHERE NOT breached AND stopped),
       count(*) FILTER (WHERE breached),
       sum(response_minutes_taken), count(response_minutes_taken),
       sum(resolution_minutes_taken), count(resolution_minutes_taken)
FROM judged GROUP BY priority
"""


def performance(*, start: datetime, end: datetime, now: datetime) -> Performance:
    """Met and breached work orders among those with a policy reported in [start, end).

    One query. Means are of the working minutes each clock ran (pauses excluded),
    over the clocks that stopped.
    """
    with connection.cursor() as cursor:
        cursor.execute(PERFORMANCE_SQL, {"start": start, "end": end, "now": now})
        rows = cursor.fetchall()
    by_priority = {
        name: {"total": 0, "met": 0, "breached": 0, "met_percent": None} for name in Priority.values
    }
    total = met = breached = 0
    response_sum = resolution_sum = 0.0
    response_count = resolution_count = 0
    for priority, count, met_n, breached_n, r_sum, r_n, s_sum, s_n in rows:
        by_priority[priority] = {
            "total": count,
            "met": met_n,
            "breached": breached_n,
            "met_percent": _percent(met_n, breached_n),
        }
        total, met, breached = total + count, met + met_n, breached + breached_n
        response_sum += float(r_sum or 0)
        response_count += r_n
        resolution_sum += float(s_sum or 0)
        resolution_count += s_n
    return Performance(
        total=total,
        met=met,
        breached=breached,
        met_percent=_percent(met, breached),
        by_priority=by_priority,
        mean_response_minutes=round(response_sum / response_count, 2) if response_count else None,
        mean_resolution_minutes=(
            round(resolution_sum / resolution_count, 2) if resolution_count else None
        ),
    )


def breaching_soon(now: datetime, prefix: str = "") -> Q:
    """Work whose response or resolution clock is past its warning point and not yet due:
    what breaches next unless someone acts. ``prefix`` reaches the clock from another model
    (``"sla_clock__"`` from work orders)."""

    def running(clock: str, stopped: str) -> Q:
        return Q(
            **{
                f"{prefix}{stopped}__isnull": True,
                f"{prefix}{clock}_warn_at__lte": now,
                f"{prefix}{clock}_due_at__gt": now,
            }
        )

    standing = Q(**{f"{prefix}cancelled_at__isnull": True, f"{prefix}paused_at__isnull": True})
    return standing & (running("response", "responded_at") | running("resolution", "resolved_at"))


def breaching_soon_count(now: datetime) -> int:
    return WorkOrderClock.objects.filter(breaching_soon(now)).count()
