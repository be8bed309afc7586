"""How maintenance reacts to what the asset register and the store record.

Each reaction runs inside the transaction that recorded the fact (see
``core.reactions``): the history entry and any PM work order it opens commit
together with the reading or alert that caused them.
"""

from assets.events import (
    AlertRaised,
    FailureNamesWorkOrder,
    MeterReadingRecorded,
    MetricSeriesRecorded,
    PerformanceRecorded,
)
from core.exceptions import Forbidden, InvalidInput
from core.reactions import reacts_to
from core.roles import Role
from inventory.events import StockMovingForWorkOrder
from maintenance.choices import FINAL_STATUSES, HistoryKind, Status
from maintenance.events import WorkOrderStatusChanged
from maintenance.models import WorkOrder
from maintenance.pm import due_dates, triggers
from maintenance.services.history import history_record


@reacts_to(MeterReadingRecorded)
def record_reading(event: MeterReadingRecorded) -> None:
    reading = event.reading
    meter = reading.meter
    history_record(
        kind=HistoryKind.READING,
        summary=f"{meter.name}: {reading.value.normalize():f} {meter.unit}",
        asset=meter.asset,
        actor=reading.recorded_by,
        data={
            "meter": meter.pk,
            "reading": reading.pk,
            "value": str(reading.value),
            "delta": str(reading.delta),
        },
        at=reading.reading_at,
    )
    triggers.on_meter_reading(reading)


@reacts_to(AlertRaised)
def record_alert(event: AlertRaised) -> None:
    alert, escalated = event.alert, event.escalated
    history_record(
        kind=HistoryKind.ALERT,
        summary=("Alert escalated: " if escalated else "Alert: ") + alert.message,
        asset=alert.asset,
        data={"alert": alert.pk, "severity": alert.severity, "metric": alert.metric},
        at=alert.last_seen_at if escalated else alert.raised_at,
    )
    triggers.on_alert(alert, escalated)


@reacts_to(PerformanceRecorded)
def check_performance(event: PerformanceRecorded) -> None:
    triggers.on_performance(event.record)


@reacts_to(MetricSeriesRecorded)
def follow_metric_series(event: MetricSeriesRecorded) -> None:
    triggers.on_metric_series(event.series)


@reacts_to(WorkOrderStatusChanged)
def follow_pm_work(event: WorkOrderStatusChanged) -> None:
    """A PM work order that ends moves its plan on; a completion may start event-based PM."""
    work_order = event.work_order
    if work_order.status not in FINAL_STATUSES:
        return
    due_dates.occurrence_closed(schedule_id=work_order.schedule_id, asset_id=work_order.asset_id)
    if work_order.status == Status.COMPLETED:
        triggers.on_work_order_completed(work_order)


@reacts_to(StockMovingForWorkOrder)
def check_stock_booking(event: StockMovingForWorkOrder) -> None:
    """Stock moves only for a real work order; technicians book only on their own work."""
    assignee = WorkOrder.objects.filter(pk=event.work_order_id).values_list(
        "assigned_to_id", flat=True
    )
    if not assignee.exists():
        raise InvalidInput(
            {"work_order": [f'Invalid pk "{event.work_order_id}" - object does not exist.']}
        )
    by = event.by
    if (
        by is not None
        and by.is_authenticated
        and by.role == Role.TECHNICIAN
        and assignee.first() != by.pk
    ):
        raise Forbidden("Technicians record parts on the work orders assigned to them.")


@reacts_to(FailureNamesWorkOrder)
def check_failure_work_order(event: FailureNamesWorkOrder) -> None:
    """A failure names a real work order, and one about the same asset."""
    asset_id = (
        WorkOrder.objects.filter(pk=event.work_order_id).values_list("asset_id", flat=True).first()
    )
    exists = asset_id is not None or WorkOrder.objects.filter(pk=event.work_order_id).exists()
    if not exists:
        raise InvalidInput(
            {"work_order": [f'Invalid pk "{event.work_order_id}" - object does not exist.']}
        )
    if asset_id is not None and asset_id != event.asset.pk:
        raise InvalidInput({"work_order": ["That work order is about another asset."]})
