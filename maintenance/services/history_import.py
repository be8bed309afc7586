"""Historical work orders from another system, so MTBF and MTTR have history from day one.

Imported work orders arrive already in their final state: the status machine is
for work done here, an import records work done elsewhere. Their costs become
cost lines marked as imported, so the totals still add up from entries.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from assets.models import Asset
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User
from core.writes import audited_update, validate
from maintenance.choices import HistoryKind, Source, Status
from maintenance.models import LaborEntry, OtherCost, WorkOrder, WorkOrderPart
from maintenance.services.costs import work_order_recompute_costs
from maintenance.services.history import history_record
from maintenance.services.numbering import next_work_order_number, reserve_up_to

IMPORTED = "imported"
IMPORTED_PARTS = "Parts (imported)"
IMPORTED_OTHER = "Other costs (imported)"
HISTORY_FIELDS = (
    "title",
    "description",
    "asset",
    "work_type",
    "priority",
    "status",
    "assigned_to",
    "requested_by",
    "created_at",
    "scheduled_start",
    "scheduled_end",
    "due_at",
    "started_at",
    "completed_at",
    "cancelled_at",
    "estimated_hours",
    "notes",
    "findings",
    "recommendations",
    "cancel_reason",
)


@dataclass(frozen=True)
class ImportedCosts:
    actual_hours: Decimal | None = None
    labor_cost: Decimal | None = None
    parts_cost: Decimal | None = None
    other_cost: Decimal | None = None


def _check_times(values: dict[str, Any]) -> None:
    created, started, completed = (
        values.get("created_at"),
        values.get("started_at"),
        values.get("completed_at"),
    )
    if values.get("status") == Status.COMPLETED and completed is None:
        raise InvalidInput({"completed_at": ["A completed work order needs its completion time."]})
    if created and completed and completed < created:
        raise InvalidInput({"completed_at": ["Completed before it was created."]})
    if started and completed and completed < started:
        raise InvalidInput({"completed_at": ["Completed before it was started."]})


# What the imported cost lines take from their work order.
_COSTED_BY = ("assigned_to", "completed_at", "created_at")


def _write_costs(
    work_order: WorkOrder,
    costs: ImportedCosts,
    *,
    assigned_to: User | None,
    completed_at: datetime | None,
    created_at: datetime,
) -> None:
    LaborEntry.objects.filter(work_order=work_order, notes=IMPORTED).delete()
    WorkOrderPart.objects.filter(
        work_order=work_order, part__isnull=True, description=IMPORTED_PARTS
    ).delete()
    OtherCost.objects.filter(work_order=work_order, description=IMPORTED_OTHER).delete()
    day = (completed_at or created_at).date()
    hours = costs.actual_hours or Decimal(0)
    if hours > 0 or (costs.labor_cost or 0) > 0:
        labor = costs.labor_cost or Decimal(0)
        LaborEntry.objects.create(
            work_order=work_order,
            technician=assigned_to,
            hours=hours,
            rate=(labor / hours).quantize(Decimal("0.01")) if hours > 0 else Decimal(0),
            cost=labor,
            work_date=day,
            notes=IMPORTED,
        )
    if (costs.parts_cost or 0) > 0:
        WorkOrderPart.objects.create(
            work_order=work_order,
            description=IMPORTED_PARTS,
            quantity_planned=1,
            quantity_used=1,
            unit_cost=costs.parts_cost,
            cost=costs.parts_cost,
        )
    if (costs.other_cost or 0) > 0:
        OtherCost.objects.create(
            work_order=work_order,
            description=IMPORTED_OTHER,
            amount=costs.other_cost,
            incurred_on=day,
        )


def _costs_of(work_order: WorkOrder) -> tuple[Any, ...]:
    return (
        work_order.actual_hours,
        work_order.labor_cost,
        work_order.parts_cost,
        work_order.other_cost,
    )


@transaction.atomic
def work_order_import(
    *,
    by: User | None,
    values: dict[str, Any],
    costs: ImportedCosts,
    number: str | None = None,
    external_ref: str = "",
) -> tuple[str, WorkOrder]:
    """Create or update one historical work order, matched by ``external_ref`` or ``number``.

    Returns ("created" | "updated" | "unchanged", work_order).
    """
    _check_times(values)
    existing = None
    if external_ref:
        existing = WorkOrder.objects.select_for_update().filter(external_ref=external_ref).first()
    if existing is None and number:
        existing = WorkOrder.objects.select_for_update().filter(number=number).first()
        if (
            existing is not None
            and external_ref
            and existing.external_ref not in ("", external_ref)
        ):
            raise InvalidInput(
                {"number": ["This number belongs to a work order with another external_ref."]}
            )

    if existing is None:
        if not values.get("title"):
            raise InvalidInput({"title": ["A new work order needs a title."]})
        work_order = WorkOrder(
            source=Source.SYNC if external_ref else Source.MANUAL,
            external_ref=external_ref,
            **values,
        )
        work_order.number = number or next_work_order_number()
        if number:
            reserve_up_to(number)
        validate(work_order)
        work_order.save()
        _write_costs(work_order, costs, **{name: getattr(work_order, name) for name in _COSTED_BY})
        work_order_recompute_costs(work_order)
        audit_record(
            actor=by,
            action="work_order.import",
            obj=work_order,
            changes=changes_between({}, snapshot(work_order, HISTORY_FIELDS)),
        )
        history_record(
            kind=HistoryKind.CREATED,
            summary=f"{work_order.number} created: {work_order.title}",
            work_order=work_order,
            actor=by,
            data={"imported": True},
            at=work_order.created_at,
        )
        if work_order.status == Status.COMPLETED:
            history_record(
                kind=HistoryKind.COMPLETED,
                summary=f"{work_order.number} completed",
                work_order=work_order,
                actor=by,
                data={"imported": True},
                at=work_order.completed_at,
            )
        return "created", work_order

    fields = dict(values)
    if external_ref and not existing.external_ref:
        fields["external_ref"] = external_ref
    costs_changed: dict[str, dict[str, Any]] = {}
    costs_before = _costs_of(existing)
    wanted = (costs.actual_hours, costs.labor_cost, costs.parts_cost, costs.other_cost)
    if any(w is not None and w != have for w, have in zip(wanted, costs_before, strict=True)):
        # The cost lines go in first so that the row's one audit entry can carry their
        # totals; they are dated and staffed by what the row will say, not what it said.
        incoming = {name: fields.get(name, getattr(existing, name)) for name in _COSTED_BY}
        _write_costs(existing, costs, **incoming)
        work_order_recompute_costs(existing)
        costs_changed["costs"] = {
            "before": [str(c) for c in costs_before],
            "after": [str(c) for c in _costs_of(existing)],
        }
    changed = audited_update(
        existing,
        by=by,
        action="work_order.import",
        fields=fields,
        audited=HISTORY_FIELDS,
        # Filling in the other system's id is bookkeeping: alone, it changes nothing.
        allowed=(*HISTORY_FIELDS, "external_ref"),
        also_changed=costs_changed,
    )
    return ("updated" if changed else "unchanged"), existing


def asset_or_reject(asset_id: str | None) -> Asset | None:
    if not asset_id:
        return None
    asset = Asset.objects.filter(asset_id__iexact=asset_id).first()
    if asset is None:
        raise InvalidInput({"asset_id": [f"No asset {asset_id!r}."]})
    return asset


def user_or_reject(field: str, username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise InvalidInput({field: [f"No user {username!r}."]})
    return user
