"""Stock: every movement in or out of the store, exact under concurrent use.

Stock moves only through ``StockBook``: it locks the parts (ascending id) and
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.money import to_cents
from inventory import locks
from inventory.choices import AdjustmentReason, MovementKind
from inventory.models import ZERO, Part, StockLevel, StockLocation, StockMovement
from inventory.services.low_stock import low_stock_announce, low_stock_transition
from inventory.services.quantities import (
    COST_STEP,
    MAX_QUANTITY,
    QUANTITY_STEP,
    is_zero,
    require_cost,
    require_positive,
)

STOCK_AUDIT_FIELDS = ("quantity_on_hand", "unit_cost", "low_stock_since")


def acting_user(by: User | None) -> User | None:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


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
class StockBook:
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
    ) -> "StockBook":
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
        if location_id not in self.locations:
            # The main storeroom, when a movement names no place and the part has none.
            self.locations[location_id] = StockLocation.objects.get(pk=location_id)
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
        actor = acting_user(self.by)
        movement = StockMovement(
            part=part,
            location=self.location(location_id),
            kind=kind,
            quantity=quantity,
            balance_after=new,
            part_balance_after=part.quantity_on_hand,
            unit_cost=unit_cost,
            total_cost=to_cents(abs(quantity) * unit_cost),
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
            if low_stock_transition(part, now):
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
            low_stock_announce(crossed)
        return list(self.movements)


def _location_or_default(part: Part, location: StockLocation | None) -> int:
    """Where stock goes when a movement names no place: the part's default location,
    else the tenant's main storeroom."""
    if location is not None:
        return location.pk
    if part.location_id is not None:
        return part.location_id
    main = StockLocation.objects.filter(is_main=True).values_list("pk", flat=True).first()
    if main is None:
        raise InvalidInput({"location": ["This part has no default location; name the location."]})
    return main


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
            quantity=require_positive("quantity", line.quantity),
            location_id=line.location_id,
        )
        for line in lines
    ]
    book = StockBook.open(
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
    quantity = require_positive("quantity", quantity)
    if unit_cost is not None:
        unit_cost = require_cost("unit_cost", unit_cost)
    book = StockBook.open(
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
    quantity = require_positive("quantity", quantity)
    book = StockBook.open(
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
    book = StockBook.open(
        by=by, part_ids=[part.pk], location_ids=[location.pk if location else None]
    )
    locked = book.parts[part.pk]
    location_id = _location_or_default(locked, location)
    if counted is not None:
        counted = ZERO if is_zero(counted) else require_positive("counted", counted)
        delta = counted - book.at(locked, location_id)
        if delta == 0:
            raise InvalidInput({"counted": ["That is the current level; nothing to adjust."]})
    else:
        if is_zero(delta):
            raise InvalidInput({"delta": ["Must not be zero."]})
        negative = isinstance(delta, Decimal | int) and delta < 0
        delta = require_positive("delta", -delta if negative else delta)
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
    quantity = require_positive("quantity", quantity)
    if from_location.pk == to_location.pk:
        raise InvalidInput({"to_location": ["Must differ from from_location."]})
    book = StockBook.open(
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
