"""What the store tells the world: the public shape of a part, low stock, and the
stock it moves for work orders (see ``core.reactions``).

``part_payload`` is a part as ``GET /api/v1/inventory/parts/{id}/`` returns it
(the serializer renders through it) and as ``inventory:low-stock`` carries it.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.events import Audience, publish
from core.models import User
from core.reactions import DomainEvent
from core.roles import Role
from inventory.models import Part
from inventory.selectors import part_list

LOW_STOCK = "inventory:low-stock"
# Requesters hold no inventory permission, so they do not see its events either.
INVENTORY_AUDIENCE = Audience(
    roles=frozenset({Role.MANAGER, Role.PLANNER, Role.TECHNICIAN, Role.VIEWER})
)


def part_payload(part: Part) -> dict[str, Any]:
    """The part with its stock per location (load it through ``selectors.part_list``)."""
    on_order = getattr(part, "quantity_on_order", None)
    return {
        "id": part.pk,
        "part_number": part.part_number,
        "name": part.name,
        "description": part.description,
        "category": part.category,
        "unit": part.unit,
        "quantity_on_hand": part.quantity_on_hand,
        "quantity_on_order": on_order if on_order is not None else Decimal("0"),
        "reorder_point": part.reorder_point,
        "reorder_quantity": part.reorder_quantity,
        "unit_cost": part.unit_cost,
        "location": part.location_id,
        "vendor": part.vendor_id,
        "active": part.active,
        "is_low_stock": part.is_low_stock,
        "low_stock_since": part.low_stock_since,
        "stock": [
            {
                "location": level.location_id,
                "location_code": level.location.code,
                "quantity": level.quantity,
            }
            for level in part.stock_levels.all()
        ],
        "created_at": part.created_at,
        "updated_at": part.updated_at,
    }


def announce_low_stock(part_ids: list[int]) -> None:
    """``inventory:low-stock`` for each part, as it stands now (delivered after commit)."""
    for part in part_list().filter(pk__in=part_ids).order_by("pk"):
        publish(LOW_STOCK, part_payload(part), audience=INVENTORY_AUDIENCE)


@dataclass(frozen=True)
class StockMovingForWorkOrder(DomainEvent):
    """Someone asks to issue stock to, or return it from, a work order.

    The store knows work orders only by id (the database keeps the ids real).
    The API dispatches this before it moves stock for a person, so that whoever
    keeps work orders can refuse: an unknown work order (400), or a technician
    booking on work that is not theirs (403).
    """

    work_order_id: int
    by: User | None
