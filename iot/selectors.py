"""Reads of the IoT app. Readings are read with SQL straight from ``iot_reading``:
a page of readings or a set of buckets is computed by PostgreSQL from the primary
key's index, and never a month of rows loaded into Python."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from assets.choices import PERFORMANCE_METRICS
from assets.models import Asset
from iot.choices import AnomalyStatus
from iot.models import Anomaly, DeviceToken, DiagnosticRun, MetricStream

# Buckets are aligned on multiples of their width from this origin (as Postgres date_bin).
BUCKET_ORIGIN = "2000-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class ReadingsWindow:
    device_pk: int
    metric: str | None
    start: datetime | None
    end: datetime | None


def _where(window: ReadingsWindow) -> tuple[str, list[Any]]:
    clauses, params = ["device_id = %s"], [window.device_pk]
    if window.metric is not None:
        clauses.append("metric = %s")
        params.append(window.metric)
    if window.start is not None:
        clauses.append("ts >= %s")
        params.append(window.start)
    if window.end is not None:
        clauses.append("ts < %s")
        params.append(window.end)
    return " AND ".join(clauses), params


def readings_page(
    window: ReadingsWindow, *, after: tuple[datetime, str] | None, size: int
) -> list[dict[str, Any]]:
    """Up to ``size`` readings oldest first, after the (timestamp, metric) ``after``."""
    where, params = _where(window)
    if after is not None:
        where += " AND (ts, metric) > (%s, %s)"
        params += [after[0], after[1]]
    sql = (
        f"SELECT metric, value, unit, ts FROM iot_reading WHERE {where} "  # noqa: S608
        "ORDER BY ts, metric LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, size])
        return [
            {"metric": metric, "value": value, "unit": unit, "timestamp": ts}
            for metric, value, unit, ts in cursor.fetchall()
        ]


def readings_buckets(window: ReadingsWindow, *, width: timedelta) -> list[dict[str, Any]]:
    """min/max/avg/count per metric and bucket of ``width``, buckets aligned from
    2000-01-01T00:00:00Z (``date_bin``), oldest first."""
    where, params = _where(window)
    sql = (
        "SELECT metric, date_bin(%s, ts, %s) AS bucket_start, "  # noqa: S608
        "min(value), max(value), avg(value), count(*) "
        f"FROM iot_reading WHERE {where} GROUP BY 1, 2 ORDER BY 2, 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [width, BUCKET_ORIGIN, *params])
        return [
            {
                "metric": metric,
                "bucket_start": start,
                "min": low,
                "max": high,
                "avg": mean,
                "count": count,
            }
            for metric, start, low, high, mean, count in cursor.fetchall()
        ]


def readings_buckets_json(window: ReadingsWindow, *, width: timedelta) -> str:
    """``readings_buckets`` as the JSON text of the API's answer, built by PostgreSQL:
    a month of buckets never passes through Python objects."""
    where, params = _where(window)
    sql = (
        "SELECT coalesce(json_agg(json_build_object("  # noqa: S608
        "'metric', metric, "
        "'bucket_start', to_char(bucket_start AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'), '
        "'min', low, 'max', high, 'avg', mean, 'count', n) ORDER BY bucket_start, metric), "
        "'[]')::text FROM (SELECT metric, date_bin(%s, ts, %s) AS bucket_start, "
        "min(value) AS low, max(value) AS high, avg(value) AS mean, count(*) AS n "
        f"FROM iot_reading WHERE {where} GROUP BY 1, 2) AS buckets"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [width, BUCKET_ORIGIN, *params])
        return cursor.fetchone()[0]


def _performance_values_sql() -> str:
    values = ", ".join(f"('{name}', p.{name}::double precision)" for name in PERFORMANCE_METRICS)
    return (
        "SELECT m.metric, m.v AS value, p.recorded_at AS ts "  # noqa: S608
        "FROM assets_performancerecord p "
        f"CROSS JOIN LATERAL (VALUES {values}) AS m(metric, v) "
        "WHERE p.asset_id = %s AND p.recorded_at >= %s AND p.recorded_at < %s "
        "AND m.v IS NOT NULL"
    )


def metric_summary(*, asset: Asset, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per metric of the asset over [start, end): count, min, max, mean, the least-squares
    slope per day (``regr_slope``) and the anomalies detected, from the IoT readings and
    the performance records together, computed in SQL."""
    sql = (
        "WITH points AS ("  # noqa: S608
        "SELECT metric, value, ts FROM iot_reading "
        "WHERE device_id = %s AND ts >= %s AND ts < %s "
        f"UNION ALL {_performance_values_sql()}), "
        "summary AS (SELECT metric, count(*) AS n, min(value) AS low, max(value) AS high, "
        "avg(value) AS mean, regr_slope(value, extract(epoch FROM ts)) * 86400 AS slope, "
        "extract(epoch FROM max(ts) - min(ts)) / 86400 AS span "
        "FROM points GROUP BY metric), "
        "found AS (SELECT metric, count(*) AS anomalies FROM iot_anomaly "
        "WHERE asset_id = %s AND reading_timestamp >= %s AND reading_timestamp < %s "
        "GROUP BY metric) "
        "SELECT s.metric, s.n, s.low, s.high, s.mean, s.slope, s.span, coalesce(f.anomalies, 0) "
        "FROM summary s LEFT JOIN found f USING (metric) ORDER BY s.metric"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [asset.pk, start, end] * 3)
        return [
            {
                "metric": metric,
                "count": count,
                "min": low,
                "max": high,
                "mean": mean,
                "slope_per_day": slope,
                "anomalies": anomalies,
                "span_days": float(span or 0),
            }
            for metric, count, low, high, mean, slope, span, anomalies in cursor.fetchall()
        ]


def metric_extremes(*, asset: Asset, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Per metric of the asset's IoT readings in [start, end): the lowest and highest value."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT metric, min(value), max(value), count(*) FROM iot_reading "
            "WHERE device_id = %s AND ts >= %s AND ts < %s GROUP BY metric",
            [asset.pk, start, end],
        )
        return {
            metric: {"min": low, "max": high, "count": count}
            for metric, low, high, count in cursor.fetchall()
        }


def metric_series(
    *, asset: Asset, metric: str, start: datetime, end: datetime, width: timedelta
) -> list[dict[str, Any]]:
    """One metric bucketed (for charts)."""
    return readings_buckets(ReadingsWindow(asset.pk, metric, start, end), width=width)


def anomaly_list() -> QuerySet[Anomaly]:
    return Anomaly.objects.select_related("asset")


def anomalies_open(asset: Asset) -> QuerySet[Anomaly]:
    return Anomaly.objects.filter(asset=asset, status=AnomalyStatus.OPEN)


def device_token_list() -> QuerySet[DeviceToken]:
    return DeviceToken.objects.select_related("asset")


def diagnostic_history(asset: Asset) -> QuerySet[DiagnosticRun]:
    return DiagnosticRun.objects.filter(asset=asset).select_related("asset")


def latest_streams(asset: Asset) -> QuerySet[MetricStream]:
    """The asset's metrics with their latest reading."""
    return MetricStream.objects.filter(asset=asset).select_related("asset")


def latest_reading_at(asset_ids: list[int]) -> dict[int, datetime]:
    """When each device last reported (its newest reading's timestamp)."""
    rows = (
        MetricStream.objects.filter(asset_id__in=asset_ids)
        .values_list("asset_id", "last_reading_at")
        .order_by()
    )
    latest: dict[int, datetime] = {}
    for pk, at in rows:
        if pk not in latest or at > latest[pk]:
            latest[pk] = at
    return latest


def device_client_usernames() -> set[str]:
    """The broker usernames the current tenant's active device tokens should have."""
    from iot.services.broker_clients import device_client_username

    return {
        device_client_username(schema=connection.schema_name, device_id=asset_id, prefix=prefix)
        for asset_id, prefix in DeviceToken.objects.filter(revoked_at__isnull=True).values_list(
            "asset__asset_id", "prefix"
        )
    }


def device_has_active_token(device_id: str) -> bool:
    return DeviceToken.objects.filter(asset__asset_id=device_id, revoked_at__isnull=True).exists()
