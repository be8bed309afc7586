"""Where each (schedule, asset) stands: its state row and its next due date.

A state row per (schedule, asset) in scope remembers the last occurrence
generated and the next one due (time-based plans). Schedules show the soonest
of their assets' next due dates. Everything here is set-based: one statement
per step, whatever the number of schedules.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from assets.choices import AssetStatus
from maintenance.choices import TriggerType
from maintenance.models import PMSchedule, PMScheduleAsset, calendar_engine
from maintenance.scheduling import Recurrence, next_due

# Assets in these statuses are out of every plan's scope.
RETIRED: tuple[str, ...] = (AssetStatus.RETIRED, AssetStatus.DECOMMISSIONED)


def recurrence_of(schedule: PMSchedule) -> Recurrence:
    return Recurrence(
        schedule.frequency or None,
        anchor=schedule.starts_at,
        interval=schedule.interval,
        cron=schedule.cron or None,
        timezone=schedule.calendar.timezone if schedule.calendar else "UTC",
    )


_recurrences: dict[tuple[Any, ...], Recurrence] = {}


def recurrence_of_cached(schedule: PMSchedule) -> Recurrence:
    """``recurrence_of`` for generation runs, which see the same few plans thousands of times."""
    key = (
        schedule.frequency,
        schedule.interval,
        schedule.cron,
        schedule.starts_at,
        schedule.calendar.timezone if schedule.calendar else "UTC",
    )
    rec = _recurrences.get(key)
    if rec is None:
        if len(_recurrences) > 10_000:
            _recurrences.clear()
        rec = _recurrences[key] = recurrence_of(schedule)
    return rec


def start_before(rec: Recurrence, created_at: datetime) -> datetime | None:
    """For a plan anchored in the past: the occurrence just before it started applying.

    A plan applies from the start of the (local) day it was set up on an asset, so
    one made at 08:05 still gets today's 08:00 occurrence, but one anchored years
    ago does not generate a backlog from before it existed.
    """
    local = created_at.astimezone(rec.tz)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if rec.anchor >= start_of_day:
        return None
    return rec.previous_at_or_before(start_of_day - timedelta(microseconds=1))


SCOPE_SQL = """
    SELECT s.id AS schedule_id, m.asset_id FROM maintenance_pmschedule s
    JOIN maintenance_pmschedule_assets m ON m.pmschedule_id = s.id
    JOIN assets_asset a ON a.id = m.asset_id
    WHERE s.active AND a.status <> ALL(%(retired)s) {where}
    UNION
    SELECT s.id, a.id FROM maintenance_pmschedule s
    JOIN assets_asset a ON a.asset_type = s.asset_type
    WHERE s.active AND s.asset_type <> '' AND a.status <> ALL(%(retired)s) {where}
"""


def ensure_states(schedule_ids: Sequence[int] | None) -> None:
    """A state row for every (schedule, asset) in scope, new assets of a type included."""
    where = "AND s.id = ANY(%(ids)s)" if schedule_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO maintenance_pmscheduleasset
                (schedule_id, asset_id, usage_accumulated, condition_fired, skipped, created_at, updated_at)
            SELECT schedule_id, asset_id, 0, false, 0, now(), now()
            FROM ({SCOPE_SQL.format(where=where)}) scope
            ON CONFLICT (schedule_id, asset_id) DO NOTHING
            """,  # noqa: S608 - fixed fragments only
            {"ids": list(schedule_ids or []), "retired": list(RETIRED)},
        )


def refresh_next_due(schedule_ids: Sequence[int]) -> None:
    """Compute missing next due dates (time-based) and roll them up into the schedules."""
    ensure_states(schedule_ids)
    schedules = {
        s.pk: s
        for s in PMSchedule.objects.filter(
            pk__in=schedule_ids, trigger_type=TriggerType.TIME_BASED
        ).select_related("calendar")
    }
    pending = list(
        PMScheduleAsset.objects.filter(
            schedule_id__in=schedules, next_due__isnull=True
        ).values_list("id", "schedule_id", "last_nominal", "created_at")
    )
    updates = []
    for state_id, schedule_id, last_nominal, created_at in pending:
        schedule = schedules[schedule_id]
        rec, cal = recurrence_of(schedule), calendar_engine(schedule.calendar)
        upcoming = next_due(
            rec,
            schedule.schedule_mode,
            last_due=last_nominal or start_before(rec, created_at),
            calendar=cal,
        )
        if upcoming is not None:
            updates.append((state_id, upcoming.nominal, upcoming.due))
    write_next(updates)
    roll_up_next_due(schedule_ids)


def roll_up_next_due(schedule_ids: Iterable[int], **also: Any) -> None:
    """Each schedule's ``next_due_at`` is the soonest of its assets' (plus ``also`` fields)."""
    soonest = Subquery(
        PMScheduleAsset.objects.filter(schedule_id=OuterRef("pk"))
        .values("schedule_id")
        .annotate(first=Min("next_due"))
        .values("first")[:1]
    )
    PMSchedule.objects.filter(pk__in=list(schedule_ids)).update(
        next_due_at=soonest, **{"updated_at": timezone.now(), **also}
    )


def write_next(updates: Iterable[tuple[int, datetime | None, datetime | None]]) -> None:
    """Set (state id, next nominal, next due) on many state rows in one statement."""
    updates = list(updates)
    if not updates:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE maintenance_pmscheduleasset st
            SET next_nominal = v.next_nominal, next_due = v.next_due, updated_at = now()
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, next_nominal, next_due)
            WHERE st.id = v.id
            """,
            [[u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]],
        )


def forget_next_due(*, schedule_ids: Iterable[int] | None = None, **scope: Any) -> None:
    """The plan, its calendar or its last work changed: recompute next due dates from scratch."""
    states = PMScheduleAsset.objects.filter(**scope)
    if schedule_ids is not None:
        states = states.filter(schedule_id__in=list(schedule_ids))
    states.update(next_nominal=None, next_due=None, updated_at=timezone.now())


def occurrence_closed(*, schedule_id: int | None, asset_id: int | None) -> None:
    """A generated work order completed or was cancelled: a floating plan counts its next
    occurrence from now, so forget the estimate and let the next run recompute it."""
    if schedule_id is None or asset_id is None:
        return
    forget_next_due(schedule_id=schedule_id, asset_id=asset_id)
