"""What a work order's change page edits under it: checklist, parts, labor, costs, comments
and files. Every row is written by a maintenance service, never by the formset itself."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline

from core.admin_tools import ServiceInlineMixin
from maintenance import services
from maintenance.models import (
    Attachment,
    Comment,
    LaborEntry,
    OtherCost,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
)


class ServiceInlineForm(forms.ModelForm):
    """A row already saved keeps only ``editable_when_saved`` open: the rest is history."""

    editable_when_saved: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self._meta.fields or ():
                if name in self.fields and name not in self.editable_when_saved:
                    self.fields[name].disabled = True


class ServiceInline(ServiceInlineMixin, TabularInline):
    extra = 0
    can_delete = False
    form = ServiceInlineForm
    # One tab each beside the work order's own fields: the page stays one screen long.
    tab = True
    service_parent = "work_order"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _open_for_work(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _open_for_work(obj) and super().has_add_permission(request, obj)


def _open_for_work(work_order: WorkOrder | None) -> bool:
    return work_order is not None and work_order.status != "cancelled"


class StepForm(ServiceInlineForm):
    editable_when_saved = ("done", "result", "notes")

    class Meta:
        model = WorkOrderStep
        fields = ("order", "title", "kind", "done", "result", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        if self.instance.pk:
            self.fields["result"].help_text = {
                "inspection": "pass, fail or n_a",
                "number": _range(self.instance),
                "meter": "the reading",
            }.get(self.instance.kind, "")

    def clean_order(self) -> int | None:
        # 0 is the model's default, not a place: like no order, it puts the step last.
        return self.cleaned_data.get("order") or None


def _range(step: WorkOrderStep) -> str:
    low, high = step.expected_min, step.expected_max
    if low is None and high is None:
        return "a number"
    return f"{low if low is not None else '…'} to {high if high is not None else '…'} {step.unit}"


class StepInline(ServiceInline):
    model = WorkOrderStep
    form = StepForm
    fields = ("order", "title", "kind", "done", "result", "notes", "failed", "done_by")
    readonly_fields = ("failed", "done_by")
    can_delete = True
    verbose_name_plural = "checklist"
    service_object = "step"
    service_fields = ("title", "kind", "order")
    service_update_fields = StepForm.editable_when_saved
    service_create = staticmethod(services.step_add)
    service_update = staticmethod(services.step_record)
    service_delete = staticmethod(services.step_delete)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _not_closed(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _not_closed(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _not_closed(obj) and super().has_delete_permission(request, obj)


def _not_closed(work_order: WorkOrder | None) -> bool:
    return work_order is not None and work_order.status not in ("completed", "cancelled")


class PartForm(ServiceInlineForm):
    class Meta:
        model = WorkOrderPart
        fields = ("part", "description", "quantity_planned", "unit_cost")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity_planned"].required = False
        self.fields["unit_cost"].help_text = "Non-stock items only."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.instance.pk and self.has_changed() and not data.get("quantity_planned"):
            self.add_error("quantity_planned", "Plan a quantity above zero.")
        return data


class PartInline(ServiceInline):
    model = WorkOrderPart
    form = PartForm
    fields = ("part", "description", "quantity_planned", "unit_cost", "quantity_used", "cost")
    readonly_fields = ("quantity_used", "cost")
    autocomplete_fields = ("part",)
    verbose_name_plural = "parts (planned and used)"
    service_fields = ("part", "description", "quantity_planned", "unit_cost")
    service_keywords = {"quantity_planned": "quantity"}
    service_create = staticmethod(services.work_order_part_plan)


class LaborForm(ServiceInlineForm):
    class Meta:
        model = LaborEntry
        fields = ("technician", "work_date", "hours", "rate", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].required = False
        self.fields["rate"].help_text = "Empty: the person's rate, else the tenant's."
        self.fields["work_date"].required = False


class LaborInline(ServiceInline):
    model = LaborEntry
    form = LaborForm
    fields = ("technician", "work_date", "hours", "rate", "cost", "notes")
    readonly_fields = ("cost",)
    verbose_name_plural = "labor"
    service_fields = ("technician", "work_date", "hours", "rate", "notes")
    service_create = staticmethod(services.labor_add)


class OtherCostForm(ServiceInlineForm):
    class Meta:
        model = OtherCost
        fields = ("incurred_on", "category", "description", "amount")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incurred_on"].required = False


class OtherCostInline(ServiceInline):
    model = OtherCost
    form = OtherCostForm
    fields = ("incurred_on", "category", "description", "amount")
    verbose_name_plural = "other costs"
    service_fields = ("incurred_on", "category", "description", "amount")
    service_create = staticmethod(services.other_cost_add)


class CommentForm(ServiceInlineForm):
    class Meta:
        model = Comment
        fields = ("body",)
        widgets = {"body": forms.Textarea(attrs={"rows": 2})}


class CommentInline(ServiceInline):
    model = Comment
    form = CommentForm
    fields = ("created_at", "author", "body")
    readonly_fields = ("created_at", "author")
    service_fields = ("body",)
    service_create = staticmethod(services.comment_add)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A cancelled job may still be talked about.
        return obj is not None and request.user.has_perm("maintenance.view_workorder")


class AttachmentForm(ServiceInlineForm):
    class Meta:
        model = Attachment
        fields = ("file",)


def attachment_url(attachment: Attachment) -> str:
    return reverse("admin:maintenance_attachment_file", args=[attachment.pk])


def attachment_preview(attachment: Attachment | None) -> str:
    if attachment is None or attachment.pk is None:
        return "-"
    url = attachment_url(attachment)
    if attachment.content_type.startswith("image/"):
        return format_html(
            '<a href="{}" target="_blank"><img src="{}" alt="{}" class="cmms-preview"></a>',
            url,
            url,
            attachment.name,
        )
    return format_html('<a href="{}" target="_blank">{}</a>', url, attachment.name)


class AttachmentInline(ServiceInline):
    model = Attachment
    fk_name = "work_order"
    form = AttachmentForm
    fields = ("preview", "file", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = ("preview", "content_type", "size", "uploaded_by", "created_at")
    can_delete = True
    verbose_name_plural = "attachments (photos and documents)"
    service_object = "attachment"
    service_fields = ("file",)
    service_keywords = {"file": "upload"}
    service_create = staticmethod(services.attachment_add)
    service_delete = staticmethod(services.attachment_delete)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    @admin.display(description="Preview")
    def preview(self, attachment: Attachment) -> str:
        return attachment_preview(attachment)
