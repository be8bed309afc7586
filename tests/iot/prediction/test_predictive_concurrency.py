"""The predictive job under two concurrent passes, with real commits: one work order.

(No django_db mark here: these tests commit for real through ``committed``.)
"""

import json
import threading
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from assets.models import Failure
from iot.services.predictive import predictive_pass
from maintenance.models import MaintenanceSettings, WorkOrder
from tests.assets.factories import AssetFactory


def test_two_passes_at_once_open_one_predictive_work_order_and_one_alert(committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        # Given an asset at critical risk (four failures this year, critical condition)
        worn = AssetFactory(asset_id="WORN-1", condition="critical")
        AssetFactory(asset_id="FINE-1")
        now = timezone.now()
        for days in (3, 40, 90, 200):
            Failure.objects.create(asset=worn, occurred_at=now - timedelta(days=days))
        MaintenanceSettings.current()
    listener = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    listener.subscribe("maintenance:predictive:alert")
    listener.get_message(timeout=1)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run_pass():
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=5)
                reports.append(predictive_pass())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # When two passes run at the same moment
    threads = [threading.Thread(target=run_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Then exactly one predictive work order is open, and one alert went out
    with tenant_context(alpha.tenant):
        orders = list(WorkOrder.objects.filter(source="predictive"))
        assert len(orders) == 1
        assert orders[0].asset.asset_id == "WORN-1"
        assert orders[0].work_type == "predictive"
        assert orders[0].priority == "critical"
        assert "Risk level critical" in orders[0].description
    assert sorted(report.opened for report in reports) == [0, 1]
    alerts = []
    deadline = timezone.now() + timedelta(seconds=5)
    while timezone.now() < deadline and not alerts:
        message = listener.get_message(timeout=1)
        if message and message["type"] == "message":
            alerts.append(json.loads(message["data"]))
    assert len(alerts) == 1
    assert alerts[0]["tenant"] == alpha.schema
    assert alerts[0]["data"]["asset_id"] == "WORN-1"
    assert alerts[0]["data"]["work_order"]["id"] == orders[0].pk
    assert listener.get_message(timeout=1) is None
    listener.close()

    # And once that work order is completed or cancelled, the next pass may open another
    with tenant_context(alpha.tenant):
        WorkOrder.objects.filter(pk=orders[0].pk).update(status="cancelled")
        assert predictive_pass().opened == 1
        assert predictive_pass().opened == 0
