"""What the asset register tells us goes into the maintenance history."""

from typing import Any

from assets.models import Alert, MeterReading, PerformanceRecord
from maintenance.choices import HistoryKind
from maintenance.services.history import history_record


def record_reading(sender: Any, reading: MeterReading, **kwargs: Any) -> None:
    from maintenance.services.pm_triggers import on_meter_reading

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
    on_meter_reading(reading)


def record_alert(sender: Any, alert: Alert, escalated: bool, **kwargs: Any) -> None:
    from maintenance.services.pm_triggers import on_alert

    history_record(
        kind=HistoryKind.ALERT,
        summary=("Alert escalated: " if escalated else "Alert: ") + alert.message,
        asset=alert.asset,
        data={"alert": alert.pk, "severity": alert.severity, "metric": alert.metric},
        at=alert.last_seen_at if escalated else alert.raised_at,
    )
    on_alert(alert, escalated)


def check_performance(sender: Any, record: PerformanceRecord, **kwargs: Any) -> None:
    from maintenance.services.pm_triggers import on_performance

    on_performance(record)
