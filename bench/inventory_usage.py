"""Part usage under contention: 16 threads issuing one part through the usage service,
beside 16 threads running the same number of raw ``UPDATE ... SET quantity = quantity - 1``.

Each thread has its own database connection (opened before the clock starts). The
service does everything a real usage does: locks the part and its levels, checks
and writes the level, the part's total, one ledger row and an audit entry, in one
transaction. The raw UPDATE is the floor: one autocommitted statement on one row,
with no ledger, no audit and no check but the CHECK constraint. After the run the
ledger is verified to the unit.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from bench import Figure
from inventory import selectors
from inventory.models import Part, StockLevel, StockMovement
from inventory.services import catalog, stock
from tenants.models import Tenant
from tenants.services import tenant_provision

TITLE = "Inventory usage, 16 threads contending on one part (operations per second)"
THREADS = 16
PER_THREAD = 150
SOLO = 400
SCHEMA = "bench_inventory"
PASSWORD = "Bench-Pass-2026!"
INVENTORY_TABLES = (
    "inventory_stockmovement",
    "inventory_stocklevel",
    "inventory_purchaseorderline",
    "inventory_purchaseorder",
    "inventory_part",
    "inventory_stocklocation",
    "inventory_vendor",
    "core_auditentry",
)


def _tenant() -> Tenant:
    tenant = Tenant.objects.filter(schema_name=SCHEMA).first()
    if tenant is None:
        tenant = tenant_provision(
            schema_name=SCHEMA,
            domain="bench-inventory.localhost",
            name="Bench inventory",
            admin_email="bench@bench-inventory.test",
            admin_password=PASSWORD,
        ).tenant
    with schema_context(SCHEMA), connection.cursor() as cursor:
        tables = ", ".join(f'"{SCHEMA}"."{table}"' for table in INVENTORY_TABLES)
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return tenant


def _stocked_part(part_number: str, quantity: int) -> tuple[Part, int]:
    location = catalog.stock_location_create(by=None, code=f"LOC-{part_number}", name="Store")
    part = catalog.part_create(by=None, part_number=part_number, name="Bench bearing")
    stock.part_restock(
        part=part, quantity=Decimal(quantity), by=None, location=location, unit_cost=Decimal(2)
    )
    return part, StockLevel.objects.get(part=part).pk


def _contend(
    tenant: Tenant,
    operation: Callable[[], object],
    threads_count: int = THREADS,
    per_thread: int = PER_THREAD,
) -> float:
    """Run ``operation`` ``per_thread`` times in each of the threads; operations per second."""
    errors: list[BaseException] = []
    ready = threading.Barrier(threads_count + 1)
    finished = threading.Barrier(threads_count + 1)

    def worker() -> None:
        try:
            connection.set_tenant(tenant)
            connection.ensure_connection()
            ready.wait()
            for _ in range(per_thread):
                operation()
        except BaseException as exc:  # reported below; a benchmark must not hide failures
            errors.append(exc)
        finally:
            finished.wait()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    finished.wait()
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return threads_count * per_thread / elapsed


def run() -> list[Figure]:
    tenant = _tenant()
    # The contended runs, then one uncontended thread of each (to tell the cost of one
    # usage apart from the cost of waiting for the part's lock).
    operations = THREADS * PER_THREAD + SOLO
    with tenant_context(tenant):
        part, _ = _stocked_part("BENCH-SERVICE", operations + 100)
        _, raw_level_id = _stocked_part("BENCH-RAW", operations + 100)
    one = Decimal(1)

    def usage() -> None:
        stock.part_usage_record(part=part, quantity=one, by=None, reference="bench")

    def raw_update() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_stocklevel SET quantity = quantity - 1 "
                "WHERE id = %s AND quantity >= 1",
                [raw_level_id],
            )

    service_rate = _contend(tenant, usage)
    raw_rate = _contend(tenant, raw_update)
    service_solo = _contend(tenant, usage, threads_count=1, per_thread=SOLO)
    raw_solo = _contend(tenant, raw_update, threads_count=1, per_thread=SOLO)

    with tenant_context(tenant):
        issued = StockMovement.objects.filter(part=part, kind="issue").count()
        on_hand = Part.objects.get(pk=part.pk).quantity_on_hand
        problems = [p for p in selectors.ledger_discrepancies() if f"part {part.pk} " in p]
        raw_left = StockLevel.objects.get(pk=raw_level_id).quantity
    assert issued == operations, f"{issued} issues recorded for {operations} usages"
    assert on_hand == 100, f"on hand {on_hand}, expected 100"
    assert problems == [], problems
    assert raw_left == 100, f"raw level {raw_left}, expected 100"
    print(
        f"  checked: {issued} issue movements, on hand {on_hand} (= {operations + 100} - "
        f"{operations}), levels and ledger agree; raw row at {raw_left}"
    )
    return [
        Figure(
            f"usage service, {THREADS} threads, 1 part",
            service_rate,
            "ops/s",
            f"raw UPDATE qty = qty - 1, {THREADS} threads",
            raw_rate,
        ),
        Figure(
            "usage service, 1 thread (no contention)",
            service_solo,
            "ops/s",
            "raw UPDATE qty = qty - 1, 1 thread",
            raw_solo,
        ),
    ]
