"""The readings table: range-partitioned by month on the reading's timestamp.

One row per (device, metric, timestamp), which is also the primary key: a resent
reading updates the row (ON CONFLICT), and the key's btree serves every query of
one device's metric over a time range. A BRIN index on ``ts`` alone is a few pages
per partition and serves scans of all devices over a window (diagnostics,
analytics) without costing the writes much. ``device_id`` is the asset's primary
key; readings of a deleted asset go with their partitions (no foreign key, so
ingestion pays no lookup per row).
"""

from datetime import UTC, date, datetime

from django.db import migrations

CREATE = """
CREATE TABLE iot_reading (
    device_id bigint NOT NULL,
    metric varchar(64) NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    unit varchar(32) NOT NULL DEFAULT '',
    PRIMARY KEY (device_id, metric, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE iot_reading_default PARTITION OF iot_reading DEFAULT;
CREATE INDEX iot_reading_ts_brin ON iot_reading USING brin (ts);
"""

DROP = "DROP TABLE IF EXISTS iot_reading CASCADE;"


def _next(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def create_months(apps, schema_editor) -> None:
    # The months around now; the periodic job (iot.partitions) keeps them coming.
    today = datetime.now(UTC)
    month = date(today.year, today.month, 1)
    month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    with schema_editor.connection.cursor() as cursor:
        for _ in range(5):
            end = _next(month)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS iot_reading_p{month:%Y%m} PARTITION OF iot_reading "
                f"FOR VALUES FROM ('{month.isoformat()}T00:00:00+00:00') "
                f"TO ('{end.isoformat()}T00:00:00+00:00')"
            )
            month = end


class Migration(migrations.Migration):
    dependencies = [("iot", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        migrations.RunPython(create_months, migrations.RunPython.noop),
    ]
