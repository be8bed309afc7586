"""The SLA monitor for real: beat fans the job out, a worker runs it, the violation
reaches the WebSocket feed and Redis once.

(No django_db mark: this test commits for real through ``committed``.)
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from maintenance.services import work_orders
from sla.models import Violation
from sla.services.policies import policy_create
from tests.core.test_events import PubSubListener
from tests.core.test_websocket import drain, open_feed, token_for
from tests.live import CeleryBeat

pytestmark = pytest.mark.live


def test_a_one_minute_response_clock_breaches_once_through_beat_and_worker(
    asgi_server, celery_worker, committed
):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        policy_create(by=None, name="Urgent", response_minutes=1, resolution_minutes=60)
        # Reported 50 seconds ago: the one-minute response clock is due in ten seconds.
        order = work_orders.work_order_create(
            by=None, title="Line 3 down", reported_at=timezone.now() - timedelta(seconds=50)
        )
    listener = PubSubListener([alpha], pattern="maintenance:sla:*")
    beat = None
    try:
        with open_feed(asgi_server, alpha.domain, token_for(alpha, "viewer")) as feed:
            beat = CeleryBeat(SLA_MONITOR_EVERY_SECONDS="2")
            seen, published = [], []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(
                e["type"] == "sla:violation" for e in seen
            ):
                seen += drain(feed, wait=1.0)
                published += listener.messages(wait=0.1)
                beat.assert_alive()
            # Several more passes run; none may announce it again.
            time.sleep(6)
            seen += drain(feed, wait=1.0)
            published += listener.messages(wait=0.5)
    finally:
        listener.close()
        if beat is not None:
            beat.stop()

    violations = [e for e in seen if e["type"] == "sla:violation"]
    assert len(violations) == 1, (seen, celery_worker.output(), beat.output())
    assert violations[0]["data"]["work_order"] == order.pk
    assert violations[0]["data"]["kind"] == "response"
    assert [e["type"] for e in seen if e["type"].startswith("sla:")] == [
        "sla:warning",
        "sla:violation",
    ]
    on_redis = [m for m in published if m["type"] == "sla:violation"]
    assert len(on_redis) == 1
    assert on_redis[0]["tenant"] == alpha.schema
    assert on_redis[0]["data"] == violations[0]["data"]
    with tenant_context(alpha.tenant):
        assert Violation.objects.filter(work_order=order).count() == 1
