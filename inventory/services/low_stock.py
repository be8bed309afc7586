"""Low stock: a part at or below its reorder point, announced once per crossing."""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from core.models import User
from core.roles import Role
from inventory.events import LOW_STOCK, announce_low_stock
from inventory.models import Part
from notifications.services.deliveries import people_email


def low_stock_transition(part: Part, now: datetime) -> bool:
    """Track the part's side of its reorder point; True on a downward crossing to announce."""
    low = part.quantity_on_hand <= part.reorder_point
    if low and part.low_stock_since is None:
        part.low_stock_since = now
        return part.active
    if not low and part.low_stock_since is not None:
        part.low_stock_since = None
    return False


def low_stock_announce(parts: Sequence[Part]) -> None:
    """Publish ``inventory:low-stock`` per part and e-mail the active managers (both leave
    after commit; the e-mails are sent by a worker, see ``notifications``)."""
    announce_low_stock([part.pk for part in parts])
    recipients = sorted(
        set(
            User.objects.filter(is_active=True, groups__name=Role.MANAGER)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return
    tenant = getattr(connection, "tenant", None)
    tenant_name = getattr(tenant, "name", connection.schema_name)
    for part in parts:
        subject = f"[{tenant_name}] Low stock: {part.part_number} {part.name}"[:200]
        body = (
            f"{part.part_number} {part.name} is down to {part.quantity_on_hand} {part.unit}, "
            f"at or below its reorder point of {part.reorder_point}.\n"
            f"Reorder quantity: {part.reorder_quantity}. "
            f"Preferred vendor: {part.vendor.name if part.vendor_id else 'none'}.\n"
        )
        people_email(event=LOW_STOCK, to=recipients, subject=subject, body=body)
