from django.db import models


class Clock(models.TextChoices):
    """The two clocks of a work order under a policy."""

    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"


class CrossingKind(models.TextChoices):
    WARNING = "warning", "Warning"
    VIOLATION = "violation", "Violation"


class ClockState(models.TextChoices):
    OK = "ok", "On track"
    WARNING = "warning", "Warning"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"


# Worst first: the state a work order's badge shows is the worse of its two clocks.
STATE_SEVERITY = {
    ClockState.BREACHED: 3,
    ClockState.WARNING: 2,
    ClockState.OK: 1,
    ClockState.MET: 0,
}
