"""What a work order's change page edits under it: checklist, parts, labor, costs, comments
and files. Every row is written by a maintenance service, never by the formset itself."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline

from core.admin_tools import REFUSALS
from core.exceptions import describe
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


class ServiceInline(TabularInline):
    extra = 0
    can_delete = False
    form = ServiceInlineForm
    # One tab each beside the work order's own fields: the page stays one screen long.
    tab = True

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

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    @admin.display(description="Preview")
    def preview(self, attachment: Attachment) -> str:
        return attachment_preview(attachment)


# --- Writing what the formsets hold, through the services -----------------------------------


def save_inline_rows(
    model_admin: Any, request: HttpRequest, work_order: WorkOrder, formset: Any
) -> None:
    """Apply each new, changed or deleted row through its service; report refusals."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    handler = _HANDLERS.get(formset.model)
    if handler is None or work_order.pk is None:
        return
    for form in formset.forms:
        if not form.has_changed() and not _deleting(formset, form):
            continue
        try:
            handler(request.user, work_order, form, _deleting(formset, form))
        except REFUSALS as exc:
            model_admin.message_user(
                request, f"{formset.model._meta.verbose_name}: {describe(exc)}", messages.ERROR
            )


def _deleting(formset: Any, form: forms.ModelForm) -> bool:
    return bool(formset.can_delete and form.instance.pk and form.cleaned_data.get("DELETE", False))


def _step(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    data = form.cleaned_data
    step = form.instance
    if delete:
        services.step_delete(by=by, step=step)
    elif step.pk is None:
        services.step_add(
            by=by,
            work_order=work_order,
            title=data["title"],
            kind=data["kind"],
            order=data.get("order") or None,
        )
    else:
        changed = set(form.changed_data)
        services.step_record(
            by=by,
            step=step,
            done=data.get("done") if "done" in changed else None,
            result=data.get("result") if "result" in changed else None,
            notes=data.get("notes") if "notes" in changed else None,
        )


def _part(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    if form.instance.pk is not None:
        return
    data = form.cleaned_data
    services.work_order_part_plan(
        by=by,
        work_order=work_order,
        part=data.get("part"),
        quantity=data["quantity_planned"],
        description=data.get("description") or "",
        unit_cost=data.get("unit_cost"),
    )


def _labor(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    if form.instance.pk is not None:
        return
    data = form.cleaned_data
    services.labor_add(
        by=by,
        work_order=work_order,
        technician=data.get("technician"),
        hours=Decimal(data["hours"]),
        rate=data.get("rate"),
        work_date=data.get("work_date"),
        notes=data.get("notes") or "",
    )


def _other_cost(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    if form.instance.pk is not None:
        return
    data = form.cleaned_data
    services.other_cost_add(
        by=by,
        work_order=work_order,
        description=data["description"],
        amount=data["amount"],
        category=data["category"],
        incurred_on=data.get("incurred_on"),
    )


def _comment(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    if form.instance.pk is None:
        services.comment_add(by=by, work_order=work_order, body=form.cleaned_data["body"])


def _attachment(by: Any, work_order: WorkOrder, form: forms.ModelForm, delete: bool) -> None:
    if delete:
        services.attachment_delete(by=by, attachment=form.instance)
    elif form.instance.pk is None and form.cleaned_data.get("file"):
        services.attachment_add(by=by, upload=form.cleaned_data["file"], work_order=work_order)


_HANDLERS = {
    WorkOrderStep: _step,
    WorkOrderPart: _part,
    LaborEntry: _labor,
    OtherCost: _other_cost,
    Comment: _comment,
    Attachment: _attachment,
}
