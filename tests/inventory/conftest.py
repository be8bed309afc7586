"""Helpers for the inventory tests: stock a part, listen to published events."""

import json
import time
from decimal import Decimal

import pytest
import redis
from django.conf import settings

from inventory.models import Part
from inventory.services import stock


def put(part, quantity, *, location=None, unit_cost=None, by=None):
    """Receive ``quantity`` of ``part`` (into its default location unless told)."""
    return stock.part_restock(
        part=part,
        quantity=Decimal(str(quantity)),
        by=by,
        location=location,
        unit_cost=None if unit_cost is None else Decimal(str(unit_cost)),
    )


def fresh(part) -> Part:
    return Part.objects.get(pk=part.pk)


class EventListener:
    """Redis pub/sub subscriber for this run's tenants (other runs may share Redis)."""

    def __init__(self, schemas, pattern="maintenance:*"):
        self.schemas = set(schemas)
        self.client = redis.Redis.from_url(settings.REDIS_URL)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(pattern)
        self.pubsub.get_message(timeout=1)

    def messages(self, wait=0.5):
        found, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            message = self.pubsub.get_message(timeout=0.05)
            if message and message["type"] == "pmessage":
                event = json.loads(message["data"])
                if event["tenant"] in self.schemas:
                    found.append(event)
        return found

    def close(self):
        self.pubsub.close()
        self.client.close()


@pytest.fixture
def events(test_tenants):
    listener = EventListener(tenant.schema for tenant in test_tenants.values())
    yield listener
    listener.close()
