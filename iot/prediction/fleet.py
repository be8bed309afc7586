"""Reads for prediction: the tenant's readings as daily rows per asset, set-based.

PostgreSQL does the aggregation (one average per device, metric and day, over the
readings table's primary-key order), so Python only ever sees one row per asset,
metric and day, whatever the reading rate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
from django.db import connection

from assets.models import Failure
from iot.prediction.features import AssetHistory

DAY_SECONDS = 86_400.0
# Metrics read at most: the most frequent ones (one column each in memory).
MAX_METRICS = 200
_ORIGIN = "2000-01-01T00:00:00+00:00"


def to_days(moment: datetime) -> float:
    """A moment as float days since the Unix epoch (the learner's time axis)."""
    return moment.timestamp() / DAY_SECONDS


def from_days(days: float) -> datetime:
    return datetime.fromtimestamp(days * DAY_SECONDS, tz=UTC)


def fleet_metrics(asset_ids: list[int] | None = None) -> list[str]:
    """The numeric metrics the tenant's devices report, most frequent first."""
    where, params = (
        ("WHERE device_id = ANY(%s)", [asset_ids])
        if asset_ids is not None
        else ("WHERE device_id IN (SELECT id FROM assets_asset)", [])
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT metric FROM iot_reading {where} "  # noqa: S608
            "GROUP BY metric ORDER BY count(*) DESC, metric LIMIT %s",
            [*params, MAX_METRICS],
        )
        return [row[0] for row in cursor.fetchall()]


def _daily_rows(sql_where: str, params: list[object], metrics: list[str]) -> dict[int, list]:
    sql = (
        "SELECT r.device_id, "  # noqa: S608 (the clauses are this module's own)
        "extract(epoch FROM date_bin('1 day', r.ts, %s::timestamptz)) / 86400.0 AS day, "
        "r.metric, avg(r.value) "
        f"FROM iot_reading r {sql_where} AND r.metric = ANY(%s) "
        "GROUP BY 1, 2, 3"
    )
    rows: dict[int, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_ORIGIN, *params, metrics])
        for device, day, metric, value in cursor.fetchall():
            rows[device].append((float(day), metric, float(value)))
    return rows


def _history(key: str, rows: list, metrics: list[str], failures: list[float]) -> AssetHistory:
    column = {name: i for i, name in enumerate(metrics)}
    days = np.array(sorted({day for day, _, _ in rows}), dtype=float)
    index = {day: i for i, day in enumerate(days)}
    values = np.full((len(days), len(metrics)), np.nan)
    for day, metric, value in rows:
        values[index[day], column[metric]] = value
    return AssetHistory(key=key, days=days, values=values, failures=np.array(failures))


def training_fleet() -> tuple[list[AssetHistory], list[str]]:
    """Every asset with readings, with its recorded failures, as daily rows."""
    metrics = fleet_metrics()
    if not metrics:
        return [], []
    # Readings outlive a deleted asset (no foreign key): only registered assets teach.
    rows = _daily_rows("WHERE r.device_id IN (SELECT id FROM assets_asset)", [], metrics)
    failures: dict[int, list[float]] = defaultdict(list)
    for asset_pk, occurred_at in Failure.objects.filter(asset_id__in=list(rows)).values_list(
        "asset_id", "occurred_at"
    ):
        failures[asset_pk].append(to_days(occurred_at))
    return [
        _history(str(pk), rows[pk], metrics, failures.get(pk, [])) for pk in sorted(rows)
    ], metrics


def current_lives(asset_ids: list[int], metrics: list[str]) -> dict[int, AssetHistory]:
    """Each asset's readings since its last recorded failure, as daily rows (one query)."""
    if not asset_ids or not metrics:
        return {}
    where = (
        "LEFT JOIN (SELECT asset_id, max(occurred_at) AS failed_at FROM assets_failure "
        "WHERE asset_id = ANY(%s) GROUP BY asset_id) f ON f.asset_id = r.device_id "
        "WHERE r.device_id = ANY(%s) AND (f.failed_at IS NULL OR r.ts > f.failed_at)"
    )
    rows = _daily_rows(where, [asset_ids, asset_ids], metrics)
    return {pk: _history(str(pk), rows[pk], metrics, []) for pk in rows}
