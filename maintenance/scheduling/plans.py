"""Due-date logic of a PM plan: fixed or floating, moved into working time.

An :class:`Occurrence` has two moments. ``nominal`` is what the recurrence says
(or, in floating mode, one period after the last completion) and is the identity
of the occurrence: the database keeps one work order per (schedule, asset,
nominal), which makes generation idempotent. ``due`` is the nominal moment moved
to the calendar's next working slot, and is what people see and SLAs count from.

Modes:

- fixed: the next nominal occurrence after the last one generated, whatever
  happened to it. A late completion does not shift the plan.
- floating: one period after the last completion (see
  :meth:`Recurrence.after_completion` for the exact meaning per frequency and for
  cron). While the last occurrence is still open the next one is not known;
  :func:`next_due` and :func:`forecast` then assume it will be completed on its
  due moment, and :func:`due_within` generates nothing.

Arguments shared by the functions below:

- ``last_due``: nominal moment of the latest occurrence already generated, or
  None when the schedule never generated one.
- ``last_completed``: when *that* occurrence was completed, or None while it is
  open. (A cancelled occurrence counts as completed when it was cancelled, if
  the caller wants a floating plan to go on from there.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from maintenance.scheduling.calendars import TWENTY_FOUR_SEVEN, WorkingCalendar, ensure_aware
from maintenance.scheduling.recurrence import Recurrence

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Occurrence",
    "ScheduleMode",
    "due_within",
    "forecast",
    "next_due",
]

# How many occurrences one due_within call returns at most: one bulk insert's worth
# (a few hundred rows per asset) keeps a beat task's memory and transaction small.
DEFAULT_BATCH_SIZE = 500

# How far due_within(catch_up=False) may walk back to find the latest missed
# occurrence; a calendar would need to push due dates back by years to hit it.
_MAX_WALK_BACK = 10_000


class ScheduleMode(StrEnum):
    """How the next due date is counted (the API's ``schedule_mode`` values)."""

    FIXED = "fixed"
    FLOATING = "floating"


@dataclass(frozen=True, slots=True, order=True)
class Occurrence:
    """One planned occurrence: its identity (``nominal``) and when it is due (``due``), in UTC."""

    nominal: datetime
    due: datetime


def _mode(value: ScheduleMode | str) -> ScheduleMode:
    try:
        return ScheduleMode(value)
    except ValueError:
        allowed = ", ".join(member.value for member in ScheduleMode)
        raise ValueError(f"unknown schedule mode {value!r}: expected one of {allowed}") from None


def _occurrence(nominal: datetime, calendar: WorkingCalendar) -> Occurrence:
    return Occurrence(nominal=nominal, due=calendar.next_working_slot(nominal))


def next_due(
    recurrence: Recurrence,
    mode: ScheduleMode | str,
    *,
    last_due: datetime | None = None,
    last_completed: datetime | None = None,
    calendar: WorkingCalendar = TWENTY_FOUR_SEVEN,
) -> Occurrence | None:
    """The occurrence that follows the latest generated one, or None when the rule has no more.

    Without any history, both modes start at the first occurrence (the anchor).
    Fixed mode ignores ``last_completed``. Floating mode counts from
    ``last_completed`` (or, while the last occurrence is open, from its due
    moment) and always lands strictly after ``last_due``, so nominal moments of a
    schedule only grow, even after a completion made well ahead of time.
    """
    mode = _mode(mode)
    if last_due is not None:
        last_due = ensure_aware(last_due, "last_due")
    if last_completed is not None:
        last_completed = ensure_aware(last_completed, "last_completed")
    if mode is ScheduleMode.FIXED or (last_due is None and last_completed is None):
        nominal = (
            recurrence.first_at_or_after(recurrence.anchor)
            if last_due is None
            else recurrence.next_after(last_due)
        )
    else:
        if last_completed is None:
            assert last_due is not None
            last_completed = calendar.next_working_slot(last_due)
        nominal = recurrence.after_completion(last_completed, after=last_due)
    return None if nominal is None else _occurrence(nominal, calendar)


def forecast(
    recurrence: Recurrence,
    mode: ScheduleMode | str,
    *,
    last_due: datetime | None = None,
    last_completed: datetime | None = None,
    calendar: WorkingCalendar = TWENTY_FOUR_SEVEN,
    until: datetime,
    limit: int = DEFAULT_BATCH_SIZE,
) -> list[Occurrence]:
    """Upcoming occurrences due at or before ``until`` (at most ``limit``), creating nothing.

    Starts after ``last_due`` like :func:`next_due`; overdue occurrences are
    included. In floating mode each occurrence is assumed to be completed on its
    due moment.
    """
    mode = _mode(mode)
    until = ensure_aware(until, "until")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    result: list[Occurrence] = []
    if mode is ScheduleMode.FIXED:
        start = recurrence.anchor if last_due is None else ensure_aware(last_due, "last_due")
        nominals = recurrence.occurrences(start)
        if last_due is not None:
            nominals = (moment for moment in nominals if moment > start)
        for nominal in nominals:
            # due is never before nominal and grows with it: the first one past the
            # horizon ends the forecast.
            if nominal > until:
                break
            occurrence = _occurrence(nominal, calendar)
            if occurrence.due > until:
                break
            result.append(occurrence)
            if len(result) >= limit:
                break
        return result
    while len(result) < limit:
        occurrence = next_due(
            recurrence,
            mode,
            last_due=last_due,
            last_completed=last_completed,
            calendar=calendar,
        )
        if occurrence is None or occurrence.due > until:
            break
        result.append(occurrence)
        last_due, last_completed = occurrence.nominal, occurrence.due
    return result


def _latest_missed(
    recurrence: Recurrence, calendar: WorkingCalendar, now: datetime
) -> datetime | None:
    """Nominal moment of the last occurrence whose due moment is already past."""
    nominal = recurrence.previous_at_or_before(now)
    for _ in range(_MAX_WALK_BACK):
        if nominal is None or calendar.next_working_slot(nominal) < now:
            return nominal
        nominal = recurrence.previous_at_or_before(nominal - timedelta(microseconds=1))
    return nominal


def due_within(
    recurrence: Recurrence,
    mode: ScheduleMode | str,
    *,
    last_due: datetime | None = None,
    last_completed: datetime | None = None,
    calendar: WorkingCalendar = TWENTY_FOUR_SEVEN,
    now: datetime,
    lead_time: timedelta = timedelta(0),
    limit: int = DEFAULT_BATCH_SIZE,
    catch_up: bool = True,
) -> list[Occurrence]:
    """Occurrences to generate now: due by ``now + lead_time`` and after ``last_due``.

    Ordered by nominal moment, at most ``limit`` (call again with the last
    returned nominal as ``last_due`` while a full batch comes back). Fixed mode
    returns every missed occurrence (they count against PM compliance) unless
    ``catch_up`` is False, which keeps only the latest one whose due moment has
    passed, plus those still to come. Floating mode returns at most one, and none
    while the latest generated occurrence is still open.
    """
    mode = _mode(mode)
    now = ensure_aware(now, "now")
    if not isinstance(lead_time, timedelta) or lead_time < timedelta(0):
        raise ValueError(f"lead_time must be a non-negative timedelta, got {lead_time!r}")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    horizon = now + lead_time
    if mode is ScheduleMode.FLOATING:
        if last_due is not None and last_completed is None:
            return []
        occurrence = next_due(
            recurrence,
            mode,
            last_due=last_due,
            last_completed=last_completed,
            calendar=calendar,
        )
        return [occurrence] if occurrence is not None and occurrence.due <= horizon else []
    if last_due is not None:
        last_due = ensure_aware(last_due, "last_due")
    if not catch_up:
        missed = _latest_missed(recurrence, calendar, now)
        if missed is not None and (last_due is None or missed > last_due):
            # Generate from the latest missed one on, as if the rest had been generated.
            last_due = recurrence.previous_at_or_before(missed - timedelta(microseconds=1))
            if last_due is None:
                return forecast(recurrence, mode, calendar=calendar, until=horizon, limit=limit)
    return forecast(
        recurrence,
        mode,
        last_due=last_due,
        calendar=calendar,
        until=horizon,
        limit=limit,
    )
