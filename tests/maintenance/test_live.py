"""Work orders through real concurrent clients and the live feed (uvicorn + Redis).

(No django_db mark: these tests commit for real through ``committed``.)
"""

import asyncio
import re
from decimal import Decimal

import httpx
import pytest
from django_tenants.utils import tenant_context

from assets.services import monitoring
from maintenance import services
from maintenance.models import WorkOrder
from tests.assets.factories import AssetFactory
from tests.conftest import bearer
from tests.core.test_websocket import drain, open_feed, token_for

pytestmark = pytest.mark.live


def test_fifty_concurrent_creates_get_fifty_distinct_numbers(asgi_server, committed):
    alpha = committed["alpha"]
    headers = {
        "Host": alpha.domain,
        "Authorization": f"Bearer {bearer(alpha, alpha.users['planner'])}",
    }

    async def create_all():
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{asgi_server.port}", headers=headers, timeout=60
        ) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/work-orders/", json={"title": f"Concurrent {n}"})
                    for n in range(50)
                )
            )

    responses = asyncio.run(create_all())

    assert [r.status_code for r in responses] == [201] * 50, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 50
    assert all(re.fullmatch(r"WO-\d{6}", n) for n in numbers)
    with tenant_context(alpha.tenant):
        assert WorkOrder.objects.count() == 50


def test_feed_follows_the_roles(asgi_server, committed):
    """Requesters see only events about their own requests; the team sees the rest."""
    alpha = committed["alpha"]
    with (
        open_feed(asgi_server, alpha.domain, token_for(alpha, "requester")) as requester_feed,
        open_feed(asgi_server, alpha.domain, token_for(alpha, "technician")) as technician_feed,
    ):
        with tenant_context(alpha.tenant):
            pump = AssetFactory(asset_id="PUMP-1")
            request = services.work_request_create(
                by=alpha.users["requester"], description="Leak", asset=pump
            )
            theirs = services.work_request_approve(by=alpha.users["planner"], request=request)
            services.work_order_create(by=alpha.users["planner"], title="Someone else's job")
            monitoring.performance_record(by=None, asset=pump, temperature=Decimal(99))

        requester_saw = drain(requester_feed)
        technician_saw = drain(technician_feed)

    assert [(e["type"], e["data"]["number"]) for e in requester_saw] == [
        ("work-order:created", theirs.number)
    ]
    assert [e["type"] for e in technician_saw] == [
        "work-order:created",
        "work-order:created",
        "asset:alert",
    ]
