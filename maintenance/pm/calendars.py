"""Working calendars: when work may fall due (time zone, working days and hours, holidays).

A calendar's rules decide the due dates of the plans that use it, so changing
them recomputes those plans' next due dates at once (work orders already
generated keep theirs).
"""

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from core.audit import audit_record, changes_between, snapshot
from core.exceptions import Conflict, InvalidInput
from core.models import User
from core.writes import audited_update, locked, validate
from maintenance.models import MaintenanceCalendar, PMSchedule
from maintenance.pm.due_dates import forget_next_due, refresh_next_due
from maintenance.scheduling import WorkingCalendar

CALENDAR_FIELDS = ("name", "timezone", "working_days", "working_hours", "holidays")


def _check(calendar: MaintenanceCalendar) -> None:
    clash = MaintenanceCalendar.objects.filter(name__iexact=calendar.name)
    if calendar.pk is not None:
        clash = clash.exclude(pk=calendar.pk)
    if clash.exists():
        raise InvalidInput({"name": ["A calendar with this name already exists."]})
    try:
        WorkingCalendar.from_config(
            timezone=calendar.timezone,
            working_days=list(calendar.working_days),
            working_hours=list(calendar.working_hours),
            holidays=[day.isoformat() for day in calendar.holidays or []],
        )
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"working_hours": [str(exc)]}) from exc


@transaction.atomic
def calendar_create(*, by: User | None, name: str, **fields: Any) -> MaintenanceCalendar:
    """A new working calendar, for PM schedules and SLA policies to count in."""
    calendar = MaintenanceCalendar(name=name.strip(), **fields)
    validate(calendar)
    _check(calendar)
    calendar.save()
    audit_record(
        actor=by,
        action="calendar.create",
        obj=calendar,
        changes=changes_between({}, snapshot(calendar, CALENDAR_FIELDS)),
    )
    return calendar


@transaction.atomic
def calendar_update(
    *, by: User | None, calendar: MaintenanceCalendar, **fields: Any
) -> MaintenanceCalendar:
    """Change a calendar; the plans that use it get their next due dates computed again."""
    calendar = locked(calendar)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    changes = audited_update(
        calendar,
        by=by,
        action="calendar.update",
        fields=fields,
        audited=CALENDAR_FIELDS,
        check=_check,
    )
    if changes:
        # The cached engine describes the old rules.
        calendar.__dict__.pop("engine", None)
        schedule_ids = list(
            PMSchedule.objects.filter(calendar=calendar).values_list("pk", flat=True)
        )
        if schedule_ids:
            forget_next_due(schedule_ids=schedule_ids)
            refresh_next_due(schedule_ids)
    return calendar


@transaction.atomic
def calendar_delete(*, by: User | None, calendar: MaintenanceCalendar) -> None:
    """Remove a calendar no plan uses any more."""
    if PMSchedule.objects.filter(calendar=calendar).exists():
        raise Conflict("PM schedules still use this calendar.", "protected")
    audit_record(
        actor=by,
        action="calendar.delete",
        obj=calendar,
        changes=changes_between(snapshot(calendar, CALENDAR_FIELDS), {}),
    )
    try:
        calendar.delete()
    except ProtectedError as exc:
        # Apps above maintenance (SLA policies) count in calendars too; Django finds them
        # before deleting anything.
        raise Conflict(
            "Other records (SLA policies) still use this calendar.", "protected"
        ) from exc
