"""How a vendor's record becomes our fields and ours become the vendor's.

Each adapter ships default mappings per entity (``Spec``); a connection's
``FieldMapping`` rows replace the default of the same internal field. A record
whose required field is missing (or cannot be read) fails alone, with the reason.
"""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cmms_sync.adapters.base import iso, to_datetime, to_epoch_ms
from cmms_sync.choices import Transform
from cmms_sync.specs import Spec

__all__ = ["MappingFailed", "Spec", "effective_specs", "map_inward", "map_outward"]

# Internal fields that are read from the vendor but never written back to it.
READ_ONLY_INTERNAL = frozenset({"updated_at", "completed_at"})


class MappingFailed(ValueError):
    """One record cannot be mapped; the message says which field and why."""


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        record = record.setdefault(part, {})
    record[parts[-1]] = value


def _inward(spec: Spec, value: Any) -> Any:
    transform = spec.transform
    if transform == Transform.NONE:
        return value
    if transform == Transform.LOWER:
        return str(value).lower()
    if transform == Transform.UPPER:
        return str(value).upper()
    if transform == Transform.MAP:
        key = str(value)
        if key in spec.map:
            return spec.map[key]
        lowered = {str(k).lower(): v for k, v in spec.map.items()}
        if key.lower() in lowered:
            return lowered[key.lower()]
        raise MappingFailed(f"{spec.external_field}: {value!r} has no translation.")
    if transform == Transform.DATE_MS:
        try:
            return to_datetime(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise MappingFailed(f"{spec.external_field}: {value!r} is not a date.") from exc
    if transform == Transform.NUMBER:
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise MappingFailed(f"{spec.external_field}: {value!r} is not a number.") from exc
        if not number.is_finite():
            raise MappingFailed(f"{spec.external_field}: {value!r} is not a number.")
        return number
    raise MappingFailed(f"{spec.external_field}: unknown transform {transform!r}.")


def _outward(spec: Spec, value: Any) -> Any:
    if value is None:
        return None
    transform = spec.transform
    if transform == Transform.MAP:
        for key, ours in spec.map.items():
            if ours == value:
                return int(key) if str(key).lstrip("-").isdigit() else key
        return None
    if transform == Transform.DATE_MS:
        return to_epoch_ms(value) if isinstance(value, datetime) else value
    if transform == Transform.NUMBER:
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def effective_specs(defaults: Iterable[Spec], overrides: Iterable[Spec]) -> list[Spec]:
    """The adapter's defaults with the connection's own mappings put in their place."""
    by_field = {spec.internal_field: spec for spec in defaults}
    for spec in overrides:
        by_field[spec.internal_field] = spec
    return list(by_field.values())


def map_inward(specs: Iterable[Spec], record: dict[str, Any]) -> dict[str, Any]:
    """Our fields from a vendor record; ``MappingFailed`` when a required one is missing."""
    values: dict[str, Any] = {}
    for spec in specs:
        raw = _get(record, spec.external_field)
        if raw is None or raw == "":
            if spec.required:
                raise MappingFailed(f"{spec.external_field} is required and missing.")
            continue
        values[spec.internal_field] = _inward(spec, raw)
    return values


def map_outward(specs: Iterable[Spec], values: dict[str, Any]) -> dict[str, Any]:
    """The vendor's fields from ours (fields with nothing to send are left out)."""
    record: dict[str, Any] = {}
    for spec in specs:
        if spec.internal_field in READ_ONLY_INTERNAL or spec.internal_field not in values:
            continue
        value = _outward(spec, values[spec.internal_field])
        if value is not None:
            _set(record, spec.external_field, value)
    return record
