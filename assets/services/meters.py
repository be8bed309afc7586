"""Meters on assets (running hours, cycles, distance) and their readings.

A reading is dispatched as ``MeterReadingRecorded`` inside its transaction, so
usage- and condition-based PM (and the maintenance history) count it at once.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assets.events import MeterReadingRecorded
from assets.models import Asset, Meter, MeterReading
from core.audit import audit_record, changes_between
from core.exceptions import InvalidInput
from core.models import User
from core.reactions import dispatch
from core.writes import locked, validate


@transaction.atomic
def meter_create(
    *,
    by: User | None,
    asset: Asset,
    name: str,
    unit: str,
    kind: str = "hours",
    cumulative: bool = True,
) -> Meter:
    name = name.strip()
    if Meter.objects.filter(asset=asset, name__iexact=name).exists():
        raise InvalidInput({"name": ["This asset already has a meter with this name."]})
    meter = Meter(asset=asset, name=name, unit=unit.strip(), kind=kind, cumulative=cumulative)
    validate(meter)
    meter.save()
    audit_record(
        actor=by,
        action="meter.create",
        obj=meter,
        changes=changes_between({}, {"name": name, "unit": meter.unit}),
    )
    return meter


def meter_for_reading(*, by: User | None, asset: Asset, meter: str, unit: str = "") -> Meter:
    """The asset's meter named by id or name; a new name with a unit makes a new meter."""
    meter = meter.strip()
    found = (
        asset.meters.filter(pk=int(meter)).first()
        if meter.isascii() and meter.isdigit() and len(meter) < 19
        else None
    )
    found = found or asset.meters.filter(name__iexact=meter).first()
    if found is not None:
        if unit and unit.strip().lower() != found.unit.lower():
            raise InvalidInput(
                {"unit": [f"The meter {found.name!r} counts in {found.unit}, not {unit}."]}
            )
        return found
    if not unit:
        raise InvalidInput(
            {"meter": [f"This asset has no meter {meter!r}; give a unit to create it."]}
        )
    return meter_create(by=by, asset=asset, name=meter, unit=unit)


@transaction.atomic
def meter_reading_record(
    *,
    by: User | None,
    meter: Meter,
    value: Decimal,
    is_reset: bool = False,
    reading_at: datetime | None = None,
    source: str = "manual",
    notes: str = "",
) -> MeterReading:
    """Record a reading. A cumulative meter refuses a value below its last one
    unless ``is_reset`` (a replaced or rolled-over counter), and refuses readings
    dated before its latest one."""
    reading_at = reading_at or timezone.now()
    meter = locked(meter)
    value = Decimal(value)
    if meter.cumulative and meter.current_value is not None:
        if meter.last_reading_at and reading_at < meter.last_reading_at:
            raise InvalidInput(
                {
                    "reading_at": [
                        "The meter already has a later reading "
                        f"({meter.last_reading_at.isoformat()})."
                    ]
                }
            )
        if value < meter.current_value and not is_reset:
            raise InvalidInput(
                {
                    "value": [
                        f"{value.normalize():f} is below the last reading "
                        f"({meter.current_value.normalize():f} {meter.unit}); "
                        "mark the reading as a reset if the counter was replaced."
                    ]
                }
            )
    # Usage since the last reading; a reset counter starts again from zero.
    if meter.current_value is None:
        delta = Decimal(0)
    elif is_reset:
        delta = value
    else:
        delta = value - meter.current_value
    reading = MeterReading(
        meter=meter,
        value=value,
        delta=delta,
        is_reset=is_reset,
        reading_at=reading_at,
        recorded_by=by,
        source=source,
        notes=notes,
    )
    validate(reading)
    reading.save()
    previous = meter.current_value
    if meter.last_reading_at is None or reading_at >= meter.last_reading_at:
        meter.current_value = value
        meter.last_reading_at = reading_at
        meter.save(update_fields=["current_value", "last_reading_at", "updated_at"])
    audit_record(
        actor=by,
        action="meter.read",
        obj=meter,
        changes=changes_between({"value": previous}, {"value": meter.current_value}),
    )
    dispatch(MeterReadingRecorded(reading=reading))
    return reading
