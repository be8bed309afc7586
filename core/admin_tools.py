"""Pieces every app's admin uses so that saves, deletes and actions go through services."""

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from import_export.admin import ImportExportMixin
from import_export.results import RowResult
from unfold.admin import ModelAdmin
from unfold.contrib.import_export.forms import ExportForm, ImportForm

from core.exceptions import Conflict, Forbidden, InvalidInput, describe

REFUSALS = (Conflict, Forbidden, InvalidInput)


def apply_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    apply: Callable[[Any], Any],
    done: str,
) -> None:
    """Run a service on each selected object; report the successes and each refusal."""
    succeeded = 0
    for obj in queryset:
        try:
            apply(obj)
        except REFUSALS as exc:
            modeladmin.message_user(request, f"{obj}: {describe(exc)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)


def form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[Any, dict[str, Any]], Any],
    done: str,
) -> TemplateResponse | None:
    """An action that asks for what it needs on an intermediate page, then applies it."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        data = form.cleaned_data
        apply_each(modeladmin, request, queryset, lambda obj: apply(obj, data), done)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/core/action_form.html", context)


class ThemedAdmin(ModelAdmin):
    """Every model admin of the product: the back office's theme (django-unfold)."""

    # Bulk actions stay one click away on the lists managers keep open all day.
    list_filter_submit = False
    warn_unsaved_form = True


class ReadOnlyAdmin(ThemedAdmin):
    """A record kept by the product (ledger, audit trail): read, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceAdmin(ThemedAdmin):
    """A model admin whose saves and deletes go through the app's services.

    Set ``service_fields`` (what the form may pass on), ``service_object`` (the
    keyword the update and delete services take the object by) and the three
    services, wrapped in ``staticmethod``. A refusal (409 or 400 in the API) is
    shown as an error message instead of a server error. Inlines built on
    ``ServiceInlineMixin`` are saved through their services too.
    """

    service_fields: tuple[str, ...] = ()
    service_object: str = ""
    service_create: Callable[..., Model]
    service_update: Callable[..., Model]
    service_delete: Callable[..., None]

    def service_data(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        data = {
            name: form.cleaned_data[name]
            for name in self.service_fields
            if name in form.cleaned_data
        }
        return (
            {name: value for name, value in data.items() if name in form.changed_data}
            if change
            else data
        )

    def save_model(
        self, request: HttpRequest, obj: Model, form: forms.ModelForm, change: bool
    ) -> None:
        data = self.service_data(form, change)
        try:
            if change:
                saved = (
                    self.service_update(by=request.user, **{self.service_object: obj}, **data)
                    if data
                    else obj
                )
            else:
                saved = self.service_create(by=request.user, **data)
        except REFUSALS as exc:
            self.message_user(request, describe(exc), messages.ERROR)
            return
        obj.pk = saved.pk
        obj._state.adding = False
        self.after_save(obj, saved)

    def after_save(self, obj: Model, saved: Model) -> None:
        """Copy what the service filled in (a number, a path) onto the admin's object."""

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        try:
            self.service_delete(by=request.user, **{self.service_object: obj})
        except REFUSALS as exc:
            self.message_user(request, f"{obj}: {describe(exc)}", messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        if hasattr(formset, "service_inline"):
            save_service_rows(self, request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)


class ServiceInlineMixin:
    """An inline whose rows are written by the app's services, never by its formset.

    Name the services the inline allows, wrapped in ``staticmethod``: ``service_create``
    takes the parent by ``service_parent`` and the form's ``service_fields``;
    ``service_update`` takes the row by ``service_object`` and whichever of
    ``service_update_fields`` changed; ``service_delete`` takes the row.
    ``service_keywords`` renames a form field for the services. A change no service
    takes is left alone. A ``ServiceAdmin`` saves these inlines through the services.
    """

    service_parent: str = ""
    service_object: str = ""
    service_fields: tuple[str, ...] = ()
    service_update_fields: tuple[str, ...] = ()
    service_keywords: ClassVar[dict[str, str]] = {}
    service_create: Callable[..., Any] | None = None
    service_update: Callable[..., Any] | None = None
    service_delete: Callable[..., Any] | None = None

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        # Django hands the parent's admin the formset alone; this is how it finds the services.
        formset.service_inline = self
        return formset

    def service_data(self, form: forms.ModelForm, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            self.service_keywords.get(name, name): form.cleaned_data[name]
            for name in names
            if name in form.cleaned_data
        }

    def service_save(self, by: Any, parent: Model, form: forms.ModelForm, *, delete: bool) -> None:
        """Write one row of the formset through the service its change calls for."""
        row = form.instance
        if delete:
            if self.service_delete is not None:
                self.service_delete(by=by, **{self.service_object: row})
        elif row.pk is None:
            if self.service_create is not None:
                data = self.service_data(form, self.service_fields)
                self.service_create(by=by, **{self.service_parent: parent}, **data)
        elif self.service_update is not None:
            changed = tuple(
                name for name in self.service_update_fields if name in form.changed_data
            )
            if changed:
                data = self.service_data(form, changed)
                self.service_update(by=by, **{self.service_object: row}, **data)


def save_service_rows(
    modeladmin: admin.ModelAdmin, request: HttpRequest, parent: Model, formset: Any
) -> None:
    """Write each new, changed or deleted row of a service inline; report each refusal.

    A refused row is an error message naming its kind; the other rows still go through.
    """
    # The formset saved nothing itself: the change message must not list rows as its own.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    inline = formset.service_inline
    if parent.pk is None:
        return
    for form in formset.forms:
        delete = bool(
            formset.can_delete and form.instance.pk and form.cleaned_data.get("DELETE", False)
        )
        if not delete and not form.has_changed():
            continue
        try:
            inline.service_save(request.user, parent, form, delete=delete)
        except REFUSALS as exc:
            modeladmin.message_user(
                request, f"{formset.model._meta.verbose_name}: {describe(exc)}", messages.ERROR
            )


class ThemedImportExportMixin(ImportExportMixin):
    """django-import-export's import and export pages in the back office's theme.

    A file with bad rows imports like the ``import_*`` commands: the preview lists
    the rejected rows with their reasons and still offers to confirm; confirming
    lands the good rows and reports each rejected one.
    """

    import_form_class = ImportForm
    export_form_class = ExportForm
    # Rejected rows named in the messages after an import; the rest are counted.
    rejections_listed = 20

    def import_action(self, request: HttpRequest, **kwargs: Any) -> Any:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        result = context.get("result")
        if (
            result is None
            or context.get("confirm_form") is not None
            or result.has_errors()
            or not result.has_validation_errors()
        ):
            return response
        good = sum(
            result.totals.get(kind, 0)
            for kind in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE)
        )
        bad = len(result.invalid_rows)
        if good:
            context["confirm_form"] = self.create_confirm_form(request, import_form=context["form"])
            self.message_user(
                request,
                f"{good} rows are good and will be imported; {bad} rows are rejected "
                "(listed below) and will be left out.",
                messages.WARNING,
            )
        return response

    def process_result(self, result: Any, request: HttpRequest) -> Any:
        rejected = result.invalid_rows
        for row in rejected[: self.rejections_listed]:
            reason = " ".join(row.error.messages) if hasattr(row.error, "messages") else row.error
            self.message_user(request, f"Row {row.number} rejected: {reason}", messages.ERROR)
        if len(rejected) > self.rejections_listed:
            more = len(rejected) - self.rejections_listed
            self.message_user(request, f"... and {more} more rows rejected.", messages.ERROR)
        return super().process_result(result, request)
