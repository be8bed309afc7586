"""The clocks: applied when work orders are created, stopped and paused as they move.

All time arithmetic is the working calendar's (``maintenance.scheduling``): a clock
counts only the working time of its policy's calendar, round the clock without one.

A clock's due time is ``add_working_time(started_at, minutes + paused)``, where
``paused`` is the working time its pauses have lasted so far. It is computed when
the policy is applied; it moves when a pause ends (only the points still ahead
when the pause began move) and when the priority changes (the policy that now
applies sets the terms). The warning point is the same with
``warning_threshold_percent`` of the minutes.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from maintenance.choices import FINAL_STATUSES, Status
from maintenance.models import WorkOrder
from maintenance.models.schedules import calendar_engine
from maintenance.scheduling import WorkingCalendar
from sla.models import ClockCrossing, Policy, WorkOrderClock
from sla.selectors import active_policies, policy_for


def _engine(policy: Policy) -> WorkingCalendar:
    return calendar_engine(policy.calendar)


def _points(
    engine: WorkingCalendar, started_at: datetime, minutes: int, percent: int, paused_seconds: int
) -> tuple[datetime, datetime]:
    """(warning point, due time) of a clock of ``minutes`` working minutes."""
    paused = timedelta(seconds=paused_seconds)
    budget = timedelta(minutes=minutes)
    warn = engine.add_working_time(started_at, budget * percent / 100 + paused)
    due = engine.add_working_time(started_at, budget + paused)
    return warn, due


def _set_terms(clock: WorkOrderClock, policy: Policy) -> None:
    clock.policy = policy
    clock.response_minutes = policy.response_minutes
    clock.resolution_minutes = policy.resolution_minutes
    clock.warning_threshold_percent = policy.warning_threshold_percent
    clock.pause_on_hold = policy.pause_on_hold


def _recompute(
    clock: WorkOrderClock, engine: WorkingCalendar, *, only_after: datetime | None
) -> None:
    """Move the points of the clocks still running (those ahead of ``only_after``, if given)."""
    percent, paused = clock.warning_threshold_percent, clock.paused_seconds
    if clock.responded_at is None:
        warn, due = _points(engine, clock.started_at, clock.response_minutes, percent, paused)
        if only_after is None or clock.response_warn_at > only_after:
            clock.response_warn_at = warn
        if only_after is None or clock.response_due_at > only_after:
            clock.response_due_at = due
    if clock.resolved_at is None:
        warn, due = _points(engine, clock.started_at, clock.resolution_minutes, percent, paused)
        if only_after is None or clock.resolution_warn_at > only_after:
            clock.resolution_warn_at = warn
        if only_after is None or clock.resolution_due_at > only_after:
            clock.resolution_due_at = due


def next_check(clock: WorkOrderClock) -> datetime | None:
    """The earliest warning or due point of a running clock (none while paused or stopped).

    A point already crossed may come back; the monitor records nothing twice and
    moves ``next_check_at`` past it.
    """
    if clock.paused_at is not None or clock.cancelled_at is not None:
        return None
    points = []
    if clock.responded_at is None:
        points += [clock.response_warn_at, clock.response_due_at]
    if clock.resolved_at is None:
        points += [clock.resolution_warn_at, clock.resolution_due_at]
    return min(points, default=None)


def _new_clock(work_order: WorkOrder, policy: Policy, points: dict) -> WorkOrderClock:
    started_at = work_order.reported_at or work_order.created_at
    key = (policy.pk, started_at)
    if key not in points:
        engine = _engine(policy)
        percent = policy.warning_threshold_percent
        points[key] = (
            *_points(engine, started_at, policy.response_minutes, percent, 0),
            *_points(engine, started_at, policy.resolution_minutes, percent, 0),
        )
    response_warn, response_due, resolution_warn, resolution_due = points[key]
    clock = WorkOrderClock(
        work_order=work_order,
        started_at=started_at,
        response_warn_at=response_warn,
        response_due_at=response_due,
        resolution_warn_at=resolution_warn,
        resolution_due_at=resolution_due,
    )
    _set_terms(clock, policy)
    clock.next_check_at = next_check(clock)
    return clock


def _criticality(work_order: WorkOrder) -> str | None:
    return work_order.asset.criticality if work_order.asset_id else None


def clocks_apply(work_orders: Sequence[WorkOrder]) -> list[WorkOrderClock]:
    """Put the clocks of the policy that applies on each new work order, in one insert.

    Two queries however many work orders (the active policies, the insert): a PM
    run of thousands stays set-based. The work orders learn their clocks in memory,
    so announcing them reads nothing back.
    """
    policies = active_policies() if work_orders else []
    points: dict = {}
    clocks = []
    for work_order in work_orders:
        policy = None
        if work_order.status not in FINAL_STATUSES:
            policy = policy_for(
                policies,
                priority=work_order.priority,
                work_type=work_order.work_type,
                asset_criticality=_criticality(work_order),
            )
        clock = _new_clock(work_order, policy, points) if policy is not None else None
        work_order._state.fields_cache["sla_clock"] = clock
        if clock is not None:
            clocks.append(clock)
    WorkOrderClock.objects.bulk_create(clocks)
    return clocks


def _locked_clock(work_order: WorkOrder) -> WorkOrderClock | None:
    return (
        WorkOrderClock.objects.select_for_update(of=("self",))
        .select_related("policy__calendar")
        .filter(work_order_id=work_order.pk)
        .first()
    )


def _minutes_taken(clock: WorkOrderClock, engine: WorkingCalendar, stopped: datetime) -> Decimal:
    worked = engine.working_time_between(clock.started_at, stopped).total_seconds()
    return Decimal(max(worked - clock.paused_seconds, 0) / 60).quantize(Decimal("0.01"))


def _resume(clock: WorkOrderClock, engine: WorkingCalendar, at: datetime) -> None:
    paused_at = clock.paused_at
    if paused_at is None:
        return
    lasted = engine.working_time_between(paused_at, max(at, paused_at))
    clock.paused_seconds += int(lasted.total_seconds())
    clock.paused_at = None
    _recompute(clock, engine, only_after=paused_at)


def _stop_escalating(work_order: WorkOrder, clocks: Sequence[str]) -> None:
    ClockCrossing.objects.filter(
        work_order_id=work_order.pk, clock__in=clocks, next_escalation_at__isnull=False
    ).update(next_escalation_at=None)


def clock_follow_status(work_order: WorkOrder, at: datetime) -> None:
    """Stop, pause or resume the clocks as the work order moves in the status machine.

    First start: the response clock stops (``responded_at``). Hold: both clocks pause
    if the policy says so. Start again: the pause ends and the points still ahead
    move by the working time it lasted. Completion: the resolution clock stops
    (``resolved_at``). Cancellation: both stop where they are.
    """
    clock = _locked_clock(work_order)
    if clock is None:
        return
    engine = _engine(clock.policy)
    status = work_order.status
    stopped: list[str] = []
    if status in (Status.IN_PROGRESS, Status.COMPLETED):
        _resume(clock, engine, at)
        if clock.responded_at is None:
            clock.responded_at = work_order.started_at or at
            clock.response_minutes_taken = _minutes_taken(clock, engine, clock.responded_at)
            stopped.append("response")
    if status == Status.COMPLETED and clock.resolved_at is None:
        clock.resolved_at = work_order.completed_at or at
        clock.resolution_minutes_taken = _minutes_taken(clock, engine, clock.resolved_at)
        stopped.append("resolution")
    if status == Status.ON_HOLD and clock.pause_on_hold and clock.paused_at is None:
        clock.paused_at = at
    if status == Status.CANCELLED and clock.cancelled_at is None:
        clock.cancelled_at = at
        stopped += ["response", "resolution"]
    clock.next_check_at = next_check(clock)
    clock.save()
    if stopped:
        _stop_escalating(work_order, stopped)


@transaction.atomic
def clock_follow_priority(work_order: WorkOrder) -> None:
    """The priority changed: the policy that applies now sets the clocks' terms.

    The running clocks get due times from that policy (counted from the start, with
    the pauses so far); a stopped clock keeps what it had. A work order that no
    policy fits any more loses its clocks; one that had none may get them now.
    """
    if work_order.status in FINAL_STATUSES:
        return
    clock = _locked_clock(work_order)
    policy = policy_for(
        active_policies(),
        priority=work_order.priority,
        work_type=work_order.work_type,
        asset_criticality=_criticality(work_order),
    )
    if clock is None:
        if policy is not None:
            _new_clock(work_order, policy, {}).save()
        return
    if policy is None:
        clock.delete()
        return
    _set_terms(clock, policy)
    _recompute(clock, _engine(policy), only_after=None)
    clock.next_check_at = next_check(clock)
    clock.save()


def clock_of(work_order: WorkOrder) -> WorkOrderClock | None:
    """The work order's clocks, if a policy applies (loaded with it, or one query)."""
    try:
        return work_order.sla_clock
    except ObjectDoesNotExist:
        return None
