"""Inventory in the tenant admin. Every change and action goes through inventory.services."""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from unfold.admin import TabularInline

from core.admin_tools import (
    ReadOnlyAdmin,
    ServiceAdmin,
    ThemedImportExportMixin,
    apply_each,
    form_action,
)
from core.exceptions import Conflict, InvalidInput, describe
from inventory.choices import AdjustmentReason, PurchaseOrderStatus
from inventory.importers import PartResource
from inventory.models import (
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)
from inventory.services import catalog, purchasing, stock


class RestockForm(forms.Form):
    quantity = forms.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    unit_cost = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0"),
        required=False,
        help_text="Leave empty to receive at the part's current average cost.",
    )
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.all(),
        required=False,
        help_text="Leave empty for each part's default location.",
    )
    reference = forms.CharField(max_length=100, required=False)


class AdjustForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=StockLocation.objects.all(),
        required=False,
        help_text="Leave empty for each part's default location.",
    )
    counted = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0"),
        required=False,
        help_text="The level counted (or give a change below).",
    )
    delta = forms.DecimalField(
        max_digits=14, decimal_places=3, required=False, help_text="A signed change."
    )
    reason = forms.ChoiceField(choices=AdjustmentReason.choices)
    notes = forms.CharField(widget=forms.Textarea, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("counted") is None) == (data.get("delta") is None):
            raise forms.ValidationError("Give either the counted level or a change, not both.")
        return data


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "low_stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Low: at or below reorder point"), ("no", "Above reorder point")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Part]) -> QuerySet[Part]:
        # The same rule as the API's low-stock list (inventory.selectors.low_stock_parts).
        low = Q(active=True, quantity_on_hand__lte=F("reorder_point"))
        if self.value() == "yes":
            return queryset.filter(low)
        if self.value() == "no":
            return queryset.exclude(low)
        return queryset


class StockLevelInline(TabularInline):
    """Stock by location: shown, never edited (it changes only through movements)."""

    model = StockLevel
    fields = ("location", "quantity", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("location__code",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Part)
class PartAdmin(ThemedImportExportMixin, ServiceAdmin):
    sidebar_icon = "inventory_2"
    sidebar_order = 10
    # Imports run through PartImporter, the same rules as ``import_parts``.
    resource_classes = [PartResource]
    service_fields = catalog.PART_FIELDS
    service_object = "part"
    service_create = staticmethod(catalog.part_create)
    service_update = staticmethod(catalog.part_update)
    service_delete = staticmethod(catalog.part_delete)
    # What a manager scans at 1,280 px; category, unit and activity are filters.
    list_display = (
        "part_number",
        "name",
        "on_hand",
        "reorder_point",
        "unit_cost",
        "low_stock",
        "vendor",
    )
    list_filter = (LowStockFilter, "active", "category", "unit", "vendor", "location")
    list_fullwidth = True
    search_fields = ("part_number", "name", "description", "category")
    list_select_related = ("vendor",)
    readonly_fields = ("quantity_on_hand", "low_stock_since", "created_at", "updated_at")
    fields = (
        "part_number",
        "name",
        "description",
        "category",
        "unit",
        "reorder_point",
        "reorder_quantity",
        "unit_cost",
        "location",
        "vendor",
        "active",
        "quantity_on_hand",
        "low_stock_since",
        "created_at",
        "updated_at",
    )
    inlines = [StockLevelInline]
    actions = ["restock", "adjust", "suggest_reorders"]

    @admin.display(description="On hand", ordering="quantity_on_hand")
    def on_hand(self, obj: Part) -> str:
        return f"{obj.quantity_on_hand.normalize():f} {obj.get_unit_display().lower()}"

    @admin.display(description="Stock", ordering="quantity_on_hand")
    def low_stock(self, obj: Part) -> str:
        """A warning on the parts to reorder; the others show nothing to worry about."""
        if not (obj.active and obj.is_low_stock):
            return ""
        return format_html(
            '<span class="cmms-low-stock" title="At or below the reorder point ({})">'
            "&#9888; Low</span>",
            obj.reorder_point,
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # The only inline is read-only stock, which changes through movements alone.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def has_restock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.restock_part")

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.adjust_stock")

    def has_suggest_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.add_purchaseorder")

    @admin.action(description="Restock selected parts", permissions=["restock"])
    def restock(self, request: HttpRequest, queryset: QuerySet[Part]):
        return form_action(
            self,
            request,
            queryset,
            form_class=RestockForm,
            title="Restock parts",
            apply=lambda part, data: stock.part_restock(
                part=part,
                quantity=data["quantity"],
                by=request.user,
                location=data["location"],
                unit_cost=data["unit_cost"],
                reference=data["reference"],
            ),
            done="Parts restocked",
        )

    @admin.action(description="Adjust stock of selected parts", permissions=["adjust"])
    def adjust(self, request: HttpRequest, queryset: QuerySet[Part]):
        return form_action(
            self,
            request,
            queryset,
            form_class=AdjustForm,
            title="Adjust stock",
            apply=lambda part, data: stock.part_adjust(
                part=part,
                by=request.user,
                reason=data["reason"],
                location=data["location"],
                counted=data["counted"],
                delta=data["delta"],
                notes=data["notes"],
            ),
            done="Parts adjusted",
        )

    @admin.action(
        description="Suggest reorders (draft purchase orders) for selected parts",
        permissions=["suggest"],
    )
    def suggest_reorders(self, request: HttpRequest, queryset: QuerySet[Part]) -> None:
        suggestion = purchasing.purchase_orders_suggest(by=request.user, parts=queryset)
        numbers = ", ".join(po.number or "" for po in suggestion.purchase_orders)
        if suggestion.purchase_orders:
            self.message_user(request, f"Drafted {numbers}.", messages.SUCCESS)
        else:
            self.message_user(request, "No selected part needs reordering.", messages.INFO)
        if suggestion.parts_without_vendor:
            names = ", ".join(part.part_number for part in suggestion.parts_without_vendor)
            self.message_user(
                request, f"No preferred vendor, not ordered: {names}.", messages.WARNING
            )


@admin.register(StockLocation)
class StockLocationAdmin(ServiceAdmin):
    sidebar_icon = "warehouse"
    sidebar_order = 40
    list_display = ("code", "name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")
    service_fields = catalog.LOCATION_FIELDS
    service_object = "location"
    service_create = staticmethod(catalog.stock_location_create)
    service_update = staticmethod(catalog.stock_location_update)
    service_delete = staticmethod(catalog.stock_location_delete)


@admin.register(Vendor)
class VendorAdmin(ServiceAdmin):
    sidebar_icon = "storefront"
    sidebar_order = 30
    list_display = ("name", "contact_name", "email", "phone", "lead_time_days", "active")
    list_filter = ("active",)
    search_fields = ("name", "contact_name", "email")
    readonly_fields = ("created_at", "updated_at")
    service_fields = catalog.VENDOR_FIELDS
    service_object = "vendor"
    service_create = staticmethod(catalog.vendor_create)
    service_update = staticmethod(catalog.vendor_update)
    service_delete = staticmethod(catalog.vendor_delete)
    # A vendor's site typed without a scheme is an https one (Django 6's default already).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    sidebar_icon = "swap_vert"
    sidebar_order = 50
    """The ledger: read only, always."""

    list_display = (
        "created_at",
        "part",
        "location",
        "kind",
        "quantity",
        "balance_after",
        "unit_cost",
        "total_cost",
        "reference",
        "actor_username",
    )
    list_filter = ("kind", "reason", "location")
    search_fields = ("part__part_number", "part__name", "reference", "notes")
    list_select_related = ("part", "location")
    date_hierarchy = "created_at"


class PurchaseOrderLineInline(TabularInline):
    model = PurchaseOrderLine
    fields = ("part", "quantity", "unit_cost", "location", "notes", "quantity_received")
    readonly_fields = ("quantity_received",)
    autocomplete_fields = ("part",)
    extra = 1

    def _editable(self, obj: PurchaseOrder | None) -> bool:
        return obj is None or obj.status == PurchaseOrderStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceAdmin):
    sidebar_icon = "shopping_cart"
    sidebar_order = 20
    list_display = ("number", "vendor", "status", "expected_at", "created_at", "received_at")
    list_filter = ("status", "vendor")
    search_fields = ("number", "vendor__name", "reference", "notes")
    list_select_related = ("vendor",)
    fields = (
        "number",
        "vendor",
        "status",
        "expected_at",
        "reference",
        "notes",
        "approved_by",
        "approved_at",
        "ordered_at",
        "received_at",
        "cancelled_at",
        "cancel_reason",
    )
    readonly_fields = (
        "number",
        "status",
        "approved_by",
        "approved_at",
        "ordered_at",
        "received_at",
        "cancelled_at",
        "cancel_reason",
    )
    inlines = [PurchaseOrderLineInline]
    actions = ["approve", "mark_ordered", "receive_all", "cancel"]

    service_fields = purchasing.PO_HEADER_FIELDS
    service_object = "purchase_order"
    service_create = staticmethod(purchasing.purchase_order_create)
    service_update = staticmethod(purchasing.purchase_order_update)
    service_delete = staticmethod(purchasing.purchase_order_delete)

    def after_save(self, obj: PurchaseOrder, saved: PurchaseOrder) -> None:
        obj.number = saved.number

    def save_formset(self, request, form, formset, change):
        """The lines are replaced as a whole through the service (drafts only)."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not formset.has_changed() or form.instance.pk is None:
            return
        lines = [
            purchasing.OrderLine(
                part=line_form.cleaned_data["part"],
                quantity=line_form.cleaned_data["quantity"],
                unit_cost=line_form.cleaned_data.get("unit_cost"),
                location=line_form.cleaned_data.get("location"),
                notes=line_form.cleaned_data.get("notes") or "",
            )
            for line_form in formset.forms
            if line_form.cleaned_data
            and line_form.cleaned_data.get("part")
            and not line_form.cleaned_data.get("DELETE")
        ]
        try:
            purchasing.purchase_order_update(
                purchase_order=form.instance, by=request.user, lines=lines
            )
        except (Conflict, InvalidInput) as exc:
            self.message_user(request, describe(exc), messages.ERROR)

    def has_approve_permission(self, request):
        return request.user.has_perm("inventory.approve_purchaseorder")

    def has_receive_permission(self, request):
        return request.user.has_perm("inventory.receive_purchaseorder")

    @admin.action(description="Approve selected purchase orders", permissions=["approve"])
    def approve(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda po: purchasing.purchase_order_approve(purchase_order=po, by=request.user),
            "Approved",
        )

    @admin.action(description="Mark selected purchase orders as ordered", permissions=["change"])
    def mark_ordered(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda po: purchasing.purchase_order_mark_ordered(purchase_order=po, by=request.user),
            "Marked as ordered",
        )

    @admin.action(
        description="Receive everything outstanding on selected purchase orders",
        permissions=["receive"],
    )
    def receive_all(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda po: purchasing.purchase_order_receive(purchase_order=po, by=request.user),
            "Received",
        )

    @admin.action(description="Cancel selected purchase orders", permissions=["change"])
    def cancel(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda po: purchasing.purchase_order_cancel(purchase_order=po, by=request.user),
            "Cancelled",
        )
