"""The work order lifecycle: create, change, assign, and the one status machine.

Every work order, whether a planner typed it in, a request was approved into it,
a template or an import made it, or a PM run generated it among thousands, is
built by ``work_order_build`` and written by ``work_orders_insert``: the same
defaults, the same columns (the model's own, through Django), the same history
and audit entries. A field added to ``WorkOrder`` cannot be forgotten by one path.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from django.db import connection, transaction
from django.utils import timezone

from assets.choices import DOWN_STATUSES, AssetStatus
from assets.models import Asset
from assets.services.registry import asset_change_status
from assets.services.reliability import check_not_future, failure_record
from core.audit import audit_created_rows, audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.money import to_cents
from core.reactions import dispatch
from core.roles import WORKER_ROLES
from core.writes import audited_update, refuse_unknown, validate
from inventory.models import StockMovement
from maintenance.choices import (
    FINAL_STATUSES,
    TRANSITIONS,
    HistoryKind,
    Priority,
    Source,
    Status,
    StepKind,
    WorkType,
)
from maintenance.events import (
    COMPLETED,
    UPDATED,
    WorkOrderChanged,
    WorkOrdersCreated,
    WorkOrderStatusChanged,
    announce,
    announce_created,
)
from maintenance.models import (
    Comment,
    MaintenanceSettings,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
)
from maintenance.services.costs import (
    PartUse,
    log_completion_hours,
    use_parts,
    work_order_recompute_costs,
)
from maintenance.services.history import history_record
from maintenance.services.numbering import next_work_order_numbers
from notifications.services.deliveries import people_email

logger = structlog.get_logger(__name__)

# Work that repairs a breakdown: completing it with ``failed_at`` records a failure.
BREAKDOWN_WORK_TYPES = frozenset({WorkType.CORRECTIVE, WorkType.EMERGENCY})

# Fields a client may set on create and change with an update.
WORK_ORDER_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "asset",
    "work_type",
    "priority",
    "requested_by",
    "scheduled_start",
    "scheduled_end",
    "due_at",
    "estimated_hours",
    "external_ref",
    "stops_asset",
    "reported_at",
    "failed_at",
)
AUDITED_FIELDS: tuple[str, ...] = (
    *WORK_ORDER_FIELDS,
    "number",
    "status",
    "assigned_to",
    "started_at",
    "completed_at",
    "actual_hours",
    "total_cost",
)


def _check_schedule_window(work_order: WorkOrder) -> None:
    if (
        work_order.scheduled_start
        and work_order.scheduled_end
        and work_order.scheduled_end < work_order.scheduled_start
    ):
        raise InvalidInput({"scheduled_end": ["The scheduled end is before the scheduled start."]})


def _check_moments(work_order: WorkOrder) -> None:
    check_not_future("reported_at", work_order.reported_at)
    check_not_future("failed_at", work_order.failed_at)


def _check_external_ref(external_ref: str, exclude_pk: int | None = None) -> None:
    if not external_ref:
        return
    clash = WorkOrder.objects.filter(external_ref=external_ref)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput(
            {"external_ref": ["Another work order already has this external reference."]}
        )


def _state(work_order: WorkOrder) -> dict[str, Any]:
    return snapshot(work_order, AUDITED_FIELDS)


def _stops_asset_by_default(work_type: str, settings: MaintenanceSettings | None = None) -> bool:
    settings = settings or MaintenanceSettings.current()
    return bool(settings.asset_status_on_start.get(work_type))


# --- Creation: one way for every caller ---------------------------------------------


@dataclass
class WorkOrderDraft:
    """A built work order, with the checklist and planned parts it starts with."""

    order: WorkOrder
    steps: list[dict[str, Any]] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)


def work_order_build(
    *,
    by: User | None,
    title: str,
    source: str = Source.MANUAL,
    template: Any = None,
    follow_up_of: WorkOrder | None = None,
    schedule: Any = None,
    pm_nominal: datetime | None = None,
    pm_on_time_by: datetime | None = None,
    created_at: datetime | None = None,
    settings: MaintenanceSettings | None = None,
    **fields: Any,
) -> WorkOrder:
    """A new work order with the rules of creation applied, not written yet.

    ``fields`` are what a client may set (``WORK_ORDER_FIELDS``); the rest is the
    system's: where it came from (source, template, follow-up, PM occurrence).
    Whether starting it stops the asset follows the tenant's settings unless given;
    the person creating it is its requester unless one is named (PM work is the
    plan's, not the requester's of whoever ran the generator).
    """
    refuse_unknown(fields, WORK_ORDER_FIELDS, message="Unknown field.")
    if fields.get("stops_asset") is None:
        fields["stops_asset"] = bool(fields.get("asset")) and _stops_asset_by_default(
            fields.get("work_type", WorkType.CORRECTIVE), settings
        )
    actor = by if by is not None and by.is_authenticated else None
    created_at = created_at or timezone.now()
    if fields.get("reported_at") is None:
        fields["reported_at"] = created_at
    order = WorkOrder(
        title=title,
        source=source,
        template=template,
        follow_up_of=follow_up_of,
        schedule=schedule,
        pm_nominal=pm_nominal,
        pm_on_time_by=pm_on_time_by,
        created_by=actor,
        created_at=created_at,
        **fields,
    )
    if order.requested_by_id is None and actor is not None and schedule is None:
        order.requested_by = actor
    return order


def checklist_step_build(order: WorkOrder, position: int, values: dict[str, Any]) -> WorkOrderStep:
    """A checklist step of ``order`` (checked, not saved); ``position`` is its default order."""
    values = dict(values)
    kind = values.get("kind", StepKind.TASK)
    meter = values.get("meter")
    if kind == StepKind.METER and meter is None:
        raise InvalidInput({"steps": ["A meter step names one of the asset's meters."]})
    if meter is not None and meter.asset_id != order.asset_id:
        raise InvalidInput({"steps": ["A meter step must read a meter of the work order's asset."]})
    low, high = values.get("expected_min"), values.get("expected_max")
    if low is not None and high is not None and low > high:
        raise InvalidInput({"steps": ["expected_min is above expected_max."]})
    if values.get("order") is None:
        values["order"] = position
    return WorkOrderStep(work_order=order, **values)


def _record_creation(ids: list[int], by: User | None) -> None:
    """The history entry and the audit entry of each new work order, written by the database
    from the rows themselves: the one format for one work order and for a PM run's thousands."""
    actor = by if by is not None and by.is_authenticated else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO maintenance_maintenanceevent
                (asset_id, work_order_id, kind, summary, data, actor_id,
                 occurred_at, created_at, updated_at)
            SELECT w.asset_id, w.id, %(kind)s, left(w.number || ' created: ' || w.title, 500),
                   jsonb_build_object(
                       'source', w.source, 'work_type', w.work_type, 'priority', w.priority
                   )
                   || CASE WHEN w.schedule_id IS NULL THEN '{}'::jsonb
                           ELSE jsonb_build_object('schedule', w.schedule_id) END,
                   %(actor)s, w.created_at, now(), now()
            FROM maintenance_workorder w WHERE w.id = ANY(%(ids)s)
            """,
            {"kind": HistoryKind.CREATED, "actor": actor.pk if actor else None, "ids": ids},
        )
    audit_created_rows(
        actor=by,
        action="work_order.create",
        model=WorkOrder,
        pks=ids,
        fields=AUDITED_FIELDS,
        repr_sql="t.number || ' ' || t.title",
    )


def work_orders_insert(drafts: Sequence[WorkOrderDraft], *, by: User | None) -> list[WorkOrder]:
    """Write new work orders with their checklists, planned parts, history and audit.

    A handful of statements however many there are. A PM occurrence that already
    has its work order (the database holds one per schedule, asset and occurrence)
    is skipped, so two generators at once never duplicate one; the work orders
    written are returned. Callers announce them (``announce_created``) once they
    are complete (assigned, say).
    """
    if not drafts:
        return []
    for draft, number in zip(drafts, next_work_order_numbers(len(drafts)), strict=True):
        draft.order.number = number
    orders = [draft.order for draft in drafts]
    if any(order.schedule_id is not None for order in orders):
        # Ids do not come back from an insert that may skip rows; the numbers are ours alone.
        WorkOrder.objects.bulk_create(orders, ignore_conflicts=True)
        ids = dict(
            WorkOrder.objects.filter(number__in=[o.number for o in orders]).values_list(
                "number", "id"
            )
        )
        written = [draft for draft in drafts if draft.order.number in ids]
        for draft in written:
            draft.order.pk = ids[draft.order.number]
            draft.order._state.adding = False
    else:
        WorkOrder.objects.bulk_create(orders)
        written = list(drafts)
    WorkOrderStep.objects.bulk_create(
        checklist_step_build(draft.order, position, values)
        for draft in written
        for position, values in enumerate(draft.steps, start=1)
    )
    WorkOrderPart.objects.bulk_create(
        WorkOrderPart(work_order=draft.order, **line) for draft in written for line in draft.parts
    )
    created = [draft.order for draft in written]
    for order in created:
        # A new work order has no request yet (approval links one afterwards); say so, so
        # that describing it does not ask the database once per work order.
        order._state.fields_cache["request"] = None
    _record_creation([order.pk for order in created], by)
    dispatch(WorkOrdersCreated(work_orders=created))
    return created


@transaction.atomic
def work_order_create(
    *,
    by: User | None,
    title: str,
    source: str = Source.MANUAL,
    steps: Iterable[dict[str, Any]] = (),
    parts: Iterable[dict[str, Any]] = (),
    assigned_to: User | None = None,
    template: Any = None,
    follow_up_of: WorkOrder | None = None,
    created_at: datetime | None = None,
    **fields: Any,
) -> WorkOrder:
    """Open a work order (with its checklist and planned parts, when given)."""
    order = work_order_build(
        by=by,
        title=title,
        source=source,
        template=template,
        follow_up_of=follow_up_of,
        created_at=created_at,
        **fields,
    )
    validate(order, exclude=["number"])
    _check_schedule_window(order)
    _check_moments(order)
    _check_external_ref(order.external_ref)
    (order,) = work_orders_insert(
        [WorkOrderDraft(order, steps=list(steps), parts=list(parts))], by=by
    )
    if assigned_to is not None:
        _assign(order, assigned_to, by=by)
    announce_created([order])
    return order


def _lock(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("asset")
        .get(pk=work_order.pk)
    )


def _refuse_if_closed(work_order: WorkOrder, doing: str) -> None:
    if work_order.status in FINAL_STATUSES:
        raise Conflict(
            f"This work order is {work_order.status}; it can no longer be {doing}.",
            "work_order_closed",
        )


@transaction.atomic
def work_order_update(*, by: User | None, work_order: WorkOrder, **changes: Any) -> WorkOrder:
    """Change a work order's details (not its status or assignee: those have their own steps)."""
    work_order = _lock(work_order)
    _refuse_if_closed(work_order, "changed")
    unknown = set(changes) - set(WORK_ORDER_FIELDS)
    if unknown:
        raise InvalidInput(
            {
                name: [
                    "Use the status and assign actions for this field."
                    if name in {"status", "assigned_to"}
                    else "Unknown field."
                ]
                for name in sorted(unknown)
            }
        )
    if "external_ref" in changes:
        _check_external_ref(changes["external_ref"], exclude_pk=work_order.pk)
    diff = audited_update(
        work_order,
        by=by,
        action="work_order.update",
        fields=changes,
        audited=AUDITED_FIELDS,
        validate_exclude=["number"],
        check=lambda changed: (_check_schedule_window(changed), _check_moments(changed)),
    )
    if diff:
        dispatch(WorkOrderChanged(work_order=work_order, changes=diff))
        announce(UPDATED, work_order)
    return work_order


@transaction.atomic
def work_order_delete(*, by: User | None, work_order: WorkOrder) -> None:
    """Remove a work order that never got going; anything with recorded work is kept."""
    work_order = _lock(work_order)
    if work_order.status not in (Status.OPEN, Status.SCHEDULED, Status.CANCELLED) or (
        work_order.labor.exists()
        or work_order.parts.filter(quantity_used__gt=0).exists()
        or StockMovement.objects.filter(work_order_id=work_order.pk).exists()
    ):
        raise Conflict(
            "Work has been recorded on this work order; cancel it instead of deleting it.",
            "work_order_has_history",
        )
    audit_record(
        actor=by,
        action="work_order.delete",
        obj=work_order,
        changes=changes_between(_state(work_order), {}),
    )
    work_order.delete()


# --- Assignment -------------------------------------------------------------------


def _assign(work_order: WorkOrder, assignee: User | None, *, by: User | None) -> None:
    if assignee is not None and (not assignee.is_active or assignee.role not in WORKER_ROLES):
        raise InvalidInput(
            {
                "assigned_to": [
                    "Work can be assigned to active technicians, planners and managers only."
                ]
            }
        )
    before = work_order.assigned_to_id
    work_order.assigned_to = assignee
    work_order.save(update_fields=["assigned_to", "updated_at"])
    audit_record(
        actor=by,
        action="work_order.assign",
        obj=work_order,
        changes={"assigned_to": {"before": before, "after": assignee.pk if assignee else None}},
    )
    who = assignee.get_full_name() or assignee.username if assignee else "nobody"
    history_record(
        kind=HistoryKind.ASSIGNED,
        summary=f"{work_order.number} assigned to {who}",
        work_order=work_order,
        actor=by,
        data={"assigned_to": assignee.pk if assignee else None},
    )
    if assignee is not None and assignee.email and assignee.pk != getattr(by, "pk", None):
        _mail_assignee(work_order, assignee.email)


def _mail_assignee(work_order: WorkOrder, email: str) -> None:
    """Tell the assignee what the work is (sent by a worker once the assignment commits)."""
    from assets.links import tenant_base_url

    asset = (
        f"{work_order.asset.asset_id} {work_order.asset.name}" if work_order.asset else "no asset"
    )
    due = f"{work_order.due_at:%Y-%m-%d %H:%M} UTC" if work_order.due_at else "not set"
    people_email(
        event="work-order:assigned",
        to=[email],
        subject=f"{work_order.number} assigned to you: {work_order.title}",
        body=(
            f"{work_order.number} - {work_order.title}\n"
            f"Asset: {asset}\nPriority: {work_order.priority}\nDue: {due}\n\n"
            f"{work_order.description}\n\n"
            f"{tenant_base_url()}/api/v1/work-orders/{work_order.pk}/\n"
        ),
    )


@transaction.atomic
def work_order_assign(
    *, by: User | None, work_order: WorkOrder, assigned_to: User | None
) -> WorkOrder:
    """Give the work to someone who can do it (technician, planner, manager); they are told."""
    work_order = _lock(work_order)
    _refuse_if_closed(work_order, "reassigned")
    if work_order.assigned_to_id == (assigned_to.pk if assigned_to else None):
        return work_order
    _assign(work_order, assigned_to, by=by)
    announce(UPDATED, work_order)
    return work_order


# --- The status machine -----------------------------------------------------------


def _check_move(work_order: WorkOrder, to_status: str) -> None:
    if to_status not in Status.values:
        raise InvalidInput({"status": [f'"{to_status}" is not a valid status.']})
    if to_status not in TRANSITIONS[work_order.status]:
        raise Conflict(
            f"A work order cannot go from {work_order.status} to {to_status}.", "illegal_transition"
        )


def _asset_down_status(work_order: WorkOrder) -> str:
    configured = MaintenanceSettings.current().asset_status_on_start.get(work_order.work_type)
    return configured or AssetStatus.MAINTENANCE


def _take_asset_down(work_order: WorkOrder, by: User | None, at: datetime) -> None:
    asset = work_order.asset
    if not work_order.stops_asset or asset is None or asset.status in DOWN_STATUSES:
        return
    asset_change_status(
        by=by,
        asset=asset,
        status=_asset_down_status(work_order),
        reason=f"{work_order.number} started",
        at=at,
    )


def _bring_asset_back(work_order: WorkOrder, by: User | None, at: datetime) -> None:
    asset = work_order.asset
    if not work_order.stops_asset or asset is None:
        return
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    still_down = (
        WorkOrder.objects.filter(
            asset=asset, stops_asset=True, status__in=(Status.IN_PROGRESS, Status.ON_HOLD)
        )
        .exclude(pk=work_order.pk)
        .exists()
    )
    if asset.status in DOWN_STATUSES and not still_down:
        asset_change_status(
            by=by,
            asset=asset,
            status=AssetStatus.OPERATIONAL,
            reason=f"{work_order.number} {work_order.status}",
            at=at,
        )


def _moved(work_order: WorkOrder, before: dict[str, Any], at: datetime, event: str) -> None:
    """Let the apps that follow the status machine react, then tell the live feed."""
    dispatch(WorkOrderStatusChanged(work_order=work_order, before=before["status"], at=at))
    announce(event, work_order)


def _record_move(
    work_order: WorkOrder,
    before: dict[str, Any],
    by: User | None,
    kind: str,
    summary: str,
    at: datetime,
    **data: Any,
) -> None:
    audit_record(
        actor=by,
        action=f"work_order.{work_order.status}",
        obj=work_order,
        changes=changes_between(before, _state(work_order)),
    )
    history_record(
        kind=kind,
        summary=summary,
        work_order=work_order,
        actor=by,
        data={"status": work_order.status, **data},
        at=at,
    )


@transaction.atomic
def work_order_start(
    *, by: User | None, work_order: WorkOrder, at: datetime | None = None
) -> WorkOrder:
    """Start the work (or resume it after a hold). The first start is stamped."""
    at = at or timezone.now()
    work_order = _lock(work_order)
    _check_move(work_order, Status.IN_PROGRESS)
    before = _state(work_order)
    resumed = work_order.status == Status.ON_HOLD
    work_order.status = Status.IN_PROGRESS
    work_order.started_at = work_order.started_at or at
    work_order.hold_reason = ""
    work_order.save()
    _take_asset_down(work_order, by, at)
    verb = "resumed" if resumed else "started"
    _record_move(work_order, before, by, HistoryKind.STARTED, f"{work_order.number} {verb}", at)
    _moved(work_order, before, at, UPDATED)
    return work_order


@transaction.atomic
def work_order_hold(
    *, by: User | None, work_order: WorkOrder, reason: str = "", at: datetime | None = None
) -> WorkOrder:
    """Pause work in progress (waiting for parts, access, ...)."""
    at = at or timezone.now()
    work_order = _lock(work_order)
    _check_move(work_order, Status.ON_HOLD)
    before = _state(work_order)
    work_order.status = Status.ON_HOLD
    work_order.hold_reason = reason[:500]
    work_order.save()
    _record_move(
        work_order,
        before,
        by,
        HistoryKind.HELD,
        f"{work_order.number} on hold" + (f": {reason}" if reason else ""),
        at,
    )
    _moved(work_order, before, at, UPDATED)
    return work_order


@transaction.atomic
def work_order_schedule(
    *, by: User | None, work_order: WorkOrder, at: datetime | None = None
) -> WorkOrder:
    """Mark an open work order as planned."""
    at = at or timezone.now()
    work_order = _lock(work_order)
    _check_move(work_order, Status.SCHEDULED)
    before = _state(work_order)
    work_order.status = Status.SCHEDULED
    work_order.save()
    _record_move(work_order, before, by, HistoryKind.STATUS, f"{work_order.number} scheduled", at)
    _moved(work_order, before, at, UPDATED)
    return work_order


@transaction.atomic
def work_order_cancel(
    *, by: User | None, work_order: WorkOrder, reason: str = "", at: datetime | None = None
) -> WorkOrder:
    """Call the work off. Cancelled is final."""
    at = at or timezone.now()
    work_order = _lock(work_order)
    _check_move(work_order, Status.CANCELLED)
    before = _state(work_order)
    work_order.status = Status.CANCELLED
    work_order.cancelled_at = at
    work_order.cancel_reason = reason[:500]
    work_order.save()
    _bring_asset_back(work_order, by, at)
    _record_move(
        work_order,
        before,
        by,
        HistoryKind.CANCELLED,
        f"{work_order.number} cancelled" + (f": {reason}" if reason else ""),
        at,
    )
    _moved(work_order, before, at, UPDATED)
    return work_order


@transaction.atomic
def work_order_complete(
    *,
    by: User | None,
    work_order: WorkOrder,
    actual_hours: Decimal | None = None,
    notes: str = "",
    findings: str = "",
    recommendations: str = "",
    parts_used: Sequence[PartUse] = (),
    failed_at: datetime | None = None,
    at: datetime | None = None,
) -> WorkOrder:
    """Finish the work.

    Parts used are taken from stock in this same transaction: if any is short,
    nothing at all changes (409 ``insufficient_stock``). ``actual_hours``, when
    no labor was logged, is logged as labor of the assignee; when labor was
    logged, hours beyond it are logged as one more entry (fewer is refused).
    A failed inspection (or a number out of its range) opens a corrective
    follow-up work order linked to this one. Corrective and emergency work on an
    asset that carries ``failed_at`` (given here or before) records the asset's
    failure, once.
    """
    at = at or timezone.now()
    work_order = _lock(work_order)
    _check_move(work_order, Status.COMPLETED)
    before = _state(work_order)
    if failed_at is not None:
        check_not_future("failed_at", failed_at)
        work_order.failed_at = failed_at
    if parts_used:
        use_parts(work_order, parts_used, by=by, at=at)
    if actual_hours is not None:
        log_completion_hours(work_order, Decimal(actual_hours), by=by, at=at)
    work_order.status = Status.COMPLETED
    work_order.completed_at = at
    work_order.started_at = work_order.started_at or at
    work_order.notes = notes or work_order.notes
    work_order.findings = findings or work_order.findings
    work_order.recommendations = recommendations or work_order.recommendations
    work_order.save()
    work_order_recompute_costs(work_order)
    _bring_asset_back(work_order, by, at)
    _record_failure(work_order, by=by)
    _record_move(
        work_order,
        before,
        by,
        HistoryKind.COMPLETED,
        f"{work_order.number} completed",
        at,
        actual_hours=str(work_order.actual_hours),
        total_cost=str(work_order.total_cost),
    )
    follow_up = _follow_up_for_failures(work_order, by=by)
    if follow_up is not None:
        work_order.refresh_from_db()
    _moved(work_order, before, at, COMPLETED)
    return work_order


def _record_failure(work_order: WorkOrder, *, by: User | None) -> None:
    """A breakdown repaired: the asset failed at ``failed_at`` and was down until now."""
    if (
        work_order.failed_at is None
        or work_order.asset is None
        or work_order.work_type not in BREAKDOWN_WORK_TYPES
    ):
        return
    down = (work_order.completed_at - work_order.failed_at).total_seconds() / 3600
    failure_record(
        by=by,
        asset=work_order.asset,
        occurred_at=work_order.failed_at,
        failure_mode=work_order.title[:200],
        cause=work_order.findings,
        remedy=work_order.notes,
        downtime_hours=to_cents(Decimal(str(max(down, 0)))),
        work_order_id=work_order.pk,
    )


def _follow_up_for_failures(work_order: WorkOrder, *, by: User | None) -> WorkOrder | None:
    failed = list(work_order.steps.filter(failed=True).order_by("order", "id"))
    if not failed:
        return None
    lines = "\n".join(
        f"- {step.title}: {step.result or 'failed'}" + (f" ({step.notes})" if step.notes else "")
        for step in failed
    )
    return work_order_create(
        by=by,
        title=f"Follow-up to {work_order.number}: {failed[0].title}"[:300],
        description=f"Checks that failed on {work_order.number} ({work_order.title}):\n{lines}",
        asset=work_order.asset,
        work_type=WorkType.CORRECTIVE,
        priority=Priority.HIGH
        if work_order.priority in (Priority.HIGH, Priority.CRITICAL)
        else Priority.MEDIUM,
        requested_by=work_order.requested_by,
        source=work_order.source,
        follow_up_of=work_order,
    )


def work_order_transition(
    *, by: User | None, work_order: WorkOrder, to_status: str, reason: str = ""
) -> WorkOrder:
    """``PUT .../status/``: the same moves, through the same steps, as the actions."""
    if to_status not in Status.values:
        raise InvalidInput({"status": [f'"{to_status}" is not a valid status.']})
    if to_status == Status.OPEN:
        _check_move(work_order, Status.OPEN)  # nothing moves back to open
    steps = {
        Status.SCHEDULED: lambda: work_order_schedule(by=by, work_order=work_order),
        Status.IN_PROGRESS: lambda: work_order_start(by=by, work_order=work_order),
        Status.ON_HOLD: lambda: work_order_hold(by=by, work_order=work_order, reason=reason),
        Status.COMPLETED: lambda: work_order_complete(by=by, work_order=work_order),
        Status.CANCELLED: lambda: work_order_cancel(by=by, work_order=work_order, reason=reason),
    }
    return steps[to_status]()


# --- Comments ---------------------------------------------------------------------


@transaction.atomic
def comment_add(*, by: User | None, work_order: WorkOrder, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise InvalidInput({"body": ["Write something."]})
    comment = Comment.objects.create(
        work_order=work_order, author=by if by and by.is_authenticated else None, body=body
    )
    audit_record(
        actor=by,
        action="work_order.comment",
        obj=work_order,
        changes={"comment": {"before": None, "after": body[:200]}},
    )
    history_record(
        kind=HistoryKind.COMMENT,
        summary=f"{work_order.number}: {body[:200]}",
        work_order=work_order,
        actor=by,
    )
    return comment


@transaction.atomic
def work_order_link_external(*, by: User | None, work_order: WorkOrder, external_ref: str) -> None:
    """Record the id another system gave this work order (whatever its status).

    ``updated_at`` is left alone: the link is bookkeeping, not a change of the work,
    and a sync must not take it for one to send back.
    """
    work_order = _lock(work_order)
    if work_order.external_ref == external_ref:
        return
    _check_external_ref(external_ref, exclude_pk=work_order.pk)
    before = work_order.external_ref
    WorkOrder.objects.filter(pk=work_order.pk).update(external_ref=external_ref)
    audit_record(
        actor=by,
        action="work_order.link_external",
        obj=work_order,
        changes={"external_ref": {"before": before, "after": external_ref}},
    )
