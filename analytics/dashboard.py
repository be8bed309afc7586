"""The back office's home page: the figures, charts and lists a manager starts the day with.

Every figure is read from ``analytics.selectors`` (and the SLA, maintenance and
inventory selectors), never computed here; every tile, chart and list links to the
filtered list of records behind it.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from analytics import selectors
from inventory.selectors import low_stock_parts
from maintenance.choices import ACTIVE_STATUSES, Priority, WorkType
from maintenance.models import WorkOrder
from sla.selectors import breaching_soon_count

PERIOD_DAYS = 90
TREND_WEEKS = 12
LIST_LENGTH = 10
CHART_COLOURS = ["#7c3aed", "#10b981", "#f59e0b", "#ef4444", "#3b82f6", "#6b7280"]


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    hint: str
    link: str
    key: str


def _list(model: str, **filters: str) -> str:
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _figure(value: Decimal | int | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value}{unit}"


def tiles(now: datetime) -> list[Tile]:
    period = selectors.Period(start=now - timedelta(days=PERIOD_DAYS), end=now)
    figures = selectors.overview(period=period)
    work = figures["work_orders"]
    window = f"last {PERIOD_DAYS} days"
    work_orders = "maintenance_workorder"
    return [
        Tile("Open", _figure(work["open"]), "now", _list(work_orders, open="yes"), "open"),
        Tile(
            "Overdue",
            _figure(work["overdue"]),
            "now",
            _list(work_orders, overdue="yes"),
            "overdue",
        ),
        Tile(
            "Breaching soon",
            _figure(breaching_soon_count(now)),
            "SLA past its warning point",
            _list(work_orders, sla="warning"),
            "breaching",
        ),
        Tile(
            "MTTR",
            _figure(figures["mttr_hours"], " h"),
            window,
            _list(work_orders, status__exact="completed", breakdown="yes"),
            "mttr",
        ),
        Tile(
            "MTBF",
            _figure(figures["mtbf_hours"], " h"),
            window,
            _list("assets_failure"),
            "mtbf",
        ),
        Tile(
            "PM compliance",
            _figure(figures["pm_compliance_percent"], " %"),
            window,
            _list(work_orders, source__exact="schedule"),
            "pm",
        ),
        Tile(
            "Availability",
            _figure(figures["availability_percent"], " %"),
            window,
            _list("assets_asset", status__exact="repair"),
            "availability",
        ),
    ]


def _chart(labels: list[str], datasets: list[dict[str, Any]]) -> str:
    return json.dumps({"labels": labels, "datasets": datasets})


def charts(now: datetime) -> list[dict[str, Any]]:
    weeks = selectors.trends(
        period=selectors.Period(start=now - timedelta(weeks=TREND_WEEKS), end=now),
        interval="week",
    )
    costs = selectors.costs(
        period=selectors.Period(start=now - timedelta(days=PERIOD_DAYS), end=now),
        group_by="work_type",
    )
    backlog = selectors.open_by_priority()
    work_orders = "maintenance_workorder"
    type_names = dict(WorkType.choices)
    return [
        {
            "title": "Created vs completed, by week",
            "type": "line",
            "data": _chart(
                [f"{row['period_start']:%d %b}" for row in weeks],
                [
                    {
                        "label": "Created",
                        "data": [row["created"] for row in weeks],
                        "borderColor": CHART_COLOURS[0],
                    },
                    {
                        "label": "Completed",
                        "data": [row["completed"] for row in weeks],
                        "borderColor": CHART_COLOURS[1],
                    },
                ],
            ),
            "links": [
                ("Created", _list(work_orders, o="-created_at")),
                ("Completed", _list(work_orders, status__exact="completed")),
            ],
        },
        {
            "title": f"Cost by work type, last {PERIOD_DAYS} days",
            "type": "bar",
            "data": _chart(
                [type_names.get(row["key"], row["key"] or "-") for row in costs],
                [
                    {
                        "label": "Total cost",
                        "data": [float(row["total"] or 0) for row in costs],
                        "backgroundColor": CHART_COLOURS[4],
                    }
                ],
            ),
            "links": [
                (
                    type_names.get(row["key"], row["key"]),
                    _list(work_orders, work_type__exact=row["key"]),
                )
                for row in costs
                if row["key"]
            ],
        },
        {
            "title": "Open backlog by priority",
            "type": "bar",
            "data": _chart(
                [label for _, label in Priority.choices],
                [
                    {
                        "label": "Open work orders",
                        "data": [backlog[value] for value, _ in Priority.choices],
                        "backgroundColor": CHART_COLOURS[2],
                    }
                ],
            ),
            "links": [
                (
                    f"{label} ({backlog[value]})",
                    _list(work_orders, open="yes", priority__exact=value),
                )
                for value, label in Priority.choices
            ],
        },
    ]


def due_this_week(now: datetime) -> list[WorkOrder]:
    return list(
        WorkOrder.objects.filter(
            status__in=ACTIVE_STATUSES, due_at__gte=now, due_at__lt=now + timedelta(days=7)
        )
        .select_related("asset", "assigned_to")
        .order_by("due_at", "id")[:LIST_LENGTH]
    )


def build(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """Fill the admin's home page (``UNFOLD['DASHBOARD_CALLBACK']`` through core)."""
    now = timezone.now()
    user = request.user
    context["title"] = "Dashboard"
    context["can_read_figures"] = user.has_perm("analytics.view_analytics")
    if context["can_read_figures"]:
        context["tiles"] = tiles(now)
        context["charts"] = charts(now)
    if user.has_perm("maintenance.view_workorder"):
        context["due_this_week"] = due_this_week(now)
        context["due_link"] = _list("maintenance_workorder", due="week")
    if user.has_perm("inventory.view_part"):
        context["low_stock"] = list(
            low_stock_parts().order_by("quantity_on_hand", "part_number")[:LIST_LENGTH]
        )
        context["low_stock_link"] = _list("inventory_part", low_stock="yes")
    return context
