"""A work order's moves on its change page: one button for each move its status allows.

Each button opens a short form (a confirmation at least: nothing changes on a GET);
posting it calls the same service as the API. A refusal (a 409 or 400 in the API,
such as ``insufficient_stock``) comes back as a message on the work order, never as a
server error.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import formset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from unfold.decorators import action
from unfold.enums import ActionVariant
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
)

from core.admin_tools import REFUSALS
from core.exceptions import describe
from core.models import User
from core.roles import WORKER_ROLES
from inventory.models import Part, StockLocation
from maintenance import services
from maintenance.choices import ACTIVE_STATUSES, TRANSITIONS, Priority, RequestStatus, Status
from maintenance.models import WorkOrder, WorkRequest


def _workers() -> Any:
    return User.objects.filter(is_active=True, groups__name__in=WORKER_ROLES).distinct()


class ConfirmForm(forms.Form):
    """A move that needs nothing more than the click that confirms it."""


class AssignMoveForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Assign to", widget=UnfoldAdminSelectWidget
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _workers().order_by("username")


class ReasonMoveForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


class CompleteMoveForm(forms.Form):
    actual_hours = forms.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100000"),
        required=False,
        label="Hours worked",
        help_text="Booked as labor of the assignee beyond what is already logged.",
        widget=UnfoldAdminDecimalFieldWidget,
    )
    notes = forms.CharField(required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))
    findings = forms.CharField(required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}))
    recommendations = forms.CharField(
        required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )
    failed_at = forms.SplitDateTimeField(
        required=False,
        label="Failed at",
        help_text="When the asset broke down (breakdown work): records its failure.",
        widget=UnfoldAdminSplitDateTimeWidget,
    )

    def clean_failed_at(self) -> Any:
        value = self.cleaned_data.get("failed_at")
        if value is not None and value > timezone.now():
            raise forms.ValidationError("A failure cannot be in the future.")
        return value


class PartUsedForm(forms.Form):
    part = forms.ModelChoiceField(
        queryset=Part.objects.none(), required=False, widget=UnfoldAdminSelectWidget
    )
    quantity = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=Decimal("1e10"),
        required=False,
        widget=UnfoldAdminDecimalFieldWidget,
    )
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.none(),
        required=False,
        help_text="Empty: the part's default location first.",
        widget=UnfoldAdminSelectWidget,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["part"].queryset = Part.objects.filter(active=True).order_by("part_number")
        self.fields["location"].queryset = StockLocation.objects.order_by("code")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("part") and not data.get("quantity"):
            self.add_error("quantity", "How many were used?")
        if data.get("quantity") and not data.get("part"):
            self.add_error("part", "Which part?")
        return data


PartsUsedFormSet = formset_factory(PartUsedForm, extra=3, max_num=50)


def _parts_initial(work_order: WorkOrder) -> list[dict[str, Any]]:
    """The stocked parts planned and not yet taken, as the first lines of the form."""
    return [
        {"part": line.part_id, "quantity": line.quantity_planned - line.quantity_used}
        for line in work_order.parts.filter(part__isnull=False)
        if line.quantity_planned > line.quantity_used
    ]


# The moves: name -> (button label, target status or None, form, icon).
MOVES: dict[str, tuple[str, str | None, type[forms.Form], str]] = {
    "plan": ("Plan", Status.SCHEDULED, ConfirmForm, "event"),
    "assign": ("Assign", None, AssignMoveForm, "person_add"),
    "start": ("Start", Status.IN_PROGRESS, ConfirmForm, "play_arrow"),
    "hold": ("Put on hold", Status.ON_HOLD, ReasonMoveForm, "pause"),
    "resume": ("Resume", Status.IN_PROGRESS, ConfirmForm, "play_arrow"),
    "complete": ("Complete", Status.COMPLETED, CompleteMoveForm, "task_alt"),
    "cancel": ("Cancel work", Status.CANCELLED, ReasonMoveForm, "cancel"),
}
MOVE_PERMISSIONS = {
    "plan": "maintenance.change_workorder",
    "assign": "maintenance.assign_workorder",
    "start": "maintenance.change_workorder",
    "hold": "maintenance.change_workorder",
    "resume": "maintenance.change_workorder",
    "complete": "maintenance.complete_workorder",
    "cancel": "maintenance.cancel_workorder",
}


def legal_moves(work_order: WorkOrder) -> list[str]:
    """The moves the status machine allows from where the work order is."""
    allowed = TRANSITIONS[work_order.status]
    moves = []
    for name, (_, target, _, _) in MOVES.items():
        if name == "assign":
            legal = work_order.status in ACTIVE_STATUSES
        elif name == "start":
            legal = target in allowed and work_order.status != Status.ON_HOLD
        elif name == "resume":
            legal = work_order.status == Status.ON_HOLD and target in allowed
        else:
            legal = target in allowed
        if legal:
            moves.append(name)
    return moves


def _apply(name: str, by: User, work_order: WorkOrder, data: dict[str, Any], parts: list) -> Any:
    if name == "plan":
        return services.work_order_schedule(by=by, work_order=work_order)
    if name == "assign":
        return services.work_order_assign(
            by=by, work_order=work_order, assigned_to=data["assigned_to"]
        )
    if name in ("start", "resume"):
        return services.work_order_start(by=by, work_order=work_order)
    if name == "hold":
        return services.work_order_hold(by=by, work_order=work_order, reason=data["reason"])
    if name == "cancel":
        return services.work_order_cancel(by=by, work_order=work_order, reason=data["reason"])
    return services.work_order_complete(
        by=by,
        work_order=work_order,
        actual_hours=data.get("actual_hours"),
        notes=data.get("notes") or "",
        findings=data.get("findings") or "",
        recommendations=data.get("recommendations") or "",
        failed_at=data.get("failed_at"),
        parts_used=parts,
    )


class WorkOrderMovesMixin:
    """Buttons on the change page (django-unfold's detail actions) for the legal moves."""

    actions_detail = [f"move_{name}" for name in MOVES]

    def _work_order(self, request: HttpRequest, object_id: Any) -> WorkOrder | None:
        cache = request.__dict__.setdefault("_work_orders", {})
        key = str(object_id)
        if key not in cache:
            cache[key] = (
                WorkOrder.objects.filter(pk=object_id).first()
                if key.isdigit() and len(key) < 19
                else None
            )
        return cache[key]

    def _may_move(self, name: str, request: HttpRequest, object_id: Any = None) -> bool:
        if name not in MOVES or not request.user.has_perm(MOVE_PERMISSIONS[name]):
            return False
        if object_id is None:
            return True
        work_order = self._work_order(request, object_id)
        return work_order is not None and name in legal_moves(work_order)

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list[Any]:
        """Only the moves this person may make from where the work order is now."""
        shown = super().get_actions_detail(request, object_id)  # type: ignore[misc]
        return [
            button
            for button in shown
            if self._may_move(
                getattr(button.method, "original_function_name", "").removeprefix("move_"),
                request,
                object_id,
            )
        ]

    def _move_view(self, name: str, request: HttpRequest, object_id: Any) -> HttpResponse:
        if not request.user.has_perm(MOVE_PERMISSIONS[name]):
            raise PermissionDenied
        work_order = get_object_or_404(WorkOrder, pk=object_id)
        change_url = reverse("admin:maintenance_workorder_change", args=[work_order.pk])
        if name not in legal_moves(work_order):
            self.message_user(
                request,
                f"{work_order.number} is {work_order.get_status_display().lower()}: "
                f"it cannot be {MOVES[name][0].lower()}ed now.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        label, _, form_class, _ = MOVES[name]
        posted = request.method == "POST"
        form = form_class(request.POST if posted else None)
        formset = None
        if name == "complete":
            formset = PartsUsedFormSet(
                request.POST if posted else None,
                prefix="parts",
                initial=None if posted else _parts_initial(work_order),
            )
        if posted and form.is_valid() and (formset is None or formset.is_valid()):
            parts = [
                services.PartUse(
                    part_id=row["part"].pk,
                    quantity=row["quantity"],
                    location_id=row["location"].pk if row.get("location") else None,
                )
                for row in (formset.cleaned_data if formset is not None else [])
                if row and row.get("part")
            ]
            try:
                done = _apply(name, request.user, work_order, form.cleaned_data, parts)
            except REFUSALS as exc:
                self.message_user(request, f"{work_order.number}: {describe(exc)}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{done.number}: {label.lower()} done, now "
                    f"{done.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label} {work_order.number}",
            "intro": f"{work_order.number} · {work_order.title} "
            f"({work_order.get_status_display().lower()})",
            "opts": self.model._meta,
            "original": work_order,
            "form": form,
            "formset": formset,
            "formset_title": "Parts used (taken from stock: all of them, or none)",
            "submit_label": label,
            "back_url": change_url,
        }
        return TemplateResponse(request, "admin/core/service_form.html", context)


def _detail_action(name: str) -> Callable[..., Any]:
    label, _, _, icon = MOVES[name]

    def view(self: WorkOrderMovesMixin, request: HttpRequest, object_id: Any) -> HttpResponse:
        return self._move_view(name, request, object_id)

    view.__name__ = f"move_{name}"
    variant = ActionVariant.PRIMARY if name in ("start", "complete") else ActionVariant.DEFAULT
    # Who may press it is decided per work order (get_actions_detail) and in the view.
    return action(description=label, url_path=f"move-{name}", icon=icon, variant=variant)(view)


for _name in MOVES:
    setattr(WorkOrderMovesMixin, f"move_{_name}", _detail_action(_name))


# --- Work requests: approve or reject from the request's page ---------------------------------


class ApproveRequestForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Assign to",
        help_text="Empty: the work order waits for a planner.",
        widget=UnfoldAdminSelectWidget,
    )
    priority = forms.ChoiceField(choices=Priority.choices, widget=UnfoldAdminSelectWidget)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = _workers().order_by("username")


class RejectRequestForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        help_text="The requester is told.",
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


class WorkRequestReviewMixin:
    """Approve and Reject buttons on a pending request's page."""

    actions_detail = ["review_approve", "review_reject"]

    def _may_review(self, request: HttpRequest, object_id: Any = None) -> bool:
        if not request.user.has_perm("maintenance.review_workrequest"):
            return False
        if object_id is None:
            return True
        key = str(object_id)
        return (
            key.isdigit()
            and len(key) < 19
            and WorkRequest.objects.filter(pk=key, status=RequestStatus.PENDING).exists()
        )

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list[Any]:
        shown = super().get_actions_detail(request, object_id)  # type: ignore[misc]
        return shown if self._may_review(request, object_id) else []

    @action(
        description="Approve",
        url_path="approve",
        icon="check_circle",
        variant=ActionVariant.PRIMARY,
    )
    def review_approve(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        work_request = self._pending(request, object_id)
        if isinstance(work_request, HttpResponse):
            return work_request
        form = ApproveRequestForm(
            request.POST if request.method == "POST" else None,
            initial={"priority": work_request.priority},
        )
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    work_order = services.work_request_approve(
                        by=request.user,
                        request=work_request,
                        priority=form.cleaned_data["priority"],
                    )
                    if form.cleaned_data["assigned_to"] is not None:
                        services.work_order_assign(
                            by=request.user,
                            work_order=work_order,
                            assigned_to=form.cleaned_data["assigned_to"],
                        )
            except REFUSALS as exc:
                self.message_user(request, describe(exc), messages.ERROR)
            else:
                self.message_user(request, f"Approved into {work_order.number}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:maintenance_workorder_change", args=[work_order.pk])
                )
        return self._review_page(request, work_request, form, "Approve")

    @action(
        description="Reject",
        url_path="reject",
        icon="block",
    )
    def review_reject(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        work_request = self._pending(request, object_id)
        if isinstance(work_request, HttpResponse):
            return work_request
        form = RejectRequestForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.work_request_reject(
                    by=request.user, request=work_request, reason=form.cleaned_data["reason"]
                )
            except REFUSALS as exc:
                self.message_user(request, describe(exc), messages.ERROR)
            else:
                self.message_user(request, "Request rejected.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:maintenance_workrequest_change", args=[work_request.pk])
                )
        return self._review_page(request, work_request, form, "Reject")

    def _pending(self, request: HttpRequest, object_id: Any) -> WorkRequest | HttpResponse:
        if not request.user.has_perm("maintenance.review_workrequest"):
            raise PermissionDenied
        work_request = get_object_or_404(WorkRequest, pk=object_id)
        if work_request.status != RequestStatus.PENDING:
            self.message_user(
                request, f"This request is already {work_request.status}.", messages.ERROR
            )
            return HttpResponseRedirect(
                reverse("admin:maintenance_workrequest_change", args=[work_request.pk])
            )
        return work_request

    def _review_page(
        self, request: HttpRequest, work_request: WorkRequest, form: forms.Form, label: str
    ) -> TemplateResponse:
        back = reverse("admin:maintenance_workrequest_change", args=[work_request.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label} request",
            "intro": work_request.title or work_request.description[:80],
            "opts": self.model._meta,
            "original": work_request,
            "form": form,
            "submit_label": label,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/core/service_form.html", context)
