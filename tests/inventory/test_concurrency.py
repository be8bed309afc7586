"""Stock under real concurrency: real clients, real PostgreSQL, committed data.

No unit is lost or counted twice, shortages are 409s, and callers locking the
same parts in opposite orders never deadlock.
"""

import asyncio
import random
import threading
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from core.exceptions import Conflict
from inventory import selectors
from inventory.models import StockLevel, StockMovement
from inventory.services import stock
from tests.conftest import bearer
from tests.inventory.conftest import fresh, put
from tests.inventory.factories import PartFactory, StockLocationFactory
from tests.maintenance.factories import WorkOrderFactory

D = Decimal
pytestmark = pytest.mark.live

# Requests in flight on the wire at once. Each one holds a PostgreSQL connection in the
# server, and max_connections (100 by default) is shared with everything else on the
# machine, so the 200 requests are all issued at once but at most this many are open.
WIRE_CONCURRENCY = 48


async def _post_all(port, host, token, path, bodies):
    limits = httpx.Limits(max_connections=WIRE_CONCURRENCY, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Host": host, "Authorization": f"Bearer {token}"},
        limits=limits,
        timeout=60,
    ) as client:
        return await asyncio.gather(*(client.post(path, json=body) for body in bodies))


def test_200_concurrent_usages_of_one_unit_on_100_in_stock(asgi_server, committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        part = PartFactory(unit_cost=D(0))
        put(part, 100, unit_cost="2.5")
        jobs = [WorkOrderFactory(assigned_to=alpha.users["technician"]).pk for _ in range(200)]
    token = bearer(alpha, alpha.users["technician"])

    responses = asyncio.run(
        _post_all(
            asgi_server.port,
            alpha.domain,
            token,
            f"/api/v1/inventory/parts/{part.pk}/usage/",
            [{"quantity": "1", "work_order": job} for job in jobs],
        )
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 100, 409: 100}, asgi_server.output()
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    with tenant_context(alpha.tenant):
        assert fresh(part).quantity_on_hand == 0
        assert StockLevel.objects.get(part=part).quantity == 0
        issues = StockMovement.objects.filter(part=part, kind="issue")
        assert issues.count() == 100
        # Every issue saw a different balance: the 100 units went out one at a time.
        assert sorted(m.balance_after for m in issues) == [D(n) for n in range(100)]
        assert sum(m.quantity for m in StockMovement.objects.filter(part=part)) == 0
        assert sum(m.total_cost for m in issues) == D("250.00")
        # The work orders that got a unit are exactly those answered 201.
        served = {r.json()["movements"][0]["work_order"] for r in responses if r.status_code == 201}
        assert set(issues.values_list("work_order_id", flat=True)) == served
        assert selectors.ledger_discrepancies() == []


def _run_threads(tenant, targets):
    """Run each target in its own thread with its own connection; return their errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            connection.set_tenant(tenant)
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:  # anything, deadlocks above all, fails the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    connection.set_schema_to_public()
    return errors


def test_opposite_order_consumers_never_deadlock_nor_lose_a_unit(committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        a, b = PartFactory(), PartFactory()
        put(a, 150)
        put(b, 150)
    rounds, outcomes = 100, Counter()
    lock = threading.Lock()

    def consumer(first, second):
        def loop():
            for _ in range(rounds):
                try:
                    stock.parts_consume(
                        lines=[
                            stock.ConsumeLine(part_id=first.pk, quantity=D(1)),
                            stock.ConsumeLine(part_id=second.pk, quantity=D(1)),
                        ],
                        by=None,
                    )
                    result = "taken"
                except Conflict as exc:
                    result = "short" if exc.code == "insufficient_stock" else exc.code
                with lock:
                    outcomes[result] += 1

        return loop

    errors = _run_threads(
        alpha.tenant, [consumer(a, b), consumer(b, a), consumer(a, b), consumer(b, a)]
    )

    assert errors == []
    assert outcomes == {"taken": 150, "short": 250}
    with tenant_context(alpha.tenant):
        assert fresh(a).quantity_on_hand == 0
        assert fresh(b).quantity_on_hand == 0
        assert StockMovement.objects.filter(kind="issue").count() == 300
        assert selectors.ledger_discrepancies() == []


def test_mixed_operations_from_many_threads_keep_ledger_and_levels_equal(committed):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        parts = [PartFactory(unit_cost=D(0)) for _ in range(3)]
        extra = [StockLocationFactory() for _ in range(2)]
        for part in parts:
            put(part, 20, unit_cost=1)
    done = Counter()
    lock = threading.Lock()

    def worker(seed):
        def loop():
            rng = random.Random(seed)
            for _ in range(40):
                part = rng.choice(parts)
                kind = rng.choice(["use", "use", "consume", "restock", "transfer", "adjust"])
                try:
                    if kind == "use":
                        stock.part_usage_record(part=part, quantity=D(rng.randint(1, 4)), by=None)
                    elif kind == "consume":
                        picked = rng.sample(parts, 2)
                        stock.parts_consume(
                            lines=[stock.ConsumeLine(part_id=p.pk, quantity=D(1)) for p in picked],
                            by=None,
                        )
                    elif kind == "restock":
                        stock.part_restock(
                            part=part,
                            quantity=D(rng.randint(1, 5)),
                            by=None,
                            location=rng.choice([None, *extra]),
                            unit_cost=D(rng.randint(1, 9)),
                        )
                    elif kind == "transfer":
                        stock.part_transfer(
                            part=part,
                            by=None,
                            from_location=part.location,
                            to_location=rng.choice(extra),
                            quantity=D(1),
                        )
                    else:
                        stock.part_adjust(
                            part=part, by=None, reason="correction", delta=D(rng.choice([-1, 1]))
                        )
                except Conflict:
                    kind = "refused"
                with lock:
                    done[kind] += 1

        return loop

    errors = _run_threads(alpha.tenant, [worker(seed) for seed in range(6)])

    assert errors == []
    assert sum(done.values()) == 240
    with tenant_context(alpha.tenant):
        assert selectors.ledger_discrepancies() == []
        for part in parts:
            ledger = sum(m.quantity for m in StockMovement.objects.filter(part=part))
            assert fresh(part).quantity_on_hand == ledger >= 0
