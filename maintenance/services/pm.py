"""Preventive maintenance: schedules, and generating their work orders exactly once.

Generation is set-based. For each (schedule, asset) a state row remembers the
last occurrence generated; the scheduling engine says which occurrences are due
within the lead time; their work orders are inserted in bulk with
``ON CONFLICT DO NOTHING`` on the unique (schedule, asset, nominal occurrence),
together with their checklist, planned parts, history and audit rows, and the
state moves on in the same transaction. Work is done in chunks, each committed
on its own, so a generator that dies midway leaves whole chunks behind and the
next run carries on; two generators at once each insert what the other has
not, and neither duplicates anything.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from assets.models import Asset
from core.audit import audit_record, changes_between, snapshot
from core.context import get_request_id
from core.events import Event, publish_many
from core.exceptions import InvalidInput
from core.models import User
from maintenance.choices import ACTIVE_STATUSES, HistoryKind, Source, Status, TriggerType
from maintenance.models import MaintenanceSettings, PMSchedule, PMScheduleAsset, calendar_engine
from maintenance.payloads import work_order_payloads
from maintenance.scheduling import Recurrence, due_within, next_due
from maintenance.services.work_orders import WORK_ORDER_READERS

CHUNK_SIZE = 1000  # state rows per transaction: ~1,000 work orders and their children

SCHEDULE_FIELDS = (
    "name",
    "description",
    "maintenance_type",
    "priority",
    "trigger_type",
    "frequency",
    "interval",
    "cron",
    "starts_at",
    "schedule_mode",
    "meter_name",
    "trigger_value",
    "condition_metric",
    "condition_operator",
    "condition_threshold",
    "condition_duration_minutes",
    "trigger_event",
    "event_min_severity",
    "event_work_type",
    "asset_type",
    "template",
    "calendar",
    "lead_time_days",
    "estimated_duration",
    "estimated_cost",
    "required_skills",
    "required_tools",
    "required_parts",
    "skip_if_open",
    "active",
)
RETIRED = ("retired", "decommissioned")


@dataclass
class GenerationReport:
    created: list[int] = field(default_factory=list)
    skipped: int = 0
    schedules: int = 0

    def merge(self, other: "GenerationReport") -> None:
        self.created.extend(other.created)
        self.skipped += other.skipped
        self.schedules += other.schedules


# --- Validation and writes of schedules ---------------------------------------------


def recurrence_of(schedule: PMSchedule) -> Recurrence:
    return Recurrence(
        schedule.frequency or None,
        anchor=schedule.starts_at,
        interval=schedule.interval,
        cron=schedule.cron or None,
        timezone=schedule.calendar.timezone if schedule.calendar else "UTC",
    )


def _check(schedule: PMSchedule, assets: Sequence[Asset] | None) -> None:
    errors: dict[str, list[str]] = {}
    has_assets = bool(assets) if assets is not None else (schedule.pk and schedule.assets.exists())
    if not has_assets and not schedule.asset_type:
        errors["assets"] = ["Name the assets, or an asset_type whose assets all follow the plan."]
    kind = schedule.trigger_type
    if kind == TriggerType.TIME_BASED:
        if not schedule.frequency and not schedule.cron:
            errors["frequency"] = [
                "A time-based schedule needs a frequency (or a cron expression)."
            ]
        else:
            try:
                recurrence_of(schedule)
            except ValueError as exc:
                errors["cron" if schedule.cron else "frequency"] = [str(exc)]
    elif kind == TriggerType.USAGE_BASED:
        if not schedule.meter_name:
            errors["meter"] = ["A usage-based schedule names the meter it counts on."]
        if not schedule.trigger_value or schedule.trigger_value <= 0:
            errors["trigger_value"] = ["Every how many units? Give a trigger_value above zero."]
    elif kind == TriggerType.CONDITION_BASED:
        if (
            not schedule.condition_metric
            or not schedule.condition_operator
            or schedule.condition_threshold is None
        ):
            errors["condition"] = ["A condition names a metric, an operator and a threshold."]
    elif kind == TriggerType.EVENT_BASED and not schedule.trigger_event:
        errors["trigger_event"] = [
            "Which event starts the work: asset_alert or work_order_completed?"
        ]
    for line in schedule.required_parts or []:
        if (
            not isinstance(line, dict)
            or "part" not in line
            or Decimal(str(line.get("quantity", 0))) <= 0
        ):
            errors["required_parts"] = [
                'Each required part is {"part": id, "quantity": n} with n above zero.'
            ]
            break
    if errors:
        raise InvalidInput(errors)


def _state(schedule: PMSchedule) -> dict[str, Any]:
    return snapshot(schedule, SCHEDULE_FIELDS)


def _reset_states(schedule: PMSchedule) -> None:
    """The plan changed: recompute every asset's next due date from where it stands."""
    PMScheduleAsset.objects.filter(schedule=schedule).update(next_nominal=None, next_due=None)


@transaction.atomic
def schedule_create(
    *, by: User | None, name: str, assets: Sequence[Asset] = (), **fields: Any
) -> PMSchedule:
    if PMSchedule.objects.filter(name__iexact=name.strip()).exists():
        raise InvalidInput({"name": ["A schedule with this name already exists."]})
    fields.setdefault("starts_at", timezone.now())
    schedule = PMSchedule(name=name.strip(), **fields)
    _check(schedule, list(assets))
    schedule.save()
    schedule.assets.set(assets)
    _refresh_next_due([schedule.pk])
    schedule.refresh_from_db()
    audit_record(
        actor=by,
        action="schedule.create",
        obj=schedule,
        changes=changes_between({}, _state(schedule)),
    )
    return schedule


@transaction.atomic
def schedule_update(
    *, by: User | None, schedule: PMSchedule, assets: Sequence[Asset] | None = None, **fields: Any
) -> PMSchedule:
    schedule = PMSchedule.objects.select_for_update().get(pk=schedule.pk)
    before = _state(schedule)
    if (
        "name" in fields
        and PMSchedule.objects.filter(name__iexact=fields["name"].strip())
        .exclude(pk=schedule.pk)
        .exists()
    ):
        raise InvalidInput({"name": ["A schedule with this name already exists."]})
    for name, value in fields.items():
        setattr(schedule, name, value)
    same_assets = assets is None or {a.pk for a in assets} == set(
        schedule.assets.values_list("pk", flat=True)
    )
    if not changes_between(before, _state(schedule)) and same_assets:
        return schedule  # nothing changed (a re-imported row, a repeated PUT)
    _check(schedule, list(assets) if assets is not None else None)
    schedule.save()
    if assets is not None:
        schedule.assets.set(assets)
    _reset_states(schedule)
    _refresh_next_due([schedule.pk])
    schedule.refresh_from_db()
    diff = changes_between(before, _state(schedule))
    if assets is not None:
        diff["assets"] = {"before": None, "after": sorted(a.asset_id for a in assets)}
    audit_record(actor=by, action="schedule.update", obj=schedule, changes=diff)
    return schedule


@transaction.atomic
def schedule_delete(*, by: User | None, schedule: PMSchedule) -> None:
    """Remove a plan; the work orders it generated stay (with their link cleared)."""
    audit_record(
        actor=by,
        action="schedule.delete",
        obj=schedule,
        changes=changes_between(_state(schedule), {}),
    )
    schedule.delete()


# --- Scope and state ------------------------------------------------------------


_SCOPE = """
    SELECT s.id AS schedule_id, m.asset_id FROM maintenance_pmschedule s
    JOIN maintenance_pmschedule_assets m ON m.pmschedule_id = s.id
    JOIN assets_asset a ON a.id = m.asset_id
    WHERE s.active AND a.status NOT IN ('retired', 'decommissioned') {where}
    UNION
    SELECT s.id, a.id FROM maintenance_pmschedule s
    JOIN assets_asset a ON a.asset_type = s.asset_type
    WHERE s.active AND s.asset_type <> '' AND a.status NOT IN ('retired', 'decommissioned') {where}
"""


def _ensure_states(schedule_ids: Sequence[int] | None) -> None:
    """A state row for every (schedule, asset) in scope, new assets of a type included."""
    where = "AND s.id = ANY(%(ids)s)" if schedule_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO maintenance_pmscheduleasset
                (schedule_id, asset_id, usage_accumulated, condition_fired, skipped, created_at, updated_at)
            SELECT schedule_id, asset_id, 0, false, 0, now(), now() FROM ({_SCOPE.format(where=where)}) scope
            ON CONFLICT (schedule_id, asset_id) DO NOTHING
            """,  # noqa: S608 - fixed fragments only
            {"ids": list(schedule_ids or [])},
        )


def _refresh_next_due(schedule_ids: Sequence[int]) -> None:
    """Compute missing next due dates (time-based) and roll them up into the schedules."""
    _ensure_states(schedule_ids)
    schedules = {
        s.pk: s
        for s in PMSchedule.objects.filter(
            pk__in=schedule_ids, trigger_type=TriggerType.TIME_BASED
        ).select_related("calendar")
    }
    pending = list(
        PMScheduleAsset.objects.filter(
            schedule_id__in=schedules, next_due__isnull=True
        ).values_list("id", "schedule_id", "last_nominal", "created_at")
    )
    updates = []
    for state_id, schedule_id, last_nominal, created_at in pending:
        schedule = schedules[schedule_id]
        rec, cal = recurrence_of(schedule), calendar_engine(schedule.calendar)
        upcoming = next_due(
            rec,
            schedule.schedule_mode,
            last_due=last_nominal or _start_before(rec, created_at),
            calendar=cal,
        )
        if upcoming is not None:
            updates.append((state_id, upcoming.nominal, upcoming.due))
    _write_next(updates)
    PMSchedule.objects.filter(pk__in=schedule_ids).update(
        next_due_at=_min_next_due_subquery(), updated_at=timezone.now()
    )


def _min_next_due_subquery() -> Any:
    from django.db.models import OuterRef, Subquery

    return Subquery(
        PMScheduleAsset.objects.filter(schedule_id=OuterRef("pk"))
        .values("schedule_id")
        .annotate(first=Min("next_due"))
        .values("first")[:1]
    )


def _start_before(rec: Recurrence, created_at: datetime) -> datetime | None:
    """For a plan anchored in the past: the occurrence just before it started applying.

    A plan applies from the start of the (local) day it was set up on an asset, so
    one made at 08:05 still gets today's 08:00 occurrence, but one anchored years
    ago does not generate a backlog from before it existed.
    """
    local = created_at.astimezone(rec.tz)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if rec.anchor >= start_of_day:
        return None
    return rec.previous_at_or_before(start_of_day - timedelta(microseconds=1))


def _write_next(updates: Iterable[tuple[int, datetime | None, datetime | None]]) -> None:
    updates = list(updates)
    if not updates:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE maintenance_pmscheduleasset st
            SET next_nominal = v.next_nominal, next_due = v.next_due, updated_at = now()
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, next_nominal, next_due)
            WHERE st.id = v.id
            """,
            [[u[0] for u in updates], [u[1] for u in updates], [u[2] for u in updates]],
        )


# --- Generating work orders -----------------------------------------------------


@dataclass(frozen=True)
class NewOccurrence:
    schedule: PMSchedule
    asset_id: int
    nominal: datetime
    due: datetime


def _insert_work_orders(
    occurrences: Sequence[NewOccurrence], *, by: User | None, now: datetime
) -> list[int]:
    """Insert the work orders of new occurrences (those that exist already are skipped)
    with their checklist, planned parts, history and audit. Returns the new ids."""
    if not occurrences:
        return []
    stops = MaintenanceSettings.current().asset_status_on_start
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('maintenance_work_order_number') FROM generate_series(1, %s)",
            [len(occurrences)],
        )
        numbers = [f"WO-{value:06d}" for (value,) in cursor.fetchall()]
        columns = {
            "number": numbers,
            "title": [o.schedule.name for o in occurrences],
            "description": [o.schedule.description for o in occurrences],
            "asset_id": [o.asset_id for o in occurrences],
            "work_type": [o.schedule.maintenance_type for o in occurrences],
            "priority": [o.schedule.priority for o in occurrences],
            "due_at": [o.due for o in occurrences],
            "scheduled_start": [o.due for o in occurrences],
            "estimated_hours": [o.schedule.estimated_hours for o in occurrences],
            "template_id": [o.schedule.template_id for o in occurrences],
            "schedule_id": [o.schedule.pk for o in occurrences],
            "pm_nominal": [o.nominal for o in occurrences],
            "stops_asset": [bool(stops.get(o.schedule.maintenance_type)) for o in occurrences],
        }
        types = {
            "number": "text",
            "title": "text",
            "description": "text",
            "asset_id": "bigint",
            "work_type": "text",
            "priority": "text",
            "due_at": "timestamptz",
            "scheduled_start": "timestamptz",
            "estimated_hours": "numeric",
            "template_id": "bigint",
            "schedule_id": "bigint",
            "pm_nominal": "timestamptz",
            "stops_asset": "boolean",
        }
        names = list(columns)
        unnest = ", ".join(f"%({n})s::{types[n]}[]" for n in names)
        cursor.execute(
            f"""
            INSERT INTO maintenance_workorder
                ({", ".join(names)}, status, source, actual_hours, labor_cost, parts_cost, other_cost, total_cost,
                 external_ref, notes, findings, recommendations, hold_reason, cancel_reason, created_by_id,
                 created_at, updated_at)
            SELECT {", ".join(names)}, %(status)s, %(source)s, 0, 0, 0, 0, 0, '', '', '', '', '', '', %(by)s,
                   %(now)s, %(now)s
            FROM unnest({unnest}) AS v({", ".join(names)})
            ON CONFLICT (schedule_id, asset_id, pm_nominal) WHERE schedule_id IS NOT NULL DO NOTHING
            RETURNING id
            """,  # noqa: S608 - column names are ours
            {
                **columns,
                "status": Status.OPEN,
                "source": Source.SCHEDULE,
                "now": now,
                "by": by.pk if by is not None and by.is_authenticated else None,
            },
        )
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        params = {"ids": ids, "now": now}
        # The template's checklist; a meter step reads the asset's meter of that name, if it has one.
        cursor.execute(
            """
            INSERT INTO maintenance_workorderstep
                (work_order_id, "order", title, kind, instructions, expected_min, expected_max, unit, meter_id,
                 done, result, failed, notes, created_at, updated_at)
            SELECT w.id, ts."order", ts.title,
                   CASE WHEN ts.kind = 'meter' AND m.id IS NULL THEN 'number' ELSE ts.kind END,
                   ts.instructions, ts.expected_min, ts.expected_max,
                   CASE WHEN ts.kind = 'meter' AND m.id IS NULL AND ts.unit = '' THEN ts.meter_name ELSE ts.unit END,
                   m.id, false, '', false, '', %(now)s, %(now)s
            FROM maintenance_workorder w
            JOIN maintenance_templatestep ts ON ts.template_id = w.template_id
            LEFT JOIN assets_meter m ON ts.kind = 'meter' AND m.asset_id = w.asset_id AND lower(m.name) = lower(ts.meter_name)
            WHERE w.id = ANY(%(ids)s)
            """,
            params,
        )
        # The template's parts and the schedule's required parts, summed per part.
        cursor.execute(
            """
            INSERT INTO maintenance_workorderpart
                (work_order_id, part_id, description, quantity_planned, quantity_used, unit_cost, cost, created_at, updated_at)
            SELECT work_order_id, part_id, '', sum(quantity), 0, 0, 0, %(now)s, %(now)s FROM (
                SELECT w.id AS work_order_id, tp.part_id, tp.quantity
                FROM maintenance_workorder w JOIN maintenance_templatepart tp ON tp.template_id = w.template_id
                WHERE w.id = ANY(%(ids)s)
                UNION ALL
                SELECT w.id, (r.value ->> 'part')::bigint, (r.value ->> 'quantity')::numeric
                FROM maintenance_workorder w
                JOIN maintenance_pmschedule s ON s.id = w.schedule_id
                CROSS JOIN LATERAL jsonb_array_elements(s.required_parts) r
                JOIN inventory_part p ON p.id = (r.value ->> 'part')::bigint
                WHERE w.id = ANY(%(ids)s)
            ) lines GROUP BY work_order_id, part_id
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO maintenance_maintenanceevent (asset_id, work_order_id, kind, summary, data, occurred_at, created_at, updated_at)
            SELECT w.asset_id, w.id, %(kind)s, w.number || ' created: ' || w.title,
                   jsonb_build_object('source', 'schedule', 'schedule', w.schedule_id), %(now)s, %(now)s, %(now)s
            FROM maintenance_workorder w WHERE w.id = ANY(%(ids)s)
            """,
            {**params, "kind": HistoryKind.CREATED},
        )
        actor = by if by is not None and by.is_authenticated else None
        cursor.execute(
            """
            INSERT INTO core_auditentry (created_at, actor_id, actor_username, action, object_type, object_id,
                                         object_repr, changes, request_id)
            SELECT %(now)s, %(actor)s, %(username)s, 'work_order.create', 'maintenance.workorder', w.id::text,
                   left(w.number || ' ' || w.title, 255),
                   jsonb_build_object('source', jsonb_build_object('before', null, 'after', 'schedule'),
                                      'schedule', jsonb_build_object('before', null, 'after', w.schedule_id),
                                      'due_at', jsonb_build_object('before', null, 'after', w.due_at)),
                   %(request_id)s
            FROM maintenance_workorder w WHERE w.id = ANY(%(ids)s)
            """,
            {
                **params,
                "actor": actor.pk if actor else None,
                "username": actor.username if actor else "",
                "request_id": get_request_id(),
            },
        )
    return ids


def _announce(ids: list[int]) -> None:
    payloads = work_order_payloads(ids)
    from core.events import Audience

    audience = Audience(roles=WORK_ORDER_READERS)
    publish_many([Event("work-order:created", payloads[pk], audience) for pk in ids])


def _previous(
    rows: list[tuple[int, int, datetime | None]],
) -> dict[tuple[int, int], tuple[str, datetime | None]]:
    """(status, finished_at) of each state's last generated work order."""
    keyed = [(s, a, n) for s, a, n in rows if n is not None]
    if not keyed:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.schedule_id, w.asset_id, w.status, COALESCE(w.completed_at, w.cancelled_at)
            FROM maintenance_workorder w
            JOIN unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS k(schedule_id, asset_id, nominal)
              ON w.schedule_id = k.schedule_id AND w.asset_id = k.asset_id AND w.pm_nominal = k.nominal
            """,
            [[k[0] for k in keyed], [k[1] for k in keyed], [k[2] for k in keyed]],
        )
        return {(s, a): (status, finished) for s, a, status, finished in cursor.fetchall()}


def _generate_chunk(
    state_rows: list[tuple[Any, ...]],
    schedules: dict[int, PMSchedule],
    *,
    now: datetime,
    by: User | None,
) -> GenerationReport:
    report = GenerationReport()
    previous = _previous([(r[1], r[2], r[3]) for r in state_rows])
    occurrences: list[NewOccurrence] = []
    state_updates: list[tuple[int, datetime | None, int, datetime | None, datetime | None]] = []
    for state_id, schedule_id, asset_id, last_nominal, created_at in state_rows:
        schedule = schedules[schedule_id]
        rec, cal = recurrence_of_cached(schedule), calendar_engine(schedule.calendar)
        status, finished = previous.get((schedule_id, asset_id), (None, None))
        still_open = status in ACTIVE_STATUSES
        last_due = last_nominal or _start_before(rec, created_at)
        due = due_within(
            rec,
            schedule.schedule_mode,
            last_due=last_due,
            last_completed=None if still_open else finished,
            calendar=cal,
            now=now,
            lead_time=timedelta(days=schedule.lead_time_days),
        )
        skipped = 0
        if due and still_open and schedule.skip_if_open:
            skipped = len(due)
        else:
            occurrences.extend(NewOccurrence(schedule, asset_id, o.nominal, o.due) for o in due)
        newest = due[-1].nominal if due else last_due
        upcoming = next_due(
            rec,
            schedule.schedule_mode,
            last_due=newest,
            last_completed=None if (due and not skipped) or still_open else finished,
            calendar=cal,
        )
        state_updates.append(
            (
                state_id,
                newest if due else last_nominal,
                skipped,
                upcoming.nominal if upcoming else None,
                upcoming.due if upcoming else None,
            )
        )
        report.skipped += skipped
    report.created = _insert_work_orders(occurrences, by=by, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE maintenance_pmscheduleasset st
            SET last_nominal = GREATEST(st.last_nominal, v.last_nominal), skipped = st.skipped + v.skipped,
                next_nominal = v.next_nominal, next_due = v.next_due, updated_at = now()
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::timestamptz[], %s::timestamptz[])
                 AS v(id, last_nominal, skipped, next_nominal, next_due)
            WHERE st.id = v.id
            """,
            [[u[i] for u in state_updates] for i in range(5)],
        )
    touched = sorted({r[1] for r in state_rows})
    PMSchedule.objects.filter(pk__in=touched).update(
        next_due_at=_min_next_due_subquery(), last_generated_at=now, updated_at=now
    )
    report.schedules = len(touched)
    if report.created:
        _announce(report.created)
    return report


_recurrences: dict[tuple[Any, ...], Recurrence] = {}


def recurrence_of_cached(schedule: PMSchedule) -> Recurrence:
    key = (
        schedule.frequency,
        schedule.interval,
        schedule.cron,
        schedule.starts_at,
        schedule.calendar.timezone if schedule.calendar else "UTC",
    )
    rec = _recurrences.get(key)
    if rec is None:
        if len(_recurrences) > 10_000:
            _recurrences.clear()
        rec = _recurrences[key] = recurrence_of(schedule)
    return rec


_DUE_STATES = """
    SELECT st.id, st.schedule_id, st.asset_id, st.last_nominal, st.created_at
    FROM maintenance_pmscheduleasset st
    JOIN maintenance_pmschedule s ON s.id = st.schedule_id
    JOIN assets_asset a ON a.id = st.asset_id
    WHERE s.active AND s.trigger_type = 'time_based' AND a.status NOT IN ('retired', 'decommissioned')
      AND (a.asset_type = s.asset_type OR EXISTS (
            SELECT 1 FROM maintenance_pmschedule_assets m WHERE m.pmschedule_id = s.id AND m.asset_id = a.id))
      AND (st.next_due IS NULL OR st.next_due <= %(now)s + make_interval(days => s.lead_time_days))
      AND st.id > %(after)s {only}
    ORDER BY st.id
    LIMIT %(limit)s
"""


def pm_generate_due(
    *,
    now: datetime | None = None,
    schedule_ids: Sequence[int] | None = None,
    by: User | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> GenerationReport:
    """Create the work orders of time-based schedules that fall due within their lead time.

    For all active schedules (the beat job) or some (``POST .../generate/``).
    Each chunk commits on its own; running it again, or twice at once, never
    creates a work order twice.
    """
    now = now or timezone.now()
    _ensure_states(schedule_ids)
    query = _DUE_STATES.format(only="AND s.id = ANY(%(ids)s)" if schedule_ids is not None else "")
    report = GenerationReport()
    after = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    query,
                    {
                        "now": now,
                        "after": after,
                        "limit": chunk_size,
                        "ids": list(schedule_ids or []),
                    },
                )
                rows = cursor.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            schedules = {
                s.pk: s
                for s in PMSchedule.objects.filter(pk__in={r[1] for r in rows}).select_related(
                    "calendar"
                )
            }
            report.merge(_generate_chunk(rows, schedules, now=now, by=by))
    return report


def pm_occurrence_closed(work_order: Any) -> None:
    """A generated work order completed or was cancelled: a floating plan counts its next
    occurrence from now, so forget the estimate and let the next run recompute it."""
    if work_order.schedule_id is None or work_order.asset_id is None:
        return
    PMScheduleAsset.objects.filter(
        schedule_id=work_order.schedule_id, asset_id=work_order.asset_id
    ).update(next_nominal=None, next_due=None, updated_at=timezone.now())


def schedule_in_scope(schedule: PMSchedule, asset: Asset) -> bool:
    return asset.status not in RETIRED and (
        asset.asset_type == schedule.asset_type or schedule.assets.filter(pk=asset.pk).exists()
    )


@transaction.atomic
def pm_generate_now(
    *,
    by: User | None,
    schedule: PMSchedule,
    now: datetime | None = None,
    assets: Iterable[Asset] | None = None,
) -> GenerationReport:
    """One occurrence per asset now (manual runs, and triggers other than time)."""
    now = (now or timezone.now()).replace(
        second=0, microsecond=0
    )  # a double click makes no second one
    _ensure_states([schedule.pk])
    targets = (
        list(assets)
        if assets is not None
        else list(
            Asset.objects.filter(
                pk__in=PMScheduleAsset.objects.filter(schedule=schedule).values("asset_id")
            ).exclude(status__in=RETIRED)
        )
    )
    calendar = calendar_engine(schedule.calendar)
    due = calendar.next_working_slot(now)
    report = GenerationReport(schedules=1)
    report.created = _insert_work_orders(
        [NewOccurrence(schedule, a.pk, now, due) for a in targets], by=by, now=timezone.now()
    )
    PMScheduleAsset.objects.filter(schedule=schedule, asset__in=targets).update(
        last_nominal=now, updated_at=timezone.now()
    )
    PMSchedule.objects.filter(pk=schedule.pk).update(last_generated_at=timezone.now())
    if report.created:
        _announce(report.created)
    audit_record(
        actor=by,
        action="schedule.generate",
        obj=schedule,
        changes={"work_orders": {"before": None, "after": len(report.created)}},
    )
    return report


def pm_generate(*, by: User | None, schedule: PMSchedule) -> GenerationReport:
    """``POST .../generate/``: a time-based schedule creates what is due within its lead
    time (as the beat job would); any other schedule runs once now."""
    if schedule.trigger_type == TriggerType.TIME_BASED:
        report = pm_generate_due(schedule_ids=[schedule.pk], by=by)
        with transaction.atomic():
            audit_record(
                actor=by,
                action="schedule.generate",
                obj=schedule,
                changes={"work_orders": {"before": None, "after": len(report.created)}},
            )
        return report
    return pm_generate_now(by=by, schedule=schedule)
