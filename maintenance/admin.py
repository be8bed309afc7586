"""Work orders and requests in the tenant admin; every change goes through the services."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import TabularInline

from assets.models import Asset
from core.admin_site import add_page
from core.admin_tools import REFUSALS, ReadOnlyAdmin, ServiceAdmin, apply_each, form_action
from core.exceptions import describe
from core.models import User
from core.roles import WORKER_ROLES
from maintenance import services
from maintenance.admin_calendar import calendar_view
from maintenance.admin_inlines import (
    AttachmentInline,
    CommentInline,
    LaborInline,
    OtherCostInline,
    PartInline,
    StepInline,
    attachment_preview,
)
from maintenance.admin_workflow import WorkOrderMovesMixin, WorkRequestReviewMixin
from maintenance.choices import ACTIVE_STATUSES, WorkType
from maintenance.events import payload_relations, slot_value
from maintenance.models import (
    Attachment,
    MaintenanceCalendar,
    MaintenanceEvent,
    MaintenanceSettings,
    PMSchedule,
    TemplatePart,
    TemplateStep,
    WorkOrder,
    WorkOrderTemplate,
    WorkRequest,
)
from maintenance.pm import calendars, generation, schedules
from maintenance.pm import selectors as pm_selectors
from maintenance.services import maintenance_settings, requests, templates

# The states of a work order's `sla` slot (filled by the SLA app), as badge colours.
SLA_BADGE_COLOURS = {
    "breached": "#ba2121",
    "warning": "#d97706",
    "ok": "#2e7d32",
    "met": "#607d8b",
    "paused": "#546e7a",
}


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        late = {"due_at__lt": timezone.now(), "status__in": ACTIVE_STATUSES}
        if self.value() == "yes":
            return queryset.filter(**late)
        if self.value() == "no":
            return queryset.exclude(**late)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    title = "open work"
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Open (not completed or cancelled)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        if self.value() == "yes":
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset


class BreakdownFilter(admin.SimpleListFilter):
    """Corrective and emergency work: what MTTR is measured on."""

    title = "breakdowns"
    parameter_name = "breakdown"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Corrective and emergency")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        if self.value() == "yes":
            return queryset.filter(work_type__in=(WorkType.CORRECTIVE, WorkType.EMERGENCY))
        return queryset


class DueFilter(admin.SimpleListFilter):
    """Open work due today, this week, or this month: the dashboard's and calendar's lists."""

    title = "due"
    parameter_name = "due"
    SPANS = {"today": 1, "week": 7, "month": 31}

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("today", "Due today"), ("week", "Due within 7 days"), ("month", "Within 31 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        days = self.SPANS.get(self.value() or "")
        if days is None:
            return queryset
        now = timezone.now()
        return queryset.filter(
            status__in=ACTIVE_STATUSES, due_at__gte=now, due_at__lt=now + timedelta(days=days)
        )


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, groups__name__in=WORKER_ROLES).distinct(),
        label="Assign to",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(WorkOrder)
class WorkOrderAdmin(WorkOrderMovesMixin, ServiceAdmin):
    sidebar_icon = "assignment"
    sidebar_order = 10
    # What a manager scans at 1,280 px: the rest is one click away, on the work order.
    list_display = (
        "number",
        "short_title",
        "asset_code",
        "status_label",
        "priority_label",
        "assigned_to",
        "due",
        "sla_badge",
        "total_cost",
    )
    list_display_links = ("number", "short_title")
    list_fullwidth = True
    list_per_page = 50
    list_filter = (
        "status",
        "priority",
        "work_type",
        OpenFilter,
        OverdueFilter,
        DueFilter,
        BreakdownFilter,
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        "source",
    )
    search_fields = ("number", "title", "asset__asset_id", "asset__name")
    list_select_related = ("asset", "assigned_to")
    autocomplete_fields = ("asset",)
    date_hierarchy = "created_at"
    inlines = [
        StepInline,
        PartInline,
        LaborInline,
        OtherCostInline,
        CommentInline,
        AttachmentInline,
    ]
    actions = ["assign", "complete", "cancel"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("number", "status", "sla_badge"),
                    "title",
                    "description",
                    "asset",
                    ("work_type", "priority"),
                    ("assigned_to", "requested_by"),
                )
            },
        ),
        (
            "Schedule",
            {
                "fields": (
                    "scheduled_start",
                    "scheduled_end",
                    ("due_at", "estimated_hours"),
                    "reported_at",
                    "failed_at",
                    ("started_at", "completed_at"),
                    "stops_asset",
                )
            },
        ),
        (
            "Cost",
            {
                "fields": (
                    ("actual_hours", "labor_cost"),
                    ("parts_cost", "other_cost"),
                    "total_cost",
                )
            },
        ),
        (
            "Outcome",
            {
                "fields": (
                    "notes",
                    "findings",
                    "recommendations",
                    ("hold_reason", "cancel_reason"),
                    ("source", "external_ref", "follow_up_of"),
                )
            },
        ),
    )
    readonly_fields = (
        "number",
        "status",
        "sla_badge",
        "assigned_to",
        "started_at",
        "completed_at",
        "actual_hours",
        "labor_cost",
        "parts_cost",
        "other_cost",
        "total_cost",
        "source",
        "follow_up_of",
        "notes",
        "findings",
        "recommendations",
        "hold_reason",
        "cancel_reason",
    )

    service_fields = services.work_orders.WORK_ORDER_FIELDS
    service_object = "work_order"
    service_create = staticmethod(services.work_order_create)
    service_update = staticmethod(services.work_order_update)
    service_delete = staticmethod(services.work_order_delete)

    def after_save(self, obj: WorkOrder, saved: WorkOrder) -> None:
        obj.number = saved.number

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            # A new work order: what it is about; moves and costs come once it exists.
            return ((None, {"fields": services.work_orders.WORK_ORDER_FIELDS}),)
        return super().get_fieldsets(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return self.inlines if obj is not None else []

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "calendar/",
                self.admin_site.admin_view(self.calendar),
                name="maintenance_workorder_calendar",
            ),
            path(
                "attachment/<int:pk>/",
                self.admin_site.admin_view(self.attachment_file),
                name="maintenance_attachment_file",
            ),
        ]
        return extra + super().get_urls()

    def calendar(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return calendar_view(self, request)

    def attachment_file(self, request: HttpRequest, pk: int) -> FileResponse:
        """A photo or document of a work order or request, for those who may see them."""
        if not (
            self.has_view_permission(request)
            or request.user.has_perm("maintenance.view_workrequest")
        ):
            raise PermissionDenied
        attachment = get_object_or_404(Attachment, pk=pk)
        try:
            handle = attachment.file.open("rb")
        except OSError as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=attachment.content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{attachment.name.replace(chr(34), "")}"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.display(description="Title", ordering="title")
    def short_title(self, obj: WorkOrder) -> str:
        return obj.title if len(obj.title) <= 48 else obj.title[:47] + "…"

    # Plain spans, not a template per cell: a page of 50 work orders renders in a blink.
    @admin.display(description="Status", ordering="status")
    def status_label(self, obj: WorkOrder) -> str:
        return format_html(
            '<span class="cmms-label cmms-status-{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description="Priority", ordering="priority")
    def priority_label(self, obj: WorkOrder) -> str:
        return format_html(
            '<span class="cmms-label cmms-priority-{}">{}</span>',
            obj.priority,
            obj.get_priority_display(),
        )

    @admin.display(description="Due", ordering="due_at")
    def due(self, obj: WorkOrder) -> str:
        if obj.due_at is None:
            return "-"
        late = obj.status in ACTIVE_STATUSES and obj.due_at < timezone.now()
        text = timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        return format_html('<span class="cmms-late">{}</span>', text) if late else text

    @admin.display(description="Asset", ordering="asset__asset_id")
    def asset_code(self, obj: WorkOrder) -> str:
        return obj.asset.asset_id if obj.asset else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkOrder]:
        # The SLA column reads the payload's slots: load what they read with the page. (A
        # queryset that already selects related rows makes the list skip its own
        # list_select_related, hence both here.)
        return (
            super()
            .get_queryset(request)
            .select_related(*payload_relations(), *self.list_select_related)
        )

    @admin.display(description="SLA")
    def sla_badge(self, obj: WorkOrder) -> str:
        """The worse of the two SLA clocks, coloured: what is about to breach stands out."""
        sla = slot_value("sla", obj, timezone.now())
        if not sla:
            return "-"
        states = {sla["response_state"], sla["resolution_state"]}
        state = next(s for s in ("breached", "warning", "ok", "met") if s in states)
        if sla["paused"] and state != "breached":
            state = "paused"
        return format_html(
            '<span class="cmms-badge" style="background:{}">{}</span>',
            SLA_BADGE_COLOURS[state],
            state,
        )

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.assign_workorder")

    def has_complete_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.complete_workorder")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.cancel_workorder")

    @admin.action(description="Assign selected work orders", permissions=["assign"])
    def assign(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> HttpResponse | None:
        def assign(work_order: WorkOrder, data: dict[str, Any]) -> None:
            services.work_order_assign(
                by=request.user, work_order=work_order, assigned_to=data["assigned_to"]
            )

        return form_action(
            self,
            request,
            queryset,
            form_class=AssignForm,
            title="Assign work orders",
            apply=assign,
            done="Assigned",
        )

    @admin.action(description="Complete selected work orders", permissions=["complete"])
    def complete(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> None:
        def complete(work_order: WorkOrder) -> None:
            services.work_order_complete(by=request.user, work_order=work_order)

        apply_each(self, request, queryset, complete, "Completed")

    @admin.action(description="Cancel selected work orders", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[WorkOrder]) -> HttpResponse | None:
        def cancel(work_order: WorkOrder, data: dict[str, Any]) -> None:
            services.work_order_cancel(
                by=request.user, work_order=work_order, reason=data["reason"]
            )

        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Cancel work orders",
            apply=cancel,
            done="Cancelled",
        )


@admin.register(WorkRequest)
class WorkRequestAdmin(WorkRequestReviewMixin, ServiceAdmin):
    sidebar_icon = "inbox"
    sidebar_order = 20
    list_display = (
        "created_at",
        "title",
        "asset",
        "priority",
        "status",
        "channel",
        "reporter",
        "photo_count",
        "work_order",
    )
    list_fullwidth = True
    list_filter = ("status", "priority", "channel")
    search_fields = ("title", "description", "reporter_name", "asset__asset_id")
    list_select_related = ("asset", "requested_by", "work_order")
    actions = ["approve", "reject"]

    service_object = "request"
    service_delete = staticmethod(requests.work_request_delete)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in WorkRequest._meta.fields] + ["photos"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["photos", *(field.name for field in WorkRequest._meta.fields)]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkRequest]:
        return super().get_queryset(request).annotate(photo_total=Count("photos"))

    @admin.display(description="Photos")
    def photos(self, obj: WorkRequest) -> str:
        shown = [attachment_preview(photo) for photo in obj.photos.all()] if obj.pk else []
        return format_html_join(" ", "{}", ((html,) for html in shown)) if shown else "-"

    @admin.display(description="Photos", ordering="photo_total")
    def photo_count(self, obj: WorkRequest) -> int:
        return getattr(obj, "photo_total", 0)

    @admin.display(description="From")
    def reporter(self, obj: WorkRequest) -> str:
        return str(obj.requested_by or obj.reporter_name or "-")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.review_workrequest")

    @admin.action(description="Approve into work orders", permissions=["review"])
    def approve(self, request: HttpRequest, queryset: QuerySet[WorkRequest]) -> None:
        def approve(work_request: WorkRequest) -> None:
            services.work_request_approve(by=request.user, request=work_request)

        apply_each(self, request, queryset, approve, "Approved")

    @admin.action(description="Reject selected requests", permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[WorkRequest]) -> HttpResponse | None:
        def reject(work_request: WorkRequest, data: dict[str, Any]) -> None:
            services.work_request_reject(
                by=request.user, request=work_request, reason=data["reason"]
            )

        return form_action(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject requests",
            apply=reject,
            done="Rejected",
        )


class TemplateStepInline(TabularInline):
    model = TemplateStep
    extra = 0


class TemplatePartInline(TabularInline):
    model = TemplatePart
    extra = 0
    autocomplete_fields = ("part",)


@admin.register(WorkOrderTemplate)
class WorkOrderTemplateAdmin(ServiceAdmin):
    sidebar_group = "Planning"
    sidebar_icon = "content_copy"
    sidebar_order = 30
    list_display = ("name", "work_type", "priority", "estimated_hours", "estimated_cost", "active")
    list_filter = ("work_type", "active")
    search_fields = ("name",)
    inlines = [TemplateStepInline, TemplatePartInline]

    service_fields = templates.TEMPLATE_FIELDS
    service_object = "template"
    service_create = staticmethod(templates.template_create)
    service_update = staticmethod(templates.template_update)
    service_delete = staticmethod(templates.template_delete)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The checklist and the parts are replaced as whole lists through the service."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not formset.has_changed() or form.instance.pk is None:
            return
        kept = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if formset.model is TemplateStep:
            lists = {
                "steps": [
                    {k: v for k, v in row.items() if k in templates.STEP_FIELDS} for row in kept
                ]
            }
        else:
            lists = {"parts": [{"part": row["part"], "quantity": row["quantity"]} for row in kept]}
        try:
            templates.template_update(by=request.user, template=form.instance, **lists)
        except REFUSALS as exc:
            self.message_user(request, describe(exc), messages.ERROR)


@admin.register(MaintenanceEvent)
class MaintenanceEventAdmin(ReadOnlyAdmin):
    sidebar_group = "Reports"
    sidebar_icon = "manage_history"
    list_display = ("occurred_at", "kind", "summary", "asset", "work_order", "actor")
    list_filter = ("kind",)
    search_fields = ("summary", "asset__asset_id", "work_order__number")
    list_select_related = ("asset", "work_order", "actor")
    date_hierarchy = "occurred_at"


@admin.register(MaintenanceSettings)
class MaintenanceSettingsAdmin(ServiceAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "tune"
    sidebar_order = 20
    list_display = ("__str__", "default_labor_rate", "updated_at")

    service_fields = maintenance_settings.SETTINGS_FIELDS
    service_object = "settings"
    service_create = staticmethod(maintenance_settings.maintenance_settings_update)
    service_update = staticmethod(maintenance_settings.maintenance_settings_update)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MaintenanceSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MaintenanceCalendar)
class MaintenanceCalendarAdmin(ServiceAdmin):
    sidebar_group = "Planning"
    sidebar_icon = "schedule"
    sidebar_order = 40
    list_display = ("name", "timezone", "days", "working_hours", "holiday_count")
    search_fields = ("name",)

    service_fields = calendars.CALENDAR_FIELDS
    service_object = "calendar"
    service_create = staticmethod(calendars.calendar_create)
    service_update = staticmethod(calendars.calendar_update)
    service_delete = staticmethod(calendars.calendar_delete)

    @admin.display(description="Working days")
    def days(self, obj: MaintenanceCalendar) -> str:
        names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        return ", ".join(names[d] for d in sorted(obj.working_days))

    @admin.display(description="Holidays")
    def holiday_count(self, obj: MaintenanceCalendar) -> int:
        return len(obj.holidays)


@admin.register(PMSchedule)
class PMScheduleAdmin(ServiceAdmin):
    sidebar_group = "Planning"
    sidebar_icon = "event_repeat"
    sidebar_order = 10
    list_display = (
        "name",
        "trigger_type",
        "frequency",
        "schedule_mode",
        "next_due_at",
        "last_generated_at",
        "active",
    )
    list_filter = ("trigger_type", "active", "schedule_mode", "maintenance_type")
    search_fields = ("name", "description")
    autocomplete_fields = ("assets",)
    readonly_fields = ("next_due_at", "last_generated_at", "forecast")
    actions = ["generate_now"]

    service_fields = (*schedules.SCHEDULE_FIELDS, "assets")
    service_object = "schedule"
    service_create = staticmethod(schedules.schedule_create)
    service_update = staticmethod(schedules.schedule_update)
    service_delete = staticmethod(schedules.schedule_delete)

    def service_data(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        data = super().service_data(form, change)
        if "assets" in data:
            data["assets"] = list(data["assets"])
        return data

    def has_generate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("maintenance.generate_pmschedule")

    @admin.display(description="Next 90 days")
    def forecast(self, obj: PMSchedule) -> str:
        if obj.pk is None:
            return "-"
        items = pm_selectors.schedule_forecast(
            obj, until=timezone.now() + timedelta(days=90), limit=50
        )
        if not items:
            return "Nothing foreseeable."
        return format_html_join(
            "",
            "<div>{} &middot; {}</div>",
            ((f"{i.due:%Y-%m-%d %H:%M} UTC", i.asset_id) for i in items),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The schedule's assets were set by the service.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Generate due work orders now", permissions=["generate"])
    def generate_now(self, request: HttpRequest, queryset: QuerySet[PMSchedule]) -> None:
        created = sum(
            len(generation.pm_generate(by=request.user, schedule=schedule).created)
            for schedule in queryset
        )
        self.message_user(request, f"{created} work orders created.", messages.SUCCESS)


class AssetWorkOrderInline(TabularInline):
    """The asset's work order history, newest first, on the asset's page."""

    model = WorkOrder
    fk_name = "asset"
    fields = ("number", "title", "work_type", "status", "completed_at", "total_cost")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    per_page = 10
    tab = True
    ordering = ("-created_at",)
    verbose_name_plural = "work order history"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _add_history_to_assets() -> None:
    # The asset register sits below maintenance and cannot name work orders itself.
    asset_admin = admin.site._registry.get(Asset)
    if asset_admin is not None and AssetWorkOrderInline not in asset_admin.inlines:
        asset_admin.inlines = [AssetWorkOrderInline, *asset_admin.inlines]


_add_history_to_assets()
add_page(
    "Planning",
    "Calendar",
    "maintenance_workorder_calendar",
    icon="calendar_month",
    order=0,
    allowed=lambda request: request.user.has_perm("maintenance.view_workorder"),
)
