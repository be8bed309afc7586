"""What the asset register tells the world.

Two kinds of telling live here. Payload builders give the public shape of an
object, the one its detail endpoint returns and its events carry (the API's
serializers render through them). Domain events are the facts other apps
react to inside the same transaction (see ``core.reactions``): preventive
maintenance counts readings and watches alerts without the register knowing
it exists.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assets.models import Alert, Asset, Failure, MeterReading, PerformanceRecord
from core.reactions import DomainEvent

ALERT_EVENT = "asset:alert"


def alert_payload(alert: Alert) -> dict[str, Any]:
    """An alert as ``GET /api/v1/alerts/{id}/`` returns it and ``asset:alert`` carries it."""
    return {
        "id": alert.pk,
        "asset_id": alert.asset.asset_id,
        "asset_name": alert.asset.name,
        "metric": alert.metric,
        "severity": alert.severity,
        "status": alert.status,
        "source": alert.source,
        "message": alert.message,
        "value": alert.value,
        "threshold": alert.threshold_id,
        "threshold_value": alert.threshold_value,
        "operator": alert.operator,
        "reading_id": alert.reading_id,
        "occurrences": alert.occurrences,
        "raised_at": alert.raised_at,
        "last_seen_at": alert.last_seen_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by else None,
        "resolved_at": alert.resolved_at,
        "resolved_by": alert.resolved_by.username if alert.resolved_by else None,
        "note": alert.note,
    }


def failure_payload(failure: Failure) -> dict[str, Any]:
    """A failure as ``GET /api/v1/assets/{asset_id}/failures/`` lists it (load its asset)."""
    return {
        "id": failure.pk,
        "asset_id": failure.asset.asset_id,
        "occurred_at": failure.occurred_at,
        "failure_mode": failure.failure_mode,
        "cause": failure.cause,
        "remedy": failure.remedy,
        "downtime_hours": failure.downtime_hours,
        "work_order": failure.work_order_id,
        "recorded_by": failure.recorded_by_id,
        "created_at": failure.created_at,
    }


@dataclass(frozen=True)
class FailureNamesWorkOrder(DomainEvent):
    """Someone records a failure and names the work order that dealt with it.

    The register knows work orders only by id; the API dispatches this before
    writing, so that whoever keeps work orders can refuse an unknown one (400).
    """

    work_order_id: int
    asset: Asset


@dataclass(frozen=True)
class AssetCodeReleased(DomainEvent):
    """The asset no longer answers to ``asset_id``: it is being deleted or given another
    code. Whatever names the asset by its code elsewhere (a device's broker login and
    topic) must let go of it."""

    asset: Asset
    asset_id: str


@dataclass(frozen=True)
class MeterReadingRecorded(DomainEvent):
    """A meter reading was recorded (usage-based PM counts its delta)."""

    reading: MeterReading


@dataclass(frozen=True)
class PerformanceRecorded(DomainEvent):
    """A performance record was taken (condition-based PM watches its metrics)."""

    record: PerformanceRecord


@dataclass(frozen=True)
class AlertRaised(DomainEvent):
    """An alert was raised, or an open one escalated to a higher severity."""

    alert: Alert
    escalated: bool


@dataclass(frozen=True)
class MetricSeriesRecorded(DomainEvent):
    """Metric readings recorded together (one IoT batch): per asset primary key and
    lower-cased metric name, the ``(timestamp, value)`` points in time order.

    One fact per batch, however many readings, so condition-based PM looks at its
    plans once per batch and follows each series reading by reading in memory.
    """

    series: Mapping[int, Mapping[str, Sequence[tuple[datetime, float]]]]
