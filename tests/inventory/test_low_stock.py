"""Low stock: one event (and one e-mail to managers) per downward crossing of the reorder point."""

from decimal import Decimal

import pytest
from django.core import mail

from core.services import user_create, user_update
from inventory.services import catalog, stock
from tests.conftest import PASSWORD
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, VendorFactory

D = Decimal
pytestmark = pytest.mark.django_db


def use(part, quantity, capture):
    with capture(execute=True):
        stock.part_usage_record(part=part, quantity=D(quantity), by=None)


def low_stock_events(events, wait=0.5):
    return [e for e in events.messages(wait=wait) if e["type"] == "inventory:low-stock"]


def test_crossing_down_publishes_once_per_crossing(
    in_alpha, events, django_capture_on_commit_callbacks
):
    part = PartFactory(reorder_point=D(5))
    with django_capture_on_commit_callbacks(execute=True):
        put(part, 10)
    assert fresh(part).low_stock_since is None

    use(part, 4, django_capture_on_commit_callbacks)  # 6: still above
    assert low_stock_events(events) == []

    use(part, 1, django_capture_on_commit_callbacks)  # 5: at the reorder point, crossed
    first = low_stock_events(events)
    use(part, 1, django_capture_on_commit_callbacks)  # 4: still low, no new event
    use(part, 2, django_capture_on_commit_callbacks)  # 2: still low, no new event
    repeated = low_stock_events(events)

    with django_capture_on_commit_callbacks(execute=True):
        put(part, 10)  # 12: back above, re-armed
    assert fresh(part).low_stock_since is None
    use(part, 8, django_capture_on_commit_callbacks)  # 4: a second crossing
    second = low_stock_events(events)

    assert len(first) == 1
    assert first[0]["tenant"] == in_alpha.schema
    assert first[0]["data"]["id"] == part.pk
    assert first[0]["data"]["quantity_on_hand"] == 5
    assert first[0]["data"]["is_low_stock"] is True
    assert repeated == []
    assert len(second) == 1
    assert second[0]["data"]["quantity_on_hand"] == 4


def test_event_payload_is_the_parts_detail_representation(
    in_alpha, api, events, django_capture_on_commit_callbacks
):
    part = PartFactory(reorder_point=D(1), vendor=VendorFactory())
    with django_capture_on_commit_callbacks(execute=True):
        put(part, 2, unit_cost="1.5")

    use(part, 1, django_capture_on_commit_callbacks)
    [event] = low_stock_events(events)

    detail = api("viewer").get(f"/api/v1/inventory/parts/{part.pk}/").json()
    assert event["data"] == detail


def test_managers_are_emailed_on_a_crossing_and_nobody_else(
    in_alpha, django_capture_on_commit_callbacks, celery_eager
):
    retired = user_create(
        by=None, username="old.boss", email="old@alpha.test", password=PASSWORD, role="manager"
    )
    user_update(by=None, user=retired, is_active=False)
    part = PartFactory(reorder_point=D(3), part_number="FLT-0042", name="Air filter")
    with django_capture_on_commit_callbacks(execute=True):
        put(part, 5)
    mail.outbox.clear()

    use(part, 2, django_capture_on_commit_callbacks)
    use(part, 1, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "FLT-0042" in message.subject
    assert "Air filter" in message.subject
    assert set(message.to) == {f"manager@{in_alpha.domain}", f"owner@{in_alpha.domain}"}
    assert "reorder point of 3" in message.body


def test_nothing_is_published_when_the_transaction_rolls_back(
    in_alpha, events, django_capture_on_commit_callbacks, celery_eager
):
    part = PartFactory(reorder_point=D(5))
    put(part, 6)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stock.part_usage_record(part=part, quantity=D(3), by=None)
    # The callbacks were registered but never run: no commit, no event, no mail.

    assert callbacks  # proof that the crossing registered its delivery for after commit
    assert low_stock_events(events) == []
    assert mail.outbox == []


def test_consume_announces_each_part_that_crosses(
    in_alpha, events, django_capture_on_commit_callbacks
):
    a, b, c = (PartFactory(reorder_point=D(2)) for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        for part in (a, b, c):
            put(part, 5)

    with django_capture_on_commit_callbacks(execute=True):
        stock.parts_consume(
            lines=[
                stock.ConsumeLine(part_id=a.pk, quantity=D(3)),
                stock.ConsumeLine(part_id=b.pk, quantity=D(4)),
                stock.ConsumeLine(part_id=c.pk, quantity=D(1)),
            ],
            by=None,
        )

    announced = {event["data"]["id"] for event in low_stock_events(events)}
    assert announced == {a.pk, b.pk}


def test_raising_the_reorder_point_over_the_stock_is_a_crossing_but_creating_is_not(
    in_alpha, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        empty = PartFactory(reorder_point=D(2))  # born low: not a crossing
        part = PartFactory(reorder_point=D(1))
        put(part, 4)
    assert fresh(empty).low_stock_since is not None
    assert low_stock_events(events) == []

    with django_capture_on_commit_callbacks(execute=True):
        catalog.part_update(part=part, by=None, reorder_point=D(4))

    [event] = low_stock_events(events)
    assert event["data"]["id"] == part.pk


def test_inactive_parts_track_low_stock_without_announcing_it(
    in_alpha, events, django_capture_on_commit_callbacks
):
    part = PartFactory(reorder_point=D(2), active=False)
    with django_capture_on_commit_callbacks(execute=True):
        put(part, 3)

    use(part, 2, django_capture_on_commit_callbacks)

    assert fresh(part).low_stock_since is not None
    assert low_stock_events(events) == []
