"""The asset register in the tenant admin. Every change goes through assets.services."""

from typing import Any

import segno
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from unfold.admin import TabularInline

from assets.choices import AlertStatus, AssetStatus
from assets.importing import AssetResource
from assets.links import request_url_for
from assets.models import (
    Alert,
    Asset,
    AssetDowntime,
    AssetLocationChange,
    Failure,
    Location,
    Meter,
    Threshold,
)
from assets.services import monitoring, registry, reliability
from core.admin_tools import ServiceAdmin, ThemedAdmin, ThemedImportExportMixin, apply_each


class ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LocationHistoryInline(ReadOnlyInline):
    model = AssetLocationChange
    fk_name = "asset"
    fields = (
        "moved_at",
        "location",
        "previous_location",
        "zone",
        "department",
        "moved_by",
        "notes",
    )
    readonly_fields = fields
    verbose_name_plural = "location history"
    per_page = 10
    tab = True


class MeterInline(ReadOnlyInline):
    model = Meter
    fields = ("name", "kind", "unit", "cumulative", "current_value", "last_reading_at", "recent")
    readonly_fields = fields
    tab = True
    verbose_name_plural = "meters and readings"

    @admin.display(description="Last readings")
    def recent(self, meter: Meter) -> str:
        readings = list(meter.readings.order_by("-reading_at", "-id")[:5]) if meter.pk else []
        if not readings:
            return "-"
        return format_html_join(
            "",
            "<div>{} &middot; {}</div>",
            ((f"{r.reading_at:%Y-%m-%d %H:%M}", r.value) for r in readings),
        )


class OpenAlertInline(ReadOnlyInline):
    model = Alert
    fields = ("raised_at", "severity", "status", "message", "occurrences")
    readonly_fields = fields
    verbose_name_plural = "open alerts"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        return super().get_queryset(request).exclude(status=AlertStatus.RESOLVED)


class DowntimeInline(ReadOnlyInline):
    model = AssetDowntime
    fields = ("status", "started_at", "ended_at", "hours_down", "reason")
    readonly_fields = fields
    per_page = 10
    tab = True
    verbose_name_plural = "downtime"

    @admin.display(description="Hours")
    def hours_down(self, obj: AssetDowntime) -> str:
        end = obj.ended_at or timezone.now()
        return f"{(end - obj.started_at).total_seconds() / 3600:.1f}"


def qr_svg(asset: Asset, *, scale: int) -> SafeString:
    """The asset's QR code as inline SVG, drawn here (segno): no request leaves the server."""
    code = segno.make(request_url_for(asset), error="m")
    # segno writes the SVG itself from the code's modules; nothing user-typed is in it.
    return mark_safe(code.svg_inline(scale=scale, border=2))  # noqa: S308


def _status_action(status: str, label: str) -> Any:
    def change(modeladmin: "AssetAdmin", request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        changed = 0
        for asset in queryset:
            registry.asset_change_status(
                by=request.user, asset=asset, status=status, reason="admin action"
            )
            changed += 1
        modeladmin.message_user(
            request, f"{changed} assets set to {label.lower()}.", messages.SUCCESS
        )

    change.__name__ = f"set_status_{status}"
    return admin.action(description=f"Set status: {label}", permissions=["change"])(change)


# The form shows every field a client may set (registry.ASSET_FIELDS): a field not
# placed in a named group lands in "Details", so a new one is never left off.
ASSET_SUMMARY = ("asset_id", "name", "asset_type", "status", "condition", "criticality")
ASSET_PLACE = ("parent", "children_list", "location", "department", "responsible_person")
ASSET_FINANCE = ("install_date", "purchase_cost")
ASSET_DETAILS = tuple(
    name
    for name in registry.ASSET_FIELDS
    if name not in {*ASSET_SUMMARY, *ASSET_PLACE, *ASSET_FINANCE}
)


@admin.register(Asset)
class AssetAdmin(ThemedImportExportMixin, ServiceAdmin):
    sidebar_icon = "precision_manufacturing"
    sidebar_order = 10
    resource_classes = [AssetResource]
    service_fields = registry.ASSET_FIELDS
    service_object = "asset"
    service_create = staticmethod(registry.asset_create)
    service_update = staticmethod(registry.asset_update)
    service_delete = staticmethod(registry.asset_delete)
    list_display = (
        "asset_id",
        "name",
        "asset_type",
        "status",
        "condition",
        "criticality",
        "parent_link",
        "location",
        "department",
    )
    list_filter = ("asset_type", "status", "condition", "criticality", "location", "department")
    search_fields = ("asset_id", "name", "serial_number", "manufacturer", "model", "tags")
    list_select_related = ("parent", "location")
    autocomplete_fields = ("parent", "location")
    readonly_fields = ("qr_code", "children_list", "created_at", "updated_at")
    inlines = [OpenAlertInline, MeterInline, LocationHistoryInline, DowntimeInline]
    actions = [_status_action(status, label) for status, label in AssetStatus.choices]
    fieldsets = (
        (None, {"fields": ASSET_SUMMARY}),
        ("Hierarchy and place", {"fields": ASSET_PLACE}),
        ("Details", {"fields": ASSET_DETAILS}),
        ("Finance", {"fields": ASSET_FINANCE}),
        ("Request QR code", {"fields": ("qr_code",)}),
        ("System", {"fields": ("created_at", "updated_at")}),
    )

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/qr/print/",
                self.admin_site.admin_view(self.qr_print),
                name="assets_asset_qr_print",
            )
        ]
        return extra + super().get_urls()

    @admin.display(description="QR code")
    def qr_code(self, obj: Asset) -> str:
        """What the label shows: scanning it opens the asset's request form on a phone."""
        if obj.pk is None:
            return "-"
        return format_html(
            '<div class="flex gap-4 items-center">{}<div><div class="mb-2">{}</div>'
            '<a class="underline" href="{}" target="_blank">Print label</a></div></div>',
            qr_svg(obj, scale=4),
            request_url_for(obj),
            reverse("admin:assets_asset_qr_print", args=[obj.pk]),
        )

    def qr_print(self, request: HttpRequest, pk: int) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        asset = get_object_or_404(Asset.objects.select_related("location"), pk=pk)
        return TemplateResponse(
            request,
            "admin/assets/asset/qr_print.html",
            {"asset": asset, "qr": qr_svg(asset, scale=10), "url": request_url_for(asset)},
        )

    @admin.display(description="Parent", ordering="parent__asset_id")
    def parent_link(self, obj: Asset) -> str:
        if obj.parent is None:
            return "-"
        return format_html(
            '<a href="../asset/{}/change/">{}</a>', obj.parent.pk, obj.parent.asset_id
        )

    @admin.display(description="Sub-assets")
    def children_list(self, obj: Asset) -> str:
        children = list(obj.children.order_by("asset_id")[:50]) if obj.pk else []
        if not children:
            return "-"
        return format_html(
            "<br>".join(['<a href="../../{}/change/">{} {}</a>'] * len(children)),
            *[value for child in children for value in (child.pk, child.asset_id, child.name)],
        )


@admin.register(Location)
class LocationAdmin(ServiceAdmin):
    sidebar_icon = "location_on"
    sidebar_order = 20
    list_display = ("path", "kind", "zone", "department", "latitude", "longitude")
    list_filter = ("kind",)
    search_fields = ("name", "path", "zone", "department")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)

    service_fields = registry.LOCATION_FIELDS
    service_object = "location"
    service_create = staticmethod(registry.location_create)
    service_update = staticmethod(registry.location_update)
    service_delete = staticmethod(registry.location_delete)


@admin.register(Alert)
class AlertAdmin(ThemedAdmin):
    sidebar_icon = "notifications_active"
    sidebar_order = 30
    list_display = (
        "raised_at",
        "asset",
        "severity",
        "status",
        "message",
        "occurrences",
        "last_seen_at",
    )
    list_filter = ("status", "severity", "source", "metric")
    search_fields = ("message", "asset__asset_id", "asset__name")
    list_select_related = ("asset",)
    date_hierarchy = "raised_at"
    actions = ["acknowledge", "resolve"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Alert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("assets.acknowledge_alert")

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("assets.resolve_alert")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Alerts are the record of what happened; they are resolved, not deleted.
        return False

    @admin.action(description="Acknowledge selected alerts", permissions=["acknowledge"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda a: monitoring.alert_acknowledge(by=request.user, alert=a),
            "Acknowledged",
        )

    @admin.action(description="Resolve selected alerts", permissions=["resolve"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda a: monitoring.alert_resolve(by=request.user, alert=a),
            "Resolved",
        )


@admin.register(Threshold)
class ThresholdAdmin(ServiceAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "rule"
    sidebar_order = 40
    list_display = ("metric", "operator", "value", "severity", "asset", "asset_type", "active")
    list_filter = ("metric", "severity", "asset_type", "active")
    autocomplete_fields = ("asset",)

    service_fields = monitoring.THRESHOLD_FIELDS
    service_object = "threshold"
    service_create = staticmethod(monitoring.threshold_create)
    service_update = staticmethod(monitoring.threshold_update)
    service_delete = staticmethod(monitoring.threshold_delete)


@admin.register(Failure)
class FailureAdmin(ServiceAdmin):
    sidebar_icon = "report"
    sidebar_order = 40
    list_display = ("occurred_at", "asset", "failure_mode", "downtime_hours", "work_order_id")
    list_filter = ("asset__asset_type", "asset__criticality")
    search_fields = ("failure_mode", "cause", "asset__asset_id", "asset__name")
    list_select_related = ("asset",)
    autocomplete_fields = ("asset",)
    date_hierarchy = "occurred_at"
    fields = ("asset", "occurred_at", "failure_mode", "cause", "remedy", "downtime_hours")

    service_fields = fields
    service_object = "failure"
    service_create = staticmethod(reliability.failure_record)
    service_delete = staticmethod(reliability.failure_delete)

    def has_change_permission(self, request, obj=None):
        # A failure is a fact: it is recorded, or deleted when recorded by mistake.
        return obj is None and super().has_change_permission(request, obj)
