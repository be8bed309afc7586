from django.db import models

from maintenance.choices import Priority, StepKind, WorkType
from maintenance.models.fields import HOURS, MONEY, NON_NEGATIVE, QUANTITY


class WorkOrderTemplate(models.Model):
    """A reusable job: its checklist, its parts and what it usually takes."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    work_type = models.CharField(
        max_length=20, choices=WorkType.choices, default=WorkType.PREVENTIVE
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    estimated_hours = models.DecimalField(**HOURS, null=True, blank=True, validators=NON_NEGATIVE)
    estimated_cost = models.DecimalField(**MONEY, null=True, blank=True, validators=NON_NEGATIVE)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateStep(models.Model):
    template = models.ForeignKey(WorkOrderTemplate, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, choices=StepKind.choices, default=StepKind.TASK)
    instructions = models.TextField(blank=True)
    expected_min = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    expected_max = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # For a meter step: which of the asset's meters to read, by name.
    meter_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


class TemplatePart(models.Model):
    template = models.ForeignKey(WorkOrderTemplate, on_delete=models.CASCADE, related_name="parts")
    part = models.ForeignKey("inventory.Part", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, validators=NON_NEGATIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["template_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "part"], name="maintenance_templatepart_once_per_part"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.part_id}"
