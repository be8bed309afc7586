import django_filters
from django.db.models import F, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from inventory.choices import LocationKind, MovementKind, PurchaseOrderStatus, Unit
from inventory.models import (
    Part,
    PurchaseOrder,
    StockLevel,
    StockLocation,
    StockMovement,
    Vendor,
)


class CreatedRangeFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")


class PartFilter(CreatedRangeFilterSet):
    part_number = django_filters.CharFilter(lookup_expr="iexact")
    category = django_filters.CharFilter(lookup_expr="iexact")
    unit = django_filters.ChoiceFilter(choices=Unit.choices)
    low_stock = django_filters.BooleanFilter(
        method="filter_low_stock", label="On hand at or below the reorder point"
    )
    stocked_at = django_filters.ModelChoiceFilter(
        queryset=StockLocation.objects.all(),
        method="filter_stocked_at",
        label="Has stock at this location (id)",
    )

    class Meta:
        model = Part
        fields = {
            "vendor": ["exact"],
            "location": ["exact"],
            "active": ["exact"],
            "quantity_on_hand": ["lte", "gte"],
        }

    def filter_low_stock(self, queryset: QuerySet[Part], name: str, value: bool) -> QuerySet[Part]:
        low = {"quantity_on_hand__lte": F("reorder_point")}
        return queryset.filter(**low) if value else queryset.exclude(**low)

    @extend_schema_field(OpenApiTypes.INT)
    def filter_stocked_at(
        self, queryset: QuerySet[Part], name: str, value: StockLocation | None
    ) -> QuerySet[Part]:
        if value is None:
            return queryset
        return queryset.filter(stock_levels__location=value, stock_levels__quantity__gt=0)


class StockLocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LocationKind.choices)

    class Meta:
        model = StockLocation
        fields = ["kind", "parent"]


class StockLevelFilter(django_filters.FilterSet):
    class Meta:
        model = StockLevel
        fields = {"part": ["exact"], "location": ["exact"], "quantity": ["gt", "lte", "gte"]}


class StockMovementFilter(CreatedRangeFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MovementKind.choices)
    date = django_filters.DateFilter(field_name="created_at", lookup_expr="date")
    work_order = django_filters.NumberFilter(field_name="work_order_id")
    purchase_order = django_filters.NumberFilter(field_name="purchase_order_line__purchase_order")
    reference = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = StockMovement
        fields = ["part", "location", "kind", "reason"]


class VendorFilter(django_filters.FilterSet):
    class Meta:
        model = Vendor
        fields = ["active"]


class PurchaseOrderFilter(CreatedRangeFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PurchaseOrderStatus.choices)
    part = django_filters.ModelChoiceFilter(
        queryset=Part.objects.all(), field_name="lines__part", distinct=True
    )
    expected_after = django_filters.DateFilter(field_name="expected_at", lookup_expr="gte")
    expected_before = django_filters.DateFilter(field_name="expected_at", lookup_expr="lte")

    class Meta:
        model = PurchaseOrder
        fields = ["status", "vendor"]
