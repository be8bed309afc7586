"""Generating the work orders of PM schedules, exactly once.

Generation is set-based. For each (schedule, asset) a state row remembers the
last occurrence generated (``due_dates``); the scheduling engine says which
occurrences are due within the lead time; their work orders are built and
written by the one creation path of work orders (``work_orders_insert``), which
skips an occurrence that already has its work order (the database holds one per
schedule, asset and nominal occurrence); the state moves on in the same
transaction. Work is done in chunks, each committed on its own, so a generator
that dies midway leaves whole chunks behind and the next run carries on; two
generators at once each insert what the other has not, and neither duplicates
anything.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from assets.models import Asset, Meter
from core.audit import audit_record
from core.models import User
from inventory.models import Part
from maintenance.choices import ACTIVE_STATUSES, Source, TriggerType
from maintenance.events import announce_created
from maintenance.models import (
    MaintenanceSettings,
    PMSchedule,
    PMScheduleAsset,
    TemplatePart,
    TemplateStep,
    WorkOrder,
    calendar_engine,
)
from maintenance.pm.due_dates import (
    RETIRED,
    ensure_states,
    recurrence_of_cached,
    roll_up_next_due,
    start_before,
)
from maintenance.pm.selectors import ON_TIME_SHARE, last_generated_outcomes
from maintenance.scheduling import due_within, next_due
from maintenance.services.templates import template_checklist
from maintenance.services.work_orders import WorkOrderDraft, work_order_build, work_orders_insert

CHUNK_SIZE = 1000  # state rows per transaction: ~1,000 work orders and their children


@dataclass
class GenerationReport:
    created: list[int] = field(default_factory=list)
    skipped: int = 0
    schedules: int = 0

    def merge(self, other: "GenerationReport") -> None:
        self.created.extend(other.created)
        self.skipped += other.skipped
        self.schedules += other.schedules


@dataclass(frozen=True)
class NewOccurrence:
    """One occurrence of a plan on an asset: its nominal time and when it falls due."""

    schedule: PMSchedule
    asset_id: int
    nominal: datetime
    due: datetime


def _template_lines(
    template_ids: set[int],
) -> tuple[dict[int, list[TemplateStep]], dict[int, list[TemplatePart]]]:
    steps: dict[int, list[TemplateStep]] = defaultdict(list)
    for step in TemplateStep.objects.filter(template_id__in=template_ids).order_by("order", "id"):
        steps[step.template_id].append(step)
    parts: dict[int, list[TemplatePart]] = defaultdict(list)
    for line in TemplatePart.objects.filter(template_id__in=template_ids).order_by("id"):
        parts[line.template_id].append(line)
    return steps, parts


def _meters_by_asset(
    asset_ids: set[int], steps: Iterable[TemplateStep]
) -> dict[int, dict[str, Meter]]:
    names = {step.meter_name.lower() for step in steps if step.meter_name}
    found: dict[int, dict[str, Meter]] = defaultdict(dict)
    if names:
        meters = Meter.objects.annotate(lower_name=Lower("name")).filter(
            asset_id__in=asset_ids, lower_name__in=names
        )
        for meter in meters:
            found[meter.asset_id][meter.lower_name] = meter
    return found


def _planned_parts(
    schedule: PMSchedule, template_parts: list[TemplatePart], known: set[int]
) -> list[dict[str, Any]]:
    """The template's parts and the schedule's required parts, summed per part."""
    quantities: dict[int, Decimal] = defaultdict(Decimal)
    for line in template_parts:
        quantities[line.part_id] += line.quantity
    for line in schedule.required_parts or []:
        part_id = int(line["part"])
        if part_id in known:  # a part deleted since the plan was written is left out
            quantities[part_id] += Decimal(str(line["quantity"]))
    return [{"part_id": pk, "quantity_planned": q} for pk, q in quantities.items()]


def on_time_by(schedule: PMSchedule, nominal: datetime, due: datetime) -> datetime | None:
    """Until when a time-based occurrence counts as done on time: its due date plus 10%
    of the plan's interval (the occurrence to the next). Other triggers have no interval."""
    if schedule.trigger_type != TriggerType.TIME_BASED:
        return None
    following = recurrence_of_cached(schedule).next_after(nominal)
    if following is None:
        return None
    return due + (following - nominal) * float(ON_TIME_SHARE)


def occurrences_generate(
    occurrences: Sequence[NewOccurrence], *, by: User | None, now: datetime
) -> list[WorkOrder]:
    """Write and announce the work orders of new occurrences, with the template's checklist
    and the planned parts; an occurrence that already has its work order is skipped."""
    if not occurrences:
        return []
    settings = MaintenanceSettings.current()
    schedules = {o.schedule.pk: o.schedule for o in occurrences}
    template_steps, template_parts = _template_lines(
        {s.template_id for s in schedules.values() if s.template_id}
    )
    asset_ids = {o.asset_id for o in occurrences}
    assets = Asset.objects.in_bulk(asset_ids)
    meters = _meters_by_asset(asset_ids, (s for lines in template_steps.values() for s in lines))
    required = {int(line["part"]) for s in schedules.values() for line in s.required_parts or []}
    known_parts = set(Part.objects.filter(pk__in=required).values_list("pk", flat=True))
    drafts = []
    for occurrence in occurrences:
        schedule = occurrence.schedule
        order = work_order_build(
            by=by,
            pm_on_time_by=on_time_by(schedule, occurrence.nominal, occurrence.due),
            title=schedule.name,
            source=Source.SCHEDULE,
            template=schedule.template,
            schedule=schedule,
            pm_nominal=occurrence.nominal,
            created_at=now,
            settings=settings,
            description=schedule.description,
            asset=assets[occurrence.asset_id],
            work_type=schedule.maintenance_type,
            priority=schedule.priority,
            due_at=occurrence.due,
            scheduled_start=occurrence.due,
            estimated_hours=schedule.estimated_hours,
        )
        steps = template_checklist(
            template_steps.get(schedule.template_id, []), meters.get(occurrence.asset_id, {})
        )
        parts = _planned_parts(schedule, template_parts.get(schedule.template_id, []), known_parts)
        drafts.append(WorkOrderDraft(order, steps=steps, parts=parts))
    created = work_orders_insert(drafts, by=by)
    announce_created(created)
    return created


def _generate_chunk(
    state_rows: list[tuple[Any, ...]],
    schedules: dict[int, PMSchedule],
    *,
    now: datetime,
    by: User | None,
) -> GenerationReport:
    report = GenerationReport()
    previous = last_generated_outcomes([(r[1], r[2], r[3]) for r in state_rows])
    occurrences: list[NewOccurrence] = []
    state_updates: list[tuple[int, datetime | None, int, datetime | None, datetime | None]] = []
    for state_id, schedule_id, asset_id, last_nominal, created_at in state_rows:
        schedule = schedules[schedule_id]
        rec, cal = recurrence_of_cached(schedule), calendar_engine(schedule.calendar)
        status, finished = previous.get((schedule_id, asset_id), (None, None))
        still_open = status in ACTIVE_STATUSES
        last_due = last_nominal or start_before(rec, created_at)
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
    report.created = [order.pk for order in occurrences_generate(occurrences, by=by, now=now)]
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
    roll_up_next_due(touched, last_generated_at=now)
    report.schedules = len(touched)
    return report


_DUE_STATES = """
    SELECT st.id, st.schedule_id, st.asset_id, st.last_nominal, st.created_at
    FROM maintenance_pmscheduleasset st
    JOIN maintenance_pmschedule s ON s.id = st.schedule_id
    JOIN assets_asset a ON a.id = st.asset_id
    WHERE s.active AND s.trigger_type = 'time_based' AND a.status <> ALL(%(retired)s)
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
    ensure_states(schedule_ids)
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
                        "retired": list(RETIRED),
                    },
                )
                rows = cursor.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            schedules = {
                s.pk: s
                for s in PMSchedule.objects.filter(pk__in={r[1] for r in rows}).select_related(
                    "calendar", "template"
                )
            }
            report.merge(_generate_chunk(rows, schedules, now=now, by=by))
    return report


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
    ensure_states([schedule.pk])
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
    created = occurrences_generate(
        [NewOccurrence(schedule, a.pk, now, due) for a in targets], by=by, now=timezone.now()
    )
    report.created = [order.pk for order in created]
    PMScheduleAsset.objects.filter(schedule=schedule, asset__in=targets).update(
        last_nominal=now, updated_at=timezone.now()
    )
    PMSchedule.objects.filter(pk=schedule.pk).update(last_generated_at=timezone.now())
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
