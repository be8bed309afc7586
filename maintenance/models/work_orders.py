"""Work orders and what hangs off them: checklist, parts, labor, costs, comments, files."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from assets.models import Asset, Meter, MeterReading
from maintenance.choices import (
    CostCategory,
    Priority,
    Source,
    Status,
    StepKind,
    WorkType,
)
from maintenance.models.fields import HOURS, MONEY, NON_NEGATIVE, QUANTITY, ZERO


class WorkOrder(models.Model):
    """A piece of maintenance work, from request to completion.

    ``number`` (WO-000123) comes from a sequence in the tenant's schema, so it
    stays unique under concurrent creation. The cost columns are kept by the
    services in the same transaction as the entries they sum; a constraint
    holds ``total_cost = labor_cost + parts_cost + other_cost``.
    """

    number = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    work_type = models.CharField(
        max_length=20, choices=WorkType.choices, default=WorkType.CORRECTIVE, db_index=True
    )
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.MEDIUM, db_index=True
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_work_orders",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requested_work_orders",
    )
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the problem was reported (the SLA clocks start here) and, for a breakdown,
    # when the asset stopped doing its job (a failure is recorded at completion).
    reported_at = models.DateTimeField(default=timezone.now)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    estimated_hours = models.DecimalField(**HOURS, null=True, blank=True, validators=NON_NEGATIVE)
    actual_hours = models.DecimalField(**HOURS, default=ZERO, validators=NON_NEGATIVE)
    labor_cost = models.DecimalField(**MONEY, default=ZERO, editable=False)
    parts_cost = models.DecimalField(**MONEY, default=ZERO, editable=False)
    other_cost = models.DecimalField(**MONEY, default=ZERO, editable=False)
    total_cost = models.DecimalField(**MONEY, default=ZERO, editable=False)
    source = models.CharField(
        max_length=12, choices=Source.choices, default=Source.MANUAL, db_index=True
    )
    external_ref = models.CharField(max_length=100, blank=True)
    template = models.ForeignKey(
        "maintenance.WorkOrderTemplate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    schedule = models.ForeignKey(
        "maintenance.PMSchedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    # The schedule's occurrence this work order is (its identity: one per schedule and asset).
    pm_nominal = models.DateTimeField(null=True, blank=True)
    # Time-based PM counts as done on time until here: the due date plus 10% of the plan's
    # interval (PM compliance). Fixed when the work order is generated.
    pm_on_time_by = models.DateTimeField(null=True, blank=True)
    # Whether starting this work takes its asset out of service (from the tenant's settings).
    stops_asset = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    findings = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    hold_reason = models.CharField(max_length=500, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not auto_now_add: imported history keeps the dates it really had.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("assign_workorder", "Can assign work orders"),
            ("start_workorder", "Can start and hold work orders"),
            ("complete_workorder", "Can complete work orders"),
            ("cancel_workorder", "Can cancel work orders"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cost=F("labor_cost") + F("parts_cost") + F("other_cost")),
                name="maintenance_workorder_total_is_the_sum",
            ),
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~Q(external_ref=""),
                name="maintenance_workorder_unique_external_ref",
            ),
            models.UniqueConstraint(
                fields=["schedule", "asset", "pm_nominal"],
                condition=Q(schedule__isnull=False),
                name="maintenance_workorder_once_per_occurrence",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_end__isnull=True)
                | Q(scheduled_start__isnull=True)
                | Q(scheduled_end__gte=F("scheduled_start")),
                name="maintenance_workorder_scheduled_end_after_start",
            ),
        ]
        indexes = [
            # Costs are counted on completion, or creation while open (analytics).
            models.Index(Coalesce("completed_at", "created_at"), name="maintenance_wo_cost_date"),
            # Work created in a period, by status and priority, from the index alone.
            models.Index(
                fields=["created_at"], include=["status", "priority"], name="maintenance_wo_created"
            ),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["asset", "-created_at"]),
            models.Index(fields=["assigned_to", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class WorkOrderStep(models.Model):
    """One line of a work order's checklist.

    ``result`` holds what was found: pass/fail/n_a for an inspection, the value
    for a number or meter step, the text for a text step. A number outside its
    expected range counts as a failed check, like a failed inspection.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, choices=StepKind.choices, default=StepKind.TASK)
    instructions = models.TextField(blank=True)
    expected_min = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    expected_max = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    meter = models.ForeignKey(
        Meter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done = models.BooleanField(default=False)
    result = models.CharField(max_length=2000, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    failed = models.BooleanField(default=False)
    reading = models.ForeignKey(
        MeterReading, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["work_order_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class WorkOrderPart(models.Model):
    """A part planned for, or used on, a work order.

    A stocked part names ``part``; a part bought for the job (or an imported
    historical cost) names only a description. Used quantities and their cost
    come from the inventory ledger when the work order completes.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey(
        "inventory.Part",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_order_lines",
    )
    description = models.CharField(max_length=300, blank=True)
    quantity_planned = models.DecimalField(**QUANTITY, default=ZERO, validators=NON_NEGATIVE)
    quantity_used = models.DecimalField(**QUANTITY, default=ZERO, validators=NON_NEGATIVE)
    unit_cost = models.DecimalField(
        max_digits=14, decimal_places=4, default=ZERO, validators=NON_NEGATIVE
    )
    cost = models.DecimalField(**MONEY, default=ZERO, validators=NON_NEGATIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["work_order_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(part__isnull=False) | ~Q(description=""),
                name="maintenance_workorderpart_names_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.part or self.description}"


class LaborEntry(models.Model):
    """Time someone spent on a work order, and what it cost."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="labor")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="labor_entries",
    )
    hours = models.DecimalField(**HOURS, validators=NON_NEGATIVE)
    rate = models.DecimalField(max_digits=10, decimal_places=2, validators=NON_NEGATIVE)
    cost = models.DecimalField(**MONEY)
    work_date = models.DateField()
    notes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["work_order_id", "-work_date", "-id"]
        verbose_name_plural = "labor entries"

    def __str__(self) -> str:
        return f"{self.hours} h on {self.work_date}"


class OtherCost(models.Model):
    """A cost of a work order that is neither labor nor stocked parts."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="other_costs")
    category = models.CharField(
        max_length=12, choices=CostCategory.choices, default=CostCategory.OTHER
    )
    description = models.CharField(max_length=300)
    amount = models.DecimalField(**MONEY, validators=NON_NEGATIVE)
    incurred_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["work_order_id", "-incurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class Comment(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["work_order_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


# Every attachment is stored below one of these; the orphan sweep looks nowhere else.
ATTACHMENT_DIRECTORIES = ("work-orders", "requests")


def attachment_path(attachment: "Attachment", filename: str) -> str:
    # The storage prefixes the tenant's schema; the random part keeps names unguessable.
    import secrets

    owner = f"work-orders/{attachment.work_order_id}" if attachment.work_order_id else "requests"
    return f"{owner}/{secrets.token_hex(8)}-{filename[-100:]}"


class Attachment(models.Model):
    """A photo or document on a work order or a work request, stored per tenant."""

    work_order = models.ForeignKey(
        WorkOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    request = models.ForeignKey(
        "maintenance.WorkRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_order__isnull=False) | Q(request__isnull=False),
                name="maintenance_attachment_has_an_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name
