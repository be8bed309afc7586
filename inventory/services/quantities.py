"""What quantities and unit costs the store accepts: exact, finite, within their columns.

Refusing beyond a column's reach is a clear 400 for every caller, never a
database error or a value rounded behind the ledger's back.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from core.exceptions import InvalidInput

# The largest value a QUANTITY column holds.
MAX_QUANTITY = Decimal("99999999999.999")
COST_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.001")


def require_positive(name: str, value: Any) -> Decimal:
    """A quantity above zero that fits its column exactly."""
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise InvalidInput({name: ["A number is required."]})
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise InvalidInput({name: ["Must be greater than zero."]})
    if value > MAX_QUANTITY or value != value.quantize(QUANTITY_STEP):
        raise InvalidInput({name: ["At most 11 digits before and 3 after the decimal point."]})
    return value


def is_zero(value: Any) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool) and value == 0


def require_cost(name: str, value: Any) -> Decimal:
    """A unit cost that fits its column exactly (so nothing is rounded behind the ledger)."""
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise InvalidInput({name: ["A number is required."]})
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise InvalidInput({name: ["Must not be negative."]})
    if value >= Decimal("1e10") or value != value.quantize(COST_STEP):
        raise InvalidInput({name: ["At most 10 digits before and 4 after the decimal point."]})
    return value


def require_non_negative(values: Mapping[str, Any], names: Iterable[str]) -> None:
    errors = {
        name: ["Must not be negative."]
        for name in names
        if values.get(name) is not None and Decimal(values[name]) < 0
    }
    if errors:
        raise InvalidInput(errors)
