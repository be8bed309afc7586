"""Connections, their mappings and runs in the tenant admin; writes go through the services.

Credentials are a write-only field here as in the API: the form never shows what
is stored, and an empty field keeps it.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from unfold.admin import TabularInline

from cmms_sync.choices import COUNT_KEYS
from cmms_sync.models import Connection, FieldMapping, SyncRun
from cmms_sync.services import connections, mappings, runs
from core.admin_tools import REFUSALS, ServiceAdmin, ThemedAdmin, apply_each
from core.exceptions import describe


class ConnectionForm(forms.ModelForm):
    api_url = forms.URLField(max_length=500, assume_scheme="https")
    credentials = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            'upkeep {"email", "password"}; fiix {"app_key", "access_key", "secret_key"}; '
            'maximo, maintainx, generic_rest {"api_key"}. Stored encrypted and never shown '
            "again; leave empty to keep the current ones."
        ),
    )

    class Meta:
        model = Connection
        fields = (
            "cmms_type",
            "connection_name",
            "api_url",
            "options",
            "direction",
            "schedule_minutes",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Never put the stored credentials in the page.
        self.initial.pop("credentials", None)


class FieldMappingInline(TabularInline):
    model = FieldMapping
    extra = 0
    fields = ("entity", "external_field", "internal_field", "transform", "map", "required")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(ServiceAdmin):
    form = ConnectionForm
    list_display = (
        "connection_name",
        "cmms_type",
        "direction",
        "schedule_minutes",
        "active",
        "health",
        "last_synced_at",
    )
    list_filter = ("cmms_type", "direction", "active", "health")
    search_fields = ("connection_name", "api_url")
    inlines = [FieldMappingInline]
    actions = ["sync_now", "test_connection", "release_pending_creations"]

    service_fields = (
        "cmms_type",
        "connection_name",
        "api_url",
        "credentials",
        "options",
        "direction",
        "schedule_minutes",
        "active",
    )
    service_object = "connection"
    service_create = staticmethod(connections.connection_create)
    service_update = staticmethod(connections.connection_update)
    service_delete = staticmethod(connections.connection_delete)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [*self.service_fields]
        if obj is not None:
            fields += ["health", "health_detail", "last_synced_at", "last_pushed_at"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        status = ("health", "health_detail", "last_synced_at", "last_pushed_at")
        return ("cmms_type", *status) if obj is not None else status

    def service_data(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        data = super().service_data(form, change)
        if not data.get("credentials"):
            data.pop("credentials", None)  # empty means "keep what is stored"
        if data.get("options") is None:
            data.pop("options", None)
        return data

    def has_sync_now_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cmms_sync.sync_connection")

    def has_test_connection_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cmms_sync.change_connection")

    @admin.action(
        description="Sync now (everything, both ways as configured)", permissions=["sync_now"]
    )
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        apply_each(
            self,
            request,
            queryset,
            lambda c: runs.run_request(by=request.user, connection=c, entity="all"),
            "Sync queued",
        )

    def has_release_pending_creations_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cmms_sync.change_connection")

    @admin.action(
        description="Send again the creations whose answers were lost (checked at the vendor)",
        permissions=["release_pending_creations"],
    )
    def release_pending_creations(
        self, request: HttpRequest, queryset: QuerySet[Connection]
    ) -> None:
        for connection in queryset:
            try:
                released = connections.connection_pending_creations_release(
                    by=request.user, connection=connection
                )
            except REFUSALS as exc:
                self.message_user(request, f"{connection}: {describe(exc)}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{connection}: {released} creation(s) will be sent again by the next push.",
                messages.SUCCESS,
            )

    @admin.action(description="Test the connection", permissions=["test_connection"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            ok, detail = connections.connection_test(connection=connection)
            self.message_user(
                request, f"{connection}: {detail}", messages.SUCCESS if ok else messages.ERROR
            )


@admin.register(FieldMapping)
class FieldMappingAdmin(ServiceAdmin):
    list_display = ("connection", "entity", "internal_field", "external_field", "transform")
    list_filter = ("entity", "transform", ("connection", admin.RelatedOnlyFieldListFilter))
    search_fields = ("external_field", "internal_field")
    list_select_related = ("connection",)

    service_fields = mappings.MAPPING_FIELDS
    service_object = "mapping"
    service_create = staticmethod(mappings.field_mapping_create)
    service_update = staticmethod(mappings.field_mapping_update)
    service_delete = staticmethod(mappings.field_mapping_delete)


@admin.register(SyncRun)
class SyncRunAdmin(ThemedAdmin):
    """The record of each run and of each record that failed in it."""

    list_display = (
        "id",
        "connection",
        "entity",
        "direction",
        "status",
        "count_summary",
        "created_at",
        "finished_at",
    )
    list_filter = (
        "status",
        "entity",
        "direction",
        ("connection", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("connection",)
    date_hierarchy = "created_at"
    fields = (
        "connection",
        "entity",
        "direction",
        "force_sync",
        "status",
        "detail",
        "count_summary",
        "error_list",
        "requested_by",
        "started_at",
        "finished_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Counts")
    def count_summary(self, obj: SyncRun) -> str:
        counts = obj.counts or {}
        return ", ".join(f"{key} {counts.get(key, 0)}" for key in COUNT_KEYS)

    @admin.display(description="Failed records")
    def error_list(self, obj: SyncRun) -> str:
        if not obj.errors:
            return "-"
        return format_html_join(
            "\n",
            "<div><code>{}</code> {}</div>",
            ((e.get("external_id", ""), e.get("error", "")) for e in obj.errors),
        )
