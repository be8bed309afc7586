"""SLA policies and violations in the tenant admin; saves go through the services."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.admin_tools import ServiceAdmin, ThemedAdmin
from maintenance.choices import ACTIVE_STATUSES
from maintenance.models import WorkOrder
from sla.models import Policy, Violation
from sla.selectors import breaching_soon
from sla.services import policies


@admin.register(Policy)
class PolicyAdmin(ServiceAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "timer"
    sidebar_order = 30
    list_display = (
        "name",
        "priority",
        "work_type",
        "asset_criticality",
        "response_minutes",
        "resolution_minutes",
        "calendar",
        "pause_on_hold",
        "active",
    )
    list_filter = ("active", "priority", "work_type", "asset_criticality", "pause_on_hold")
    search_fields = ("name",)
    list_select_related = ("calendar",)

    service_fields = policies.POLICY_FIELDS
    service_object = "policy"
    service_create = staticmethod(policies.policy_create)
    service_update = staticmethod(policies.policy_update)
    service_delete = staticmethod(policies.policy_delete)


@admin.register(Violation)
class ViolationAdmin(ThemedAdmin):
    sidebar_group = "Reports"
    sidebar_icon = "assignment_late"
    sidebar_order = 40
    """Breached clocks, as the monitor recorded them; nothing here is edited by hand."""

    list_display = (
        "crossed_at",
        "work_order",
        "clock",
        "due_at",
        "policy",
        "escalation_level",
    )
    list_filter = ("clock", "escalation_level", "policy")
    search_fields = ("work_order__number", "work_order__title")
    list_select_related = ("work_order", "policy")
    date_hierarchy = "crossed_at"
    readonly_fields = (
        "work_order",
        "policy",
        "clock",
        "due_at",
        "crossed_at",
        "escalation_level",
        "next_escalation_at",
    )
    exclude = ("kind",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlaStateFilter(admin.SimpleListFilter):
    """On the work order list: the work about to breach its SLA, and the work that did."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("warning", "Breaching soon"), ("breached", "Breached (still open)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "warning":
            return queryset.filter(breaching_soon(now, prefix="sla_clock__"))
        if self.value() == "breached":
            late = Q(sla_clock__responded_at__isnull=True, sla_clock__response_due_at__lte=now) | Q(
                sla_clock__resolved_at__isnull=True, sla_clock__resolution_due_at__lte=now
            )
            return queryset.filter(late, status__in=ACTIVE_STATUSES)
        return queryset


def _add_sla_filter_to_work_orders() -> None:
    # Maintenance sits below the SLA app and cannot name its clocks itself.
    work_orders = admin.site._registry.get(WorkOrder)
    if work_orders is not None and SlaStateFilter not in work_orders.list_filter:
        work_orders.list_filter = (*work_orders.list_filter, SlaStateFilter)


_add_sla_filter_to_work_orders()
