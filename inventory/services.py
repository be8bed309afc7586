"""Every write of the inventory app: parts, locations, vendors, stock, purchase orders.

Stock moves only through ``_StockBook``: it locks the parts (ascending id) and
their stock levels (ascending part, location; see ``inventory.locks``), checks
every line against what is really there, then writes the levels, the parts'
totals and one ledger row per change in the same transaction. A shortage
raises ``Conflict(code="insufficient_stock")`` before anything is written.

Picking rule for usage without a named location: the part's default location
first, then its other locations from the most stock to the least (ties by
location id); a quantity larger than one location holds is split over several
locations, one issue movement each. The call fails only if the part's total
quantity on hand is short.

Costing: ``Part.unit_cost`` is the moving-average cost. A receipt of q at c on
stock Q at average a makes the average (Q*a + q*c) / (Q + q); returns with a
work order come back at the cost they were issued at and are averaged in the
same way. Every issue records the average at that moment as its unit cost and
|q| x unit cost (to the cent) as its total, so work-order parts cost is the sum
of its issues' totals, exactly.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.db.models import ProtectedError, RestrictedError, Sum
from django.utils import timezone

from core.audit import audit_record, changes_between, snapshot
from core.events import Audience, publish
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.roles import Role
from inventory import locks, selectors
from inventory.choices import (
    AdjustmentReason,
    MovementKind,
    PurchaseOrderStatus,
)
from inventory.models import (
    ZERO,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)

logger = structlog.get_logger(__name__)

# The largest value a QUANTITY column holds; refusing beyond it is a clear 400, not a DB error.
MAX_QUANTITY = Decimal("99999999999.999")
CENT = Decimal("0.01")
COST_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.001")

LOW_STOCK_EVENT = "inventory:low-stock"
# Requesters hold no inventory permission, so they do not see its events either.
INVENTORY_AUDIENCE = Audience(
    roles=frozenset({Role.MANAGER, Role.PLANNER, Role.TECHNICIAN, Role.VIEWER})
)

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
STOCK_AUDIT_FIELDS = ("quantity_on_hand", "unit_cost", "low_stock_since")
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
PO_HEADER_FIELDS = ("vendor", "expected_at", "reference", "notes")
PO_AUDIT_FIELDS = (*PO_HEADER_FIELDS, "status", "number", "cancel_reason")


# --- Small helpers -----------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _validate(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Field-level model validation (lengths, choices, digits) as a 400, for every caller."""
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc


def _require_positive(name: str, value: Any) -> Decimal:
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise InvalidInput({name: ["A number is required."]})
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise InvalidInput({name: ["Must be greater than zero."]})
    if value > MAX_QUANTITY or value != value.quantize(QUANTITY_STEP):
        raise InvalidInput({name: ["At most 11 digits before and 3 after the decimal point."]})
    return value


def _is_zero(value: Any) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool) and value == 0


def _require_cost(name: str, value: Any) -> Decimal:
    """A unit cost that fits its column exactly (so nothing is rounded behind the ledger)."""
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise InvalidInput({name: ["A number is required."]})
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise InvalidInput({name: ["Must not be negative."]})
    if value >= Decimal("1e10") or value != value.quantize(COST_STEP):
        raise InvalidInput({name: ["At most 10 digits before and 4 after the decimal point."]})
    return value


def _require_non_negative(values: Mapping[str, Any], names: Iterable[str]) -> None:
    errors = {
        name: ["Must not be negative."]
        for name in names
        if values.get(name) is not None and Decimal(values[name]) < 0
    }
    if errors:
        raise InvalidInput(errors)


def _actor(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def _unknown_fields(fields: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed."] for name in unknown})


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
    _require_non_negative(values, values)
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
    _validate(part)
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
    _unknown_fields(fields, PART_FIELDS)
    _require_non_negative(fields, ("reorder_point", "reorder_quantity", "unit_cost"))
    part = locks.lock_parts([part.pk])[part.pk]
    before = snapshot(part, PART_AUDIT_FIELDS)
    if "part_number" in fields:
        fields["part_number"] = (fields["part_number"] or "").strip()
        _check_part_number_free(fields["part_number"], exclude_pk=part.pk)
    for name, value in fields.items():
        setattr(part, name, value)
    _validate(part)
    now = timezone.now()
    crossed = _low_stock_transition(part, now)
    part.save()
    changes = changes_between(before, snapshot(part, PART_AUDIT_FIELDS))
    if changes:
        audit_record(actor=by, action="part.update", obj=part, changes=changes)
    if crossed:
        _announce_low_stock([part])
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
    _validate(location)
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
    _unknown_fields(fields, LOCATION_FIELDS)
    location = StockLocation.objects.select_for_update().get(pk=location.pk)
    before = snapshot(location, LOCATION_FIELDS)
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip()
        _check_location_code_free(fields["code"], exclude_pk=location.pk)
    for name, value in fields.items():
        setattr(location, name, value)
    _validate(location)
    _check_location_parent(location)
    location.save()
    changes = changes_between(before, snapshot(location, LOCATION_FIELDS))
    if changes:
        audit_record(actor=by, action="stock_location.update", obj=location, changes=changes)
    return location


@transaction.atomic
def stock_location_delete(*, location: StockLocation, by: User | None) -> None:
    """Delete a location that never held stock and holds no other location."""
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
    _unknown_fields(fields, VENDOR_FIELDS)
    vendor = Vendor(name=(name or "").strip(), **fields)
    _validate(vendor)
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
    _unknown_fields(fields, VENDOR_FIELDS)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    before = snapshot(vendor, VENDOR_FIELDS)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        _check_vendor_name_free(fields["name"], exclude_pk=vendor.pk)
    for name, value in fields.items():
        setattr(vendor, name, value)
    _validate(vendor)
    vendor.save()
    changes = changes_between(before, snapshot(vendor, VENDOR_FIELDS))
    if changes:
        audit_record(actor=by, action="vendor.update", obj=vendor, changes=changes)
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


# --- The stock book: locks, checks, movements, writes ------------------------


@dataclass(frozen=True)
class ConsumeLine:
    """One part to take out of stock.

    ``location_id`` None applies the picking rule (default location first, then
    the locations with the most stock).
    """

    part_id: int
    quantity: Decimal
    location_id: int | None = None


@dataclass(frozen=True)
class ReceiveLine:
    """How much of one purchase-order line arrived, and where it goes (None: the line's)."""

    line_id: int
    quantity: Decimal
    location_id: int | None = None


@dataclass
class _StockBook:
    """The locked parts and levels of one operation: changed in memory, then written once."""

    by: User | None
    parts: dict[int, Part]
    levels: dict[tuple[int, int], StockLevel]
    locations: dict[int, StockLocation]
    part_before: dict[int, dict[str, Any]] = field(default_factory=dict)
    level_before: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    movements: list[StockMovement] = field(default_factory=list)

    @classmethod
    def open(
        cls, *, by: User | None, part_ids: Iterable[int], location_ids: Iterable[int | None] = ()
    ) -> "_StockBook":
        part_ids = set(part_ids)
        parts = locks.lock_parts(part_ids)
        missing = sorted(part_ids - set(parts))
        if missing:
            raise InvalidInput({"part": [f"Unknown part {pk}." for pk in missing]})
        levels = {(level.part_id, level.location_id): level for level in locks.lock_levels(parts)}
        # The lock queries bring the locations they touch; only others are read (and checked).
        locations = {level.location_id: level.location for level in levels.values()}
        locations.update(
            {part.location_id: part.location for part in parts.values() if part.location_id}
        )
        wanted = {pk for pk in location_ids if pk is not None and pk not in locations}
        if wanted:
            locations.update(StockLocation.objects.in_bulk(wanted))
            unknown = sorted(pk for pk in wanted if pk not in locations)
            if unknown:
                raise InvalidInput(
                    {"location": [f"Unknown stock location {pk}." for pk in unknown]}
                )
        book = cls(by=by, parts=parts, levels=levels, locations=locations)
        book.part_before = {pk: snapshot(part, STOCK_AUDIT_FIELDS) for pk, part in parts.items()}
        return book

    # Reading the book -------------------------------------------------------

    def at(self, part: Part, location_id: int) -> Decimal:
        level = self.levels.get((part.pk, location_id))
        return level.quantity if level is not None else ZERO

    def picking_order(self, part: Part) -> list[StockLevel]:
        """The part's non-empty levels in the order usage without a location takes them."""
        stocked = [
            level
            for (part_id, _), level in self.levels.items()
            if part_id == part.pk and level.quantity > 0
        ]
        return sorted(
            stocked,
            key=lambda level: (
                level.location_id != part.location_id,
                -level.quantity,
                level.location_id,
            ),
        )

    def location(self, location_id: int) -> StockLocation:
        return self.locations[location_id]

    # Changing the book ------------------------------------------------------

    def move(
        self,
        *,
        part: Part,
        location_id: int,
        kind: str,
        quantity: Decimal,
        unit_cost: Decimal,
        **extra: Any,
    ) -> StockMovement:
        """Record one signed change at one location (checked: never below zero)."""
        key = (part.pk, location_id)
        # Quantised like the columns, so audit trails and payloads read as the database does.
        current = self.at(part, location_id).quantize(QUANTITY_STEP)
        new = (current + quantity).quantize(QUANTITY_STEP)
        if new < 0:
            code = self.location(location_id).code
            raise Conflict(
                f"Not enough stock of {part.part_number} at {code}: "
                f"{-quantity} requested, {current} there.",
                "insufficient_stock",
            )
        if new > MAX_QUANTITY or part.quantity_on_hand + quantity > MAX_QUANTITY:
            raise InvalidInput({"quantity": ["Stock would exceed the largest quantity held."]})
        level = self.levels.get(key)
        if level is None:
            level = StockLevel(part=part, location=self.location(location_id), quantity=ZERO)
            self.levels[key] = level
        self.level_before.setdefault(key, current)
        level.quantity = new
        part.quantity_on_hand = (part.quantity_on_hand + quantity).quantize(QUANTITY_STEP)
        actor = _actor(self.by)
        movement = StockMovement(
            part=part,
            location=self.location(location_id),
            kind=kind,
            quantity=quantity,
            balance_after=new,
            part_balance_after=part.quantity_on_hand,
            unit_cost=unit_cost,
            total_cost=_money(abs(quantity) * unit_cost),
            actor=actor,
            actor_username=actor.get_username() if actor else "",
            **extra,
        )
        self.movements.append(movement)
        return movement

    def receive(
        self,
        *,
        part: Part,
        location_id: int,
        kind: str,
        quantity: Decimal,
        unit_cost: Decimal,
        **extra: Any,
    ) -> StockMovement:
        """Stock in at ``unit_cost``, averaged into the part's moving-average cost."""
        on_hand = part.quantity_on_hand
        with localcontext() as ctx:
            ctx.prec = 60
            if on_hand <= 0:
                average = unit_cost
            else:
                average = (on_hand * part.unit_cost + quantity * unit_cost) / (on_hand + quantity)
        part.unit_cost = average.quantize(COST_STEP, rounding=ROUND_HALF_UP)
        return self.move(
            part=part,
            location_id=location_id,
            kind=kind,
            quantity=quantity,
            unit_cost=unit_cost,
            **extra,
        )

    def take(self, lines: Sequence[ConsumeLine], **extra: Any) -> None:
        """Issue every line, or raise naming every short part before changing anything.

        Lines naming a location are taken first, so the picking rule of the
        others never takes what a named line needs.
        """
        named: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        anywhere: dict[int, Decimal] = defaultdict(Decimal)
        for line in lines:
            if line.location_id is None:
                anywhere[line.part_id] += line.quantity
            else:
                named[(line.part_id, line.location_id)] += line.quantity
        shortages: list[str] = []
        named_total: dict[int, Decimal] = defaultdict(Decimal)
        for (part_id, location_id), quantity in sorted(named.items()):
            part = self.parts[part_id]
            named_total[part_id] += quantity
            there = self.at(part, location_id)
            if there < quantity:
                code = self.location(location_id).code
                shortages.append(
                    f"{part.part_number} at {code}: {quantity} requested, {there} there"
                )
        for part_id, quantity in sorted(anywhere.items()):
            part = self.parts[part_id]
            available = part.quantity_on_hand - named_total[part_id]
            if available < quantity:
                shortages.append(
                    f"{part.part_number}: {quantity} requested, {max(available, ZERO)} available"
                )
        if shortages:
            raise Conflict("Not enough stock: " + "; ".join(shortages) + ".", "insufficient_stock")

        for (part_id, location_id), quantity in sorted(named.items()):
            self._issue(self.parts[part_id], location_id, quantity, **extra)
        for part_id, quantity in sorted(anywhere.items()):
            part = self.parts[part_id]
            remaining = quantity
            for level in self.picking_order(part):
                taken = min(remaining, level.quantity)
                self._issue(part, level.location_id, taken, **extra)
                remaining -= taken
                if remaining == 0:
                    break

    def _issue(self, part: Part, location_id: int, quantity: Decimal, **extra: Any) -> None:
        self.move(
            part=part,
            location_id=location_id,
            kind=MovementKind.ISSUE,
            quantity=-quantity,
            unit_cost=part.unit_cost,
            **extra,
        )

    # Writing the book -------------------------------------------------------

    def write(self, *, action: str) -> list[StockMovement]:
        """Persist levels, parts and movements; audit; announce low-stock crossings."""
        now = timezone.now()
        new_levels = []
        for key in sorted(self.level_before):
            level = self.levels[key]
            if level.pk is None:
                new_levels.append(level)
            else:
                StockLevel.objects.filter(pk=level.pk).update(
                    quantity=level.quantity, updated_at=now
                )
        if new_levels:
            StockLevel.objects.bulk_create(new_levels)

        touched = sorted({movement.part_id for movement in self.movements})
        crossed: list[Part] = []
        for part_id in touched:
            part = self.parts[part_id]
            if _low_stock_transition(part, now):
                crossed.append(part)
            Part.objects.filter(pk=part_id).update(
                quantity_on_hand=part.quantity_on_hand,
                unit_cost=part.unit_cost,
                low_stock_since=part.low_stock_since,
                updated_at=now,
            )
            part.updated_at = now
        StockMovement.objects.bulk_create(self.movements)

        for part_id in touched:
            part = self.parts[part_id]
            changes = changes_between(self.part_before[part_id], snapshot(part, STOCK_AUDIT_FIELDS))
            for (level_part, location_id), before in sorted(self.level_before.items()):
                if level_part == part_id:
                    code = self.location(location_id).code
                    after = self.levels[(level_part, location_id)].quantity
                    changes[f"stock@{code}"] = {"before": str(before), "after": str(after)}
            changes["movements"] = {
                "before": None,
                "after": [m.pk for m in self.movements if m.part_id == part_id],
            }
            audit_record(actor=self.by, action=action, obj=part, changes=changes)
        if crossed:
            _announce_low_stock(crossed)
        return list(self.movements)


def _low_stock_transition(part: Part, now: datetime) -> bool:
    """Track the part's side of its reorder point; True on a downward crossing to announce."""
    low = part.quantity_on_hand <= part.reorder_point
    if low and part.low_stock_since is None:
        part.low_stock_since = now
        return part.active
    if not low and part.low_stock_since is not None:
        part.low_stock_since = None
    return False


def _announce_low_stock(parts: Sequence[Part]) -> None:
    """Publish ``inventory:low-stock`` per part and e-mail the active managers, after commit."""
    for part in parts:
        publish(LOW_STOCK_EVENT, selectors.part_detail_data(part.pk), audience=INVENTORY_AUDIENCE)
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


def _location_or_default(part: Part, location: StockLocation | None) -> int:
    if location is not None:
        return location.pk
    if part.location_id is None:
        raise InvalidInput({"location": ["This part has no default location; name the location."]})
    return part.location_id


# --- Stock operations --------------------------------------------------------


def _consume(
    lines: Sequence[ConsumeLine],
    by: User | None,
    reference: str,
    work_order_id: int | None,
    notes: str,
) -> list[StockMovement]:
    if not lines:
        raise InvalidInput({"lines": ["Name at least one part."]})
    lines = [
        ConsumeLine(
            part_id=line.part_id,
            quantity=_require_positive("quantity", line.quantity),
            location_id=line.location_id,
        )
        for line in lines
    ]
    book = _StockBook.open(
        by=by,
        part_ids=[line.part_id for line in lines],
        location_ids=[line.location_id for line in lines],
    )
    book.take(lines, reference=reference or "", work_order_id=work_order_id, notes=notes or "")
    return book.write(action="part.issue")


@transaction.atomic
def parts_consume(
    *,
    lines: Sequence[ConsumeLine],
    by: User | None,
    reference: str = "",
    work_order_id: int | None = None,
    notes: str = "",
) -> list[StockMovement]:
    """Take several parts out of stock at once, all or nothing.

    For the maintenance app (a work order completing with parts used) as much as
    for the API. Returns the issue movements, each carrying its unit and total
    cost: ``sum(m.total_cost for m in movements)`` is what the parts cost. If
    any part is short, raises ``Conflict(code="insufficient_stock")`` naming
    every short part, and nothing changes. Unknown part or location ids raise
    ``InvalidInput``. Inside a caller's transaction this is a savepoint: the
    conflict propagates and the caller decides (a work order must then not
    complete). Locks are taken parts first by ascending id, so a caller holding
    its own rows (the work order) must take those before calling, never after.
    """
    return _consume(lines, by, reference, work_order_id, notes)


@transaction.atomic
def part_usage_record(
    *,
    part: Part,
    quantity: Decimal,
    by: User | None,
    location: StockLocation | None = None,
    work_order_id: int | None = None,
    reference: str = "",
    notes: str = "",
) -> list[StockMovement]:
    """Record that ``quantity`` of a part was used (issued), e.g. on a work order.

    From ``location`` when given, else by the picking rule (see module doc),
    possibly split over several locations. 409 ``insufficient_stock`` when short.
    """
    line = ConsumeLine(
        part_id=part.pk,
        quantity=quantity,
        location_id=location.pk if location is not None else None,
    )
    return _consume([line], by, reference, work_order_id, notes)


@transaction.atomic
def part_restock(
    *,
    part: Part,
    quantity: Decimal,
    by: User | None,
    location: StockLocation | None = None,
    unit_cost: Decimal | None = None,
    reference: str = "",
    notes: str = "",
) -> StockMovement:
    """Receive stock into ``location`` (default: the part's location) at ``unit_cost``.

    Without a unit cost the part's current average is used (leaving it as is).
    """
    quantity = _require_positive("quantity", quantity)
    if unit_cost is not None:
        unit_cost = _require_cost("unit_cost", unit_cost)
    book = _StockBook.open(
        by=by, part_ids=[part.pk], location_ids=[location.pk if location else None]
    )
    locked = book.parts[part.pk]
    movement = book.receive(
        part=locked,
        location_id=_location_or_default(locked, location),
        kind=MovementKind.RECEIPT,
        quantity=quantity,
        unit_cost=locked.unit_cost if unit_cost is None else unit_cost,
        reference=reference or "",
        notes=notes or "",
    )
    book.write(action="part.receive")
    return movement


@transaction.atomic
def part_return(
    *,
    part: Part,
    quantity: Decimal,
    by: User | None,
    location: StockLocation | None = None,
    work_order_id: int | None = None,
    reference: str = "",
    notes: str = "",
) -> StockMovement:
    """Put unused parts back in stock.

    With a work order, at most what was issued to it and not yet returned comes
    back, at the cost of its latest issue (so the work order's net parts cost
    stays exact); otherwise at the current average cost.
    """
    quantity = _require_positive("quantity", quantity)
    book = _StockBook.open(
        by=by, part_ids=[part.pk], location_ids=[location.pk if location else None]
    )
    locked = book.parts[part.pk]
    unit_cost = locked.unit_cost
    if work_order_id is not None:
        for_work_order = StockMovement.objects.filter(part=locked, work_order_id=work_order_id)
        net_issued = -(
            for_work_order.filter(kind__in=[MovementKind.ISSUE, MovementKind.RETURN]).aggregate(
                total=Sum("quantity")
            )["total"]
            or ZERO
        )
        if quantity > net_issued:
            raise Conflict(
                f"Only {max(net_issued, ZERO)} of {locked.part_number} were issued to work "
                f"order {work_order_id} and not returned.",
                "over_return",
            )
        last_issue = for_work_order.filter(kind=MovementKind.ISSUE).order_by("-id").first()
        if last_issue is not None:
            unit_cost = last_issue.unit_cost
    movement = book.receive(
        part=locked,
        location_id=_location_or_default(locked, location),
        kind=MovementKind.RETURN,
        quantity=quantity,
        unit_cost=unit_cost,
        work_order_id=work_order_id,
        reference=reference or "",
        notes=notes or "",
    )
    book.write(action="part.return")
    return movement


@transaction.atomic
def part_adjust(
    *,
    part: Part,
    by: User | None,
    reason: str,
    location: StockLocation | None = None,
    delta: Decimal | None = None,
    counted: Decimal | None = None,
    notes: str = "",
) -> StockMovement:
    """Correct the stock at one location, by a signed ``delta`` or to a ``counted`` level.

    Needs a reason (cycle count, damaged, lost, ...). Valued at the average cost;
    the average itself does not change.
    """
    if (delta is None) == (counted is None):
        raise InvalidInput({"non_field_errors": ["Give either delta or counted, not both."]})
    if reason not in AdjustmentReason.values:
        raise InvalidInput({"reason": [f'"{reason}" is not a valid reason.']})
    book = _StockBook.open(
        by=by, part_ids=[part.pk], location_ids=[location.pk if location else None]
    )
    locked = book.parts[part.pk]
    location_id = _location_or_default(locked, location)
    if counted is not None:
        counted = ZERO if _is_zero(counted) else _require_positive("counted", counted)
        delta = counted - book.at(locked, location_id)
        if delta == 0:
            raise InvalidInput({"counted": ["That is the current level; nothing to adjust."]})
    else:
        if _is_zero(delta):
            raise InvalidInput({"delta": ["Must not be zero."]})
        negative = isinstance(delta, Decimal | int) and delta < 0
        delta = _require_positive("delta", -delta if negative else delta)
        delta = -delta if negative else delta
    movement = book.move(
        part=locked,
        location_id=location_id,
        kind=MovementKind.ADJUSTMENT,
        quantity=delta,
        unit_cost=locked.unit_cost,
        reason=reason,
        notes=notes or "",
    )
    book.write(action="part.adjust")
    return movement


@transaction.atomic
def part_transfer(
    *,
    part: Part,
    by: User | None,
    from_location: StockLocation,
    to_location: StockLocation,
    quantity: Decimal,
    notes: str = "",
) -> list[StockMovement]:
    """Move stock between two locations: one movement out, one in, at the average cost."""
    quantity = _require_positive("quantity", quantity)
    if from_location.pk == to_location.pk:
        raise InvalidInput({"to_location": ["Must differ from from_location."]})
    book = _StockBook.open(
        by=by, part_ids=[part.pk], location_ids=[from_location.pk, to_location.pk]
    )
    locked = book.parts[part.pk]
    for location_id, other, signed in (
        (from_location.pk, to_location, -quantity),
        (to_location.pk, from_location, quantity),
    ):
        book.move(
            part=locked,
            location_id=location_id,
            kind=MovementKind.TRANSFER,
            quantity=signed,
            unit_cost=locked.unit_cost,
            other_location=other,
            notes=notes or "",
        )
    return book.write(action="part.transfer")


# --- Purchase orders ---------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    """A line to put on a purchase order; ``unit_cost`` None takes the part's average."""

    part: Part
    quantity: Decimal
    unit_cost: Decimal | None = None
    location: StockLocation | None = None
    notes: str = ""


def _po_state(purchase_order: PurchaseOrder) -> dict[str, Any]:
    state = snapshot(purchase_order, PO_AUDIT_FIELDS)
    state["lines"] = [
        {
            "part": line.part_id,
            "quantity": str(line.quantity),
            "quantity_received": str(line.quantity_received),
            "unit_cost": str(line.unit_cost),
            "location": line.location_id,
        }
        for line in purchase_order.lines.order_by("id")
    ]
    return state


def _write_lines(purchase_order: PurchaseOrder, lines: Sequence[OrderLine]) -> None:
    rows = []
    for index, line in enumerate(lines):
        try:
            quantity = _require_positive("quantity", line.quantity)
            if line.unit_cost is not None:
                _require_cost("unit_cost", line.unit_cost)
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
        _validate(row, exclude=["purchase_order"])
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
        created_by=_actor(by),
    )
    _validate(purchase_order, exclude=["created_by", "approved_by"])
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
    _unknown_fields(fields, PO_HEADER_FIELDS)
    purchase_order = locks.lock_purchase_order(purchase_order.pk)
    before = _po_state(purchase_order)
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
    for name, value in fields.items():
        setattr(purchase_order, name, "" if value is None and name != "expected_at" else value)
    _validate(purchase_order, exclude=["created_by", "approved_by"])
    purchase_order.save()
    if lines is not None:
        _write_lines(purchase_order, lines)
    changes = changes_between(before, _po_state(purchase_order))
    if changes:
        audit_record(actor=by, action="purchase_order.update", obj=purchase_order, changes=changes)
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
    before = _po_state(purchase_order)
    purchase_order.status = to
    for name, value in stamps.items():
        setattr(purchase_order, name, value)
    purchase_order.save()
    audit_record(
        actor=by,
        action=f"purchase_order.{doing}",
        obj=purchase_order,
        changes=changes_between(before, _po_state(purchase_order)),
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
        approved_by=_actor(by),
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
        wanted[line.line_id] += _require_positive("quantity", line.quantity)
    over = [
        f"line {pk} ({order_lines[pk].quantity_outstanding} outstanding, {quantity} received)"
        for pk, quantity in sorted(wanted.items())
        if quantity > order_lines[pk].quantity_outstanding
    ]
    if over:
        raise Conflict("More than ordered: " + "; ".join(over) + ".", "over_receipt")

    book = _StockBook.open(
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
    locks.advisory_lock("inventory.suggest_reorders")
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
