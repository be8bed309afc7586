"""The MQTT bridge: readings published by devices, fed to the same ingestion service.

Devices publish to ``cmms/<tenant schema>/<device_id>/metrics`` the JSON the API
takes (one reading or a list), signed with their device token: the ``token``
field of the object, or, for a list, ``{"token": ..., "readings": [...]}``
(a list whose items each carry the same ``token`` works too). Readings may leave
``device_id`` out: the topic names the device.

A message is refused, logged and counted (``iot_mqtt_messages_total{outcome}``)
when its tenant is unknown, its token is unknown, revoked or of another device, or
it is not JSON: the topic's schema and device must be the token's own, so a token
never writes into another tenant by naming its schema.

With ``MQTT_BROKER_AUTH=dynsec`` a device may instead sign in to the broker with its
token as password (see ``iot.services.broker_clients``): the broker's ACL lets that
login publish on its own device's topic only, so a message without ``token`` is taken
as the topic's device's own, provided the device still has an active token (a revoked
token's login may outlive it until the broker hears of it). A ``token`` that is present
is checked as above. In ``payload`` mode a message without one is refused.

Messages are taken with QoS 1 and acknowledged only once their batch has been
stored (manual acks), so a bridge that dies mid-batch leaves them to be delivered
again; a resend is harmless (the readings' key dedupes it). The bridge batches
what arrives within ``MQTT_BATCH_SECONDS`` per tenant and token, up to the API's
batch size. Paho reconnects with a backoff from 1 to ``MQTT_MAX_BACKOFF_SECONDS``
and subscribes again on every connect; several bridges share the load through a
shared subscription (``$share/<MQTT_SHARED_GROUP>/...``).
"""

import json
import queue
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import structlog
from django.conf import settings
from django.db import close_old_connections
from django_tenants.utils import tenant_context
from prometheus_client import Counter

from iot.broker import broker_from_url
from iot.selectors import device_has_active_token
from iot.services.ingestion import readings_ingest
from iot.services.tokens import device_token_find
from tenants.models import Tenant

logger = structlog.get_logger(__name__)

TOPIC = "cmms/+/+/metrics"
TOPIC_RE = re.compile(r"^cmms/([a-z][a-z0-9_]{1,62})/([A-Za-z0-9][A-Za-z0-9._-]{0,63})/metrics$")
MESSAGES = Counter(
    "iot_mqtt_messages", "MQTT messages handled by the bridge, by outcome", ["outcome"]
)


@dataclass
class Message:
    schema: str
    device: str
    token: str | None  # None: vouched for by the broker's login (dynsec mode)
    items: list[Any]
    mid: int
    qos: int


def parse_message(topic: str, payload: bytes, *, token_required: bool = True) -> Message | str:
    """The message, or the reason it is refused."""
    match = TOPIC_RE.match(topic)
    if not match:
        return "bad_topic"
    if len(payload) > settings.IOT_MAX_BODY_BYTES:
        return "too_large"
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return "not_json"
    token: Any = None
    if isinstance(data, dict) and isinstance(data.get("readings"), list):
        token, items = data.get("token"), data["readings"]
    elif isinstance(data, dict):
        token, items = data.get("token"), [{k: v for k, v in data.items() if k != "token"}]
    elif isinstance(data, list):
        signed = [item.get("token") for item in data if isinstance(item, dict)]
        if any(not isinstance(value, str | None) for value in signed):
            return "no_token"
        tokens = set(signed)
        if len(tokens) > 1:  # items signed differently, or some not at all
            return "no_token"
        token = tokens.pop() if tokens else None
        items = [
            {k: v for k, v in item.items() if k != "token"} if isinstance(item, dict) else item
            for item in data
        ]
    else:
        return "not_readings"
    unsigned_allowed = token is None and not token_required
    if not unsigned_allowed and (not isinstance(token, str) or not token):
        return "no_token"
    if len(items) > settings.IOT_MAX_BATCH:
        return "too_many_readings"
    schema, device = match.groups()
    return Message(schema=schema, device=device, token=token, items=items, mid=0, qos=0)


class Bridge:
    """Subscribes, batches and ingests; runs until ``stop`` is set."""

    def __init__(
        self,
        url: str,
        *,
        group: str = "",
        batch_seconds: float = 0.2,
        on_subscribed: Callable[[str], None] | None = None,
        broker_auth: str = "payload",
    ) -> None:
        self.broker = broker_from_url(url)
        self.token_required = broker_auth != "dynsec"
        self.on_subscribed = on_subscribed
        self.group = group
        self.batch_seconds = batch_seconds
        self.inbox: queue.Queue[tuple[str, bytes, int, int]] = queue.Queue(maxsize=10_000)
        self.stop = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"cmms-bridge-{id(self):x}",
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=settings.MQTT_MAX_BACKOFF_SECONDS)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    @property
    def subscription(self) -> str:
        return f"$share/{self.group}/{TOPIC}" if self.group else TOPIC

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            logger.warning("mqtt_connect_failed", reason=str(reason))
            return
        # Subscribed again on every connect: a restarted broker may have forgotten us.
        client.subscribe(self.subscription, qos=1)
        logger.info("mqtt_subscribed", topic=self.subscription, broker=self.broker.host)
        if self.on_subscribed is not None:
            self.on_subscribed(self.subscription)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        logger.warning("mqtt_disconnected", reason=str(reason))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # Blocks paho's thread when the ingester falls behind: back-pressure on the broker.
        self.inbox.put((message.topic, message.payload, message.mid, message.qos))

    def run(self) -> None:
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        try:
            while not self.stop.is_set():
                self.drain_once()
        finally:
            self.client.loop_stop()
            self.client.disconnect()

    def _collect(self) -> list[tuple[str, bytes, int, int]]:
        try:
            first = self.inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        taken, deadline = [first], time.monotonic() + self.batch_seconds
        while len(taken) < 1000:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                taken.append(self.inbox.get(timeout=left))
            except queue.Empty:
                break
        return taken

    def drain_once(self) -> None:
        taken = self._collect()
        if not taken:
            return
        groups: dict[tuple[str, str, str | None], list[Message]] = defaultdict(list)
        acks: list[tuple[int, int]] = []
        for topic, payload, mid, qos in taken:
            try:
                parsed = parse_message(topic, payload, token_required=self.token_required)
            except Exception:  # whatever a publisher sends, the bridge goes on
                logger.exception("mqtt_message_unreadable", topic=topic)
                parsed = "unreadable"
            if isinstance(parsed, str):
                refuse(parsed, topic=topic)
                acks.append((mid, qos))
                continue
            parsed.mid, parsed.qos = mid, qos
            groups[(parsed.schema, parsed.device, parsed.token)].append(parsed)
        for (schema, device, token), messages in groups.items():
            close_old_connections()
            try:
                ingest_group(schema, device, token, messages)
            except Exception:  # one tenant's trouble must not stop the others' readings
                MESSAGES.labels(outcome="failed").inc(len(messages))
                logger.exception("mqtt_ingest_failed", schema=schema, device=device)
                continue  # unacknowledged: the broker delivers them again
            acks += [(message.mid, message.qos) for message in messages]
        for mid, qos in acks:
            self.client.ack(mid, qos)


def refuse(reason: str, **context: Any) -> None:
    MESSAGES.labels(outcome=f"refused_{reason}").inc()
    logger.warning("mqtt_message_refused", reason=reason, **context)


def ingest_group(schema: str, device: str, token: str | None, messages: list[Message]) -> None:
    """Readings of one device of one tenant, signed with one token (or, None, by the broker
    login that published them): checked, then stored in batches of at most
    ``IOT_MAX_BATCH``."""
    tenant = Tenant.objects.filter(schema_name=schema, ready=True).first()
    if tenant is None:
        refuse("unknown_tenant", schema=schema, device=device)
        return
    with tenant_context(tenant):
        if token is None:
            if not device_has_active_token(device):
                for _ in messages:
                    refuse("no_active_token", schema=schema, device=device)
                return
            _ingest(schema, device, messages)
            return
        found = device_token_find(token)
        if found is None or found.revoked_at is not None:
            # A token of another tenant is unknown here: naming a schema grants nothing.
            for _ in messages:
                refuse("bad_token", schema=schema, device=device)
            return
        if found.asset.asset_id != device:
            for _ in messages:
                refuse("other_device", schema=schema, device=device)
            return
        _ingest(schema, device, messages)


def _ingest(schema: str, device: str, messages: list[Message]) -> None:
    items = [
        {"device_id": device, **item} if isinstance(item, dict) else item
        for message in messages
        for item in message.items
    ]
    for start in range(0, len(items), settings.IOT_MAX_BATCH):
        result = readings_ingest(
            items=items[start : start + settings.IOT_MAX_BATCH], only_device=device
        )
        if result.rejected:
            logger.info(
                "mqtt_readings_rejected",
                schema=schema,
                device=device,
                rejected=result.rejected[:20],
            )
    MESSAGES.labels(outcome="ingested").inc(len(messages))
