"""Pure-Python scheduling engine for preventive maintenance.

No database here: recurrence rules (:mod:`.recurrence`), working calendars
(:mod:`.calendars`) and the due-date logic of fixed and floating plans
(:mod:`.plans`). All returned moments are timezone-aware and in UTC.
"""

from maintenance.scheduling.calendars import (
    MAX_SEARCH_DAYS,
    TWENTY_FOUR_SEVEN,
    WorkingCalendar,
    WorkingInterval,
    ensure_aware,
    load_timezone,
    wall_to_utc,
)
from maintenance.scheduling.plans import (
    DEFAULT_BATCH_SIZE,
    Occurrence,
    ScheduleMode,
    due_within,
    forecast,
    next_due,
)
from maintenance.scheduling.recurrence import (
    MAX_PERIOD_DAYS,
    MAX_PERIOD_MONTHS,
    Frequency,
    Recurrence,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_PERIOD_DAYS",
    "MAX_PERIOD_MONTHS",
    "MAX_SEARCH_DAYS",
    "TWENTY_FOUR_SEVEN",
    "Frequency",
    "Occurrence",
    "Recurrence",
    "ScheduleMode",
    "WorkingCalendar",
    "WorkingInterval",
    "due_within",
    "ensure_aware",
    "forecast",
    "load_timezone",
    "next_due",
    "wall_to_utc",
]
