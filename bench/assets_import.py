"""import_assets on 10,000 rows (1,000 parents, 9,000 children listed before them)
beside PostgreSQL COPY of the same rows into the same table."""

import io
import time

from django.db import connection
from django_tenants.utils import tenant_context

from assets.importing import AssetImporter
from bench import Figure
from bench.tenancy import bench_tenant, truncate
from core.importing import Row

TITLE = "Asset import, 10,000 rows (rows per second)"
ROWS = 10_000
PARENTS = 1_000


def _rows() -> list[Row]:
    rows = []
    for n in range(PARENTS + 1, ROWS + 1):  # children first: the importer must order them
        rows.append(
            {
                "asset_id": f"IMP-{n:05d}",
                "name": f"Machine {n}",
                "asset_type": "machinery",
                "parent": f"IMP-{1 + n % PARENTS:05d}",
                "tags": "bench, imported",
                "manufacturer": f"Maker {n % 13}",
                "location": f"Site {n % 5} / Building {n % 3}",
                "purchase_cost": str(1000 + n),
            }
        )
    for n in range(1, PARENTS + 1):
        rows.append(
            {
                "asset_id": f"IMP-{n:05d}",
                "name": f"Line {n}",
                "asset_type": "system",
                "location": f"Site {n % 5}",
            }
        )
    return [Row(number=i + 2, data=data) for i, data in enumerate(rows)]


def _copy(rows: list[Row]) -> None:
    buffer = io.StringIO()
    for row in rows:
        data = row.data
        buffer.write(
            "\t".join(
                [
                    data["asset_id"],
                    data["name"],
                    data["asset_type"],
                    "operational",
                    "good",
                    "medium",
                    "{"
                    + ",".join(t.strip() for t in data.get("tags", "").split(",") if t.strip())
                    + "}",
                    "{}",
                    data["asset_id"] + "-token",
                    "",
                    data.get("manufacturer", ""),
                    "",
                    "",
                    "",
                    "",
                    "now",
                    "now",
                ]
            )
            + "\n"
        )
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY assets_asset (asset_id, name, asset_type, status, condition, criticality, tags, "
            "specifications, request_token, description, manufacturer, model, serial_number, department, "
            "responsible_person, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.read())


def run() -> list[Figure]:
    tenant = bench_tenant("bench_import")
    tables = ("assets_assetlocationchange", "assets_asset", "assets_location", "core_auditentry")
    rows = _rows()
    truncate(tenant, *tables)
    with tenant_context(tenant):
        started = time.perf_counter()
        report = AssetImporter(by=None).run(rows)
        ours = time.perf_counter() - started
    assert report.created == ROWS, report.summary()
    assert not report.rejected, report.summary()
    truncate(tenant, *tables)
    with tenant_context(tenant):
        connection.cursor().execute("SET LOCAL statement_timeout = 0")
        started = time.perf_counter()
        _copy(rows)
        raw = time.perf_counter() - started
    truncate(tenant, *tables)
    return [
        Figure(
            "import_assets (validated, audited, with parents)",
            ROWS / ours,
            "rows/s",
            "COPY of the same rows (no checks, no parents)",
            ROWS / raw,
        )
    ]
