"""Vendor records written as ours, through our services (audit, history, events).

A page's new work orders are written together through ``work_orders_insert`` (the
service that writes a PM run's thousands: numbering, history, audit, SLA clocks,
events), in one transaction, after each was built and validated on its own: a
record that fails its checks fails alone, before anything is written. Should the
insert itself fail (a record created meanwhile by another path), the page's new
records are written again one transaction each. Changes to existing work orders
go through ``work_order_update`` and the status steps, one transaction each.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.utils import timezone

from assets.choices import AssetType
from assets.models import Asset
from assets.services.registry import asset_build, asset_update, assets_register
from cmms_sync.choices import Entity
from cmms_sync.models import Connection, SyncLink
from core.exceptions import Conflict, DomainError, InvalidInput
from core.writes import validate
from maintenance.choices import Frequency, Priority, Source, Status, TriggerType
from maintenance.events import announce_created
from maintenance.models import PMSchedule, WorkOrder
from maintenance.pm.schedules import schedule_create, schedule_update
from maintenance.services.work_orders import (
    WorkOrderDraft,
    work_order_build,
    work_order_cancel,
    work_order_complete,
    work_order_hold,
    work_order_schedule,
    work_order_start,
    work_order_update,
    work_orders_insert,
)

# What a vendor may set on a work order of ours (beside status and its moments).
WORK_ORDER_DETAILS = (
    "title",
    "description",
    "priority",
    "work_type",
    "due_at",
    "scheduled_start",
    "scheduled_end",
    "estimated_hours",
)
# Set when a record arrives, never changed by a later pull (they describe work done).
WORK_ORDER_ON_CREATE = ("notes", "completed_at")
WORK_ORDER_INTERNAL = (*WORK_ORDER_DETAILS, *WORK_ORDER_ON_CREATE, "status", "updated_at")

# Steps from one status to another, through the status machine.
STEPS: dict[tuple[str, str], tuple[str, ...]] = {
    (Status.OPEN, Status.SCHEDULED): (Status.SCHEDULED,),
    (Status.OPEN, Status.IN_PROGRESS): (Status.IN_PROGRESS,),
    (Status.OPEN, Status.ON_HOLD): (Status.IN_PROGRESS, Status.ON_HOLD),
    (Status.OPEN, Status.COMPLETED): (Status.IN_PROGRESS, Status.COMPLETED),
    (Status.SCHEDULED, Status.IN_PROGRESS): (Status.IN_PROGRESS,),
    (Status.SCHEDULED, Status.ON_HOLD): (Status.IN_PROGRESS, Status.ON_HOLD),
    (Status.SCHEDULED, Status.COMPLETED): (Status.IN_PROGRESS, Status.COMPLETED),
    (Status.IN_PROGRESS, Status.ON_HOLD): (Status.ON_HOLD,),
    (Status.IN_PROGRESS, Status.COMPLETED): (Status.COMPLETED,),
    (Status.ON_HOLD, Status.IN_PROGRESS): (Status.IN_PROGRESS,),
    (Status.ON_HOLD, Status.COMPLETED): (Status.IN_PROGRESS, Status.COMPLETED),
}
MOVES: dict[str, Callable[..., WorkOrder]] = {
    Status.SCHEDULED: work_order_schedule,
    Status.IN_PROGRESS: work_order_start,
    Status.ON_HOLD: work_order_hold,
    Status.COMPLETED: work_order_complete,
    Status.CANCELLED: work_order_cancel,
}


@dataclass
class Incoming:
    """One vendor record, mapped."""

    external_id: str
    external_ref: str
    values: dict[str, Any]
    remote_updated_at: datetime | None


@dataclass
class PageOutcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    failed_at: list[datetime | None] = field(default_factory=list)


def describe(exc: Exception) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in exc.errors.items()
        )
    return str(exc)


def _draft(item: Incoming) -> WorkOrder:
    values = item.values
    details = {
        name: values[name] for name in WORK_ORDER_DETAILS if name in values and name != "title"
    }
    order = work_order_build(
        by=None,
        title=str(values.get("title", ""))[:300],
        source=Source.SYNC,
        external_ref=item.external_ref,
        **details,
    )
    if "notes" in values:
        order.notes = str(values["notes"])
    status = values.get("status", Status.OPEN)
    if status not in Status.values:
        raise InvalidInput({"status": [f'"{status}" is not one of our statuses.']})
    moment = item.remote_updated_at or timezone.now()
    now = timezone.now()
    moment = min(moment, now)
    order.status = status
    if status in (Status.IN_PROGRESS, Status.ON_HOLD, Status.COMPLETED):
        order.started_at = moment
    if status == Status.COMPLETED:
        completed = values.get("completed_at") or moment
        order.completed_at = min(completed, now)
        order.started_at = min(order.started_at or order.completed_at, order.completed_at)
    if status == Status.CANCELLED:
        order.cancelled_at = moment
    # Only the fields a vendor filled are checked: the rest are the builder's own
    # defaults, and checking them for every record of a 10,000-record pull costs more
    # than the insert.
    validate(order, exclude=_unchecked_fields())
    return order


@cache
def _unchecked_fields() -> tuple[str, ...]:
    checked = {*WORK_ORDER_DETAILS, *WORK_ORDER_ON_CREATE, "status", "external_ref", "source"}
    return tuple(f.name for f in WorkOrder._meta.fields if f.name not in checked)


def _links(connection: Connection, pairs: list[tuple[WorkOrder, Incoming]]) -> None:
    if not pairs:
        return
    SyncLink.objects.bulk_create(
        [
            SyncLink(
                connection=connection,
                entity=Entity.WORK_ORDER,
                object_id=order.pk,
                external_id=item.external_id,
                local_updated_at=order.updated_at,
                remote_updated_at=item.remote_updated_at,
            )
            for order, item in pairs
        ],
        update_conflicts=True,
        unique_fields=["connection", "entity", "object_id"],
        update_fields=["external_id", "local_updated_at", "remote_updated_at", "updated_at"],
    )


def _links_of_new(connection: Connection, ids: list[int]) -> None:
    """The links of work orders just written, by the database from the rows themselves
    (a page of a thousand is one statement, not a thousand objects)."""
    with db.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cmms_sync_synclink
                (connection_id, entity, object_id, external_id, local_updated_at,
                 created_at, updated_at)
            SELECT %(connection)s, %(entity)s, w.id, substr(w.external_ref, %(start)s),
                   w.updated_at, now(), now()
            FROM maintenance_workorder w WHERE w.id = ANY(%(ids)s)
            ON CONFLICT (connection_id, entity, object_id) DO UPDATE
                SET external_id = EXCLUDED.external_id,
                    local_updated_at = EXCLUDED.local_updated_at,
                    updated_at = now()
            """,
            {
                "connection": connection.pk,
                "entity": Entity.WORK_ORDER,
                "start": len(connection.ref_prefix()) + 1,
                "ids": ids,
            },
        )


def _insert(connection: Connection, pairs: list[tuple[WorkOrder, Incoming]]) -> None:
    with transaction.atomic():
        created = work_orders_insert([WorkOrderDraft(order) for order, _ in pairs], by=None)
        announce_created(created)
        _links_of_new(connection, [order.pk for order in created])


def _update(connection: Connection, work_order: WorkOrder, item: Incoming) -> bool:
    """Bring one existing work order to the vendor's state; whether anything changed."""
    values = item.values
    with transaction.atomic():
        changes = {
            name: values[name]
            for name in WORK_ORDER_DETAILS
            if name in values and getattr(work_order, name) != values[name]
        }
        changed = False
        if changes:
            work_order = work_order_update(by=None, work_order=work_order, **changes)
            changed = True
        target = values.get("status")
        if target and target != work_order.status:
            if target == Status.CANCELLED and work_order.status not in (
                Status.COMPLETED,
                Status.CANCELLED,
            ):
                steps: tuple[str, ...] = (Status.CANCELLED,)
            else:
                steps = STEPS.get((work_order.status, target), ())
            for step in steps:
                work_order = MOVES[step](by=None, work_order=work_order)
                changed = True
        if changed:
            work_order.refresh_from_db(fields=["updated_at"])
        _links(connection, [(work_order, item)])
    return changed


def work_orders_write(connection: Connection, items: list[Incoming]) -> PageOutcome:
    """Write one page of vendor work orders; each record's fate is in the outcome."""
    outcome = PageOutcome()
    unique: dict[str, Incoming] = {}
    for item in items:
        unique[item.external_ref] = item  # the later copy of a record is the newer
    existing = {
        order.external_ref: order
        for order in WorkOrder.objects.filter(external_ref__in=list(unique)).select_related("asset")
    }
    fresh: list[tuple[WorkOrder, Incoming]] = []

    def failed(item: Incoming, exc: Exception) -> None:
        outcome.errors.append({"external_id": item.external_id, "error": describe(exc)[:500]})
        outcome.failed_at.append(item.remote_updated_at)

    for ref, item in unique.items():
        order = existing.get(ref)
        if order is None:
            try:
                fresh.append((_draft(item), item))
            except (DomainError, ValueError, TypeError) as exc:
                failed(item, exc)
            continue
        outcome_of_one(connection, order, item, outcome, failed)

    if fresh:
        try:
            _insert(connection, fresh)
            outcome.created += len(fresh)
        except IntegrityError:
            for order, item in fresh:
                order.pk, order.number = None, ""
                order._state.adding = True
                try:
                    _insert(connection, [(order, item)])
                    outcome.created += 1
                except IntegrityError:
                    # Written meanwhile by another path: bring that one up to date instead.
                    current = WorkOrder.objects.filter(external_ref=item.external_ref).first()
                    if current is None:
                        failed(item, ValueError("The work order could not be written."))
                    else:
                        outcome_of_one(connection, current, item, outcome, failed)
    return outcome


def _ours_is_newer(local_updated_at: datetime, item: Incoming) -> bool:
    """The newer updated_at wins: a local change made after the vendor's is kept."""
    return item.remote_updated_at is not None and local_updated_at > item.remote_updated_at


def outcome_of_one(
    connection: Connection,
    order: WorkOrder,
    item: Incoming,
    outcome: PageOutcome,
    failed: Callable[[Incoming, Exception], None],
) -> None:
    if _ours_is_newer(order.updated_at, item):
        outcome.skipped += 1
        return
    try:
        if _update(connection, order, item):
            outcome.updated += 1
        else:
            outcome.skipped += 1
    except Conflict as exc:
        if exc.code in ("work_order_closed", "illegal_transition"):
            outcome.skipped += 1  # finished here: the record of the work stands
        else:
            failed(item, exc)
    except (DomainError, ValueError, TypeError) as exc:
        failed(item, exc)


# --- Assets --------------------------------------------------------------------------

ASSET_DETAILS = ("name", "description", "serial_number", "model")
ASSET_INTERNAL = (*ASSET_DETAILS, "updated_at")
_NOT_IN_CODE = re.compile(r"[^A-Za-z0-9._-]+")


def asset_code(cmms_type: str, external_id: str) -> str:
    """Our ``asset_id`` for a vendor's asset: its type and id, in the characters codes allow."""
    return _NOT_IN_CODE.sub("-", f"{cmms_type}-{external_id}").strip("-")[:64]


def _linked(connection: Connection, entity: str, ours: Any, item: Incoming) -> None:
    """Remember which vendor record ``ours`` mirrors, and both sides' change times."""
    SyncLink.objects.update_or_create(
        connection=connection,
        entity=entity,
        object_id=ours.pk,
        defaults={
            "external_id": item.external_id,
            "local_updated_at": ours.updated_at,
            "remote_updated_at": item.remote_updated_at,
        },
    )


def assets_write(connection: Connection, items: list[Incoming]) -> PageOutcome:
    """Write one page of vendor assets, each in its own transaction through our services."""
    outcome = PageOutcome()
    unique = {item.external_ref: item for item in items}
    existing = {a.external_ref: a for a in Asset.objects.filter(external_ref__in=list(unique))}
    asset_type = connection.options.get("asset_type") or AssetType.EQUIPMENT
    for ref, item in unique.items():
        values = {name: item.values[name] for name in ASSET_DETAILS if name in item.values}
        for name in ("name", "description", "serial_number", "model"):
            if name in values:
                values[name] = str(values[name])
        asset = existing.get(ref)
        try:
            with transaction.atomic():
                if asset is None:
                    built = asset_build(
                        asset_id=asset_code(connection.cmms_type, item.external_id),
                        asset_type=asset_type,
                        **{"name": "", **values},
                    )
                    built.external_ref = ref
                    (asset,) = assets_register(by=None, assets=[built])
                    outcome.created += 1
                elif (
                    item.remote_updated_at is not None and asset.updated_at > item.remote_updated_at
                ):
                    outcome.skipped += 1
                    continue
                else:
                    changes = {k: v for k, v in values.items() if getattr(asset, k) != v}
                    if not changes:
                        outcome.skipped += 1
                        continue
                    asset = asset_update(by=None, asset=asset, **changes)
                    outcome.updated += 1
                _linked(connection, Entity.ASSET, asset, item)
        except (DomainError, ValueError, TypeError, IntegrityError) as exc:
            outcome.errors.append({"external_id": item.external_id, "error": describe(exc)[:500]})
            outcome.failed_at.append(item.remote_updated_at)
    return outcome


# --- PM schedules --------------------------------------------------------------------

# What a vendor may set on a PM schedule of ours. The trigger is always time based: a
# vendor plan without a recurrence (meter or event driven) fails on its missing
# frequency rather than arriving as a plan that never comes due.
SCHEDULE_DETAILS = (
    "name",
    "description",
    "priority",
    "frequency",
    "interval",
    "starts_at",
    "estimated_duration",
    "active",
)
SCHEDULE_INTERNAL = (*SCHEDULE_DETAILS, "assets", "updated_at")
NAME_LENGTH = PMSchedule._meta.get_field("name").max_length


def _schedule_values(item: Incoming) -> dict[str, Any]:
    """The vendor's plan in our schedule's terms; ``ValueError`` names what does not fit."""
    raw = item.values
    values: dict[str, Any] = {}
    if "name" in raw:
        values["name"] = " ".join(str(raw["name"]).split())[:NAME_LENGTH]
        if not values["name"]:
            raise ValueError("name: the plan has no name.")
    if "description" in raw:
        values["description"] = str(raw["description"])
    if "priority" in raw:
        if raw["priority"] not in Priority.values:
            raise ValueError(f"priority: {raw['priority']!r} is not one of ours.")
        values["priority"] = raw["priority"]
    if "frequency" in raw:
        if raw["frequency"] not in Frequency.values:
            raise ValueError(f"frequency: {raw['frequency']!r} is not a recurrence we plan by.")
        values["frequency"] = raw["frequency"]
    if "interval" in raw:
        values["interval"] = _whole(raw["interval"], "interval", low=1, high=3650)
    if "starts_at" in raw:
        if not isinstance(raw["starts_at"], datetime):
            raise ValueError("starts_at: not a date-time (map it with date_ms).")
        values["starts_at"] = raw["starts_at"]
    if "estimated_duration" in raw:
        values["estimated_duration"] = _whole(raw["estimated_duration"], "estimated_duration")
    if "active" in raw:
        values["active"] = raw["active"] if isinstance(raw["active"], bool) else None
        if values["active"] is None:
            raise ValueError(f"active: {raw['active']!r} is not true or false (map it).")
    return values


def _whole(value: Any, name: str, *, low: int = 0, high: int = 10**9) -> int:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"{name}: {value!r} is not a number.") from exc
    if not number.is_finite() or number != number.to_integral_value() or not low <= number <= high:
        raise ValueError(f"{name}: {value!r} is not a whole number from {low} to {high}.")
    return int(number)


def _schedule_assets(connection: Connection, item: Incoming) -> list[Asset]:
    """Our assets for the vendor's, matched by the ``external_ref`` their sync gave them.

    Our plans need the assets they cover, and a plan on fewer assets than the vendor's
    would quietly skip work: a plan naming an asset not synced yet fails (and is read
    again next run, after the assets).
    """
    raw = item.values.get("assets")
    named = raw if isinstance(raw, list | tuple) else [raw]
    ids: list[str] = []
    for value in named:
        if isinstance(value, dict):
            value = value.get("id")
        if value is not None and str(value).strip() and str(value).strip() not in ids:
            ids.append(str(value).strip())
    if not ids:
        raise ValueError("assets: the plan names no asset; ours cover at least one.")
    prefix = connection.ref_prefix()
    found = {
        a.external_ref: a for a in Asset.objects.filter(external_ref__in=[prefix + i for i in ids])
    }
    missing = [i for i in ids if prefix + i not in found]
    if missing:
        raise ValueError(
            f"assets: {', '.join(missing)} not synced from this connection yet; "
            "sync the assets, and the plan is read again on the next run."
        )
    return [found[prefix + i] for i in ids]


def _free_name(name: str, item: Incoming, schedule: PMSchedule | None) -> str:
    """The vendor's name, or it followed by the vendor's id when another plan holds it:
    vendors allow two plans of one name (one per asset), our names are unique."""
    others = PMSchedule.objects.exclude(pk=schedule.pk) if schedule else PMSchedule.objects
    if not others.filter(name__iexact=name).exists():
        return name
    suffix = f" ({item.external_id})"
    return name[: NAME_LENGTH - len(suffix)] + suffix


def schedules_write(connection: Connection, items: list[Incoming]) -> PageOutcome:
    """Write one page of vendor PM plans, each in its own transaction through the PM
    services (audit, next due dates), matched by ``external_ref``."""
    outcome = PageOutcome()
    unique = {item.external_ref: item for item in items}
    existing = {s.external_ref: s for s in PMSchedule.objects.filter(external_ref__in=list(unique))}
    for ref, item in unique.items():
        schedule = existing.get(ref)
        try:
            with transaction.atomic():
                values = _schedule_values(item)
                assets = _schedule_assets(connection, item)
                if schedule is None:
                    name = _free_name(values.pop("name", ""), item, None)
                    schedule = schedule_create(
                        by=None,
                        name=name,
                        assets=assets,
                        trigger_type=TriggerType.TIME_BASED,
                        external_ref=ref,
                        **values,
                    )
                    outcome.created += 1
                elif (
                    item.remote_updated_at is not None
                    and schedule.updated_at > item.remote_updated_at
                ):
                    outcome.skipped += 1  # changed here since: ours is the newer plan
                    continue
                else:
                    if "name" in values:
                        values["name"] = _free_name(values["name"], item, schedule)
                    changes = {k: v for k, v in values.items() if getattr(schedule, k) != v}
                    same_assets = {a.pk for a in assets} == set(
                        schedule.assets.values_list("pk", flat=True)
                    )
                    if not changes and same_assets:
                        outcome.skipped += 1
                        continue
                    schedule = schedule_update(
                        by=None,
                        schedule=schedule,
                        assets=None if same_assets else assets,
                        **changes,
                    )
                    outcome.updated += 1
                _linked(connection, Entity.SCHEDULE, schedule, item)
        except (DomainError, ValueError, TypeError, IntegrityError) as exc:
            outcome.errors.append({"external_id": item.external_id, "error": describe(exc)[:500]})
            outcome.failed_at.append(item.remote_updated_at)
    return outcome
