import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from maintenance.choices import (
    ACTIVE_STATUSES,
    HistoryKind,
    Priority,
    RequestStatus,
    Source,
    Status,
    WorkType,
)
from maintenance.models import MaintenanceEvent, WorkOrder, WorkRequest
from maintenance.selectors import overdue


class WorkOrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    work_type = django_filters.MultipleChoiceFilter(choices=WorkType.choices)
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    external_ref__startswith = django_filters.CharFilter(
        field_name="external_ref", lookup_expr="startswith", label="external_ref starts with"
    )
    asset_id = django_filters.CharFilter(field_name="asset__asset_id")
    assigned_to = django_filters.NumberFilter(field_name="assigned_to_id")
    unassigned = django_filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull")
    active = django_filters.BooleanFilter(
        method="filter_active", label="Not completed or cancelled"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Past due and not finished"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    completed_after = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="gte")
    completed_before = django_filters.IsoDateTimeFilter(field_name="completed_at", lookup_expr="lt")

    class Meta:
        model = WorkOrder
        fields = ["external_ref", "follow_up_of", "schedule"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_overdue(
        self, queryset: QuerySet[WorkOrder], name: str, value: bool | None
    ) -> QuerySet[WorkOrder]:
        if value is None:
            return queryset
        late = overdue(queryset)
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_active(
        self, queryset: QuerySet[WorkOrder], name: str, value: bool | None
    ) -> QuerySet[WorkOrder]:
        if value is None:
            return queryset
        return (
            queryset.filter(status__in=ACTIVE_STATUSES)
            if value
            else queryset.exclude(status__in=ACTIVE_STATUSES)
        )


class WorkRequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    asset_id = django_filters.CharFilter(field_name="asset__asset_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WorkRequest
        fields = ["priority", "channel"]


class HistoryFilter(django_filters.FilterSet):
    asset_id = django_filters.CharFilter(field_name="asset__asset_id")
    kind = django_filters.MultipleChoiceFilter(choices=HistoryKind.choices)
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = MaintenanceEvent
        fields = ["work_order"]
