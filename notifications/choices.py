from django.db import models


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    PUSH = "push", "Push"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    SENT = "sent", "Sent"
    # Still to be attempted: recorded with the write that caused it (attempts 0), or
    # waiting for its next try after a failure.
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


# Deliveries a worker still has to attempt.
OPEN_STATUSES: tuple[str, ...] = (DeliveryStatus.RETRYING,)
