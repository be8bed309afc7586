"""The maintenance history of assets, written by the services that do the work."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from assets.models import Asset
from core.models import User
from maintenance.models import MaintenanceEvent, WorkOrder


def history_record(
    *,
    kind: str,
    summary: str,
    asset: Asset | None = None,
    work_order: WorkOrder | None = None,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> MaintenanceEvent:
    if asset is None and work_order is not None:
        asset = work_order.asset
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return MaintenanceEvent.objects.create(
        kind=kind,
        summary=summary[:500],
        asset=asset,
        work_order=work_order,
        actor=actor if authenticated else None,
        data=data or {},
        occurred_at=at or timezone.now(),
    )
