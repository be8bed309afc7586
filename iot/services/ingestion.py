"""Metric ingestion: one batch of readings validated, stored and acted on in one go.

The API, the MQTT bridge and the CSV import all come here. A batch of up to
``IOT_MAX_BATCH`` readings is checked item by item (each bad one is named by its
index; the good ones land), deduplicated on (device, metric, timestamp) with the
later item winning, copied into a temporary staging table with ``COPY`` and moved
into the partitioned ``iot_reading`` with one ``INSERT ... ON CONFLICT DO UPDATE``,
so a resend overwrites what it resends. No object is made per reading.

Then, per batch and not per reading: each (device, metric) stream's latest reading
and anomaly state move on (``iot.services.anomalies``), the extremes of each stream
are checked against the asset's alert thresholds (one alert call per breached
stream), and condition-based PM hears of the batch once
(``assets.events.MetricSeriesRecorded``).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from assets.choices import SEVERITY_RANK, AlertSource, Operator
from assets.events import MetricSeriesRecorded
from assets.models import Asset, Threshold
from assets.selectors import thresholds_for_many
from assets.services.monitoring import AlertSpec, alert_raise, threshold_breached
from core.exceptions import InvalidInput
from core.models import User
from core.reactions import dispatch
from iot.models import Anomaly
from iot.services.anomalies import Point, StreamKey, streams_advance

FIELDS = frozenset({"device_id", "metric", "value", "unit", "timestamp"})
REQUIRED = ("device_id", "metric", "value", "timestamp")
REQUIRED_SET = frozenset(REQUIRED)
# Beyond any physical quantity a sensor reports, and within what alerts can hold.
MAX_ABS_VALUE = 1e12
FUTURE_SLACK = timedelta(minutes=5)
METRIC_MAX = 64
UNIT_MAX = 32

STAGING = "iot_reading_staging"
# A temporary table lives as long as the connection; its rows as long as the transaction.
STAGING_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} "
    "(device_id bigint, metric varchar(64), ts timestamptz, value double precision, "
    "unit varchar(32)) ON COMMIT DELETE ROWS"
)
UPSERT = (
    "INSERT INTO iot_reading (device_id, metric, ts, value, unit) "  # noqa: S608
    f"SELECT device_id, metric, ts, value, unit FROM {STAGING} "
    # In key order, so two batches resending the same readings lock them in the same
    # order and wait for each other instead of deadlocking.
    "ORDER BY device_id, metric, ts "
    "ON CONFLICT (device_id, metric, ts) DO UPDATE "
    "SET value = EXCLUDED.value, unit = EXCLUDED.unit"
)


class BatchTooLarge(InvalidInput):
    """More readings than one batch may carry: nothing of it is stored."""

    def __init__(self, count: int) -> None:
        limit = settings.IOT_MAX_BATCH
        super().__init__(
            {"non_field_errors": [f"At most {limit} readings per batch; this one has {count}."]}
        )


@dataclass
class IngestResult:
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    alerts: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": self.rejected}


Row = tuple[int, str, datetime, float, str]


def _parse_timestamp(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    # The contract's times are UTC; a device that leaves the zone out means UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        return float(raw)
    except OverflowError:
        return math.inf


def validate_batch(
    items: list[Any], *, now: datetime, only_device: str | None = None
) -> tuple[dict[tuple[int, str, datetime], Row], list[dict[str, Any]], int]:
    """The good readings (deduplicated, later wins), the rejections by index, and how
    many items were good (duplicates included: each was accepted, the later one kept)."""
    codes = {
        item.get("device_id")
        for item in items
        if isinstance(item, dict) and isinstance(item.get("device_id"), str)
    }
    devices = dict(Asset.objects.filter(asset_id__in=codes).values_list("asset_id", "pk"))
    latest = now + FUTURE_SLACK
    earliest = now - timedelta(days=settings.IOT_RETENTION_DAYS)
    rows: dict[tuple[int, str, datetime], Row] = {}
    rejected: list[dict[str, Any]] = []
    # A gateway sends many sensors' readings of one instant: parse each timestamp once.
    moments: dict[Any, datetime | None] = {}
    accepted = 0
    for index, item in enumerate(items):
        error = None
        if not isinstance(item, dict):
            error = "A reading is an object {device_id, metric, value, unit, timestamp}."
        elif not (item.keys() <= FIELDS and item.keys() >= REQUIRED_SET):
            # Set comparisons of the keys run in C; the names are listed only when wrong.
            unknown = [str(name)[:40] for name in item if name not in FIELDS]
            missing = [name for name in REQUIRED if name not in item]
            if unknown:
                error = "Unknown field(s): " + ", ".join(sorted(unknown)) + "."
            else:
                error = "Missing field(s): " + ", ".join(missing) + "."
        if error is None:
            code, metric, unit = item["device_id"], item["metric"], item.get("unit", "")
            pk = devices.get(code) if isinstance(code, str) else None
            value = _number(item["value"])
            raw_ts = item["timestamp"]
            if isinstance(raw_ts, str):
                ts = moments.get(raw_ts, False)
                if ts is False:
                    ts = moments[raw_ts] = _parse_timestamp(raw_ts)
            else:
                ts = None
            if pk is None:
                error = "Unknown device."
            elif only_device is not None and code != only_device:
                error = "This token may only send readings of its own device."
            elif not isinstance(metric, str) or not metric.strip() or len(metric) > METRIC_MAX:
                error = f"metric must be a non-empty text of at most {METRIC_MAX} characters."
            elif "\x00" in metric or (isinstance(unit, str) and "\x00" in unit):
                error = "metric and unit may not contain NUL characters."
            elif unit is None or not isinstance(unit, str) or len(unit) > UNIT_MAX:
                error = f"unit must be a text of at most {UNIT_MAX} characters."
            elif value is None:
                error = "value must be a number."
            elif not math.isfinite(value):
                error = "value must be a finite number."
            elif abs(value) >= MAX_ABS_VALUE:
                error = f"value must be between -{MAX_ABS_VALUE:g} and {MAX_ABS_VALUE:g}."
            elif ts is None:
                error = "timestamp must be an ISO-8601 date-time."
            elif ts > latest:
                error = "timestamp is more than 5 minutes in the future."
            elif ts < earliest:
                error = "timestamp is older than the readings kept (IOT_RETENTION_DAYS)."
            else:
                metric = metric.strip()
                rows[(pk, metric, ts)] = (pk, metric, ts, value, unit)
                accepted += 1
                continue
        rejected.append({"index": index, "error": error})
    return rows, rejected, accepted


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    # COPY's text format: only these four characters need escaping.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _copy_rows(rows: list[Row]) -> None:
    """The rows into staging in one COPY (written as one block of text, not row by row),
    then into the readings with one upsert."""
    stamps: dict[datetime, str] = {}
    lines = []
    for pk, metric, ts, value, unit in rows:
        stamp = stamps.get(ts)
        if stamp is None:
            stamp = stamps[ts] = ts.isoformat()
        lines.append(f"{pk}\t{_copy_text(metric)}\t{stamp}\t{value!r}\t{_copy_text(unit)}\n")
    block = "".join(lines)
    with connection.cursor() as cursor:
        cursor.execute(STAGING_DDL)
        raw = cursor.cursor
        with raw.copy(f"COPY {STAGING} (device_id, metric, ts, value, unit) FROM STDIN") as copy:
            copy.write(block.encode())
        cursor.execute(UPSERT)
        # Emptied now, not only at commit: a caller's outer transaction may ingest again.
        cursor.execute(f"TRUNCATE {STAGING}")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.0001"))


def _threshold_alerts(
    series: dict[StreamKey, list[Point]], assets: dict[int, Asset], *, by: User | None
) -> int:
    """One alert call per (device, metric) whose extremes in the batch cross a threshold."""
    limits = thresholds_for_many(assets.values())
    raised = 0
    for (pk, metric), points in series.items():
        watched = limits.get(pk, {}).get(metric)
        if not watched:
            continue
        low = min(points, key=lambda point: point[1])
        high = max(points, key=lambda point: point[1])
        worst: tuple[Threshold, Point] | None = None
        for threshold in watched:
            point = high if threshold.operator in (Operator.GT, Operator.GTE) else low
            if not threshold_breached(threshold.operator, _decimal(point[1]), threshold.value):
                continue
            if (
                worst is None
                or SEVERITY_RANK[threshold.severity] > SEVERITY_RANK[worst[0].severity]
            ):
                worst = (threshold, point)
        if worst is None:
            continue
        threshold, (at, value) = worst
        asset = assets[pk]
        value_decimal = _decimal(value)
        spec = AlertSpec(
            metric=metric,
            severity=threshold.severity,
            message=(
                f"{asset.asset_id}: {metric.replace('_', ' ')} {value_decimal.normalize():f} "
                f"{threshold.get_operator_display()} {threshold.value.normalize():f}"
            ),
            source=AlertSource.IOT,
            value=value_decimal,
            threshold=threshold,
        )
        alert_raise(by=by, asset=asset, spec=spec, at=at)
        raised += 1
    return raised


def readings_ingest(
    *,
    items: list[Any],
    by: User | None = None,
    only_device: str | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Validate and store one batch; act on it (streams, anomalies, alerts, PM) once.

    ``only_device`` (a device token's asset code) refuses readings of any other device.
    A batch over ``IOT_MAX_BATCH`` readings is refused whole (``BatchTooLarge``).
    """
    if len(items) > settings.IOT_MAX_BATCH:
        raise BatchTooLarge(len(items))
    now = now or timezone.now()
    rows, rejected, accepted = validate_batch(items, now=now, only_device=only_device)
    result = IngestResult(accepted=accepted, rejected=rejected)
    if not rows:
        return result
    series: dict[StreamKey, list[Point]] = defaultdict(list)
    units: dict[StreamKey, str] = {}
    for pk, metric, ts, value, unit in rows.values():
        series[(pk, metric)].append((ts, value))
        units[(pk, metric)] = unit
    for points in series.values():
        points.sort(key=lambda point: point[0])
    with transaction.atomic():
        _copy_rows(list(rows.values()))
        assets = Asset.objects.in_bulk({pk for pk, _ in series})
        result.anomalies = streams_advance(series, units, assets, by=by, now=now)
        result.alerts = _threshold_alerts(series, assets, by=by)
        by_asset: dict[int, dict[str, list[Point]]] = defaultdict(dict)
        for (pk, metric), points in series.items():
            by_asset[pk][metric.lower()] = points
        for anomaly in result.anomalies:
            # A condition plan may watch the anomalies of a metric: their score.
            key = f"anomaly:{anomaly.metric.lower()}"
            by_asset[anomaly.asset_id].setdefault(key, []).append(
                (anomaly.reading_timestamp, anomaly.score)
            )
        dispatch(MetricSeriesRecorded(series=by_asset))
    return result
