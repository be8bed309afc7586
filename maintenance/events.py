"""What maintenance tells the world.

``work_order_payload`` is the public shape of a work order: what
``GET /api/v1/work-orders/{id}/`` returns (the serializer renders through it)
and what ``work-order:*`` events carry. ``work_order_payloads`` builds many in
two queries, for runs that create thousands at once.

The domain events below are the facts the apps above maintenance (SLA,
prediction, sync) and maintenance's own PM react to, inside the transaction
that wrote them (see ``core.reactions``).

Payload slots: some keys of the public shape belong to apps above maintenance,
which maintenance cannot import. ``PAYLOAD_SLOTS`` names them (``sla``: the SLA
app's clocks); the owning app calls ``fill_payload_slot`` from its
``reactions.py`` with a builder and the relations the builder reads, and every
payload, list row and admin column of a work order shows the slot through
``slot_value``, with those relations loaded by ``payload_relations()`` in the same
query as the work orders. A slot no app fills is null.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.events import Audience, Event, publish, publish_many
from core.reactions import DomainEvent
from core.roles import Role
from maintenance.choices import ACTIVE_STATUSES
from maintenance.models import WorkOrder

CREATED = "work-order:created"
UPDATED = "work-order:updated"
COMPLETED = "work-order:completed"

# Who sees work order events on the live feed: everyone who may read work orders;
# a requester only those of their own requests (added per event).
WORK_ORDER_READERS = frozenset({Role.MANAGER, Role.PLANNER, Role.TECHNICIAN, Role.VIEWER})

# What a payload reads beyond the work order's own row (see payload_relations()).
PAYLOAD_RELATIONS = ("asset", "request")

# Keys of the payload that apps above maintenance fill (see the module's docstring).
PAYLOAD_SLOTS: tuple[str, ...] = ("sla",)


@dataclass(frozen=True)
class PayloadSlot:
    """How a higher app fills one key: ``build(work_order, now)`` reading ``relations``."""

    build: Callable[[WorkOrder, datetime], Any]
    relations: tuple[str, ...] = ()


_slots: dict[str, PayloadSlot] = {}


def fill_payload_slot(
    key: str, *, build: Callable[[WorkOrder, datetime], Any], relations: Sequence[str] = ()
) -> None:
    """Let a higher app fill ``key`` of every work order's payload.

    ``relations`` are the ``select_related`` paths ``build`` reads (a one-to-one
    row of the higher app, say); they are loaded with every work order that is
    described, so a list stays at a constant number of queries.
    """
    if key not in PAYLOAD_SLOTS:
        raise ValueError(f"{key!r} is not a slot of the work order payload")
    _slots[key] = PayloadSlot(build=build, relations=tuple(relations))


def payload_relations() -> tuple[str, ...]:
    """Everything a payload reads beyond the row: maintenance's own and the slots'."""
    return PAYLOAD_RELATIONS + tuple(r for slot in _slots.values() for r in slot.relations)


def slot_value(key: str, work_order: WorkOrder, now: datetime) -> Any:
    """The value a higher app gives ``key`` for this work order (null when none fills it)."""
    slot = _slots.get(key)
    return None if slot is None else slot.build(work_order, now)


def work_order_payload(work_order: WorkOrder, *, now: datetime | None = None) -> dict[str, Any]:
    """The work order as its detail endpoint returns it (load ``payload_relations()`` with it)."""
    now = now or timezone.now()
    asset = work_order.asset
    return {
        "id": work_order.pk,
        "number": work_order.number,
        "title": work_order.title,
        "description": work_order.description,
        "asset_id": asset.asset_id if asset else None,
        "asset_name": asset.name if asset else None,
        "work_type": work_order.work_type,
        "priority": work_order.priority,
        "status": work_order.status,
        "assigned_to": work_order.assigned_to_id,
        "requested_by": work_order.requested_by_id,
        "scheduled_start": work_order.scheduled_start,
        "scheduled_end": work_order.scheduled_end,
        "due_at": work_order.due_at,
        "started_at": work_order.started_at,
        "completed_at": work_order.completed_at,
        "cancelled_at": work_order.cancelled_at,
        "reported_at": work_order.reported_at,
        "failed_at": work_order.failed_at,
        "estimated_hours": work_order.estimated_hours,
        "actual_hours": work_order.actual_hours,
        "labor_cost": work_order.labor_cost,
        "parts_cost": work_order.parts_cost,
        "other_cost": work_order.other_cost,
        "total_cost": work_order.total_cost,
        "schedule": work_order.schedule_id,
        "source": work_order.source,
        "external_ref": work_order.external_ref,
        "sla": slot_value("sla", work_order, now),
        "template": work_order.template_id,
        "follow_up_of": work_order.follow_up_of_id,
        "request": _request_id(work_order),
        "stops_asset": work_order.stops_asset,
        "overdue": bool(
            work_order.due_at and work_order.due_at < now and work_order.status in ACTIVE_STATUSES
        ),
        "notes": work_order.notes,
        "findings": work_order.findings,
        "recommendations": work_order.recommendations,
        "hold_reason": work_order.hold_reason,
        "cancel_reason": work_order.cancel_reason,
        "created_at": work_order.created_at,
        "updated_at": work_order.updated_at,
    }


def _request_id(work_order: WorkOrder) -> int | None:
    # The request is the reverse side of a one-to-one: absent, Django raises.
    try:
        request = work_order.request
    except WorkOrder.request.RelatedObjectDoesNotExist:
        return None
    return request.pk if request is not None else None


def work_order_payloads(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``{id: payload}`` for many work orders, in one query."""
    now = timezone.now()
    orders = WorkOrder.objects.filter(pk__in=list(ids)).select_related(*payload_relations())
    return {order.pk: work_order_payload(order, now=now) for order in orders}


def work_order_audience(work_order: WorkOrder) -> Audience:
    """The team, and the requester of a work order that came from their request."""
    user_ids = {work_order.requested_by_id} if work_order.requested_by_id else set()
    return Audience(roles=WORK_ORDER_READERS, user_ids=frozenset(user_ids))


def announce(event: str, work_order: WorkOrder) -> None:
    """Tell the live feed about one work order, as it stands now (after commit)."""
    fresh = WorkOrder.objects.select_related(*payload_relations()).get(pk=work_order.pk)
    publish(event, work_order_payload(fresh), audience=work_order_audience(fresh))


def announce_created(work_orders: Sequence[WorkOrder]) -> None:
    """``work-order:created`` for work orders just written, batched after commit.

    They are described as they are in memory (with their asset loaded), which is
    what was stored: a PM run announcing thousands reads nothing back.
    """
    now = timezone.now()
    publish_many(
        [
            Event(CREATED, work_order_payload(order, now=now), work_order_audience(order))
            for order in work_orders
        ]
    )


@dataclass(frozen=True)
class WorkOrdersCreated(DomainEvent):
    """New work orders were written (one by hand, or thousands by a PM run)."""

    work_orders: Sequence[WorkOrder]


@dataclass(frozen=True)
class WorkOrderChanged(DomainEvent):
    """A work order's details changed; ``changes`` is the audit diff."""

    work_order: WorkOrder
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkOrderStatusChanged(DomainEvent):
    """A work order moved in the status machine (``before`` -> ``work_order.status``)."""

    work_order: WorkOrder
    before: str
    at: datetime
