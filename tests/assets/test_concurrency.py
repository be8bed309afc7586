"""The asset register under concurrent writers, with real commits.

(No django_db mark here: these tests commit for real through ``committed``.)
"""

import threading
from decimal import Decimal

from django.db import connection
from django_tenants.utils import tenant_context

from assets.models import Alert, Asset
from assets.services import monitoring, registry
from tests.assets.factories import AssetFactory


def test_concurrent_readings_raise_a_single_alert(committed):
    """Two readings of the same breach at the same moment: one alert, two occurrences."""
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        asset = AssetFactory(asset_id="RACE-1")
    barrier = threading.Barrier(2)
    errors = []

    def post_reading():
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=5)
                monitoring.performance_record(by=None, asset=asset, temperature=Decimal(99))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_reading) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with tenant_context(alpha.tenant):
        alert = Alert.objects.get(asset__asset_id="RACE-1")
        assert alert.occurrences == 2


def test_concurrent_reparenting_cannot_close_a_loop(committed):
    """A under B and B under A at the same moment: one wins, the other is refused."""
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        a, b = AssetFactory(asset_id="LOOP-A"), AssetFactory(asset_id="LOOP-B")
    barrier = threading.Barrier(2)
    outcomes = []

    def reparent(child, parent):
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=5)
                registry.asset_update(by=None, asset=child, parent=parent)
                outcomes.append("ok")
        except Exception as exc:  # collected and asserted below
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=reparent, args=pair) for pair in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["InvalidInput", "ok"]
    with tenant_context(alpha.tenant):
        parents = dict(
            Asset.objects.filter(asset_id__startswith="LOOP").values_list(
                "asset_id", "parent__asset_id"
            )
        )
    assert list(parents.values()).count(None) == 1


def test_alert_event_reaches_pubsub_with_the_alert_as_its_detail(committed):
    from tests.core.test_events import GroupListener, PubSubListener

    alpha, beta = committed["alpha"], committed["beta"]
    listener = PubSubListener([alpha, beta])
    alpha_feed, beta_feed = GroupListener(alpha.schema), GroupListener(beta.schema)
    try:
        with tenant_context(alpha.tenant):
            asset = AssetFactory(asset_id="HOT-1", name="Hot pump")
            monitoring.performance_record(by=None, asset=asset, temperature=Decimal(97))
        events = listener.messages()
    finally:
        listener.close()

    assert [(e["channel"], e["tenant"]) for e in events] == [
        ("maintenance:asset:alert", alpha.schema)
    ]
    data = events[0]["data"]
    assert data["asset_id"] == "HOT-1"
    assert data["asset_name"] == "Hot pump"
    assert data["severity"] == "high"
    assert data["status"] == "open"
    assert data["value"] == 97.0
    assert alpha_feed.receive()["data"]["asset_id"] == "HOT-1"
    assert beta_feed.receive(timeout=0.5) is None  # another tenant's clients never see it
