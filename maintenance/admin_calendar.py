"""The planner's calendar in the back office: work orders by the day they are scheduled
(or due), and the preventive maintenance occurrences still to come, by week or month."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from maintenance.choices import ACTIVE_STATUSES
from maintenance.models import PMSchedule, WorkOrder
from maintenance.pm import selectors as pm_selectors

VIEWS = ("month", "week")
# What one day's cell lists before "more"; a month of PM runs can hold hundreds.
PER_DAY = 6
FORECAST_LIMIT = 300


@dataclass(frozen=True)
class Entry:
    label: str
    title: str
    link: str
    kind: str  # "work" or "pm"
    priority: str = ""


def _span(view: str, anchor: date) -> tuple[date, date]:
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7)
    first_of_month = anchor.replace(day=1)
    next_month = (first_of_month + timedelta(days=32)).replace(day=1)
    first = first_of_month - timedelta(days=first_of_month.weekday())
    last = next_month + timedelta(days=(7 - next_month.weekday()) % 7)
    return first, last


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def work_entries(start: datetime, end: datetime) -> dict[date, list[Entry]]:
    days: dict[date, list[Entry]] = defaultdict(list)
    planned = WorkOrder.objects.filter(status__in=ACTIVE_STATUSES).filter(
        scheduled_start__gte=start, scheduled_start__lt=end
    ) | WorkOrder.objects.filter(
        status__in=ACTIVE_STATUSES,
        scheduled_start__isnull=True,
        due_at__gte=start,
        due_at__lt=end,
    )
    for work_order in planned.select_related("asset").order_by("due_at", "id")[:2000]:
        when = work_order.scheduled_start or work_order.due_at
        days[timezone.localtime(when).date()].append(
            Entry(
                label=f"{work_order.number} {work_order.title[:28]}",
                title=f"{work_order.number} {work_order.title}"
                + (f" ({work_order.asset.asset_id})" if work_order.asset else ""),
                link=reverse("admin:maintenance_workorder_change", args=[work_order.pk]),
                kind="work",
                priority=work_order.priority,
            )
        )
    return days


def pm_entries(start: datetime, end: datetime) -> dict[date, list[Entry]]:
    """Occurrences still to come that have no work order yet (generation runs ahead)."""
    days: dict[date, list[Entry]] = defaultdict(list)
    now = timezone.now()
    if end <= now:
        return days
    generated = set(
        WorkOrder.objects.filter(
            schedule__isnull=False, pm_nominal__gte=min(start, now), pm_nominal__lt=end
        ).values_list("schedule_id", "asset__asset_id", "pm_nominal")
    )
    for schedule in PMSchedule.objects.filter(active=True).order_by("name"):
        link = reverse("admin:maintenance_pmschedule_change", args=[schedule.pk])
        for item in pm_selectors.schedule_forecast(schedule, until=end, limit=FORECAST_LIMIT):
            if item.due < start or item.due >= end:
                continue
            if (schedule.pk, item.asset_id, item.nominal) in generated:
                continue
            days[timezone.localtime(item.due).date()].append(
                Entry(
                    label=f"PM {item.asset_id}",
                    title=f"{schedule.name}: {item.asset_id}"
                    + (" (estimated)" if item.estimated else ""),
                    link=link,
                    kind="pm",
                )
            )
    return days


def calendar_view(model_admin: Any, request: HttpRequest) -> TemplateResponse:
    view = request.GET.get("view", "month")
    view = view if view in VIEWS else "month"
    today = timezone.localdate()
    try:
        anchor = parse_date(request.GET.get("date", "")[:10]) or today
    except ValueError:  # a well-formed but impossible date (2026-02-31)
        anchor = today
    first, last = _span(view, anchor)
    start, end = _aware(first), _aware(last)
    work = work_entries(start, end)
    pm = pm_entries(start, end)
    weeks = []
    day = first
    while day < last:
        week = []
        for _ in range(7):
            entries = work.get(day, []) + pm.get(day, [])
            week.append(
                {
                    "date": day,
                    "entries": entries[:PER_DAY],
                    "more": max(len(entries) - PER_DAY, 0),
                    "other_month": view == "month" and day.month != anchor.month,
                    "today": day == today,
                }
            )
            day += timedelta(days=1)
        weeks.append(week)
    step = timedelta(days=7) if view == "week" else timedelta(days=31)
    previous = (anchor.replace(day=1) - timedelta(days=1)) if view == "month" else anchor - step
    following = (
        (anchor.replace(day=28) + timedelta(days=4)).replace(day=1)
        if view == "month"
        else anchor + step
    )
    base = reverse("admin:maintenance_workorder_calendar")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Calendar",
        "opts": model_admin.model._meta,
        "view": view,
        "anchor": anchor,
        "weeks": weeks,
        "heading": anchor.strftime("%B %Y") if view == "month" else f"Week of {first:%d %b %Y}",
        "previous_url": f"{base}?view={view}&date={previous:%Y-%m-%d}",
        "next_url": f"{base}?view={view}&date={following:%Y-%m-%d}",
        "today_url": f"{base}?view={view}",
        "month_url": f"{base}?view=month&date={anchor:%Y-%m-%d}",
        "week_url": f"{base}?view=week&date={anchor:%Y-%m-%d}",
        "due_url": reverse("admin:maintenance_workorder_changelist") + "?due=month",
    }
    return TemplateResponse(request, "admin/maintenance/workorder/calendar.html", context)
