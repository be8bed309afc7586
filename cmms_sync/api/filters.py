import django_filters

from cmms_sync.choices import CmmsType, Direction, Entity, RunEntity, RunStatus
from cmms_sync.models import Connection, FieldMapping, SyncRun


class ConnectionFilter(django_filters.FilterSet):
    cmms_type = django_filters.MultipleChoiceFilter(choices=CmmsType.choices)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = Connection
        fields = ["active", "health"]


class FieldMappingFilter(django_filters.FilterSet):
    entity = django_filters.ChoiceFilter(choices=Entity.choices)

    class Meta:
        model = FieldMapping
        fields = ["connection", "internal_field"]


class SyncRunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices)
    entity = django_filters.ChoiceFilter(choices=RunEntity.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = SyncRun
        fields = ["connection", "direction"]
