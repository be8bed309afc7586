"""Labor, parts and other costs of work orders, and the roll-up that keeps totals true."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.audit import audit_record
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.money import to_cents
from core.roles import WORKER_ROLES
from inventory.models import Part
from inventory.services.stock import ConsumeLine, parts_consume
from maintenance.choices import CostCategory, HistoryKind, Status
from maintenance.models import LaborEntry, MaintenanceSettings, OtherCost, WorkOrder, WorkOrderPart
from maintenance.models.fields import ZERO
from maintenance.services.history import history_record


@dataclass(frozen=True)
class PartUse:
    """A stocked part taken for a work order; ``location_id`` None applies the picking rule."""

    part_id: int
    quantity: Decimal
    location_id: int | None = None


def work_order_recompute_costs(work_order: WorkOrder) -> WorkOrder:
    """Sum labor, parts and other costs (and hours) into the work order, in one UPDATE.

    Called by every service that changes an entry, inside its transaction.
    """
    labor = LaborEntry.objects.filter(work_order=work_order).aggregate(
        cost=Sum("cost"), hours=Sum("hours")
    )
    parts = (
        WorkOrderPart.objects.filter(work_order=work_order).aggregate(cost=Sum("cost"))["cost"]
        or ZERO
    )
    other = (
        OtherCost.objects.filter(work_order=work_order).aggregate(cost=Sum("amount"))["cost"]
        or ZERO
    )
    work_order.labor_cost = to_cents(labor["cost"] or ZERO)
    work_order.parts_cost = to_cents(parts)
    work_order.other_cost = to_cents(other)
    work_order.total_cost = work_order.labor_cost + work_order.parts_cost + work_order.other_cost
    work_order.actual_hours = labor["hours"] or ZERO
    WorkOrder.objects.filter(pk=work_order.pk).update(
        labor_cost=work_order.labor_cost,
        parts_cost=work_order.parts_cost,
        other_cost=work_order.other_cost,
        total_cost=work_order.total_cost,
        actual_hours=work_order.actual_hours,
        updated_at=timezone.now(),
    )
    return work_order


def _refuse_if_cancelled(work_order: WorkOrder) -> None:
    if work_order.status == Status.CANCELLED:
        raise Conflict(
            "This work order is cancelled; nothing more can be booked on it.", "work_order_closed"
        )


def _rate_for(technician: User | None) -> Decimal:
    if technician is not None and technician.hourly_rate is not None:
        return technician.hourly_rate
    return MaintenanceSettings.current().default_labor_rate


def _add_labor(
    work_order: WorkOrder,
    *,
    technician: User | None,
    hours: Decimal,
    rate: Decimal | None,
    work_date: date,
    notes: str,
) -> LaborEntry:
    if hours <= 0 or hours > 1000:
        raise InvalidInput({"hours": ["Hours must be more than 0 and at most 1000."]})
    if technician is not None and (technician.role not in WORKER_ROLES):
        raise InvalidInput(
            {"technician": ["Labor is booked for technicians, planners or managers."]}
        )
    rate = _rate_for(technician) if rate is None else Decimal(rate)
    if rate < 0:
        raise InvalidInput({"rate": ["A rate cannot be negative."]})
    return LaborEntry.objects.create(
        work_order=work_order,
        technician=technician,
        hours=hours,
        rate=rate,
        cost=to_cents(hours * rate),
        work_date=work_date,
        notes=notes[:500],
    )


@transaction.atomic
def labor_add(
    *,
    by: User | None,
    work_order: WorkOrder,
    technician: User | None,
    hours: Decimal,
    rate: Decimal | None = None,
    work_date: date | None = None,
    notes: str = "",
) -> LaborEntry:
    """Book time on a work order; the rate defaults to the person's, then the tenant's."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    _refuse_if_cancelled(work_order)
    entry = _add_labor(
        work_order,
        technician=technician,
        hours=Decimal(hours),
        rate=rate,
        work_date=work_date or timezone.localdate(),
        notes=notes,
    )
    work_order_recompute_costs(work_order)
    audit_record(
        actor=by,
        action="work_order.labor",
        obj=work_order,
        changes={"labor_cost": {"before": None, "after": str(work_order.labor_cost)}},
    )
    who = technician.username if technician else "unassigned"
    history_record(
        kind=HistoryKind.LABOR,
        summary=f"{work_order.number}: {entry.hours} h by {who}",
        work_order=work_order,
        actor=by,
        data={"hours": str(entry.hours), "cost": str(entry.cost)},
    )
    return entry


def log_completion_hours(
    work_order: WorkOrder, actual_hours: Decimal, *, by: User | None, at: datetime
) -> None:
    """Make the labor on record add up to the hours reported at completion."""
    if actual_hours < 0:
        raise InvalidInput({"actual_hours": ["Hours cannot be negative."]})
    logged = LaborEntry.objects.filter(work_order=work_order).aggregate(h=Sum("hours"))["h"] or ZERO
    missing = actual_hours - logged
    if missing < 0:
        raise InvalidInput(
            {
                "actual_hours": [
                    f"{logged} hours are already logged on this work order; report at least that."
                ]
            }
        )
    if missing > 0:
        technician = work_order.assigned_to or (
            by if by is not None and by.is_authenticated else None
        )
        _add_labor(
            work_order,
            technician=technician,
            hours=missing,
            rate=None,
            work_date=timezone.localdate(at),
            notes="logged at completion",
        )


def use_parts(
    work_order: WorkOrder, uses: Sequence[PartUse], *, by: User | None, at: datetime
) -> None:
    """Take parts from stock for this work order (all or nothing) and value them from the ledger."""
    wanted = [use.part_id for use in uses]
    known = set(Part.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    unknown = [str(pk) for pk in wanted if pk not in known]
    if unknown:
        raise InvalidInput({"parts_used": [f"No such part: {', '.join(unknown)}."]})
    movements = parts_consume(
        lines=[
            ConsumeLine(part_id=u.part_id, quantity=Decimal(u.quantity), location_id=u.location_id)
            for u in uses
        ],
        by=by,
        reference=work_order.number,
        work_order_id=work_order.pk,
    )
    used: dict[int, tuple[Decimal, Decimal]] = {}
    for movement in movements:
        quantity, cost = used.get(movement.part_id, (ZERO, ZERO))
        used[movement.part_id] = (quantity + abs(movement.quantity), cost + movement.total_cost)
    lines = {
        line.part_id: line
        for line in WorkOrderPart.objects.filter(work_order=work_order, part_id__in=used)
    }
    for part_id, (quantity, cost) in used.items():
        line = lines.get(part_id) or WorkOrderPart(work_order=work_order, part_id=part_id)
        line.quantity_used += quantity
        line.cost += cost
        line.unit_cost = (
            (line.cost / line.quantity_used).quantize(Decimal("0.0001"))
            if line.quantity_used
            else ZERO
        )
        line.save()
    names = dict(Part.objects.filter(pk__in=used).values_list("pk", "part_number"))
    history_record(
        kind=HistoryKind.PARTS_USED,
        summary=f"{work_order.number}: "
        + ", ".join(f"{q.normalize():f} x {names[p]}" for p, (q, _c) in used.items()),
        work_order=work_order,
        actor=by,
        data={
            "parts": [{"part": p, "quantity": str(q), "cost": str(c)} for p, (q, c) in used.items()]
        },
        at=at,
    )


@transaction.atomic
def work_order_part_plan(
    *,
    by: User | None,
    work_order: WorkOrder,
    quantity: Decimal,
    part: Part | None = None,
    description: str = "",
    unit_cost: Decimal | None = None,
) -> WorkOrderPart:
    """Plan a part for the job: a stocked part (taken at completion), or a non-stock item
    bought for the job (``description`` and ``unit_cost``, costed right away)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    _refuse_if_cancelled(work_order)
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise InvalidInput({"quantity": ["Plan a quantity above zero."]})
    if part is None and not description.strip():
        raise InvalidInput({"part": ["Name a stocked part, or describe a non-stock item."]})
    if part is not None:
        line, _ = WorkOrderPart.objects.get_or_create(work_order=work_order, part=part)
        line.quantity_planned += quantity
        line.save(update_fields=["quantity_planned", "updated_at"])
    else:
        if unit_cost is None or Decimal(unit_cost) < 0:
            raise InvalidInput({"unit_cost": ["A non-stock item needs its unit cost."]})
        line = WorkOrderPart.objects.create(
            work_order=work_order,
            description=description.strip()[:300],
            quantity_planned=quantity,
            quantity_used=quantity,
            unit_cost=Decimal(unit_cost),
            cost=to_cents(quantity * Decimal(unit_cost)),
        )
        work_order_recompute_costs(work_order)
    audit_record(
        actor=by,
        action="work_order.plan_part",
        obj=work_order,
        changes={"part": {"before": None, "after": part.pk if part else description}},
    )
    return line


@transaction.atomic
def other_cost_add(
    *,
    by: User | None,
    work_order: WorkOrder,
    description: str,
    amount: Decimal,
    category: str = CostCategory.OTHER,
    incurred_on: date | None = None,
) -> OtherCost:
    """Book a cost that is neither labor nor stocked parts (a contractor, a rental, ...)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    _refuse_if_cancelled(work_order)
    if Decimal(amount) < 0:
        raise InvalidInput({"amount": ["An amount cannot be negative."]})
    if category not in CostCategory.values:
        raise InvalidInput({"category": [f'"{category}" is not a valid category.']})
    cost = OtherCost.objects.create(
        work_order=work_order,
        description=description.strip()[:300],
        amount=to_cents(Decimal(amount)),
        category=category,
        incurred_on=incurred_on or timezone.localdate(),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    work_order_recompute_costs(work_order)
    audit_record(
        actor=by,
        action="work_order.other_cost",
        obj=work_order,
        changes={"other_cost": {"before": None, "after": str(work_order.other_cost)}},
    )
    return cost
