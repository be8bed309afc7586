import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from assets.choices import (
    AlertSource,
    AlertStatus,
    AssetStatus,
    AssetType,
    Condition,
    Criticality,
    Severity,
)
from assets.models import Alert, Asset, Location, Threshold
from assets.selectors import location_subtree_ids


class AssetFilter(django_filters.FilterSet):
    asset_type = django_filters.MultipleChoiceFilter(choices=AssetType.choices)
    status = django_filters.MultipleChoiceFilter(choices=AssetStatus.choices)
    condition = django_filters.MultipleChoiceFilter(choices=Condition.choices)
    criticality = django_filters.MultipleChoiceFilter(choices=Criticality.choices)
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(),
        method="filter_location",
        label="Location (and the places inside it)",
    )
    parent = django_filters.CharFilter(
        method="filter_parent", label="asset_id of the parent; `none` for top-level assets"
    )
    department = django_filters.CharFilter(lookup_expr="iexact")
    tag = django_filters.CharFilter(method="filter_tag", label="Assets carrying this tag")
    manufacturer = django_filters.CharFilter(lookup_expr="iexact")
    installed_after = django_filters.DateFilter(field_name="install_date", lookup_expr="gte")
    installed_before = django_filters.DateFilter(field_name="install_date", lookup_expr="lte")
    external_ref = django_filters.CharFilter(label="The record in another CMMS (exact)")
    external_ref__startswith = django_filters.CharFilter(
        field_name="external_ref", lookup_expr="startswith", label="external_ref starts with"
    )

    class Meta:
        model = Asset
        fields: list[str] = []

    @extend_schema_field(OpenApiTypes.INT)
    def filter_location(
        self, queryset: QuerySet[Asset], name: str, value: Location
    ) -> QuerySet[Asset]:
        return queryset.filter(location_id__in=location_subtree_ids(value))

    def filter_parent(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        if value.lower() in {"none", "null"}:
            return queryset.filter(parent__isnull=True)
        return queryset.filter(parent__asset_id=value)

    def filter_tag(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        return queryset.filter(tags__contains=[value])


class LocationFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=Location.objects.all())
    top_level = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Location
        fields = ["kind", "zone", "department"]


class AlertFilter(django_filters.FilterSet):
    asset_id = django_filters.CharFilter(field_name="asset__asset_id")
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    source = django_filters.ChoiceFilter(choices=AlertSource.choices)
    active = django_filters.BooleanFilter(method="filter_active", label="Open or acknowledged")
    raised_after = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="gte")
    raised_before = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="lt")

    class Meta:
        model = Alert
        fields = ["metric"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_active(
        self, queryset: QuerySet[Alert], name: str, value: bool | None
    ) -> QuerySet[Alert]:
        if value is None:
            return queryset
        active = queryset.filter(status__in=[AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
        return active if value else queryset.filter(status=AlertStatus.RESOLVED)


class ThresholdFilter(django_filters.FilterSet):
    asset_id = django_filters.CharFilter(field_name="asset__asset_id")

    class Meta:
        model = Threshold
        fields = ["asset_type", "metric", "severity", "active"]
