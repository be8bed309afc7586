"""Usage-, condition- and event-based PM: work orders started by what happens to an asset.

Called from maintenance's reactions to what the asset register records
(readings, performance, alerts) and to work orders completing, inside the
transaction that recorded the fact, so the work order and its cause commit
together (see ``maintenance.reactions``).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from assets.choices import PERFORMANCE_METRICS, SEVERITY_RANK, Operator
from assets.models import Alert, Asset, MeterReading, PerformanceRecord
from maintenance.choices import ACTIVE_STATUSES, ScheduleMode, TriggerEvent, TriggerType
from maintenance.models import PMSchedule, PMScheduleAsset, WorkOrder, calendar_engine
from maintenance.pm.due_dates import RETIRED
from maintenance.pm.generation import NewOccurrence, occurrences_generate

COMPARE = {
    Operator.GT: lambda value, limit: value > limit,
    Operator.GTE: lambda value, limit: value >= limit,
    Operator.LT: lambda value, limit: value < limit,
    Operator.LTE: lambda value, limit: value <= limit,
}


def _schedules_for(asset: Asset, trigger_type: str) -> QuerySet[PMSchedule]:
    if asset.status in RETIRED:
        return PMSchedule.objects.none()
    return (
        PMSchedule.objects.filter(active=True, trigger_type=trigger_type)
        .filter(Q(assets=asset) | Q(asset_type=asset.asset_type))
        .select_related("calendar", "template")
        .distinct()
        .order_by("pk")
    )


def _state(schedule: PMSchedule, asset: Asset) -> PMScheduleAsset:
    PMScheduleAsset.objects.get_or_create(schedule=schedule, asset=asset)
    return PMScheduleAsset.objects.select_for_update().get(schedule=schedule, asset=asset)


def _previous_open(schedule: PMSchedule, asset: Asset) -> bool:
    return WorkOrder.objects.filter(
        schedule=schedule, asset=asset, status__in=ACTIVE_STATUSES
    ).exists()


def _occur(schedule: PMSchedule, asset: Asset, state: PMScheduleAsset, at: datetime) -> bool:
    """One occurrence of ``schedule`` on ``asset`` at ``at``; False when skipped."""
    if schedule.skip_if_open and _previous_open(schedule, asset):
        state.skipped += 1
        return False
    due = calendar_engine(schedule.calendar).next_working_slot(at)
    occurrences_generate([NewOccurrence(schedule, asset.pk, at, due)], by=None, now=at)
    state.last_nominal = max(filter(None, [state.last_nominal, at]))
    PMSchedule.objects.filter(pk=schedule.pk).update(last_generated_at=at)
    return True


def on_meter_reading(reading: MeterReading) -> None:
    """Usage-based plans count the units run; condition-based plans may watch the meter."""
    meter = reading.meter
    asset = meter.asset
    for schedule in _schedules_for(asset, TriggerType.USAGE_BASED).filter(
        meter_name__iexact=meter.name
    ):
        state = _state(schedule, asset)
        if reading.delta > 0:
            state.usage_accumulated += reading.delta
        every = schedule.trigger_value or Decimal(0)
        if every > 0 and state.usage_accumulated >= every:
            _occur(schedule, asset, state, reading.reading_at)
            # Fixed plans keep their multiples (every 250 h: 250, 500, ...); floating ones restart.
            floating = schedule.schedule_mode == ScheduleMode.FLOATING
            state.usage_accumulated = Decimal(0) if floating else state.usage_accumulated % every
        state.save()
    _conditions(
        asset,
        {f"meter:{meter.name.lower()}": reading.value, meter.name.lower(): reading.value},
        reading.reading_at,
    )


def on_performance(record: PerformanceRecord) -> None:
    values = {m: getattr(record, m) for m in PERFORMANCE_METRICS if getattr(record, m) is not None}
    _conditions(record.asset, {k: Decimal(v) for k, v in values.items()}, record.recorded_at)


def _conditions(asset: Asset, values: dict[str, Decimal], at: datetime) -> None:
    """A condition must hold for its duration (reading after reading) before work is raised,
    and raises it once per episode: it must clear before it can raise again."""
    for schedule in _schedules_for(asset, TriggerType.CONDITION_BASED):
        metric = schedule.condition_metric.lower()
        if metric not in values:
            continue
        state = _state(schedule, asset)
        breach = COMPARE[schedule.condition_operator](values[metric], schedule.condition_threshold)
        if not breach:
            state.condition_since, state.condition_fired = None, False
        else:
            state.condition_since = state.condition_since or at
            held = at - state.condition_since >= timedelta(
                minutes=schedule.condition_duration_minutes
            )
            if held and not state.condition_fired:
                _occur(schedule, asset, state, at)
                state.condition_fired = True
        state.save()


def _follow_condition(
    schedule: PMSchedule, asset: Asset, state: PMScheduleAsset, value: Decimal | float, at: datetime
) -> None:
    breach = COMPARE[schedule.condition_operator](value, schedule.condition_threshold)
    if not breach:
        state.condition_since, state.condition_fired = None, False
        return
    state.condition_since = state.condition_since or at
    held = at - state.condition_since >= timedelta(minutes=schedule.condition_duration_minutes)
    if held and not state.condition_fired:
        _occur(schedule, asset, state, at)
        state.condition_fired = True


def on_metric_series(series: Mapping[int, Mapping[str, Sequence[tuple[datetime, float]]]]) -> None:
    """Condition-based plans follow a batch of metric readings (IoT), reading by reading in
    time order, with the same rule as one reading at a time: one query for the plans per
    batch, and a plan's state is read and saved once per asset, not once per reading."""
    schedules = list(
        PMSchedule.objects.filter(active=True, trigger_type=TriggerType.CONDITION_BASED)
        .exclude(condition_metric="")
        .select_related("calendar", "template")
        .prefetch_related("assets")
        .order_by("pk")
    )
    if not schedules:
        return
    watched = {schedule.condition_metric.lower() for schedule in schedules}
    asset_ids = [pk for pk, metrics in series.items() if watched & set(metrics)]
    for asset in Asset.objects.filter(pk__in=asset_ids).order_by("pk"):
        if asset.status in RETIRED:
            continue
        metrics = series[asset.pk]
        for schedule in schedules:
            points = metrics.get(schedule.condition_metric.lower())
            if not points:
                continue
            covers = schedule.asset_type == asset.asset_type or any(
                member.pk == asset.pk for member in schedule.assets.all()
            )
            if not covers:
                continue
            state = _state(schedule, asset)
            for at, value in points:
                _follow_condition(schedule, asset, state, value, at)
            state.save()


def on_alert(alert: Alert, escalated: bool) -> None:
    at = alert.last_seen_at if escalated else alert.raised_at
    for schedule in _schedules_for(alert.asset, TriggerType.EVENT_BASED).filter(
        trigger_event=TriggerEvent.ASSET_ALERT
    ):
        minimum = schedule.event_min_severity or "low"
        if SEVERITY_RANK[alert.severity] < SEVERITY_RANK[minimum]:
            continue
        state = _state(schedule, alert.asset)
        _occur(schedule, alert.asset, state, at)
        state.save()


def on_work_order_completed(work_order: WorkOrder) -> None:
    asset = work_order.asset
    if asset is None:
        return
    schedules = _schedules_for(asset, TriggerType.EVENT_BASED).filter(
        trigger_event=TriggerEvent.WORK_ORDER_COMPLETED
    )
    for schedule in schedules:
        if schedule.pk == work_order.schedule_id:
            continue  # its own work does not start it again
        if schedule.event_work_type and schedule.event_work_type != work_order.work_type:
            continue
        state = _state(schedule, asset)
        _occur(schedule, asset, state, work_order.completed_at)
        state.save()
