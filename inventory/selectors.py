"""Reads of the inventory app that are more than a plain filter."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from inventory.choices import OPEN_PURCHASE_ORDER_STATUSES
from inventory.models import (
    QUANTITY,
    ZERO,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)


def _on_order_subquery() -> Coalesce:
    outstanding = (
        PurchaseOrderLine.objects.filter(
            part=OuterRef("pk"), purchase_order__status__in=OPEN_PURCHASE_ORDER_STATUSES
        )
        .order_by()
        .values("part")
        .annotate(total=Sum(F("quantity") - F("quantity_received")))
        .values("total")
    )
    return Coalesce(
        Subquery(outstanding, output_field=DecimalField(**QUANTITY)),
        Value(ZERO),
        output_field=DecimalField(**QUANTITY),
    )


def part_list() -> QuerySet[Part]:
    """Parts with what their API representation needs (locations' stock, vendor, on order)."""
    return (
        Part.objects.select_related("location", "vendor")
        .prefetch_related(
            Prefetch(
                "stock_levels",
                queryset=StockLevel.objects.select_related("location").order_by(
                    "location__code", "location_id"
                ),
            )
        )
        .annotate(quantity_on_order=_on_order_subquery())
    )


def low_stock_parts() -> QuerySet[Part]:
    """Active parts whose quantity on hand is at or below their reorder point."""
    return part_list().filter(active=True, quantity_on_hand__lte=F("reorder_point"))


def part_history(part: Part) -> QuerySet[StockMovement]:
    """The part's ledger, newest first."""
    return movement_list().filter(part=part)


def movement_list() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related(
        "location", "other_location", "purchase_order_line__purchase_order"
    ).order_by("-created_at", "-id")


def stock_level_list() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("part", "location")


def stock_location_list() -> QuerySet[StockLocation]:
    return StockLocation.objects.select_related("parent")


def vendor_list() -> QuerySet[Vendor]:
    return Vendor.objects.all()


def purchase_order_list() -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_related("vendor").prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("part").order_by("id"))
    )


@dataclass(frozen=True)
class ReorderCandidate:
    part: Part
    on_order: Decimal
    quantity: Decimal


def reorder_quantity_for(part: Part, projected: Decimal) -> Decimal:
    """What to order so on hand plus on order rises above the reorder point.

    Whole multiples of the reorder quantity (a lot or pack size) when there is
    one; otherwise just enough to pass the reorder point by one unit.
    """
    shortfall = part.reorder_point - projected
    if part.reorder_quantity > 0:
        lots = int(shortfall // part.reorder_quantity) + 1
        return part.reorder_quantity * lots
    return shortfall + 1


def reorder_candidates(*, part_ids: Iterable[int] | None = None) -> list[ReorderCandidate]:
    """Active, replenished parts whose on hand plus on order is at or below the reorder point.

    A part with neither a reorder point nor a reorder quantity is not replenished
    automatically and never appears here.
    """
    parts = (
        Part.objects.select_related("vendor", "location")
        .filter(active=True)
        .filter(Q(reorder_point__gt=0) | Q(reorder_quantity__gt=0))
        .annotate(quantity_on_order=_on_order_subquery())
        .filter(quantity_on_hand__lte=F("reorder_point") - F("quantity_on_order"))
        .order_by("part_number", "id")
    )
    if part_ids is not None:
        parts = parts.filter(pk__in=list(part_ids))
    return [
        ReorderCandidate(
            part=part,
            on_order=part.quantity_on_order,
            quantity=reorder_quantity_for(part, part.quantity_on_hand + part.quantity_on_order),
        )
        for part in parts
    ]


def ledger_discrepancies() -> list[str]:
    """Every place where levels, part totals and the ledger disagree (empty when exact).

    Checks that each level equals the sum of its movements and its latest
    movement's balance, and that each part's quantity on hand is the sum of its
    levels. For tests, benchmarks and an operator's peace of mind.
    """
    problems: list[str] = []
    sums = {
        (row["part_id"], row["location_id"]): row["total"]
        for row in StockMovement.objects.order_by()
        .values("part_id", "location_id")
        .annotate(total=Sum("quantity"))
    }
    latest = {
        (row["part_id"], row["location_id"]): row["balance_after"]
        for row in StockMovement.objects.order_by("part_id", "location_id", "-id")
        .distinct("part_id", "location_id")
        .values("part_id", "location_id", "balance_after")
    }
    levels = {
        (level.part_id, level.location_id): level.quantity for level in StockLevel.objects.all()
    }
    for key in sorted(set(sums) | set(levels)):
        level, ledger = levels.get(key, ZERO), sums.get(key, ZERO)
        if level != ledger or latest.get(key, ZERO) != level:
            problems.append(
                f"part {key[0]} at location {key[1]}: level {level}, ledger sum {ledger}, "
                f"last balance {latest.get(key)}"
            )
    totals = Part.objects.annotate(
        levels_total=Coalesce(
            Sum("stock_levels__quantity"), Value(ZERO), output_field=DecimalField(**QUANTITY)
        )
    ).exclude(quantity_on_hand=F("levels_total"))
    problems.extend(
        f"part {part.pk}: on hand {part.quantity_on_hand}, levels sum {part.levels_total}"
        for part in totals
    )
    return problems
