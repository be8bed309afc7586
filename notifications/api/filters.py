import django_filters

from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Channel, Delivery


class ChannelFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ChannelKind.choices)

    class Meta:
        model = Channel
        fields = ["active"]


class DeliveryFilter(django_filters.FilterSet):
    # By id: a channel that does not exist (any more) simply has no deliveries.
    channel = django_filters.NumberFilter(field_name="channel_id")
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=ChannelKind.choices)
    event = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields: list[str] = []
