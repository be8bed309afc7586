"""A month of one device's metric in 1-hour buckets, out of 10,000,000 readings of one
tenant: GET /api/v1/iot/devices/{id}/metrics/?bucket=1h through the real HTTP server
beside the raw date_bin SQL it runs, in the same run. Goal: at most 2x.

The tenant holds 10,000,000 readings: 232 devices, one reading a minute for 30 days.
BENCH_IOT_BUCKET_DEVICES makes it smaller while developing.
"""

import os
import statistics
import time
from datetime import timedelta

import httpx
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench import Figure
from bench.iot_ingest import _server
from bench.tenancy import PASSWORD, bench_tenant

TITLE = "IoT buckets, 1 month at 1h of one device among 10,000,000 readings (median ms)"
DEVICES = int(os.environ.get("BENCH_IOT_BUCKET_DEVICES", 232))
MINUTES = 30 * 24 * 60
RUNS = 21

RAW = (
    "SELECT metric, date_bin('1 hour', ts, '2000-01-01T00:00:00Z'), min(value), max(value), "
    "avg(value), count(*) FROM iot_reading WHERE device_id = %s AND metric = 'temperature' "
    "AND ts >= %s AND ts < %s GROUP BY 1, 2 ORDER BY 2, 1"
)


def _fill(end) -> None:
    from assets.models import Asset

    Asset.objects.filter(asset_id__startswith="TS-").delete()
    Asset.objects.bulk_create(
        Asset(asset_id=f"TS-{i:04d}", name=f"Probe {i}", asset_type="instrument")
        for i in range(DEVICES)
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE iot_reading")
        cursor.execute(
            "INSERT INTO iot_reading (device_id, metric, ts, value) "
            "SELECT a.id, 'temperature', %s - make_interval(mins => m), 20 + (m %% 97) / 10.0 "
            "FROM assets_asset a CROSS JOIN generate_series(1, %s) m "
            "WHERE a.asset_id LIKE 'TS-%%'",
            [end, MINUTES],
        )
        cursor.execute("ANALYZE iot_reading")


def run() -> list[Figure]:
    from core.auth.tokens import TenantAccessToken
    from core.models import User
    from core.roles import Role
    from core.services import user_create

    tenant = bench_tenant("bench_iot_buckets")
    domain = tenant.domains.first().domain
    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    with tenant_context(tenant):
        from assets.models import Asset

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM iot_reading")
            have = cursor.fetchone()[0]
        if have != DEVICES * MINUTES:
            _fill(end)
        device = Asset.objects.get(asset_id="TS-0007")
        with connection.cursor() as cursor:
            cursor.execute("SELECT max(ts) FROM iot_reading")
            end = cursor.fetchone()[0] + timedelta(minutes=1)
        start = end - timedelta(days=30)
        user = User.objects.filter(username="bench-viewer").first() or user_create(
            by=None, username="bench-viewer", password=PASSWORD, role=Role.VIEWER
        )
        access = str(TenantAccessToken.for_user(user))

        def raw() -> int:
            with connection.cursor() as cursor:
                cursor.execute(RAW, [device.pk, start, end])
                return len(cursor.fetchall())

        raw()
        raw_ms = []
        for _ in range(RUNS):
            began = time.perf_counter()
            buckets = raw()
            raw_ms.append((time.perf_counter() - began) * 1000)
    connection.close()

    server = _server(8191, 1)
    try:
        url = (
            f"http://127.0.0.1:8191/api/v1/iot/devices/{device.asset_id}/metrics/"
            f"?metric=temperature&bucket=1h&start={start.isoformat().replace('+00:00', 'Z')}"
            f"&end={end.isoformat().replace('+00:00', 'Z')}"
        )
        headers = {"Host": domain, "Authorization": f"Bearer {access}"}
        api_ms = []
        with httpx.Client(headers=headers, timeout=60) as client:
            assert len(client.get(url).json()) == buckets
            for _ in range(RUNS):
                began = time.perf_counter()
                response = client.get(url)
                api_ms.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    return [
        Figure(
            f"GET ...?bucket=1h, one month ({buckets} buckets)",
            statistics.median(api_ms),
            "ms",
            "raw date_bin SQL",
            statistics.median(raw_ms),
            "<= 2x",
        )
    ]
