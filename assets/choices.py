from django.db import models


class AssetType(models.TextChoices):
    EQUIPMENT = "equipment", "Equipment"
    MACHINERY = "machinery", "Machinery"
    VEHICLE = "vehicle", "Vehicle"
    BUILDING = "building", "Building"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    TOOL = "tool", "Tool"
    INSTRUMENT = "instrument", "Instrument"
    SYSTEM = "system", "System"
    COMPONENT = "component", "Component"


class AssetStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    MAINTENANCE = "maintenance", "In maintenance"
    REPAIR = "repair", "In repair"
    RETIRED = "retired", "Retired"
    SPARE = "spare", "Spare"
    DECOMMISSIONED = "decommissioned", "Decommissioned"
    TESTING = "testing", "Testing"
    STANDBY = "standby", "Standby"


# An asset in one of these is down: the time counts against its availability.
DOWN_STATUSES: frozenset[str] = frozenset({AssetStatus.MAINTENANCE, AssetStatus.REPAIR})


class Condition(models.TextChoices):
    EXCELLENT = "excellent", "Excellent"
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"
    CRITICAL = "critical", "Critical"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


CRITICALITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class LocationKind(models.TextChoices):
    SITE = "site", "Site"
    BUILDING = "building", "Building"
    FLOOR = "floor", "Floor"
    ROOM = "room", "Room"
    AREA = "area", "Area"


class MeterKind(models.TextChoices):
    HOURS = "hours", "Running hours"
    CYCLES = "cycles", "Cycles"
    DISTANCE = "distance", "Distance"
    VOLUME = "volume", "Volume"
    ENERGY = "energy", "Energy"
    COUNT = "count", "Count"
    GAUGE = "gauge", "Gauge (goes up and down)"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# An alert still needing attention; the same condition raises no second one meanwhile.
ACTIVE_ALERT_STATUSES: tuple[str, ...] = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class AlertSource(models.TextChoices):
    PERFORMANCE = "performance", "Performance record"
    METER = "meter", "Meter reading"
    CONDITION = "condition", "Condition assessment"
    IOT = "iot", "IoT metric"
    MANUAL = "manual", "Manual"


class Operator(models.TextChoices):
    GT = "gt", ">"
    GTE = "gte", ">="
    LT = "lt", "<"
    LTE = "lte", "<="


# Metrics of a performance record that thresholds can watch.
PERFORMANCE_METRICS: tuple[str, ...] = (
    "uptime_percentage",
    "efficiency_rating",
    "throughput",
    "energy_consumption",
    "temperature",
    "vibration",
    "pressure",
    "speed",
    "load_percentage",
    "error_count",
    "warning_count",
    "maintenance_hours",
    "cost_per_hour",
)
