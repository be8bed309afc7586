"""Money: amounts are Decimals rounded half up to the cent, the same way everywhere."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(value: Decimal | int | str) -> Decimal:
    """``value`` rounded half up to the cent (2.345 -> 2.35), as invoices round."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
