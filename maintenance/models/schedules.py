"""Preventive maintenance: working calendars, schedules, and per-asset schedule state."""

from decimal import Decimal
from functools import cached_property

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from assets.choices import AssetType, Operator, Severity
from assets.models import Asset
from maintenance.choices import (
    Frequency,
    Priority,
    ScheduleMode,
    TriggerEvent,
    TriggerType,
    WorkType,
)
from maintenance.models.fields import MONEY, NON_NEGATIVE
from maintenance.scheduling import TWENTY_FOUR_SEVEN, WorkingCalendar


class MaintenanceCalendar(models.Model):
    """When work can be due: time zone, working days and hours, holidays."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    working_days = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        help_text="Weekdays, Monday = 0 ... Sunday = 6.",
    )
    working_hours = models.JSONField(
        default=list, help_text='Stretches like ["08:00-12:00", "13:00-17:00"].'
    )
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def engine(self) -> WorkingCalendar:
        return WorkingCalendar.from_config(
            timezone=self.timezone,
            working_days=self.working_days,
            working_hours=self.working_hours,
            holidays=[day.isoformat() for day in self.holidays],
        )


def calendar_engine(calendar: MaintenanceCalendar | None) -> WorkingCalendar:
    return calendar.engine if calendar is not None else TWENTY_FOUR_SEVEN


class PMSchedule(models.Model):
    """A preventive maintenance plan: what work, on which assets, triggered how.

    Time-based schedules run on a calendar (fixed) or from the last completion
    (floating); usage-based ones every ``trigger_value`` units on a meter;
    condition-based ones when a reading stays past a limit for a while;
    event-based ones on an alert or a completed work order; manual ones only
    when asked. Each generated work order is unique per (schedule, asset,
    nominal occurrence), so no generation ever duplicates one.
    """

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    maintenance_type = models.CharField(
        max_length=20, choices=WorkType.choices, default=WorkType.PREVENTIVE
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    trigger_type = models.CharField(max_length=16, choices=TriggerType.choices, db_index=True)
    # Time based
    frequency = models.CharField(max_length=12, choices=Frequency.choices, blank=True)
    interval = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    cron = models.CharField(max_length=120, blank=True)
    starts_at = models.DateTimeField(help_text="The first occurrence: the plan's anchor.")
    schedule_mode = models.CharField(
        max_length=8, choices=ScheduleMode.choices, default=ScheduleMode.FIXED
    )
    # Usage based: every trigger_value units on the meter named meter_name.
    meter_name = models.CharField(max_length=100, blank=True)
    trigger_value = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True, validators=NON_NEGATIVE
    )
    # Condition based: metric operator threshold, held for condition_duration_minutes.
    condition_metric = models.CharField(max_length=100, blank=True)
    condition_operator = models.CharField(max_length=4, choices=Operator.choices, blank=True)
    condition_threshold = models.DecimalField(
        max_digits=16, decimal_places=4, null=True, blank=True
    )
    condition_duration_minutes = models.PositiveIntegerField(default=0)
    # Event based
    trigger_event = models.CharField(max_length=24, choices=TriggerEvent.choices, blank=True)
    event_min_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    event_work_type = models.CharField(max_length=20, choices=WorkType.choices, blank=True)
    # Scope
    assets = models.ManyToManyField(Asset, blank=True, related_name="pm_schedules")
    asset_type = models.CharField(max_length=20, choices=AssetType.choices, blank=True)
    # The work
    template = models.ForeignKey(
        "maintenance.WorkOrderTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    calendar = models.ForeignKey(
        MaintenanceCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    lead_time_days = models.PositiveIntegerField(default=7, validators=[MaxValueValidator(365)])
    estimated_duration = models.PositiveIntegerField(null=True, blank=True, help_text="Minutes")
    estimated_cost = models.DecimalField(**MONEY, null=True, blank=True, validators=NON_NEGATIVE)
    required_skills = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    required_tools = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    required_parts = models.JSONField(
        default=list, blank=True, help_text='[{"part": id, "quantity": n}]'
    )
    skip_if_open = models.BooleanField(
        default=False, help_text="Skip an occurrence while the asset's previous one is still open."
    )
    active = models.BooleanField(default=True, db_index=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_generated_at = models.DateTimeField(null=True, blank=True)
    # The plan this is in another CMMS (``<type>:<connection>:<id>``), when synced.
    external_ref = models.CharField(max_length=100, blank=True, editable=False, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "PM schedule"
        permissions = [("generate_pmschedule", "Can generate work orders from PM schedules")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~models.Q(external_ref=""),
                name="maintenance_pmschedule_unique_external_ref",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def estimated_hours(self) -> Decimal | None:
        if not self.estimated_duration:
            return None
        return (Decimal(self.estimated_duration) / 60).quantize(Decimal("0.01"))


class PMScheduleAsset(models.Model):
    """Where one schedule stands on one asset.

    ``last_nominal`` is the latest occurrence generated (or skipped): nothing at
    or before it is ever generated again, even if its work order is deleted.
    """

    schedule = models.ForeignKey(PMSchedule, on_delete=models.CASCADE, related_name="states")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+")
    last_nominal = models.DateTimeField(null=True, blank=True)
    next_nominal = models.DateTimeField(null=True, blank=True)
    next_due = models.DateTimeField(null=True, blank=True, db_index=True)
    usage_accumulated = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    condition_since = models.DateTimeField(null=True, blank=True)
    condition_fired = models.BooleanField(default=False)
    skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["schedule_id", "asset_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "asset"], name="maintenance_pmscheduleasset_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id}/{self.asset_id}"
