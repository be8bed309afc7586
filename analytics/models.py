"""Maintenance budgets: what a month of maintenance may cost, whole or per asset or work type."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from assets.models import Asset
from maintenance.choices import WorkType


class Budget(models.Model):
    """A month's maintenance budget for one asset, one work type, or (neither) the tenant.

    Costs are compared against it in ``GET /api/v1/analytics/costs/``.
    """

    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    work_type = models.CharField(max_length=20, choices=WorkType.choices, blank=True)
    month = models.DateField(help_text="The first day of the month.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "id"]
        permissions = [
            ("view_analytics", "Can read maintenance analytics"),
            ("view_device_performance", "Can read device performance"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "work_type", "month"],
                nulls_distinct=False,
                name="analytics_budget_once_per_scope_and_month",
            ),
            models.CheckConstraint(
                condition=Q(asset__isnull=True) | Q(work_type=""),
                name="analytics_budget_asset_or_work_type",
            ),
        ]

    def __str__(self) -> str:
        scope = self.asset.asset_id if self.asset_id else self.work_type or "all maintenance"
        return f"{self.month:%Y-%m} {scope}: {self.amount}"
