"""1,000,000 metric readings through the real HTTP server (uvicorn, batches of 10,000,
as a technician) beside a raw COPY of the same rows into the same table, in the same run.
Goal: the API at least 0.6x the readings per second of raw COPY.

The API does everything a batch does in production: parse, validate each reading,
COPY into staging and upsert, move each stream's anomaly state, check thresholds and
tell condition-based PM. Raw COPY only writes the rows (the same indexes).
BENCH_IOT_READINGS makes the run smaller while developing; BENCH_IOT_CLIENTS sets how
many requests are in flight.

Each client talks to a web process of its own, as a load balancer in front of several
would spread them. One uvicorn with ``--workers 2`` shares one listening socket, and in
some runs the kernel gave both keep-alive connections to the same worker: the run then
measured one process (140,000 readings/s against 192,000 when they were spread).
"""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import PASSWORD, bench_tenant, truncate

TITLE = "IoT ingestion, 1,000,000 readings in batches of 10,000 (readings per second)"
READINGS = int(os.environ.get("BENCH_IOT_READINGS", 1_000_000))
BATCH = 10_000
DEVICES = 100
METRICS = ("temperature", "vibration")
CLIENTS = int(os.environ.get("BENCH_IOT_CLIENTS", 2))
ROOT = Path(__file__).resolve().parent.parent


def _rows(start) -> list[tuple[str, str, str, float]]:
    """(device code, metric, ISO timestamp, value), a minute apart per stream."""
    per_stream = READINGS // (DEVICES * len(METRICS))
    rows = []
    for minute in range(per_stream):
        at = (start + timedelta(minutes=minute)).isoformat()
        for device in range(DEVICES):
            for index, metric in enumerate(METRICS):
                # Ordinary running values, inside the default alert thresholds.
                base = 55.0 if index == 0 else 1.0
                value = base + (minute * 7 + device) % 13 / 10
                rows.append((f"DEV-{device:04d}", metric, at, value))
    return rows


def _server(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, LOG_LEVEL="WARNING")
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2)
            return process
        except httpx.TransportError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the web server did not start")


def _reset(tenant) -> None:
    truncate(tenant, "iot_metricstream", "iot_anomaly", "assets_alert")
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("TRUNCATE iot_reading")


def run() -> list[Figure]:
    from core.auth.tokens import TenantAccessToken
    from core.models import User
    from core.roles import Role
    from core.services import user_create

    tenant = bench_tenant("bench_iot")
    domain = tenant.domains.first().domain
    with tenant_context(tenant):
        from assets.models import Asset

        if Asset.objects.filter(asset_id__startswith="DEV-").count() != DEVICES:
            Asset.objects.filter(asset_id__startswith="DEV-").delete()
            Asset.objects.bulk_create(
                Asset(asset_id=f"DEV-{i:04d}", name=f"Sensor {i}", asset_type="equipment")
                for i in range(DEVICES)
            )
        pks = dict(Asset.objects.filter(asset_id__startswith="DEV-").values_list("asset_id", "pk"))
        user = User.objects.filter(username="bench-technician").first() or user_create(
            by=None, username="bench-technician", password=PASSWORD, role=Role.TECHNICIAN
        )
        access = str(TenantAccessToken.for_user(user))
    start = timezone.now() - timedelta(days=4)
    rows = _rows(start)
    bodies = [
        json.dumps(
            [
                {"device_id": d, "metric": m, "value": v, "unit": "", "timestamp": t}
                for d, m, t, v in rows[i : i + BATCH]
            ]
        ).encode()
        for i in range(0, len(rows), BATCH)
    ]

    # Raw COPY of the same rows, straight into the partitioned table.
    _reset(tenant)
    with tenant_context(tenant), connection.cursor() as cursor:
        copy_rows = [(pks[d], m, t, v, "") for d, m, t, v in rows]
        started = time.perf_counter()
        with cursor.cursor.copy(
            "COPY iot_reading (device_id, metric, ts, value, unit) FROM STDIN"
        ) as copy:
            for row in copy_rows:
                copy.write_row(row)
        copy_seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM iot_reading")
        assert cursor.fetchone()[0] == len(rows)
    connection.close()

    _reset(tenant)
    ports = [8190 + i for i in range(CLIENTS)]
    servers = [_server(port, 1) for port in ports]
    try:
        headers = {
            "Host": domain,
            "Authorization": f"Bearer {access}",
            "Content-Type": "application/json",
        }
        clients = [
            httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120)
            for port in ports
        ]

        def send_share(index: int) -> int:
            """Every CLIENTS-th batch, one at a time, to this client's own web process."""
            accepted = 0
            for body in bodies[index::CLIENTS]:
                response = clients[index].post("/api/v1/iot/metrics/", content=body)
                assert response.status_code == 202, response.text[:300]
                accepted += response.json()["accepted"]
            return accepted

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            accepted = sum(pool.map(send_share, range(CLIENTS)))
        api_seconds = time.perf_counter() - started
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    assert accepted == len(rows), accepted
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM iot_reading")
        assert cursor.fetchone()[0] == len(rows)
    return [
        Figure(
            f"POST /api/v1/iot/metrics/ ({CLIENTS} web processes)",
            len(rows) / api_seconds,
            "readings/s",
            "raw COPY into iot_reading",
            len(rows) / copy_seconds,
            ">= 0.6x",
        )
    ]
