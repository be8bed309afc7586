from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.lookups import ID_LOOKUP
from notifications import selectors
from notifications.api.filters import ChannelFilter, DeliveryFilter
from notifications.api.serializers import (
    ChannelCreatedSerializer,
    ChannelSerializer,
    DeliverySerializer,
)
from notifications.models import Channel
from notifications.services import channels


class ChannelViewSet(viewsets.ModelViewSet):
    """Where the tenant's events and escalations go: e-mail, SMS, push, Slack, webhooks.
    Managers only. Targets and tokens are write-only and stored encrypted."""

    queryset = selectors.channel_list()
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name", "target_hint"]
    ordering_fields = ["name", "created_at", "kind"]
    ordering = ["name", "id"]

    @extend_schema(request=ChannelSerializer, responses={201: ChannelCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new channel; a webhook channel's answer carries its signing `secret`, once."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel = channels.channel_create(by=request.user, **serializer.validated_data)
        body = dict(ChannelSerializer(channel).data)
        body["secret"] = (channel.secrets or {}).get("secret")
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: ChannelSerializer) -> None:
        serializer.instance = channels.channel_update(
            by=self.request.user, channel=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Channel) -> None:
        channels.channel_delete(by=self.request.user, channel=instance)


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every notification sent or being sent, newest first (managers only). A failed attempt
    is retried with backoff (`retrying`) until it is `sent` or given up as `failed`."""

    queryset = selectors.delivery_list()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["event", "last_error"]
    ordering_fields = ["created_at", "status", "attempts"]
    ordering = ["-created_at", "-id"]
