"""The event bus.

A service calls ``publish`` inside its transaction. Nothing leaves the process
until the transaction commits; a rollback drops the event with the write. After
commit the event goes to the tenant's channel-layer group (WebSocket clients)
and to Redis pub/sub ``maintenance:<event>``. A broker outage never fails the
write that caused the event: the failure is logged and counted.

Other ways of telling people (e-mail, SMS, push, Slack, webhooks) hear of every
published event through one explicit hook: ``publish`` and ``publish_many``
dispatch ``EventsPublished`` (a ``core.reactions`` domain event) with the events as
serialised, inside the caller's transaction. The notifications app handles it in
its ``reactions.py``: it records a delivery per subscribed channel in that same
transaction and hands them to Celery once it commits, so a rolled-back write tells
nobody and a dead channel never fails the write. Core imports no app to do this.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import redis
import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.dispatch import receiver
from rest_framework.utils.encoders import JSONEncoder

from core.observability.metrics import EVENT_DELIVERY_FAILURES, EVENTS_DELIVERED
from core.reactions import DomainEvent, dispatch

logger = structlog.get_logger(__name__)

EVENT_TYPES: frozenset[str] = frozenset(
    {
        "work-order:created",
        "work-order:updated",
        "work-order:completed",
        "inventory:low-stock",
        "sla:warning",
        "sla:violation",
        "predictive:alert",
        "iot:anomaly",
        "asset:alert",
        "sync:completed",
        "diagnostics:completed",
    }
)

PUBSUB_PREFIX = "maintenance:"


@dataclass(frozen=True)
class Audience:
    """Who among a tenant's connected clients may see an event.

    ``user_ids`` are always admitted; ``roles`` admits every member of those roles.
    None (the default on ``publish``) means the tenant's team: every role but
    requesters, who only ever see events addressed to them.
    """

    roles: frozenset[str] = field(default_factory=frozenset)
    user_ids: frozenset[int] = field(default_factory=frozenset)

    def admits(self, *, user_id: int, role: str | None) -> bool:
        return user_id in self.user_ids or (role is not None and role in self.roles)

    def as_message(self) -> dict[str, list[Any]]:
        return {"roles": sorted(self.roles), "user_ids": sorted(self.user_ids)}

    @classmethod
    def from_message(cls, raw: dict[str, list[Any]] | None) -> "Audience | None":
        if raw is None:
            return None
        return cls(
            roles=frozenset(raw.get("roles", [])), user_ids=frozenset(raw.get("user_ids", []))
        )


def tenant_group_name(schema_name: str) -> str:
    """The channel-layer group of one tenant's WebSocket clients."""
    return f"tenant.{schema_name}.events"


def user_group_name(schema_name: str, user_id: int) -> str:
    """The channel-layer group of one user's WebSocket clients (the tenant's schema in it:
    user ids repeat across tenants)."""
    return f"tenant.{schema_name}.user.{user_id}"


def close_user_feeds(user_id: int) -> None:
    """Once the transaction commits, close the user's open WebSockets in this tenant."""
    schema_name = connection.schema_name
    transaction.on_commit(lambda: _send_session_ended(schema_name, user_id))


def _send_session_ended(schema_name: str, user_id: int) -> None:
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(
            user_group_name(schema_name, user_id), {"type": "session.ended"}
        )
    except Exception as exc:  # the sockets still die at their token's expiry
        EVENT_DELIVERY_FAILURES.labels(target="channel_layer").inc()
        logger.warning(
            "session_end_delivery_failed", tenant=schema_name, user_id=user_id, error=repr(exc)
        )


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    audience: Audience | None = None


@dataclass(frozen=True)
class EventsPublished(DomainEvent):
    """Events a transaction just published, serialised as clients will see them.

    Dispatched by ``publish`` and ``publish_many`` inside the caller's transaction
    (one dispatch per call, however many events), so that notification channels
    learn of every event without core knowing they exist.
    """

    events: tuple[Event, ...]


def publish(event_type: str, data: dict[str, Any], *, audience: Audience | None = None) -> None:
    """Send ``event_type`` with ``data`` to the current tenant once its transaction commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    schema_name = connection.schema_name
    # Serialise now, the way the API renders JSON (numbers stay numbers): the payload
    # describes the object as this transaction wrote it and as its endpoint shows it.
    payload = json.loads(json.dumps(data, cls=JSONEncoder))
    dispatch(EventsPublished((Event(event_type, payload, audience),)))
    transaction.on_commit(
        lambda: deliver(schema_name, event_type, payload, audience=audience), robust=True
    )


# Events per channel-layer message when many go out at once (a PM run creating
# thousands of work orders): one message each would cost a Redis round trip each.
BATCH_SIZE = 100


def publish_many(events: list[Event]) -> None:
    """``publish`` for many events of one transaction, delivered in batches after commit."""
    if not events:
        return
    unknown = {event.type for event in events} - EVENT_TYPES
    if unknown:
        raise ValueError(f"unknown event type(s) {sorted(unknown)!r}")
    schema_name = connection.schema_name
    encoded = [
        Event(event.type, json.loads(json.dumps(event.data, cls=JSONEncoder)), event.audience)
        for event in events
    ]
    dispatch(EventsPublished(tuple(encoded)))
    transaction.on_commit(lambda: deliver_many(schema_name, encoded), robust=True)


def deliver_many(schema_name: str, events: list[Event]) -> None:
    """Hand committed events to the channel layer (batched) and to pub/sub (pipelined)."""
    batches = [events[i : i + BATCH_SIZE] for i in range(0, len(events), BATCH_SIZE)]

    async def send_all() -> None:
        layer = get_channel_layer()
        group = tenant_group_name(schema_name)
        for batch in batches:
            await layer.group_send(
                group,
                {
                    "type": "tenant.events",
                    "events": [
                        {
                            "event": event.type,
                            "data": event.data,
                            "audience": event.audience.as_message() if event.audience else None,
                        }
                        for event in batch
                    ],
                },
            )

    try:
        async_to_sync(send_all)()
    except Exception as exc:  # any broker failure must not reach the caller
        EVENT_DELIVERY_FAILURES.labels(target="channel_layer").inc(len(events))
        logger.warning(
            "event_delivery_failed",
            target="channel_layer",
            tenant=schema_name,
            count=len(events),
            error=repr(exc),
        )
    else:
        EVENTS_DELIVERED.labels(target="channel_layer").inc(len(events))
    try:
        pipeline = pubsub_client().pipeline(transaction=False)
        for event in events:
            pipeline.publish(
                f"{PUBSUB_PREFIX}{event.type}",
                json.dumps({"tenant": schema_name, "type": event.type, "data": event.data}),
            )
        pipeline.execute()
    except Exception as exc:  # any broker failure must not reach the caller
        EVENT_DELIVERY_FAILURES.labels(target="pubsub").inc(len(events))
        logger.warning(
            "event_delivery_failed",
            target="pubsub",
            tenant=schema_name,
            count=len(events),
            error=repr(exc),
        )
    else:
        EVENTS_DELIVERED.labels(target="pubsub").inc(len(events))


def deliver(
    schema_name: str, event_type: str, data: dict[str, Any], *, audience: Audience | None = None
) -> None:
    """Hand a committed event to the channel layer and to Redis pub/sub."""
    _deliver_to_channel_layer(schema_name, event_type, data, audience)
    _deliver_to_pubsub(schema_name, event_type, data)


def _deliver_to_channel_layer(
    schema_name: str, event_type: str, data: dict[str, Any], audience: Audience | None
) -> None:
    message = {
        "type": "tenant.event",
        "event": event_type,
        "data": data,
        "audience": audience.as_message() if audience else None,
    }
    try:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(tenant_group_name(schema_name), message)
    except Exception as exc:  # any broker failure must not reach the caller
        EVENT_DELIVERY_FAILURES.labels(target="channel_layer").inc()
        logger.warning(
            "event_delivery_failed",
            target="channel_layer",
            tenant=schema_name,
            event_type=event_type,
            error=repr(exc),
        )
    else:
        EVENTS_DELIVERED.labels(target="channel_layer").inc()


def _deliver_to_pubsub(schema_name: str, event_type: str, data: dict[str, Any]) -> None:
    message = json.dumps({"tenant": schema_name, "type": event_type, "data": data})
    try:
        pubsub_client().publish(f"{PUBSUB_PREFIX}{event_type}", message)
    except Exception as exc:  # any broker failure must not reach the caller
        EVENT_DELIVERY_FAILURES.labels(target="pubsub").inc()
        logger.warning(
            "event_delivery_failed",
            target="pubsub",
            tenant=schema_name,
            event_type=event_type,
            error=repr(exc),
        )
    else:
        EVENTS_DELIVERED.labels(target="pubsub").inc()


@cache
def pubsub_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


@receiver(setting_changed)
def _forget_client(*, setting: str, **kwargs: Any) -> None:
    if setting in {"REDIS_URL", "REDIS_SOCKET_TIMEOUT"}:
        pubsub_client.cache_clear()
