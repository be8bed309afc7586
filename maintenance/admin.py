"""Work orders and requests in the tenant admin; every change goes through the services."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_tools import REFUSALS, ServiceAdmin, apply_each, form_action
from core.exceptions import describe
from core.models import User
from core.roles import WORKER_ROLES
from maintenance import services
from maintenance.choices import ACTIVE_STATUSES
from maintenance.events import payload_relations, slot_value
from maintenance.models import (
    Comment,
    LaborEntry,
    MaintenanceCalendar,
    MaintenanceEvent,
    MaintenanceSettings,
    OtherCost,
    PMSchedule,
    TemplatePart,
    TemplateStep,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
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


class ReadOnlyTabular(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(ReadOnlyTabular):
    model = WorkOrderStep
    fields = ("order", "title", "kind", "done", "result", "failed", "done_by")
    readonly_fields = fields


class PartInline(ReadOnlyTabular):
    model = WorkOrderPart
    fields = ("part", "description", "quantity_planned", "quantity_used", "unit_cost", "cost")
    readonly_fields = fields


class LaborInline(ReadOnlyTabular):
    model = LaborEntry
    fields = ("technician", "work_date", "hours", "rate", "cost", "notes")
    readonly_fields = fields


class OtherCostInline(ReadOnlyTabular):
    model = OtherCost
    fields = ("incurred_on", "category", "description", "amount")
    readonly_fields = fields


class CommentInline(ReadOnlyTabular):
    model = Comment
    fields = ("created_at", "author", "body")
    readonly_fields = fields


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, groups__name__in=WORKER_ROLES).distinct(),
        label="Assign to",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(WorkOrder)
class WorkOrderAdmin(ServiceAdmin):
    list_display = (
        "number",
        "title",
        "asset",
        "status",
        "priority",
        "work_type",
        "assigned_to",
        "due_at",
        "sla_badge",
        "total_cost",
    )
    list_filter = (
        "status",
        "priority",
        "work_type",
        OverdueFilter,
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
        "source",
    )
    search_fields = ("number", "title", "asset__asset_id", "asset__name")
    list_select_related = ("asset", "assigned_to")
    autocomplete_fields = ("asset",)
    date_hierarchy = "created_at"
    inlines = [StepInline, PartInline, LaborInline, OtherCostInline, CommentInline]
    actions = ["assign", "complete", "cancel"]
    fields = (
        "number",
        "title",
        "description",
        "asset",
        "work_type",
        "priority",
        "status",
        "assigned_to",
        "requested_by",
        ("scheduled_start", "scheduled_end"),
        "due_at",
        ("started_at", "completed_at"),
        "estimated_hours",
        "actual_hours",
        ("labor_cost", "parts_cost", "other_cost", "total_cost"),
        "source",
        "external_ref",
        "follow_up_of",
        "notes",
        "findings",
        "recommendations",
    )
    readonly_fields = (
        "number",
        "status",
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
    )

    service_fields = services.work_orders.WORK_ORDER_FIELDS
    service_object = "work_order"
    service_create = staticmethod(services.work_order_create)
    service_update = staticmethod(services.work_order_update)
    service_delete = staticmethod(services.work_order_delete)

    def after_save(self, obj: WorkOrder, saved: WorkOrder) -> None:
        obj.number = saved.number

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkOrder]:
        # The SLA column reads the payload's slots: load what they read with the page.
        return super().get_queryset(request).select_related(*payload_relations())

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
            '<span style="background:{};color:#fff;padding:1px 6px;border-radius:8px;'
            'font-size:11px">{}</span>',
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
class WorkRequestAdmin(ServiceAdmin):
    list_display = (
        "created_at",
        "title",
        "asset",
        "priority",
        "status",
        "channel",
        "requested_by",
        "reporter_name",
        "work_order",
    )
    list_filter = ("status", "priority", "channel")
    search_fields = ("title", "description", "reporter_name", "asset__asset_id")
    list_select_related = ("asset", "requested_by", "work_order")
    actions = ["approve", "reject"]

    service_object = "request"
    service_delete = staticmethod(requests.work_request_delete)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in WorkRequest._meta.fields]

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


class TemplateStepInline(admin.TabularInline):
    model = TemplateStep
    extra = 0


class TemplatePartInline(admin.TabularInline):
    model = TemplatePart
    extra = 0
    autocomplete_fields = ("part",)


@admin.register(WorkOrderTemplate)
class WorkOrderTemplateAdmin(ServiceAdmin):
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
class MaintenanceEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "summary", "asset", "work_order", "actor")
    list_filter = ("kind",)
    search_fields = ("summary", "asset__asset_id", "work_order__number")
    list_select_related = ("asset", "work_order", "actor")
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MaintenanceSettings)
class MaintenanceSettingsAdmin(ServiceAdmin):
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
