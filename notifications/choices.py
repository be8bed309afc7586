from django.db import models


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    # Recorded with the write that caused it, not attempted yet.
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


# Deliveries a worker still has to attempt.
OPEN_STATUSES: tuple[str, ...] = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
