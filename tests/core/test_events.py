"""The event bus: after commit only, to the tenant's group and to Redis pub/sub;
a broker outage never fails the write."""

import json
import time

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django_tenants.utils import tenant_context

from core.events import publish, tenant_group_name
from core.models import User
from core.observability.metrics import EVENT_DELIVERY_FAILURES
from core.services import user_create
from tests.conftest import PASSWORD


class PubSubListener:
    """Collects pub/sub events of this test session's tenants (other runs may share Redis)."""

    def __init__(self, tenants, pattern: str = "maintenance:*") -> None:
        self.schemas = {tenant.schema for tenant in tenants}
        self.client = redis.Redis.from_url(settings.REDIS_URL)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(pattern)
        # Consume the subscription confirmation so get() returns only events.
        self.pubsub.get_message(timeout=1)

    def messages(self, wait: float = 0.5) -> list[dict]:
        found, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.05)
            if message and message["type"] == "pmessage":
                event = {"channel": message["channel"].decode(), **json.loads(message["data"])}
                if event["tenant"] in self.schemas:
                    found.append(event)
        return found

    def close(self) -> None:
        self.pubsub.close()
        self.client.close()


@pytest.fixture
def listener(test_tenants):
    listening = PubSubListener(test_tenants.values())
    yield listening
    listening.close()


class GroupListener:
    """A channel-layer channel joined to one tenant's group, as a WebSocket client is."""

    def __init__(self, schema: str) -> None:
        self.layer = get_channel_layer()
        self.group = tenant_group_name(schema)
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(self.group, self.channel)

    def receive(self, timeout: float = 2.0) -> dict | None:
        async def _receive():
            import asyncio

            try:
                return await asyncio.wait_for(self.layer.receive(self.channel), timeout)
            except TimeoutError:
                return None

        return async_to_sync(_receive)()


def test_event_leaves_only_after_commit_with_tenant_and_type(committed, listener):
    alpha = committed["alpha"]
    group = GroupListener(alpha.schema)
    with tenant_context(alpha.tenant), transaction.atomic():
        publish("asset:alert", {"id": 7, "severity": "high"})
        assert listener.messages(wait=0.3) == []  # still inside the transaction

    received = listener.messages()
    assert received == [
        {
            "channel": "maintenance:asset:alert",
            "tenant": alpha.schema,
            "type": "asset:alert",
            "data": {"id": 7, "severity": "high"},
        }
    ]
    message = group.receive()
    assert message["event"] == "asset:alert"
    assert message["data"] == {"id": 7, "severity": "high"}


def test_rolled_back_write_publishes_nothing(committed, listener):
    alpha = committed["alpha"]

    def failing_write():
        with transaction.atomic():
            user_create(by=None, username="ghost", password=PASSWORD)
            publish("work-order:created", {"id": 1})
            raise RuntimeError("the write fails after publishing")

    with tenant_context(alpha.tenant):
        with pytest.raises(RuntimeError):
            failing_write()
        assert not User.objects.filter(username="ghost").exists()

    assert listener.messages() == []


def test_event_goes_only_to_its_own_tenant_group(committed):
    alpha, beta = committed["alpha"], committed["beta"]
    alpha_group, beta_group = GroupListener(alpha.schema), GroupListener(beta.schema)
    with tenant_context(beta.tenant), transaction.atomic():
        publish("inventory:low-stock", {"part": 3})

    assert beta_group.receive()["data"] == {"part": 3}
    assert alpha_group.receive(timeout=0.5) is None


def test_unknown_event_type_is_a_programming_error(db):
    with pytest.raises(ValueError, match="unknown event type"):
        publish("work-order:exploded", {})


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_redis_outage_does_not_fail_the_write_and_is_counted(committed):
    alpha = committed["alpha"]
    dead_layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": DEAD_REDIS, "socket_connect_timeout": 0.2}]},
        }
    }
    before = {
        target: EVENT_DELIVERY_FAILURES.labels(target=target)._value.get()
        for target in ("channel_layer", "pubsub")
    }
    with (
        override_settings(REDIS_URL=DEAD_REDIS, CHANNEL_LAYERS=dead_layers),
        tenant_context(alpha.tenant),
        transaction.atomic(),
    ):
        user_create(by=None, username="survivor", password=PASSWORD)
        publish("work-order:created", {"id": 99})

    with tenant_context(alpha.tenant):
        assert User.objects.filter(username="survivor").exists()
    for target in ("channel_layer", "pubsub"):
        assert EVENT_DELIVERY_FAILURES.labels(target=target)._value.get() == before[target] + 1
