"""Notification channels of a tenant and the record of every message sent through them."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.crypto import EncryptedJSONField
from notifications.choices import OPEN_STATUSES, ChannelKind, DeliveryStatus


class Channel(models.Model):
    """A way to tell the team: an e-mail list, a phone, a push service, Slack, a webhook.

    The channel receives the events named in ``events``; escalations to one of its
    ``roles`` go out through it too, and an e-mail channel also writes to the
    active members of those roles. Its target, provider tokens and a webhook's
    signing secret are kept in ``secrets``, encrypted, and are never shown again
    once written (only ``target_hint`` says where it points).
    """

    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    secrets = EncryptedJSONField(default=dict)
    target_hint = models.CharField(max_length=120, blank=True, editable=False)
    events = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    roles = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active"], name="notif_channel_active")]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.target_hint}".strip()


class Delivery(models.Model):
    """One message to one channel (or to named people), and what became of it.

    Written in the transaction of the write that caused it (a rollback tells
    nobody); a Celery worker attempts it after commit, again with backoff while
    it fails, until ``NOTIFICATION_MAX_ATTEMPTS``. ``uuid`` is the message id a
    webhook receiver sees (``webhook-id``), the same on every attempt.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    event = models.CharField(max_length=60, db_index=True)
    # {"data": {...}} for an event; {"to": [...], "subject": ..., "body": ...} for a message
    # to people.
    message = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RETRYING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=1000, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The sweep for deliveries whose task was lost reads only the open ones.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="notif_delivery_open",
            ),
            models.Index(fields=["status", "-created_at"], name="notif_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event} via {self.get_kind_display()} ({self.status})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.uuid.hex}"
