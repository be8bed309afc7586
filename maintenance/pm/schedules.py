"""PM schedules: what to do, to which assets, and when (the plan, not its work orders)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from assets.models import Asset
from core.audit import audit_record, changes_between, snapshot
from core.exceptions import InvalidInput
from core.models import User
from core.writes import audited_delete, audited_update, locked
from maintenance.choices import TriggerType
from maintenance.models import PMSchedule
from maintenance.pm.due_dates import forget_next_due, recurrence_of, refresh_next_due

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
    refresh_next_due([schedule.pk])
    schedule.refresh_from_db()
    audit_record(
        actor=by,
        action="schedule.create",
        obj=schedule,
        changes=changes_between({}, snapshot(schedule, SCHEDULE_FIELDS)),
    )
    return schedule


@transaction.atomic
def schedule_update(
    *, by: User | None, schedule: PMSchedule, assets: Sequence[Asset] | None = None, **fields: Any
) -> PMSchedule:
    """Change a plan; every asset's next due date is computed again from where it stands."""
    schedule = locked(schedule)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if PMSchedule.objects.filter(name__iexact=fields["name"]).exclude(pk=schedule.pk).exists():
            raise InvalidInput({"name": ["A schedule with this name already exists."]})
    members: dict[str, dict[str, Any]] = {}
    if assets is not None:
        current = sorted(schedule.assets.values_list("asset_id", flat=True))
        wanted = sorted({asset.asset_id for asset in assets})
        if current != wanted:
            members["assets"] = {"before": current, "after": wanted}
    changes = audited_update(
        schedule,
        by=by,
        action="schedule.update",
        fields=fields,
        audited=SCHEDULE_FIELDS,
        check=lambda changed: _check(changed, list(assets) if assets is not None else None),
        also_changed=members,
    )
    if not changes:
        return schedule  # nothing changed (a re-imported row, a repeated PUT)
    if members:
        schedule.assets.set(assets or [])
    forget_next_due(schedule=schedule)
    refresh_next_due([schedule.pk])
    schedule.refresh_from_db()
    return schedule


@transaction.atomic
def schedule_link_external(*, by: User | None, schedule: PMSchedule, external_ref: str) -> None:
    """Record the id another system gave this plan.

    ``updated_at`` is left alone: the link is bookkeeping, not a change of the plan,
    and a sync must not take it for one to send back.
    """
    schedule = locked(schedule)
    if schedule.external_ref == external_ref:
        return
    clash = PMSchedule.objects.filter(external_ref=external_ref).exclude(pk=schedule.pk)
    if external_ref and clash.exists():
        raise InvalidInput(
            {"external_ref": ["Another PM schedule already has this external reference."]}
        )
    before = schedule.external_ref
    PMSchedule.objects.filter(pk=schedule.pk).update(external_ref=external_ref)
    audit_record(
        actor=by,
        action="schedule.link_external",
        obj=schedule,
        changes={"external_ref": {"before": before, "after": external_ref}},
    )


@transaction.atomic
def schedule_delete(*, by: User | None, schedule: PMSchedule) -> None:
    """Remove a plan; the work orders it generated stay (with their link cleared)."""
    audited_delete(schedule, by=by, action="schedule.delete", audited=SCHEDULE_FIELDS)
