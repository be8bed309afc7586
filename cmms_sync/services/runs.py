"""Sync runs: asked for (one open run per connection, held by the database), then run
by a worker: pull the vendor's changes, push ours, and report.

Pull reads the records changed since the watermark (the vendor's ``updated_at`` of
the newest record a finished run saw; ``>=``, so records sharing that moment are
read again rather than missed) through the vendor's paging, and writes each page
before asking for the next (the next page is fetched meanwhile, so the network and
the database work side by side). The watermark moves only when a run has read
every page; a run that fails midway leaves it, and the re-run reads those pages
again: records already written are matched by ``external_ref`` and skipped, so
nothing is duplicated and nothing is missed.
"""

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import (
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.utils import timezone

from cmms_sync.adapters import Adapter, AuthRefused, VendorError, adapter_for
from cmms_sync.adapters.base import to_datetime
from cmms_sync.choices import (
    COUNT_KEYS,
    OPEN_RUN_STATUSES,
    RUN_ENTITY_KINDS,
    Direction,
    Entity,
    RunEntity,
    RunStatus,
)
from cmms_sync.events import announce_run
from cmms_sync.mapping import MappingFailed, Spec, effective_specs, map_inward, map_outward
from cmms_sync.models import Connection, FieldMapping, SyncLink, SyncRun
from cmms_sync.services.connections import connection_set_health
from cmms_sync.services.records import (
    Incoming,
    assets_write,
    describe,
    schedules_write,
    work_orders_write,
)
from config.celery import app
from core.exceptions import Conflict, InvalidInput
from core.locks import tenant_session_lock
from core.models import User
from maintenance.choices import TriggerType
from maintenance.models import PMSchedule, WorkOrder
from maintenance.pm.schedules import schedule_link_external
from maintenance.services.work_orders import work_order_link_external

logger = structlog.get_logger(__name__)

RUN_TASK = "cmms_sync.tasks.run_sync"
WRITERS = {
    Entity.WORK_ORDER: work_orders_write,
    Entity.ASSET: assets_write,
    Entity.SCHEDULE: schedules_write,
}
# Errors kept on a run: enough to act on, bounded so a run of a broken mapping stays small.
MAX_ERRORS = 500
T = TypeVar("T")


def _counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def run_request(
    *,
    by: User | None,
    connection: Connection,
    entity: str,
    direction: str | None = None,
    force_sync: bool = False,
) -> SyncRun:
    """Queue a run; 409 while another run of the connection is queued or running."""
    if entity not in RunEntity.values:
        raise InvalidInput({"entity": [f'"{entity}" is not a valid choice.']})
    direction = direction or connection.direction
    if direction not in Direction.values:
        raise InvalidInput({"direction": [f'"{direction}" is not a valid choice.']})
    if not connection.active:
        raise Conflict("This connection is inactive; activate it to sync.", "connection_inactive")
    _give_up_stale(connection)
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                connection=connection,
                entity=entity,
                direction=direction,
                force_sync=bool(force_sync),
                counts=_counts(),
                requested_by=by if by is not None and by.is_authenticated else None,
            )
    except IntegrityError as exc:
        raise Conflict(
            "A sync of this connection is already queued or running.", "sync_in_progress"
        ) from exc

    def send() -> None:
        # By name: the task module imports this one. Through the registry, so Celery's
        # own eager mode (tests) runs it in place.
        app.tasks[RUN_TASK].apply_async(args=[run.pk])

    transaction.on_commit(send, robust=True)
    return run


def _give_up_stale(connection: Connection) -> None:
    """An open run that has shown no progress for long lost its worker (or its message):
    it ends ``failed``, so it no longer holds the connection."""
    quiet_since = timezone.now() - timedelta(minutes=settings.CMMS_SYNC_STALE_RUN_MINUTES)
    SyncRun.objects.filter(
        connection=connection, status__in=OPEN_RUN_STATUSES, updated_at__lt=quiet_since
    ).update(
        status=RunStatus.FAILED,
        detail="The run stopped showing progress; it was given up.",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def runs_due(now: datetime | None = None) -> list[SyncRun]:
    """Queue a run of every active connection whose schedule says it is due."""
    now = now or timezone.now()
    queued = []
    due = Connection.objects.filter(active=True, schedule_minutes__gt=0).filter(
        Q(last_scheduled_at__isnull=True)
        | Q(
            last_scheduled_at__lte=now
            - ExpressionWrapper(
                F("schedule_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()
            )
        )
    )
    for connection in due:
        with transaction.atomic():
            claimed = Connection.objects.filter(
                pk=connection.pk, last_scheduled_at=connection.last_scheduled_at
            ).update(last_scheduled_at=now)
            if not claimed:
                continue  # another beat took it
            # Still running from last time: the next slot will do.
            with contextlib.suppress(Conflict):
                queued.append(run_request(by=None, connection=connection, entity=RunEntity.ALL))
    return queued


@dataclass
class RunState:
    run: SyncRun
    counts: dict[str, int] = field(default_factory=_counts)
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail_record(self, external_id: str, error: str) -> None:
        self.counts["failed"] += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"external_id": external_id, "error": error[:500]})

    def save_progress(self) -> None:
        SyncRun.objects.filter(pk=self.run.pk).update(
            counts=self.counts, errors=self.errors, updated_at=timezone.now()
        )


def _prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The pages of ``pages``, the next one fetched in a thread while the caller works."""
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        slots.put(("page", page), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            slots.put(("error", exc))

    worker = threading.Thread(target=produce, daemon=True, name="cmms-sync-prefetch")
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=5)


def _specs(connection: Connection, adapter: Adapter, entity: str) -> list[Spec]:
    overrides = [
        Spec(m.external_field, m.internal_field, m.transform, m.map or {}, m.required)
        for m in FieldMapping.objects.filter(connection=connection, entity=entity)
    ]
    return effective_specs(adapter.defaults.get(entity, []), overrides)


def _pull(state: RunState, connection: Connection, adapter: Adapter, entity: str) -> None:
    """Pull one kind of record; moves its watermark when every page was read."""
    since = None if state.run.force_sync else to_datetime(connection.watermarks.get(entity))
    specs = _specs(connection, adapter, entity)
    newest: datetime | None = since
    earliest_failure: datetime | None = None
    prefix = connection.ref_prefix()
    # Our own creations whose answer was lost come back as the vendor's records: they
    # are linked to ours first, then read as any record of ours (never written twice).
    pending = _pending_creates(connection, adapter, entity)
    for page in _prefetched(iter(adapter.list_changed(entity, since))):
        items: list[Incoming] = []
        for record in page.records:
            try:
                external_id = adapter.external_id(entity, record)
            except (ValueError, TypeError) as exc:
                state.fail_record("", str(exc))
                continue
            remote_updated = _remote_updated(adapter, entity, record)
            if remote_updated is not None and (newest is None or remote_updated > newest):
                newest = remote_updated
            ours = pending.pop(adapter.marker_of(entity, record) or "", None)
            if ours is not None:
                problem = _linked(
                    connection,
                    entity,
                    ours,
                    external_id,
                    sent_at=ours.seen_at,
                    remote_updated=remote_updated,
                )
                if problem:
                    state.fail_record(external_id, problem)
                    earliest_failure = _earliest(earliest_failure, remote_updated)
                    continue
            try:
                values = map_inward(specs, record)
            except MappingFailed as exc:
                state.fail_record(external_id, str(exc))
                earliest_failure = _earliest(earliest_failure, remote_updated)
                continue
            items.append(Incoming(external_id, prefix + external_id, values, remote_updated))
        outcome = WRITERS[entity](connection, items)
        state.counts["created"] += outcome.created
        state.counts["updated"] += outcome.updated
        state.counts["skipped"] += outcome.skipped
        for error in outcome.errors:
            state.fail_record(error["external_id"], error["error"])
        for moment in outcome.failed_at:
            earliest_failure = _earliest(earliest_failure, moment)
        state.save_progress()
    # Every page read: from here on only newer changes matter, except records that failed,
    # which the next run reads again (the watermark stops at the first of them).
    mark = newest
    if earliest_failure is not None and (mark is None or earliest_failure < mark):
        mark = earliest_failure
    if mark is not None:
        with transaction.atomic():
            current = Connection.objects.select_for_update().get(pk=connection.pk)
            current.watermarks = {**current.watermarks, entity: mark.isoformat()}
            current.save(update_fields=["watermarks", "updated_at"])
            connection.watermarks = current.watermarks


def _earliest(current: datetime | None, moment: datetime | None) -> datetime | None:
    if moment is None:
        return current
    return moment if current is None or moment < current else current


@dataclass(frozen=True)
class Outbound:
    """How one kind of our records is sent: its model, the number it carries at the
    vendor, and the service that stores the vendor's id on it."""

    model: type[WorkOrder] | type[PMSchedule]
    number: Callable[[Any], str]
    link: Callable[[Any, str], None]
    # The ones of that kind a vendor can hold (e.g. time-based plans only).
    sendable: Q = field(default_factory=Q)


def _link_work_order(order: WorkOrder, ref: str) -> None:
    work_order_link_external(by=None, work_order=order, external_ref=ref)


def _link_schedule(schedule: PMSchedule, ref: str) -> None:
    schedule_link_external(by=None, schedule=schedule, external_ref=ref)


OUTBOUND = {
    Entity.WORK_ORDER: Outbound(WorkOrder, lambda order: order.number, _link_work_order),
    # Plans have no number of their own: their id, which no rename changes, stands in.
    Entity.SCHEDULE: Outbound(
        PMSchedule,
        lambda schedule: f"PM-{schedule.pk}",
        _link_schedule,
        # Vendors' PMs recur by calendar units: meter, condition, event and cron plans
        # have no counterpart there and stay ours alone.
        Q(trigger_type=TriggerType.TIME_BASED, cron="") & ~Q(frequency=""),
    ),
}
# Where the moment of the last complete push of a kind is kept: work orders in their
# own column (shown by the API), other kinds in the connection's watermarks.
PUSH_MARK = "pushed:{entity}"


def push_candidates(
    connection: Connection, since: datetime, entity: str = Entity.WORK_ORDER
) -> Any:
    """Our records of ``entity`` changed since ``since`` that this connection has not seen
    as they are, and those whose creation at the vendor is pending (whenever they changed)."""
    outbound = OUTBOUND[entity]
    links = SyncLink.objects.filter(connection=connection, entity=entity, object_id=OuterRef("pk"))
    pending = SyncLink.objects.filter(
        connection=connection, entity=entity, create_started_at__isnull=False
    ).values("object_id")
    return (
        outbound.model.objects.filter(Q(updated_at__gt=since) | Q(pk__in=pending))
        .filter(outbound.sendable)
        .filter(Q(external_ref="") | Q(external_ref__startswith=connection.ref_prefix()))
        .annotate(
            seen_at=Subquery(links.values("local_updated_at")[:1]),
            create_started_at=Subquery(links.values("create_started_at")[:1]),
        )
        .filter(
            Q(seen_at__isnull=True)
            | Q(updated_at__gt=F("seen_at"))
            | Q(create_started_at__isnull=False)
        )
        .order_by("updated_at", "id")
    )


def _theirs_is_newer(adapter: Adapter, entity: str, external_id: str, ours: Any) -> bool:
    """Whether the vendor changed the record after we last changed ours (theirs wins)."""
    remote = _remote_updated(adapter, entity, adapter.fetch(entity, external_id))
    return remote is not None and remote > ours.updated_at


def _remote_updated(adapter: Adapter, entity: str, record: dict[str, Any]) -> datetime | None:
    with contextlib.suppress(ValueError, TypeError, OverflowError, OSError):
        return adapter.updated_at(entity, record)
    return None


def _create_intended(connection: Connection, entity: str, ours: Any) -> None:
    """Write down, before asking, that we are about to create ``ours`` at the vendor."""
    with transaction.atomic():
        SyncLink.objects.update_or_create(
            connection=connection,
            entity=entity,
            object_id=ours.pk,
            defaults={
                "external_id": "",
                "local_updated_at": ours.updated_at,
                "remote_updated_at": None,
                "create_started_at": timezone.now(),
            },
        )


def _create_abandoned(connection: Connection, entity: str, ours: Any) -> None:
    """The vendor refused the creation (nothing was created): no longer pending."""
    SyncLink.objects.filter(
        connection=connection, entity=entity, object_id=ours.pk, external_id=""
    ).delete()


def _linked(
    connection: Connection,
    entity: str,
    ours: Any,
    external_id: str,
    *,
    sent_at: datetime,
    remote_updated: datetime | None,
) -> str | None:
    """Store the vendor's id on our record and its link, in one transaction; the reason
    when our record cannot take it. ``sent_at``: our ``updated_at`` as sent."""
    ref = connection.ref_prefix() + external_id
    with transaction.atomic():
        if ours.external_ref != ref:
            try:
                OUTBOUND[entity].link(ours, ref)
            except InvalidInput as exc:
                return describe(exc)
            ours.external_ref = ref
        SyncLink.objects.update_or_create(
            connection=connection,
            entity=entity,
            object_id=ours.pk,
            defaults={
                "external_id": external_id,
                "local_updated_at": sent_at,
                "remote_updated_at": remote_updated,
                "create_started_at": None,
            },
        )
    return None


def _found_again(adapter: Adapter, connection: Connection, entity: str, ours: Any) -> str:
    """The vendor's id of a record whose creation is pending, found by our number on
    it; "" when the vendor holds no such record (the creation never happened)."""
    vendor = connection.get_cmms_type_display()
    number = OUTBOUND[entity].number(ours)
    found = adapter.find_marked(entity, adapter.marker_for(number, tenant=database.schema_name))
    if found is None:
        raise VendorError(
            f"{number} was sent to {vendor} to be created, but the answer was lost and "
            f"{vendor} cannot be searched for it: it is not sent again blindly. Find it at "
            f"{vendor} and set its id as the external reference ({connection.ref_prefix()}<id>)."
        )
    ids = sorted({adapter.external_id(entity, record) for record in found})
    if len(ids) > 1:
        raise VendorError(
            f"{vendor} holds {len(ids)} records marked {number} ({', '.join(ids)}): "
            "remove the extra ones, and the next push links the one left."
        )
    return ids[0] if ids else ""


def _outgoing_values(connection: Connection, entity: str, ours: Any, specs: list[Spec]) -> dict:
    """Our fields the mappings send; a plan's assets as the vendor's ids of them."""
    values = {
        spec.internal_field: getattr(ours, spec.internal_field, None)
        for spec in specs
        if spec.internal_field != "assets"
    }
    if entity == Entity.SCHEDULE and any(spec.internal_field == "assets" for spec in specs):
        prefix = connection.ref_prefix()
        assets = list(ours.assets.order_by("pk"))
        missing = [a.asset_id for a in assets if not a.external_ref.startswith(prefix)]
        if missing:
            raise ValueError(
                f"assets: {', '.join(missing)} not synced with this connection; the vendor's "
                "plan would name assets it does not know."
            )
        values["assets"] = [a.external_ref.removeprefix(prefix) for a in assets]
    return values


def _push(
    state: RunState,
    connection: Connection,
    adapter: Adapter,
    *,
    check_remote: bool,
    entity: str = Entity.WORK_ORDER,
) -> None:
    """Send our changed records of ``entity``. ``check_remote``: a push not preceded by a
    pull in this run reads each record first, so a newer change of the vendor's is not
    overwritten.

    A creation is written down before it is sent and settled when the vendor's id is
    stored: one that was pending is first looked for at the vendor, by our number on
    it, and linked when found, so a run that died in between never creates it twice.
    """
    started = timezone.now()
    if entity == Entity.WORK_ORDER:
        since = connection.last_pushed_at or connection.created_at
    else:
        since = to_datetime(connection.watermarks.get(PUSH_MARK.format(entity=entity)))
        since = since or connection.created_at
    specs = _specs(connection, adapter, entity)
    prefix = connection.ref_prefix()
    number = OUTBOUND[entity].number
    failed_before = state.counts["failed"]
    for ours in push_candidates(connection, since, entity).iterator(chunk_size=200):
        external_id = ours.external_ref.removeprefix(prefix) if ours.external_ref else ""
        creating = completing = False
        try:
            body = map_outward(specs, _outgoing_values(connection, entity, ours, specs))
            if ours.create_started_at is not None:
                # Settled first: found by our number, or linked meanwhile by a person.
                external_id = external_id or _found_again(adapter, connection, entity, ours)
                if external_id:
                    problem = _linked(
                        connection,
                        entity,
                        ours,
                        external_id,
                        sent_at=ours.seen_at,
                        remote_updated=None,
                    )
                    if problem:
                        state.fail_record(external_id, problem)
                        continue
                    # A creation made in steps may have stopped after the first: it is
                    # completed with what was sent, whatever the vendor's record says.
                    completing = adapter.creates_in_steps(entity)
                    if ours.updated_at <= ours.seen_at and not completing:
                        state.counts["pushed"] += 1
                        continue  # found as it was sent: nothing newer of ours to send
            if (
                external_id
                and check_remote
                and not completing
                and _theirs_is_newer(adapter, entity, external_id, ours)
            ):
                state.counts["skipped"] += 1
                continue
            if external_id:
                record = adapter.update(entity, external_id, body)
            else:
                _create_intended(connection, entity, ours)
                creating = True
                marker = adapter.marker_for(number(ours), tenant=database.schema_name)
                record = adapter.create(entity, adapter.with_marker(entity, body, marker))
                external_id = adapter.external_id(entity, record)
                if adapter.marker_of(entity, record) not in (None, marker):
                    logger.warning(
                        "cmms_sync_marker_not_kept",
                        connection=connection.pk,
                        field=adapter.marker_field(entity),
                    )
        except AuthRefused:
            raise
        except (VendorError, ValueError) as exc:
            if creating and isinstance(exc, VendorError) and exc.unsent:
                _create_abandoned(connection, entity, ours)
            state.fail_record(external_id or number(ours), str(exc))
            continue
        problem = _linked(
            connection,
            entity,
            ours,
            external_id,
            sent_at=ours.updated_at,
            remote_updated=_remote_updated(adapter, entity, record),
        )
        if problem:
            state.fail_record(external_id, problem)
            continue
        state.counts["pushed"] += 1
        if state.counts["pushed"] % 50 == 0:
            state.save_progress()
    if state.counts["failed"] > failed_before:
        return  # the failed ones are changed since the mark: it stays, so they go again
    if entity == Entity.WORK_ORDER:
        Connection.objects.filter(pk=connection.pk).update(last_pushed_at=started)
        return
    with transaction.atomic():
        current = Connection.objects.select_for_update().get(pk=connection.pk)
        current.watermarks = {
            **current.watermarks,
            PUSH_MARK.format(entity=entity): started.isoformat(),
        }
        current.save(update_fields=["watermarks", "updated_at"])
        connection.watermarks = current.watermarks


def _pending_creates(connection: Connection, adapter: Adapter, entity: str) -> dict[str, Any]:
    """Our records whose creation at this connection's vendor is pending, by marker."""
    outbound = OUTBOUND.get(entity)
    if outbound is None:
        return {}
    pending = SyncLink.objects.filter(
        connection=connection, entity=entity, create_started_at__isnull=False
    )
    records = outbound.model.objects.filter(
        pk__in=pending.values("object_id"), external_ref=""
    ).annotate(
        seen_at=Subquery(pending.filter(object_id=OuterRef("pk")).values("local_updated_at")[:1])
    )
    tenant = database.schema_name
    return {adapter.marker_for(outbound.number(r), tenant=tenant): r for r in records}


def _claim(run_id: int) -> SyncRun | None:
    with transaction.atomic():
        run = (
            SyncRun.objects.select_for_update()
            .select_related("connection")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status not in OPEN_RUN_STATUSES:
            return None  # a redelivered message of a finished run
        if run.status == RunStatus.QUEUED:
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["status", "started_at", "updated_at"])
        return run


def run_execute(run_id: int) -> SyncRun | None:
    """Carry out a queued run (or resume one whose worker died): safe to call twice.

    A second delivery of the run's message while the first worker still works on it
    (a broker's redelivery, a retried task) finds the run's lock held and leaves it:
    two workers on one run would count every record twice.
    """
    with tenant_session_lock(f"cmms_sync.run:{run_id}") as free:
        if not free:
            logger.info("cmms_sync_run_already_in_hand", run=run_id)
            return None
        return _execute(run_id)


def _execute(run_id: int) -> SyncRun | None:
    run = _claim(run_id)
    if run is None:
        return None
    connection = run.connection
    state = RunState(run)
    state.counts = {**_counts(), **(run.counts or {})} if run.counts else _counts()
    state.errors = list(run.errors or [])
    adapter = adapter_for(
        cmms_type=connection.cmms_type,
        api_url=connection.api_url,
        credentials=connection.credentials,
        options=connection.options,
    )
    status, detail = RunStatus.SUCCEEDED, ""
    pulled = False
    try:
        adapter.authenticate()
        kinds = RUN_ENTITY_KINDS[run.entity]
        unsupported = [k for k in kinds if k not in WRITERS or not adapter.supports(k)]
        if unsupported and run.entity != RunEntity.ALL:
            detail = f"{connection.get_cmms_type_display()} records of this kind are not synced."
        elif (
            run.entity == RunEntity.SCHEDULES
            and run.direction != Direction.PULL
            and not adapter.pushes(Entity.SCHEDULE)
        ):
            detail = "PM schedules are pulled only: nothing of ours is sent."
        if run.direction in (Direction.PULL, Direction.BOTH):
            for kind in kinds:
                if kind not in unsupported:
                    _pull(state, connection, adapter, kind)
            pulled = True
        if run.direction in (Direction.PUSH, Direction.BOTH):
            for kind in kinds:
                if kind in OUTBOUND and kind not in unsupported and adapter.pushes(kind):
                    connection.refresh_from_db(
                        fields=["last_pushed_at", "created_at", "watermarks"]
                    )
                    _push(
                        state,
                        connection,
                        adapter,
                        check_remote=run.direction == Direction.PUSH,
                        entity=kind,
                    )
    except AuthRefused as exc:
        status, detail = RunStatus.FAILED, str(exc)
    except VendorError as exc:
        status, detail = RunStatus.FAILED, str(exc)
    except Exception as exc:
        logger.exception("cmms_sync_run_crashed", run=run.pk)
        status, detail = RunStatus.FAILED, f"The run stopped: {type(exc).__name__}."
    finally:
        with contextlib.suppress(VendorError):
            adapter.close()  # closing a session is a courtesy
        adapter.http.close()
    if status == RunStatus.SUCCEEDED and state.counts["failed"]:
        status = RunStatus.PARTIAL
    now = timezone.now()
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(
            status=status,
            detail=detail[:1000],
            counts=state.counts,
            errors=state.errors,
            finished_at=now,
            updated_at=now,
        )
        if pulled and status != RunStatus.FAILED:
            Connection.objects.filter(pk=connection.pk).update(last_synced_at=now)
        connection_set_health(connection, ok=status != RunStatus.FAILED, detail=detail)
        run.refresh_from_db()
        announce_run(run)
    logger.info(
        "cmms_sync_run_finished",
        run=run.pk,
        connection=connection.pk,
        status=status,
        **state.counts,
    )
    return run
