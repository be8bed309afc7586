"""SLA policies and violations in the tenant admin; saves go through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin_tools import ServiceAdmin, ThemedAdmin
from sla.models import Policy, Violation
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
