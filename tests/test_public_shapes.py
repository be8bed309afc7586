"""One public shape per object: the event carries exactly what the detail endpoint returns.

Each app's events.py builds the payload; the serializers render through it and
keep their fields for input and the schema. Given an event delivered for real
(Redis pub/sub), when the object is read back from its endpoint, then the two
bodies are equal, and the schema's fields are the payload's keys.
"""

import pytest
from django_tenants.utils import tenant_context

from assets.api.serializers import AlertSerializer
from inventory.api.serializers import PartSerializer
from maintenance.api.serializers import WorkOrderSerializer
from tests.core.test_events import PubSubListener
from tests.inventory.factories import PartFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(test_tenants):
    listening = PubSubListener(test_tenants.values())
    yield listening
    listening.close()


def _event(listener, event_type: str) -> dict:
    found = [m for m in listener.messages(wait=1.0) if m["type"] == event_type]
    assert len(found) == 1, [m["type"] for m in found]
    return found[0]["data"]


def _readable(serializer_class) -> set[str]:
    return {name for name, field in serializer_class().fields.items() if not field.write_only}


def test_work_order_event_equals_its_detail_body(
    api, alpha, listener, django_capture_on_commit_callbacks
):
    client = api("planner")
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/work-orders/", {"title": "Replace belt", "priority": "high"}
        ).json()

    data = _event(listener, "work-order:created")
    assert data == client.get(f"/api/v1/work-orders/{created['id']}/").json()
    assert set(data) == _readable(WorkOrderSerializer)


def test_low_stock_event_equals_the_part_detail_body(
    api, alpha, listener, django_capture_on_commit_callbacks
):
    with tenant_context(alpha.tenant):
        part = PartFactory(reorder_point=5)
    client = api("planner")
    client.post(f"/api/v1/inventory/parts/{part.pk}/restock/", {"quantity": "8", "unit_cost": "2"})
    listener.messages(wait=0.2)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/inventory/parts/{part.pk}/usage/", {"quantity": "4"})

    data = _event(listener, "inventory:low-stock")
    assert data == client.get(f"/api/v1/inventory/parts/{part.pk}/").json()
    assert set(data) == _readable(PartSerializer)


def test_alert_event_equals_the_alert_detail_body(
    api, alpha, listener, django_capture_on_commit_callbacks
):
    client = api("planner")
    client.post(
        "/api/v1/assets/", {"asset_id": "OVEN-1", "name": "Oven", "asset_type": "equipment"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/assets/OVEN-1/performance/", {"temperature": "95"}, format="json")

    data = _event(listener, "asset:alert")
    assert data == client.get(f"/api/v1/alerts/{data['id']}/").json()
    assert set(data) == _readable(AlertSerializer)
