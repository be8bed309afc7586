"""One field mapping as the sync engine uses it (defaults and a connection's own)."""

from dataclasses import dataclass, field
from typing import Any

from cmms_sync.choices import Transform


@dataclass(frozen=True)
class Spec:
    external_field: str
    internal_field: str
    transform: str = Transform.NONE
    map: dict[str, Any] = field(default_factory=dict)
    required: bool = False


# Vendors' recurrence units (any case) as our frequencies, of which a plan runs every
# ``interval``. Units we do not plan by (hours, shifts) are left out: such a plan fails
# with its unit named rather than arriving with another period.
RECURRENCE_UNITS: dict[str, str] = {
    **dict.fromkeys(("day", "days", "daily", "d"), "daily"),
    **dict.fromkeys(("week", "weeks", "weekly", "w"), "weekly"),
    **dict.fromkeys(("month", "months", "monthly", "m"), "monthly"),
    **dict.fromkeys(("quarter", "quarters", "quarterly"), "quarterly"),
    **dict.fromkeys(("year", "years", "yearly", "annual", "annually", "y"), "annual"),
}
