from django.db import models


class WorkType(models.TextChoices):
    PREVENTIVE = "preventive", "Preventive"
    CORRECTIVE = "corrective", "Corrective"
    PREDICTIVE = "predictive", "Predictive"
    EMERGENCY = "emergency", "Emergency"
    INSPECTION = "inspection", "Inspection"
    CALIBRATION = "calibration", "Calibration"
    CLEANING = "cleaning", "Cleaning"
    LUBRICATION = "lubrication", "Lubrication"


# Planned work, for "planned maintenance %" (everything else is reactive).
PLANNED_WORK_TYPES: frozenset[str] = frozenset(
    {
        WorkType.PREVENTIVE,
        WorkType.PREDICTIVE,
        WorkType.INSPECTION,
        WorkType.CALIBRATION,
        WorkType.CLEANING,
        WorkType.LUBRICATION,
    }
)


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


PRIORITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class Status(models.TextChoices):
    OPEN = "open", "Open"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES: frozenset[str] = frozenset({Status.COMPLETED, Status.CANCELLED})
ACTIVE_STATUSES: tuple[str, ...] = (
    Status.OPEN,
    Status.SCHEDULED,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
)

# The status machine of the contract: from -> the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.SCHEDULED, Status.IN_PROGRESS, Status.CANCELLED}),
    Status.SCHEDULED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.ON_HOLD, Status.COMPLETED, Status.CANCELLED}),
    Status.ON_HOLD: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class Source(models.TextChoices):
    MANUAL = "manual", "Manual"
    TEMPLATE = "template", "Template"
    SCHEDULE = "schedule", "PM schedule"
    SLA = "sla", "SLA"
    PREDICTIVE = "predictive", "Predictive"
    SYNC = "sync", "External CMMS"
    REQUEST = "request", "Work request"


class StepKind(models.TextChoices):
    TASK = "task", "Task"
    INSPECTION = "inspection", "Inspection (pass / fail / n/a)"
    NUMBER = "number", "Number (with an expected range)"
    TEXT = "text", "Text"
    METER = "meter", "Meter reading"


class InspectionResult(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    NOT_APPLICABLE = "n_a", "Not applicable"


class CostCategory(models.TextChoices):
    CONTRACTOR = "contractor", "Contractor"
    TRAVEL = "travel", "Travel"
    RENTAL = "rental", "Equipment rental"
    MATERIALS = "materials", "Materials (not stocked)"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RequestChannel(models.TextChoices):
    APP = "app", "App or API"
    PUBLIC_FORM = "public_form", "Public QR form"


class HistoryKind(models.TextChoices):
    CREATED = "work_order.created", "Work order created"
    ASSIGNED = "work_order.assigned", "Work order assigned"
    STATUS = "work_order.status", "Work order status changed"
    STARTED = "work_order.started", "Work started"
    HELD = "work_order.held", "Work put on hold"
    COMPLETED = "work_order.completed", "Work order completed"
    CANCELLED = "work_order.cancelled", "Work order cancelled"
    PARTS_USED = "work_order.parts_used", "Parts used"
    LABOR = "work_order.labor", "Labor logged"
    STEP = "work_order.step", "Checklist step done"
    COMMENT = "work_order.comment", "Comment"
    READING = "asset.reading", "Meter reading"
    ALERT = "asset.alert", "Alert raised"
    REQUEST = "request.created", "Problem reported"


class TriggerType(models.TextChoices):
    TIME_BASED = "time_based", "Time based"
    USAGE_BASED = "usage_based", "Usage based (meter)"
    CONDITION_BASED = "condition_based", "Condition based"
    EVENT_BASED = "event_based", "Event based"
    MANUAL = "manual", "Manual"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMI_ANNUAL = "semi_annual", "Semi-annual"
    ANNUAL = "annual", "Annual"
    CUSTOM = "custom", "Every N days"


class ScheduleMode(models.TextChoices):
    FIXED = "fixed", "Fixed (keeps its calendar)"
    FLOATING = "floating", "Floating (from the last completion)"


class TriggerEvent(models.TextChoices):
    ASSET_ALERT = "asset_alert", "An alert on the asset"
    WORK_ORDER_COMPLETED = "work_order_completed", "A work order completed on the asset"
