import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from assets.choices import Criticality
from maintenance.choices import Priority, WorkType
from sla.choices import Clock
from sla.models import Policy, Violation


class PolicyFilter(django_filters.FilterSet):
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    work_type = django_filters.MultipleChoiceFilter(choices=WorkType.choices)
    asset_criticality = django_filters.MultipleChoiceFilter(choices=Criticality.choices)
    calendar = django_filters.NumberFilter(field_name="calendar_id")

    class Meta:
        model = Policy
        fields = ["active", "pause_on_hold"]


class ViolationFilter(django_filters.FilterSet):
    # By id: a work order that does not exist simply has no violations.
    work_order = django_filters.NumberFilter(field_name="work_order_id")
    kind = django_filters.ChoiceFilter(field_name="clock", choices=Clock.choices)
    since = django_filters.IsoDateTimeFilter(field_name="crossed_at", lookup_expr="gte")
    policy = django_filters.NumberFilter(field_name="policy_id")
    escalated = django_filters.BooleanFilter(method="filter_escalated")

    class Meta:
        model = Violation
        fields: list[str] = []

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_escalated(
        self, queryset: QuerySet[Violation], name: str, value: bool | None
    ) -> QuerySet[Violation]:
        if value is None:
            return queryset
        return (
            queryset.filter(escalation_level__gt=0)
            if value
            else queryset.filter(escalation_level=0)
        )
