"""Low stock: a part at or below its reorder point, announced once per crossing."""

from collections.abc import Sequence
from datetime import datetime

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction

from core.models import User
from core.roles import Role
from inventory.events import announce_low_stock
from inventory.models import Part

logger = structlog.get_logger(__name__)


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
    """Publish ``inventory:low-stock`` per part and e-mail the active managers, after commit."""
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
        transaction.on_commit(lambda s=subject, b=body: _send_mail(s, b, recipients), robust=True)


def _send_mail(subject: str, body: str, recipients: list[str]) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception as exc:  # a mail outage must not reach the caller after commit
        logger.warning("low_stock_mail_failed", error=repr(exc), recipients=len(recipients))
