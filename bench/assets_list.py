"""The asset list at 100,000 assets: our API page beside raw SQL + json for the same page."""

import json
import statistics
import time

from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from bench import Figure
from bench.tenancy import bench_tenant, truncate
from core.auth.tokens import TenantAccessToken
from core.models import User

TITLE = "Asset list at 100,000 assets (p50 milliseconds per page of 100)"
ASSETS = 100_000
REQUESTS = 40
PAGE = 100

RAW_PAGE = """
SELECT a.id, a.asset_id, a.name, a.asset_type, a.status, a.condition, a.criticality,
       p.asset_id AS parent, a.location_id AS location, l.path AS location_path, a.description,
       a.manufacturer, a.model, a.serial_number, a.department, a.responsible_person, a.tags,
       a.specifications, a.install_date, a.purchase_cost, a.request_token, a.created_at, a.updated_at
FROM assets_asset a
LEFT JOIN assets_asset p ON p.id = a.parent_id
LEFT JOIN assets_location l ON l.id = a.location_id
ORDER BY a.asset_id
LIMIT %s OFFSET %s
"""


def _fill() -> None:
    """100 sites, 1,000 lines, 99,000 machines under them, generated in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO assets_location (kind, name, path, zone, department, created_at, updated_at) "
            "SELECT 'site', 'Site ' || g, 'Site ' || g, '', '', now(), now() FROM generate_series(1, 100) g"
        )
        cursor.execute(
            """
            INSERT INTO assets_asset (asset_id, name, asset_type, status, condition, criticality, description,
                manufacturer, model, serial_number, department, responsible_person, tags, specifications,
                request_token, location_id, created_at, updated_at)
            SELECT 'A-' || lpad(g::text, 6, '0'), 'Asset ' || g,
                   (ARRAY['equipment','machinery','vehicle','tool','component'])[1 + g %% 5],
                   (ARRAY['operational','operational','operational','maintenance','standby'])[1 + g %% 5],
                   'good', (ARRAY['low','medium','high','critical'])[1 + g %% 4], 'Generated for the benchmark',
                   'Maker ' || (g %% 37), 'Model ' || (g %% 11), 'SN' || g, 'Dept ' || (g %% 9), '',
                   ARRAY['bench', 'tag' || (g %% 7)], jsonb_build_object('kw', g %% 90),
                   md5(random()::text || g), 1 + (g %% 100), now(), now()
            FROM generate_series(1, %s) g
            """,
            [ASSETS],
        )
        # Every asset after the first 1,000 hangs under one of them.
        cursor.execute("UPDATE assets_asset SET parent_id = 1 + (id % 1000) WHERE id > 1000")
        cursor.execute("ANALYZE assets_asset")


def _p50(action) -> float:
    timings = []
    for i in range(REQUESTS):
        started = time.perf_counter()
        action(i)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run() -> list[Figure]:
    tenant = bench_tenant("bench_assets")
    truncate(
        tenant,
        "assets_alert",
        "assets_meterreading",
        "assets_meter",
        "assets_assetlocationchange",
        "assets_asset",
        "assets_location",
    )
    with tenant_context(tenant):
        _fill()
        manager = User.objects.get(username__startswith="bench@")
        token = str(TenantAccessToken.for_user(manager))
    client = Client(
        HTTP_HOST=tenant.get_primary_domain().domain, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    pages = [1 + (i * 97) % (ASSETS // PAGE) for i in range(REQUESTS)]

    def api_page(i: int) -> None:
        response = client.get("/api/v1/assets/", {"page_size": PAGE, "page": pages[i]})
        assert response.status_code == 200, response.content[:300]
        response.content  # noqa: B018 - the body is part of the work

    def raw_page(i: int) -> None:
        with tenant_context(tenant), connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM assets_asset")
            count = cursor.fetchone()[0]
            cursor.execute(RAW_PAGE, [PAGE, (pages[i] - 1) * PAGE])
            columns = [c.name for c in cursor.description]
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        json.dumps({"count": count, "results": rows}, default=str)

    api_page(0)  # warm caches and imports
    ours = _p50(api_page)
    baseline = _p50(raw_page)
    return [
        Figure(
            "GET /api/v1/assets/?page_size=100",
            ours,
            "ms",
            "raw SQL (same page + count) + json",
            baseline,
        )
    ]
