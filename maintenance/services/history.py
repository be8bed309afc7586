"""The maintenance history of assets, written by the services that do the work."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from assets.models import Asset
from core.models import User
from maintenance.models import MaintenanceEvent, WorkOrder


def history_entry(
    *,
    kind: str,
    summary: str,
    asset: Asset | None = None,
    work_order: WorkOrder | None = None,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> MaintenanceEvent:
    """One history entry, not saved (``history_record`` saves one, ``history_record_many`` many)."""
    # By id: in a bulk insert, touching work_order.asset would cost a query per entry.
    asset_id = asset.pk if asset is not None else getattr(work_order, "asset_id", None)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return MaintenanceEvent(
        kind=kind,
        summary=summary[:500],
        asset_id=asset_id,
        work_order=work_order,
        actor=actor if authenticated else None,
        data=data or {},
        occurred_at=at or timezone.now(),
    )


def history_record(**entry: Any) -> MaintenanceEvent:
    """Write one entry of an asset's (or work order's) history; see ``history_entry``."""
    event = history_entry(**entry)
    event.save()
    return event


def history_record_many(entries: Iterable[MaintenanceEvent]) -> list[MaintenanceEvent]:
    """Write many history entries in one insert (bulk creation of work orders)."""
    return MaintenanceEvent.objects.bulk_create(list(entries))
