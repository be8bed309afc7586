"""The store's catalogue: parts, the places stock is kept, and vendors.

Stock itself moves only through ``inventory.services.stock``.
"""

from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.writes import audited_update, locked, refuse_unknown, validate
from inventory import locks
from inventory.models import (
    ZERO,
    Part,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)
from inventory.services.low_stock import low_stock_announce, low_stock_transition
from inventory.services.quantities import require_non_negative

PART_FIELDS = (
    "part_number",
    "name",
    "description",
    "category",
    "unit",
    "reorder_point",
    "reorder_quantity",
    "unit_cost",
    "location",
    "vendor",
    "active",
)
PART_AUDIT_FIELDS = (*PART_FIELDS, "quantity_on_hand", "low_stock_since")
LOCATION_FIELDS = ("code", "name", "kind", "parent", "description")
VENDOR_FIELDS = (
    "name",
    "contact_name",
    "email",
    "phone",
    "website",
    "address",
    "lead_time_days",
    "notes",
    "active",
)


def _delete(obj: models.Model, refusal: str) -> None:
    """Delete, turning a reference from another app (PROTECT) into a 409 for every caller."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(refusal, "protected") from exc


# --- Parts -------------------------------------------------------------------


def _check_part_number_free(part_number: str, *, exclude_pk: int | None = None) -> None:
    clash = Part.objects.filter(part_number__iexact=part_number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"part_number": ["A part with this part number already exists."]})


@transaction.atomic
def part_create(
    *,
    by: User | None,
    part_number: str,
    name: str,
    description: str = "",
    category: str = "",
    unit: str = "each",
    reorder_point: Decimal = ZERO,
    reorder_quantity: Decimal = ZERO,
    unit_cost: Decimal = ZERO,
    location: StockLocation | None = None,
    vendor: Vendor | None = None,
    active: bool = True,
) -> Part:
    """Create a part with no stock; stock arrives through receipts.

    A new part at or below its reorder point starts out low (``low_stock_since``
    set) without an event: creating a part is not a crossing.
    """
    values = {
        "reorder_point": reorder_point,
        "reorder_quantity": reorder_quantity,
        "unit_cost": unit_cost,
    }
    require_non_negative(values, values)
    part = Part(
        part_number=(part_number or "").strip(),
        name=name,
        description=description,
        category=category,
        unit=unit,
        reorder_point=reorder_point,
        reorder_quantity=reorder_quantity,
        unit_cost=unit_cost,
        location=location,
        vendor=vendor,
        active=active,
    )
    validate(part)
    _check_part_number_free(part.part_number)
    if part.is_low_stock:
        part.low_stock_since = timezone.now()
    part.save()
    audit_record(
        actor=by,
        action="part.create",
        obj=part,
        changes=changes_between({}, snapshot(part, PART_AUDIT_FIELDS)),
    )
    return part


@transaction.atomic
def part_update(*, part: Part, by: User | None, **fields: Any) -> Part:
    """Change a part's details. Stock moves only through the stock services.

    Lowering or raising the reorder point can make the part low (publishing
    ``inventory:low-stock``, as a crossing) or clear it.
    """
    refuse_unknown(fields, PART_FIELDS)
    require_non_negative(fields, ("reorder_point", "reorder_quantity", "unit_cost"))
    part = locks.lock_parts([part.pk])[part.pk]
    if "part_number" in fields:
        fields["part_number"] = (fields["part_number"] or "").strip()
        _check_part_number_free(fields["part_number"], exclude_pk=part.pk)
    crossed: list[Part] = []

    def check(changed: Part) -> None:
        if low_stock_transition(changed, timezone.now()):
            crossed.append(changed)

    audited_update(
        part,
        by=by,
        action="part.update",
        fields=fields,
        audited=PART_AUDIT_FIELDS,
        allowed=PART_FIELDS,
        check=check,
    )
    if crossed:
        low_stock_announce(crossed)
    return part


@transaction.atomic
def part_delete(*, part: Part, by: User | None) -> None:
    """Delete a part that has never moved stock nor been ordered; otherwise deactivate it."""
    part = locks.lock_parts([part.pk])[part.pk]
    if part.movements.exists() or part.purchase_order_lines.exists():
        raise Conflict(
            "This part has stock history or purchase orders; deactivate it instead.", "protected"
        )
    audit_record(
        actor=by,
        action="part.delete",
        obj=part,
        changes=changes_between(snapshot(part, PART_AUDIT_FIELDS), {}),
    )
    _delete(part, "This part is still used elsewhere (e.g. by work orders); deactivate it.")


# --- Stock locations and vendors ---------------------------------------------


def _check_location_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    clash = StockLocation.objects.filter(code__iexact=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"code": ["A stock location with this code already exists."]})


def _check_location_parent(location: StockLocation) -> None:
    seen: set[int] = set()
    parent = location.parent
    while parent is not None:
        if parent.pk == location.pk or parent.pk in seen:
            raise InvalidInput({"parent": ["A location cannot sit inside itself."]})
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def stock_location_create(
    *,
    by: User | None,
    code: str,
    name: str,
    kind: str = "storeroom",
    parent: StockLocation | None = None,
    description: str = "",
) -> StockLocation:
    """Create a storeroom, bin or other place stock is kept."""
    location = StockLocation(
        code=(code or "").strip(), name=name, kind=kind, parent=parent, description=description
    )
    validate(location)
    _check_location_code_free(location.code)
    location.save()
    audit_record(
        actor=by,
        action="stock_location.create",
        obj=location,
        changes=changes_between({}, snapshot(location, LOCATION_FIELDS)),
    )
    return location


@transaction.atomic
def stock_location_update(
    *, location: StockLocation, by: User | None, **fields: Any
) -> StockLocation:
    """Rename or move a stock location (its stock stays where it is)."""
    refuse_unknown(fields, LOCATION_FIELDS)
    location = locked(location)
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip()
        _check_location_code_free(fields["code"], exclude_pk=location.pk)
    audited_update(
        location,
        by=by,
        action="stock_location.update",
        fields=fields,
        audited=LOCATION_FIELDS,
        check=_check_location_parent,
    )
    return location


@transaction.atomic
def stock_location_delete(*, location: StockLocation, by: User | None) -> None:
    """Delete a location that never held stock and holds no other location."""
    if location.is_main:
        raise Conflict(
            "The main storeroom takes stock no other location is named for; it stays.",
            "protected",
        )
    in_use = (
        StockMovement.objects.filter(location=location).exists()
        or StockLevel.objects.filter(location=location).exists()
        or PurchaseOrderLine.objects.filter(location=location).exists()
        or location.children.exists()
    )
    if in_use:
        raise Conflict(
            "This location has stock history, sub-locations or purchase order lines.",
            "protected",
        )
    audit_record(
        actor=by,
        action="stock_location.delete",
        obj=location,
        changes=changes_between(snapshot(location, LOCATION_FIELDS), {}),
    )
    _delete(location, "This location is still used elsewhere.")


def _check_vendor_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    clash = Vendor.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"name": ["A vendor with this name already exists."]})


@transaction.atomic
def vendor_create(*, by: User | None, name: str, **fields: Any) -> Vendor:
    """Create a vendor."""
    refuse_unknown(fields, VENDOR_FIELDS)
    vendor = Vendor(name=(name or "").strip(), **fields)
    validate(vendor)
    _check_vendor_name_free(vendor.name)
    vendor.save()
    audit_record(
        actor=by,
        action="vendor.create",
        obj=vendor,
        changes=changes_between({}, snapshot(vendor, VENDOR_FIELDS)),
    )
    return vendor


@transaction.atomic
def vendor_update(*, vendor: Vendor, by: User | None, **fields: Any) -> Vendor:
    """Change a vendor's details."""
    refuse_unknown(fields, VENDOR_FIELDS)
    vendor = locked(vendor)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        _check_vendor_name_free(fields["name"], exclude_pk=vendor.pk)
    audited_update(vendor, by=by, action="vendor.update", fields=fields, audited=VENDOR_FIELDS)
    return vendor


@transaction.atomic
def vendor_delete(*, vendor: Vendor, by: User | None) -> None:
    """Delete a vendor without purchase orders; parts preferring it are left without one."""
    if vendor.purchase_orders.exists():
        raise Conflict("This vendor has purchase orders; deactivate it instead.", "protected")
    audit_record(
        actor=by,
        action="vendor.delete",
        obj=vendor,
        changes=changes_between(snapshot(vendor, VENDOR_FIELDS), {}),
    )
    _delete(vendor, "This vendor is still used elsewhere; deactivate it.")
