"""Inventory's API shapes. Writes go through inventory.services; these only validate."""

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.serializers import PublicShapeMixin
from inventory.choices import AdjustmentReason
from inventory.events import part_payload
from inventory.models import (
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)
from inventory.services.quantities import MAX_QUANTITY

BIGINT_MAX = 2**63 - 1
MAX_UNIT_COST = Decimal("9999999999.9999")


def quantity_field(**kwargs: Any) -> serializers.DecimalField:
    """A positive quantity: up to 11 digits before and 3 after the point."""
    options = {
        "max_digits": 14,
        "decimal_places": 3,
        "min_value": Decimal("0.001"),
        "max_value": MAX_QUANTITY,
    }
    options.update(kwargs)
    return serializers.DecimalField(**options)


def unit_cost_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=4, min_value=Decimal("0"), **kwargs
    )


def notes_field() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


def reference_field() -> serializers.CharField:
    return serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="Free reference, e.g. a work order number (WO-000123) or a delivery note.",
    )


def work_order_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the work order the parts are for.",
    )


def location_field(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    options: dict[str, Any] = {"required": False, "allow_null": True, "default": None}
    options.update(kwargs)
    return serializers.PrimaryKeyRelatedField(queryset=StockLocation.objects.all(), **options)


class PartStockSerializer(StrictModelSerializer):
    """The stock of a part at one location."""

    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = ["location", "location_code", "quantity"]
        read_only_fields = fields


class PartSerializer(PublicShapeMixin, StrictModelSerializer):
    """A spare part. ``quantity_on_hand`` is the sum of ``stock`` over its locations;
    ``unit_cost`` is the moving-average cost; ``location`` is the default stock
    location and ``vendor`` the preferred vendor."""

    payload_builder = staticmethod(part_payload)
    quantity_on_order = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        read_only=True,
        help_text="Still to arrive on open purchase orders.",
    )
    is_low_stock = serializers.BooleanField(read_only=True)
    stock = PartStockSerializer(source="stock_levels", many=True, read_only=True)

    class Meta:
        model = Part
        fields = [
            "id",
            "part_number",
            "name",
            "description",
            "category",
            "unit",
            "quantity_on_hand",
            "quantity_on_order",
            "reorder_point",
            "reorder_quantity",
            "unit_cost",
            "location",
            "vendor",
            "active",
            "is_low_stock",
            "low_stock_since",
            "stock",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "quantity_on_hand", "low_stock_since", "created_at", "updated_at"]
        extra_kwargs = {
            "reorder_point": {"min_value": Decimal("0")},
            "reorder_quantity": {"min_value": Decimal("0")},
            "unit_cost": {"min_value": Decimal("0")},
        }


class StockLocationSerializer(StrictModelSerializer):
    class Meta:
        model = StockLocation
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "description",
            "is_main",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_main", "created_at", "updated_at"]


class StockLevelSerializer(StrictModelSerializer):
    part_number = serializers.CharField(source="part.part_number", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "part",
            "part_number",
            "location",
            "location_code",
            "quantity",
            "updated_at",
        ]
        read_only_fields = fields


class StockMovementSerializer(StrictModelSerializer):
    """One ledger row. ``quantity`` is signed (in positive, out negative);
    ``balance_after`` is the level left at ``location``."""

    location_code = serializers.CharField(source="location.code", read_only=True)
    work_order = serializers.IntegerField(source="work_order_id", read_only=True, allow_null=True)
    purchase_order = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "part",
            "location",
            "location_code",
            "kind",
            "quantity",
            "balance_after",
            "part_balance_after",
            "unit_cost",
            "total_cost",
            "reason",
            "reference",
            "work_order",
            "purchase_order",
            "purchase_order_line",
            "other_location",
            "notes",
            "actor",
            "actor_username",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_purchase_order(self, movement: StockMovement) -> int | None:
        line = movement.purchase_order_line
        return line.purchase_order_id if line is not None else None


class VendorSerializer(StrictModelSerializer):
    class Meta:
        model = Vendor
        fields = [
            "id",
            "name",
            "contact_name",
            "email",
            "phone",
            "website",
            "address",
            "lead_time_days",
            "notes",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"lead_time_days": {"max_value": 3650}}


class PurchaseOrderLineSerializer(StrictModelSerializer):
    """A line: ``unit_cost`` defaults to the part's average cost, ``location`` to its default."""

    part_number = serializers.CharField(source="part.part_number", read_only=True)
    quantity = quantity_field()
    unit_cost = unit_cost_field(required=False, allow_null=True, default=None)
    quantity_outstanding = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True)
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "id",
            "part",
            "part_number",
            "quantity",
            "quantity_received",
            "quantity_outstanding",
            "unit_cost",
            "line_total",
            "location",
            "notes",
        ]
        read_only_fields = ["id", "quantity_received"]

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_line_total(self, line: PurchaseOrderLine) -> Decimal:
        return (line.quantity * line.unit_cost).quantize(Decimal("0.01"))


class PurchaseOrderSerializer(StrictModelSerializer):
    """A purchase order. Writing ``lines`` replaces them all (drafts only)."""

    lines = PurchaseOrderLineSerializer(many=True, required=False, max_length=1000)
    total = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "vendor",
            "status",
            "expected_at",
            "reference",
            "notes",
            "lines",
            "total",
            "created_by",
            "approved_by",
            "approved_at",
            "ordered_at",
            "received_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "created_by",
            "approved_by",
            "approved_at",
            "ordered_at",
            "received_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_total(self, purchase_order: PurchaseOrder) -> Decimal:
        return sum(
            ((line.quantity * line.unit_cost) for line in purchase_order.lines.all()),
            Decimal("0"),
        ).quantize(Decimal("0.01"))


# --- Bodies and results of the stock actions ---------------------------------


class PartUsageSerializer(StrictSerializer):
    """Parts used. Without ``location``: the part's default location first, then the
    locations with the most stock (split over several if needed)."""

    quantity = quantity_field()
    work_order = work_order_field()
    reference = reference_field()
    notes = notes_field()
    location = location_field(help_text="Take from this location only.")


class PartReturnSerializer(StrictSerializer):
    """Unused parts put back. With ``work_order``: at most what it was issued, at its cost."""

    quantity = quantity_field()
    work_order = work_order_field()
    reference = reference_field()
    notes = notes_field()
    location = location_field(help_text="Default: the part's default location.")


class PartRestockSerializer(StrictSerializer):
    """Stock received. ``unit_cost`` (default: current average) feeds the moving average."""

    quantity = quantity_field()
    unit_cost = unit_cost_field(required=False, allow_null=True, default=None)
    location = location_field(help_text="Default: the part's default location.")
    reference = reference_field()
    notes = notes_field()


class PartAdjustSerializer(StrictSerializer):
    """A correction at one location: a signed ``delta`` or the ``counted`` level, with a reason."""

    location = location_field(help_text="Default: the part's default location.")
    delta = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        required=False,
        allow_null=True,
        default=None,
    )
    counted = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=MAX_QUANTITY,
        required=False,
        allow_null=True,
        default=None,
    )
    reason = serializers.ChoiceField(choices=AdjustmentReason.choices)
    notes = notes_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("delta") is None) == (attrs.get("counted") is None):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either delta or counted, not both."]}
            )
        if attrs.get("delta") == 0:
            raise serializers.ValidationError({"delta": ["Must not be zero."]})
        return attrs


class PartTransferSerializer(StrictSerializer):
    from_location = serializers.PrimaryKeyRelatedField(queryset=StockLocation.objects.all())
    to_location = serializers.PrimaryKeyRelatedField(queryset=StockLocation.objects.all())
    quantity = quantity_field()
    notes = notes_field()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["from_location"] == attrs["to_location"]:
            raise serializers.ValidationError({"to_location": ["Must differ from from_location."]})
        return attrs


class PartsConsumeLineSerializer(StrictSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())
    quantity = quantity_field()
    location = location_field()


class PartsConsumeSerializer(StrictSerializer):
    """Several parts at once, all or nothing (409 naming every short part)."""

    lines = PartsConsumeLineSerializer(many=True, allow_empty=False, max_length=500)
    work_order = work_order_field()
    reference = reference_field()
    notes = notes_field()


class PartStockResultSerializer(StrictSerializer):
    """The part after the change and the ledger rows the change wrote."""

    part = PartSerializer()
    movements = StockMovementSerializer(many=True)


class PartsConsumeResultSerializer(StrictSerializer):
    movements = StockMovementSerializer(many=True)
    total_cost = serializers.DecimalField(max_digits=24, decimal_places=2)


class PurchaseOrderReceiveLineSerializer(StrictSerializer):
    line = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    quantity = quantity_field()
    location = location_field(help_text="Default: the line's location, else the part's default.")


class PurchaseOrderReceiveSerializer(StrictSerializer):
    """What arrived. Without ``lines`` (or empty), everything outstanding is received."""

    lines = PurchaseOrderReceiveLineSerializer(many=True, required=False, max_length=1000)
    reference = reference_field()
    notes = notes_field()


class PurchaseOrderCancelSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class PurchaseOrderReceiveResultSerializer(StrictSerializer):
    purchase_order = PurchaseOrderSerializer()
    movements = StockMovementSerializer(many=True)


class ReorderSuggestionSerializer(StrictSerializer):
    purchase_orders = PurchaseOrderSerializer(many=True)
    parts_without_vendor = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of parts needing reorder that have no preferred vendor.",
    )
