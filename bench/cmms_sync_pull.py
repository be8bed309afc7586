"""Pulling 10,000 work orders from a local UpKeep fake (pages of 1,000, UpKeep's largest),
records per second, beside a plain script that only fetches and decodes the same pages in
the same run. Goal: the sync at least 0.5x the plain fetch. Peak memory of the sync (Python
allocations, tracemalloc) at 2,000 and at 10,000 records shows it does not grow with them.

``CMMS_SYNC_BENCH_RECORDS`` (default 10000) sets the size of the timed pull;
``CMMS_SYNC_BENCH_PAGE_LATENCY`` (seconds, default 0) how long each page takes at the
fake, to model a vendor across the internet (the sync fetches the next page while it
writes the current one).
"""

import multiprocessing
import os
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from django.conf import settings
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant, truncate
from cmms_sync.models import Connection
from cmms_sync.services.connections import connection_create
from cmms_sync.services.runs import run_execute, run_request
from tests.cmms_sync.fake_vendors import FakeUpKeep

TITLE = "CMMS sync pull, 10,000 work orders from a local UpKeep fake (records per second)"
# The fake serves from its own process (see remote_fake).
RECORDS = int(os.environ.get("CMMS_SYNC_BENCH_RECORDS", "10000"))
# Seconds each page takes at the fake (0: the fake answers at once, the hardest case).
LATENCY = float(os.environ.get("CMMS_SYNC_BENCH_PAGE_LATENCY", "0"))
MEMORY_AT = (2_000, int(os.environ.get("CMMS_SYNC_BENCH_MEMORY_RECORDS", "10000")))
PAGE = FakeUpKeep.max_limit
TABLES = (
    "cmms_sync_synclink",
    "cmms_sync_syncrun",
    "cmms_sync_fieldmapping",
    "cmms_sync_connection",
    "maintenance_maintenanceevent",
    "maintenance_workorder",
    "core_auditentry",
)


class RemoteFake:
    """The fake's address and credentials, for a fake serving from its own process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.email = FakeUpKeep.email
        self.password = FakeUpKeep.password


def _serve(count: int, latency: float, ready: "multiprocessing.Queue[str]") -> None:
    with FakeUpKeep() as fake:
        fake.page_latency = latency
        fake.seed(count)
        ready.put(fake.url)
        while True:
            time.sleep(3600)


@contextmanager
def remote_fake(count: int) -> Iterator[RemoteFake]:
    """A vendor in a process of its own, as a real one is: its work never competes with
    the sync's for this process's interpreter lock."""
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    server = multiprocessing.get_context("fork").Process(
        target=_serve, args=(count, LATENCY, ready), daemon=True
    )
    server.start()
    try:
        yield RemoteFake(ready.get(timeout=120))
    finally:
        server.terminate()
        server.join(timeout=10)


def _plain_fetch(fake: RemoteFake) -> int:
    """What any script would do: sign in, then read every page and decode it."""
    seen = 0
    with httpx.Client(base_url=f"{fake.url}/api/v2", timeout=30) as client:
        token = client.post("/auth", json={"email": fake.email, "password": fake.password}).json()[
            "result"
        ]["sessionToken"]
        offset = 0
        while True:
            page = client.get(
                "/work-orders",
                params={"limit": PAGE, "offset": offset, "orderBy": "updatedAt ASC"},
                headers={"Session-Token": token},
            ).json()["results"]
            seen += len(page)
            if len(page) < PAGE:
                return seen
            offset += len(page)


def _pull(fake: RemoteFake) -> tuple[int, float]:
    connection = Connection.objects.first() or connection_create(
        by=None,
        cmms_type="upkeep",
        api_url=fake.url,
        connection_name="Bench",
        credentials={"email": fake.email, "password": fake.password},
        options={"page_size": PAGE},
    )
    run = run_request(by=None, connection=connection, entity="work_orders", direction="pull")
    started = time.perf_counter()
    finished = run_execute(run.pk)
    elapsed = time.perf_counter() - started
    assert finished is not None
    assert finished.status == "succeeded", finished.detail
    return finished.counts["created"], elapsed


def _peak_mib(tenant, count: int) -> float:
    truncate(tenant, *TABLES)
    with remote_fake(count) as fake, tenant_context(tenant):
        tracemalloc.start()
        created, _ = _pull(fake)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert created == count, created
    return peak / 2**20


def run() -> list[Figure]:
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    tenant = bench_tenant("bench_sync")
    truncate(tenant, *TABLES)
    with remote_fake(RECORDS) as fake:
        started = time.perf_counter()
        fetched = _plain_fetch(fake)
        plain = time.perf_counter() - started
        with tenant_context(tenant):
            created, ours = _pull(fake)
    assert fetched == created == RECORDS, (fetched, created)
    small, large = (_peak_mib(tenant, count) for count in MEMORY_AT)
    truncate(tenant, *TABLES)
    return [
        Figure(
            "sync pull (map, write, audit, history, events)",
            created / ours,
            "rec/s",
            "plain fetch + JSON decode of the same pages",
            fetched / plain,
            ">= 0.5x plain",
        ),
        Figure(
            f"peak memory of a {MEMORY_AT[1]:,}-record pull",
            large,
            "MiB",
            f"peak memory of a {MEMORY_AT[0]:,}-record pull",
            small,
            "flat (ratio near 1)",
        ),
    ]
