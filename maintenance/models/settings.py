from django.db import models

from assets.choices import AssetStatus


def default_asset_status_on_start() -> dict[str, str]:
    # Repairs take the asset out for repair; planned work for maintenance; a look-around does not.
    return {
        "corrective": AssetStatus.REPAIR,
        "emergency": AssetStatus.REPAIR,
        "preventive": AssetStatus.MAINTENANCE,
        "predictive": AssetStatus.MAINTENANCE,
        "calibration": AssetStatus.MAINTENANCE,
        "lubrication": "",
        "cleaning": "",
        "inspection": "",
    }


class MaintenanceSettings(models.Model):
    """How a tenant wants work orders to behave (one row per tenant)."""

    asset_status_on_start = models.JSONField(
        default=default_asset_status_on_start,
        help_text=(
            "Work type -> the asset status to set when its work order starts "
            "(maintenance, repair, or empty for none). The asset returns to operational "
            "when its last such work order completes or is cancelled."
        ),
    )
    default_labor_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=0,
        help_text="Used when neither entry nor person has a rate.",
    )
    technician_hours_per_week = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=40,
        help_text="Working hours of one technician in a week: the backlog in weeks is the "
        "estimated hours of open work over this times the active technicians.",
    )
    predictive_lead_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="A predictive work order opens for an asset predicted to fail within this "
        "many days (or at high or critical risk).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "maintenance settings"

    def __str__(self) -> str:
        return "Maintenance settings"

    @classmethod
    def current(cls) -> "MaintenanceSettings":
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings
