"""Buying: purchase orders from draft to received, and what to reorder.

Receiving goes through the stock book, so a delivery moves stock, cost and the
ledger exactly like any other receipt.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.locks import tenant_transaction_lock
from core.models import User
from core.writes import audited_update, refuse_unknown, validate
from inventory import locks, selectors
from inventory.choices import MovementKind, PurchaseOrderStatus
from inventory.models import (
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLocation,
    StockMovement,
    Vendor,
)
from inventory.services.quantities import require_cost, require_positive
from inventory.services.stock import ReceiveLine, StockBook, acting_user

PO_HEADER_FIELDS = ("vendor", "expected_at", "reference", "notes")
PO_AUDIT_FIELDS = (*PO_HEADER_FIELDS, "status", "number", "cancel_reason")


@dataclass(frozen=True)
class OrderLine:
    """A line to put on a purchase order; ``unit_cost`` None takes the part's average."""

    part: Part
    quantity: Decimal
    unit_cost: Decimal | None = None
    location: StockLocation | None = None
    notes: str = ""


def _po_state(purchase_order: PurchaseOrder) -> dict[str, Any]:
    return {**snapshot(purchase_order, PO_AUDIT_FIELDS), "lines": _po_lines(purchase_order)}


def _po_lines(purchase_order: PurchaseOrder) -> list[dict[str, Any]]:
    return [
        {
            "part": line.part_id,
            "quantity": str(line.quantity),
            "quantity_received": str(line.quantity_received),
            "unit_cost": str(line.unit_cost),
            "location": line.location_id,
        }
        for line in purchase_order.lines.order_by("id")
    ]


def _write_lines(purchase_order: PurchaseOrder, lines: Sequence[OrderLine]) -> None:
    rows = []
    for index, line in enumerate(lines):
        try:
            quantity = require_positive("quantity", line.quantity)
            if line.unit_cost is not None:
                require_cost("unit_cost", line.unit_cost)
        except InvalidInput as exc:
            messages = [f"Line {index + 1}: {k}: {' '.join(v)}" for k, v in exc.errors.items()]
            raise InvalidInput({"lines": messages}) from exc
        rows.append(
            PurchaseOrderLine(
                purchase_order=purchase_order,
                part=line.part,
                quantity=quantity,
                unit_cost=line.part.unit_cost if line.unit_cost is None else line.unit_cost,
                location=line.location,
                notes=line.notes or "",
            )
        )
    for row in rows:
        validate(row, exclude=["purchase_order"])
    purchase_order.lines.all().delete()
    PurchaseOrderLine.objects.bulk_create(rows)


def _assign_number(purchase_order: PurchaseOrder) -> None:
    purchase_order.number = f"PO-{purchase_order.pk:06d}"
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(number=purchase_order.number)


@transaction.atomic
def purchase_order_create(
    *,
    vendor: Vendor,
    by: User | None,
    lines: Sequence[OrderLine] = (),
    expected_at: date | None = None,
    reference: str = "",
    notes: str = "",
) -> PurchaseOrder:
    """Draft a purchase order to ``vendor`` with its lines; numbered ``PO-000123``."""
    purchase_order = PurchaseOrder(
        vendor=vendor,
        expected_at=expected_at,
        reference=reference or "",
        notes=notes or "",
        created_by=acting_user(by),
    )
    validate(purchase_order, exclude=["created_by", "approved_by"])
    purchase_order.save()
    _assign_number(purchase_order)
    _write_lines(purchase_order, lines)
    audit_record(
        actor=by,
        action="purchase_order.create",
        obj=purchase_order,
        changes=changes_between({}, _po_state(purchase_order)),
    )
    return purchase_order


def _require_status(purchase_order: PurchaseOrder, allowed: Iterable[str], doing: str) -> None:
    if purchase_order.status not in set(allowed):
        raise Conflict(
            f"A purchase order that is {purchase_order.get_status_display().lower()} "
            f"cannot be {doing}.",
            "illegal_transition",
        )


@transaction.atomic
def purchase_order_update(
    *,
    purchase_order: PurchaseOrder,
    by: User | None,
    lines: Sequence[OrderLine] | None = None,
    **fields: Any,
) -> PurchaseOrder:
    """Change a purchase order. Vendor and lines (replaced whole) only while a draft;
    the expected date, reference and notes until it is received or cancelled."""
    refuse_unknown(fields, PO_HEADER_FIELDS)
    purchase_order = locks.lock_purchase_order(purchase_order.pk)
    if lines is not None or (
        "vendor" in fields and fields["vendor"].pk != purchase_order.vendor_id
    ):
        _require_status(purchase_order, [PurchaseOrderStatus.DRAFT], "edited (lines, vendor)")
    else:
        _require_status(
            purchase_order,
            [
                PurchaseOrderStatus.DRAFT,
                PurchaseOrderStatus.APPROVED,
                PurchaseOrderStatus.ORDERED,
                PurchaseOrderStatus.PARTIALLY_RECEIVED,
            ],
            "edited",
        )
    lines_changed: dict[str, dict[str, Any]] = {}
    if lines is not None:
        lines_before = _po_lines(purchase_order)
        _write_lines(purchase_order, lines)
        lines_after = _po_lines(purchase_order)
        if lines_after != lines_before:
            lines_changed["lines"] = {"before": lines_before, "after": lines_after}
    audited_update(
        purchase_order,
        by=by,
        action="purchase_order.update",
        fields={k: "" if v is None and k != "expected_at" else v for k, v in fields.items()},
        audited=PO_AUDIT_FIELDS,
        allowed=PO_HEADER_FIELDS,
        also_changed=lines_changed,
    )
    return purchase_order


@transaction.atomic
def purchase_order_delete(*, purchase_order: PurchaseOrder, by: User | None) -> None:
    """Delete a draft; anything further along is cancelled instead."""
    purchase_order = locks.lock_purchase_order(purchase_order.pk)
    _require_status(purchase_order, [PurchaseOrderStatus.DRAFT], "deleted (cancel it)")
    audit_record(
        actor=by,
        action="purchase_order.delete",
        obj=purchase_order,
        changes=changes_between(_po_state(purchase_order), {}),
    )
    purchase_order.delete()


def _transition(
    purchase_order: PurchaseOrder,
    *,
    by: User | None,
    allowed: Iterable[str],
    to: str,
    doing: str,
    **stamps: Any,
) -> PurchaseOrder:
    purchase_order = locks.lock_purchase_order(purchase_order.pk)
    _require_status(purchase_order, allowed, doing)
    audited_update(
        purchase_order,
        by=by,
        action=f"purchase_order.{doing}",
        fields={"status": to, **stamps},
        audited=PO_AUDIT_FIELDS,
        allowed=("status", *stamps),
    )
    return purchase_order


@transaction.atomic
def purchase_order_approve(*, purchase_order: PurchaseOrder, by: User | None) -> PurchaseOrder:
    """Approve a draft with at least one line."""
    if not purchase_order.lines.exists():
        raise Conflict("A purchase order needs at least one line to be approved.", "no_lines")
    return _transition(
        purchase_order,
        by=by,
        allowed=[PurchaseOrderStatus.DRAFT],
        to=PurchaseOrderStatus.APPROVED,
        doing="approved",
        approved_by=acting_user(by),
        approved_at=timezone.now(),
    )


@transaction.atomic
def purchase_order_mark_ordered(*, purchase_order: PurchaseOrder, by: User | None) -> PurchaseOrder:
    """Record that an approved order was sent to the vendor."""
    return _transition(
        purchase_order,
        by=by,
        allowed=[PurchaseOrderStatus.APPROVED],
        to=PurchaseOrderStatus.ORDERED,
        doing="ordered",
        ordered_at=timezone.now(),
    )


@transaction.atomic
def purchase_order_cancel(
    *, purchase_order: PurchaseOrder, by: User | None, reason: str = ""
) -> PurchaseOrder:
    """Cancel an order that is not yet fully received; what was received stays in stock."""
    return _transition(
        purchase_order,
        by=by,
        allowed=[
            PurchaseOrderStatus.DRAFT,
            PurchaseOrderStatus.APPROVED,
            PurchaseOrderStatus.ORDERED,
            PurchaseOrderStatus.PARTIALLY_RECEIVED,
        ],
        to=PurchaseOrderStatus.CANCELLED,
        doing="cancelled",
        cancelled_at=timezone.now(),
        cancel_reason=reason or "",
    )


@transaction.atomic
def purchase_order_receive(
    *,
    purchase_order: PurchaseOrder,
    by: User | None,
    lines: Sequence[ReceiveLine] | None = None,
    reference: str = "",
    notes: str = "",
) -> list[StockMovement]:
    """Receive some or all of an ordered purchase order into stock, through the ledger.

    ``lines`` None receives everything outstanding. Each received quantity is a
    receipt at the line's unit cost (averaged into the part's cost) into the
    given location, else the line's, else the part's default. The order
    becomes partially received, or received when nothing is outstanding. More
    than a line's outstanding quantity is refused (409 ``over_receipt``).
    """
    purchase_order = locks.lock_purchase_order(purchase_order.pk)
    _require_status(
        purchase_order,
        [PurchaseOrderStatus.ORDERED, PurchaseOrderStatus.PARTIALLY_RECEIVED],
        "received",
    )
    before = _po_state(purchase_order)
    order_lines = {
        line.pk: line
        for line in purchase_order.lines.select_for_update(of=("self",)).order_by("pk")
    }
    if lines is None:
        lines = [
            ReceiveLine(line_id=line.pk, quantity=line.quantity_outstanding)
            for line in order_lines.values()
            if line.quantity_outstanding > 0
        ]
    if not lines:
        raise InvalidInput({"lines": ["Nothing to receive."]})
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.line_id not in order_lines:
            raise InvalidInput(
                {"lines": [f"Line {line.line_id} is not on {purchase_order.number}."]}
            )
        wanted[line.line_id] += require_positive("quantity", line.quantity)
    over = [
        f"line {pk} ({order_lines[pk].quantity_outstanding} outstanding, {quantity} received)"
        for pk, quantity in sorted(wanted.items())
        if quantity > order_lines[pk].quantity_outstanding
    ]
    if over:
        raise Conflict("More than ordered: " + "; ".join(over) + ".", "over_receipt")

    book = StockBook.open(
        by=by,
        part_ids=[order_lines[line.line_id].part_id for line in lines],
        location_ids=[line.location_id for line in lines]
        + [order_lines[line.line_id].location_id for line in lines],
    )
    for line in lines:
        order_line = order_lines[line.line_id]
        part = book.parts[order_line.part_id]
        location_id = line.location_id or order_line.location_id or part.location_id
        if location_id is None:
            raise InvalidInput(
                {"location": [f"Line {order_line.pk} ({part.part_number}) needs a location."]}
            )
        book.receive(
            part=part,
            location_id=location_id,
            kind=MovementKind.RECEIPT,
            quantity=line.quantity,
            unit_cost=order_line.unit_cost,
            purchase_order_line=order_line,
            reference=reference or purchase_order.number or "",
            notes=notes or "",
        )
    movements = book.write(action="part.receive")

    now = timezone.now()
    for pk, quantity in wanted.items():
        order_line = order_lines[pk]
        order_line.quantity_received += quantity
        PurchaseOrderLine.objects.filter(pk=pk).update(
            quantity_received=order_line.quantity_received, updated_at=now
        )
    complete = all(line.quantity_outstanding == 0 for line in order_lines.values())
    purchase_order.status = (
        PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTIALLY_RECEIVED
    )
    if complete:
        purchase_order.received_at = now
    purchase_order.save()
    audit_record(
        actor=by,
        action="purchase_order.received",
        obj=purchase_order,
        changes=changes_between(before, _po_state(purchase_order)),
    )
    return movements


@dataclass(frozen=True)
class ReorderSuggestion:
    """What ``purchase_orders_suggest`` drafted, and the low parts it could not place."""

    purchase_orders: list[PurchaseOrder]
    parts_without_vendor: list[Part]


@transaction.atomic
def purchase_orders_suggest(
    *, by: User | None, parts: Iterable[Part] | None = None
) -> ReorderSuggestion:
    """Draft one purchase order per preferred vendor for every part that needs reordering.

    A part needs reordering when it is active, has a reorder point or quantity,
    and its quantity on hand plus what open purchase orders still bring is at
    or below its reorder point. It is ordered its reorder quantity, or more if
    that would not lift it above the reorder point. Parts already covered by
    open orders are left out, so running it twice drafts nothing twice; two
    runs at once are serialised.
    """
    tenant_transaction_lock("inventory.suggest_reorders")
    candidates = selectors.reorder_candidates(
        part_ids=None if parts is None else [part.pk for part in parts]
    )
    by_vendor: dict[int, list[OrderLine]] = defaultdict(list)
    vendors: dict[int, Vendor] = {}
    without_vendor: list[Part] = []
    for candidate in candidates:
        part = candidate.part
        if part.vendor_id is None:
            without_vendor.append(part)
            continue
        vendors[part.vendor_id] = part.vendor
        by_vendor[part.vendor_id].append(
            OrderLine(part=part, quantity=candidate.quantity, location=part.location)
        )
    created = [
        purchase_order_create(
            vendor=vendors[vendor_id],
            by=by,
            lines=lines,
            notes="Suggested reorder of parts at or below their reorder point.",
        )
        for vendor_id, lines in sorted(by_vendor.items(), key=lambda item: vendors[item[0]].name)
    ]
    return ReorderSuggestion(purchase_orders=created, parts_without_vendor=without_vendor)
