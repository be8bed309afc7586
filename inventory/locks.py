"""The one home of inventory's row locks, and the order they are taken in.

Every write that touches stock locks, in this order and never another:

1. the purchase order (receiving, transitions), if any;
2. the parts, by ascending id;
3. their stock levels, by ascending (part id, location id).

Two callers that need the same rows therefore queue on the first row they
share instead of each holding what the other waits for: consuming {A, B} and
{B, A} at the same time cannot deadlock. The part row is the lock that
serialises every change of that part's stock, so the level rows are only ever
written by the holder of their part's lock.
"""

from collections.abc import Iterable

from inventory.models import Part, PurchaseOrder, StockLevel


def lock_parts(part_ids: Iterable[int]) -> dict[int, Part]:
    """Lock the parts (ascending id) for the rest of the transaction; returns them by id."""
    ids = sorted(set(part_ids))
    locked = (
        Part.objects.filter(pk__in=ids)
        .select_related("location")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    return {part.pk: part for part in locked}


def lock_levels(part_ids: Iterable[int]) -> list[StockLevel]:
    """Lock the stock levels of parts already locked, in (part, location) order."""
    ids = sorted(set(part_ids))
    return list(
        StockLevel.objects.filter(part_id__in=ids)
        .select_related("location")
        .order_by("part_id", "location_id")
        .select_for_update(of=("self",))
    )


def lock_purchase_order(purchase_order_id: int) -> PurchaseOrder:
    """Lock one purchase order; taken before any part it will touch."""
    return PurchaseOrder.objects.select_for_update(of=("self",)).get(pk=purchase_order_id)
