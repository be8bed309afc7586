"""Reads of the notifications app."""

from django.db.models import QuerySet

from notifications.models import Channel, Delivery


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.all()


def delivery_list() -> QuerySet[Delivery]:
    """Deliveries with their channel, newest first, in one query per page."""
    return Delivery.objects.select_related("channel")
