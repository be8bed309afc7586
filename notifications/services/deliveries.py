"""Deliveries: recorded with the write that causes them, sent by Celery after it commits.

Nothing here talks to a mail server, a phone provider or a webhook receiver from
the web process. The write's transaction records one ``Delivery`` per channel
(or per message to people); once it commits, a Celery task attempts them. A
failed attempt is tried again with backoff until ``NOTIFICATION_MAX_ATTEMPTS``;
a task lost on the way (a broker restart, a killed worker) is made good by the
periodic sweep, which sends whatever is overdue. An attempt holds its row's lock,
so two tasks for one delivery never both send it.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from rest_framework.utils.encoders import JSONEncoder

from config.celery import app
from core.events import Event
from core.models import User
from core.observability.metrics import NOTIFICATION_ATTEMPTS
from notifications.choices import OPEN_STATUSES, ChannelKind, DeliveryStatus
from notifications.messages import body_of, subject_of
from notifications.models import Channel, Delivery
from notifications.targets import TargetRefused, destination, email_addresses
from notifications.transports import (
    DeliveryFailed,
    send_apprise,
    send_email,
    send_webhook,
    webhook_body,
)

logger = structlog.get_logger(__name__)

SEND_TASK = "notifications.tasks.send_deliveries"
# Deliveries per task: a PM run announcing thousands of work orders to a channel sends
# them in tasks of this many, each a few seconds of work at most.
SEND_BATCH = 50
# A task may run a little before its countdown by the worker's clock.
EARLY_TOLERANCE = timedelta(seconds=5)
# How late an attempt must be before the sweep takes it for lost.
STALLED_AFTER = timedelta(seconds=60)


def _send_after_commit(ids: Sequence[int], *, countdown: float = 0) -> None:
    def send() -> None:
        # By name: the task module imports this one. Through the registry, so Celery's own
        # eager mode (tests) runs it in place.
        task = app.tasks[SEND_TASK]
        for start in range(0, len(ids), SEND_BATCH):
            task.apply_async(args=[list(ids[start : start + SEND_BATCH])], countdown=countdown)

    transaction.on_commit(send, robust=True)


def _queue(rows: list[Delivery]) -> list[Delivery]:
    if not rows:
        return []
    Delivery.objects.bulk_create(rows)
    _send_after_commit([row.pk for row in rows])
    return rows


def deliveries_queue_for_events(events: Sequence[Event]) -> list[Delivery]:
    """Record a delivery of each event to every active channel that subscribes to it.

    Runs in the publishing write's transaction: one query when no channel listens,
    two when some do, however many events.
    """
    if not events or connection.schema_name == get_public_schema_name():
        return []
    types = sorted({event.type for event in events})
    channels = list(Channel.objects.filter(active=True, events__overlap=types))
    if not channels:
        return []
    now = timezone.now()
    return _queue(
        [
            Delivery(
                channel=channel,
                kind=channel.kind,
                event=event.type,
                message={"data": event.data},
                next_attempt_at=now,
                created_at=now,
            )
            for event in events
            for channel in channels
            if event.type in channel.events
        ]
    )


def people_email(*, event: str, to: Iterable[str], subject: str, body: str) -> Delivery | None:
    """Record an e-mail to named people (a requester, an assignee, the managers).

    Sent by a worker after the transaction commits; nobody to write to, nothing recorded.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return None
    now = timezone.now()
    (delivery,) = _queue(
        [
            Delivery(
                kind=ChannelKind.EMAIL,
                event=event,
                message={"to": recipients, "subject": subject[:200], "body": body},
                next_attempt_at=now,
                created_at=now,
            )
        ]
    )
    return delivery


def _role_emails(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    if not roles:
        return []
    return sorted(
        set(
            User.objects.filter(groups__name__in=roles, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


@dataclass(frozen=True)
class Notice:
    """Something to tell people by role and by name (an SLA escalation step, say)."""

    event: str
    data: dict[str, Any]
    roles: tuple[str, ...] = ()
    user_ids: tuple[int, ...] = ()


def notices_record(notices: Sequence[Notice]) -> list[Delivery]:
    """Record each notice as an e-mail to its people (the active members of its roles and
    the users it names) and a message on every active channel that speaks for one of its
    roles. Three queries however many notices (the people, the channels, the insert)."""
    if not notices:
        return []
    roles = sorted({role for notice in notices for role in notice.roles})
    user_ids = sorted({user for notice in notices for user in notice.user_ids})
    channels = list(Channel.objects.filter(active=True, roles__overlap=roles)) if roles else []
    by_role: dict[str, set[str]] = {}
    by_id: dict[int, str] = {}
    people = (
        User.objects.filter(Q(groups__name__in=roles) | Q(pk__in=user_ids), is_active=True)
        .exclude(email="")
        .values_list("pk", "email", "groups__name")
    )
    for pk, email, group in people:
        by_id[pk] = email
        by_role.setdefault(group, set()).add(email)
    now = timezone.now()
    rows: list[Delivery] = []
    for notice in notices:
        # As events carry data: serialised the way the API renders JSON.
        data = json.loads(json.dumps(notice.data, cls=JSONEncoder))
        rows += [
            Delivery(
                channel=channel,
                kind=channel.kind,
                event=notice.event,
                message={"data": data},
                next_attempt_at=now,
                created_at=now,
            )
            for channel in channels
            if set(channel.roles) & set(notice.roles)
        ]
        to = {by_id[pk] for pk in notice.user_ids if pk in by_id}
        for role in notice.roles:
            to |= by_role.get(role, set())
        if to:
            rows.append(
                Delivery(
                    kind=ChannelKind.EMAIL,
                    event=notice.event,
                    message={
                        "to": sorted(to),
                        "subject": subject_of(notice.event, data),
                        "body": body_of(notice.event, data),
                        "data": data,
                    },
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return _queue(rows)


def _send(delivery: Delivery) -> None:
    message = delivery.message or {}
    data = message.get("data") or {}
    subject = message.get("subject") or subject_of(delivery.event, data)
    body = message.get("body") or body_of(delivery.event, data)
    channel = delivery.channel
    if channel is None:
        if "to" not in message:
            raise DeliveryFailed("The channel was removed before the message could go out.")
        send_email(message["to"], subject, body)
        return
    if not channel.active:
        raise DeliveryFailed("The channel was switched off before the message could go out.")
    stored = channel.secrets or {}
    target = stored.get("target", "")
    try:
        if channel.kind == ChannelKind.EMAIL:
            addresses = set(email_addresses(target)) if target else set()
            addresses |= set(_role_emails(channel.roles))
            send_email(sorted(addresses), subject, body)
            return
        # Checked again now: a host that resolved to a public address when the channel
        # was saved may not any more.
        checked = destination(channel.kind, target, stored.get("tokens") or {})
    except TargetRefused as exc:
        raise DeliveryFailed(" ".join(m for ms in exc.errors.values() for m in ms)) from exc
    if channel.kind == ChannelKind.WEBHOOK:
        send_webhook(
            checked.url,
            stored["secret"],
            delivery.webhook_id,
            webhook_body(delivery.event, data, delivery.created_at),
        )
    else:
        send_apprise(checked.url, subject, body)


def retry_delay(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: 30 s, 2 min, 8 min, ..."""
    return timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


def delivery_attempt(delivery_id: int) -> str | None:
    """Attempt one delivery that is due; its new status, or None when it was not to be
    attempted (sent already, given up, not due yet, or in another worker's hands)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("channel")
            .filter(
                pk=delivery_id,
                status__in=OPEN_STATUSES,
                next_attempt_at__lte=now + EARLY_TOLERANCE,
            )
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        try:
            _send(delivery)
        except DeliveryFailed as exc:
            delivery.last_error = str(exc)[:1000]
            if delivery.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delay = retry_delay(delivery.attempts)
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = timezone.now() + delay
                _send_after_commit([delivery.pk], countdown=delay.total_seconds())
            logger.warning(
                "notification_failed",
                delivery=delivery.pk,
                kind=delivery.kind,
                event_type=delivery.event,
                attempts=delivery.attempts,
                error=delivery.last_error,
            )
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.last_error = ""
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "last_error",
                "next_attempt_at",
                "sent_at",
                "updated_at",
            ]
        )
    NOTIFICATION_ATTEMPTS.labels(kind=delivery.kind, outcome=delivery.status).inc()
    return delivery.status


def deliveries_send(delivery_ids: Iterable[int]) -> dict[str, int]:
    """Attempt each delivery (what the Celery task does); counts by outcome."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        status = delivery_attempt(delivery_id) or "skipped"
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


def deliveries_resend_stalled() -> int:
    """Queue again every open delivery whose attempt is long overdue (its task was lost)."""
    ids = list(
        Delivery.objects.filter(
            status__in=OPEN_STATUSES, next_attempt_at__lt=timezone.now() - STALLED_AFTER
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:5000]
    )
    if ids:
        _send_after_commit(ids)
    return len(ids)
