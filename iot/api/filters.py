import django_filters

from iot.choices import AnomalyStatus
from iot.models import Anomaly, DeviceToken


class AnomalyFilter(django_filters.FilterSet):
    # By code: a device that does not exist simply has no anomalies.
    device_id = django_filters.CharFilter(field_name="asset__asset_id", max_length=64)
    metric = django_filters.CharFilter(max_length=64)
    since = django_filters.IsoDateTimeFilter(field_name="reading_timestamp", lookup_expr="gte")
    status = django_filters.ChoiceFilter(choices=AnomalyStatus.choices)

    class Meta:
        model = Anomaly
        fields: list[str] = []


class DeviceTokenFilter(django_filters.FilterSet):
    device_id = django_filters.CharFilter(field_name="asset__asset_id", max_length=64)
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = DeviceToken
        fields: list[str] = []
