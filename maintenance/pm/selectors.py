"""Reads of preventive maintenance: forecasts and statistics."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from assets.models import MeterReading
from maintenance.choices import ACTIVE_STATUSES, PLANNED_WORK_TYPES, Status, TriggerType
from maintenance.models import PMSchedule, PMScheduleAsset, WorkOrder, calendar_engine
from maintenance.pm.due_dates import RETIRED, recurrence_of, start_before
from maintenance.scheduling import forecast

# PM compliance: done within this share of the interval after the due date counts as on time.
ON_TIME_SHARE = Decimal("0.10")


def last_generated_outcomes(
    rows: list[tuple[int, int, datetime | None]],
) -> dict[tuple[int, int], tuple[str, datetime | None]]:
    """(status, finished_at) of each state's last generated work order."""
    keyed = [(s, a, n) for s, a, n in rows if n is not None]
    if not keyed:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.schedule_id, w.asset_id, w.status, COALESCE(w.completed_at, w.cancelled_at)
            FROM maintenance_workorder w
            JOIN unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS k(schedule_id, asset_id, nominal)
              ON w.schedule_id = k.schedule_id AND w.asset_id = k.asset_id AND w.pm_nominal = k.nominal
            """,
            [[k[0] for k in keyed], [k[1] for k in keyed], [k[2] for k in keyed]],
        )
        return {(s, a): (status, finished) for s, a, status, finished in cursor.fetchall()}


@dataclass(frozen=True)
class Forecast:
    asset_id: str
    nominal: datetime
    due: datetime
    estimated: bool = False


def schedule_forecast(schedule: PMSchedule, *, until: datetime, limit: int = 500) -> list[Forecast]:
    """Upcoming occurrences up to ``until``, per asset, soonest first; nothing is created.

    Time-based plans follow their calendar. Usage-based plans are estimated from
    each asset's meter over the last 30 days. Other triggers cannot be foreseen.
    """
    states = list(
        PMScheduleAsset.objects.filter(schedule=schedule)
        .select_related("asset")
        .exclude(asset__status__in=RETIRED)
    )
    if schedule.trigger_type == TriggerType.TIME_BASED:
        return _calendar_forecast(schedule, states, until=until, limit=limit)
    if schedule.trigger_type == TriggerType.USAGE_BASED:
        return _usage_forecast(schedule, states, until=until, limit=limit)
    return []


def _calendar_forecast(
    schedule: PMSchedule, states: list[PMScheduleAsset], *, until: datetime, limit: int
) -> list[Forecast]:
    rec, cal = recurrence_of(schedule), calendar_engine(schedule.calendar)
    previous = last_generated_outcomes(
        [(s.schedule_id, s.asset_id, s.last_nominal) for s in states]
    )
    upcoming = []
    for state in states:
        status, finished = previous.get((state.schedule_id, state.asset_id), (None, None))
        for occurrence in forecast(
            rec,
            schedule.schedule_mode,
            last_due=state.last_nominal or start_before(rec, state.created_at),
            last_completed=None if status in ACTIVE_STATUSES else finished,
            calendar=cal,
            until=until,
            limit=limit,
        ):
            upcoming.append(Forecast(state.asset.asset_id, occurrence.nominal, occurrence.due))
    return sorted(upcoming, key=lambda f: (f.due, f.asset_id))[:limit]


def _usage_forecast(
    schedule: PMSchedule, states: list[PMScheduleAsset], *, until: datetime, limit: int
) -> list[Forecast]:
    now = timezone.now()
    every = schedule.trigger_value or Decimal(0)
    cal = calendar_engine(schedule.calendar)
    upcoming = []
    for state in states:
        used = MeterReading.objects.filter(
            meter__asset=state.asset,
            meter__name__iexact=schedule.meter_name,
            reading_at__gte=now - timedelta(days=30),
        ).aggregate(total=Sum("delta"))["total"] or Decimal(0)
        per_day = used / 30
        if per_day <= 0 or every <= 0:
            continue
        remaining = every - state.usage_accumulated
        moment = now + timedelta(days=float(max(remaining, Decimal(0)) / per_day))
        while moment <= until and len(upcoming) < limit:
            upcoming.append(
                Forecast(
                    state.asset.asset_id, moment, cal.next_working_slot(moment), estimated=True
                )
            )
            moment += timedelta(days=float(every / per_day))
    return sorted(upcoming, key=lambda f: (f.due, f.asset_id))[:limit]


@dataclass(frozen=True)
class Compliance:
    """PM compliance over a period: time-based PM work due, and how much of it was on time."""

    due: int
    on_time: int

    @property
    def percent(self) -> Decimal | None:
        if not self.due:
            return None
        return Decimal(100) * self.on_time / self.due


def pm_compliance(*, start: datetime, end: datetime) -> Compliance:
    """Time-based PM work orders due in [start, end) (and already due), and those of them
    completed within 10% of their plan's interval after the due date (``pm_on_time_by``).

    The one implementation of the rule: PM statistics and analytics both read it. One query.
    """
    until = min(end, timezone.now())
    counts = WorkOrder.objects.filter(
        pm_on_time_by__isnull=False, due_at__gte=start, due_at__lt=until
    ).aggregate(
        due=Count("id"),
        on_time=Count(
            "id", filter=Q(status=Status.COMPLETED, completed_at__lte=F("pm_on_time_by"))
        ),
    )
    return Compliance(due=counts["due"], on_time=counts["on_time"])


def planned_maintenance_percent(*, start: datetime, end: datetime) -> Decimal | None:
    """Planned work's share of the hours of work completed in [start, end) (of the work
    orders, when none recorded hours); None when nothing was completed. One query."""
    totals = WorkOrder.objects.filter(
        status=Status.COMPLETED, completed_at__gte=start, completed_at__lt=end
    ).aggregate(
        planned_hours=Sum("actual_hours", filter=Q(work_type__in=PLANNED_WORK_TYPES)),
        hours=Sum("actual_hours"),
        planned=Count("id", filter=Q(work_type__in=PLANNED_WORK_TYPES)),
        count=Count("id"),
    )
    if totals["hours"]:
        return Decimal(100) * (totals["planned_hours"] or 0) / totals["hours"]
    if totals["count"]:
        return Decimal(100) * Decimal(totals["planned"]) / totals["count"]
    return None


def pm_statistics(*, start: datetime, end: datetime) -> dict[str, Any]:
    """Schedules by trigger; PM work due, overdue, generated, completed and on time in
    [start, end); PM compliance and planned maintenance percentages."""
    now = timezone.now()
    by_trigger = {kind: 0 for kind in TriggerType.values}
    by_trigger.update(
        dict(
            PMSchedule.objects.filter(active=True)
            .values_list("trigger_type")
            .annotate(n=Count("id"))
        )
    )
    pm = WorkOrder.objects.filter(schedule__isnull=False)
    compliance = pm_compliance(start=start, end=end)
    planned_share = planned_maintenance_percent(start=start, end=end)

    def percent(value: Decimal | None) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(Decimal("0.1"))

    return {
        "start_date": start,
        "end_date": end,
        "schedules": {"active": sum(by_trigger.values()), "by_trigger": by_trigger},
        "due": pm.filter(due_at__gte=start, due_at__lt=min(end, now)).count(),
        "overdue": pm.filter(status__in=ACTIVE_STATUSES, due_at__lt=now).count(),
        "generated": pm.filter(created_at__gte=start, created_at__lt=end).count(),
        "completed": pm.filter(
            status=Status.COMPLETED, completed_at__gte=start, completed_at__lt=end
        ).count(),
        "completed_on_time": compliance.on_time,
        "pm_compliance_percentage": percent(compliance.percent),
        "planned_maintenance_percentage": percent(planned_share),
    }
