"""The tenant's maintenance settings (one row): how work orders behave."""

from typing import Any

from django.db import transaction

from core.models import User
from core.writes import audited_update, locked
from maintenance.models import MaintenanceSettings

SETTINGS_FIELDS = (
    "asset_status_on_start",
    "default_labor_rate",
    "technician_hours_per_week",
    "predictive_lead_days",
)


@transaction.atomic
def maintenance_settings_update(
    *, by: User | None, settings: MaintenanceSettings | None = None, **fields: Any
) -> MaintenanceSettings:
    """Change the settings (made with their defaults the first time)."""
    current = locked(settings or MaintenanceSettings.current())
    audited_update(
        current,
        by=by,
        action="maintenance_settings.update",
        fields=fields,
        audited=SETTINGS_FIELDS,
    )
    return current
