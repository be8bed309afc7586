"""Metric ingestion: one batch of readings validated, stored and acted on in one go.

The API, the MQTT bridge and the CSV import all come here. A batch of up to
``IOT_MAX_BATCH`` readings is checked item by item (each bad one is named by its
index; the good ones land), deduplicated on (device, metric, timestamp) with the
later item winning, and copied into the partitioned ``iot_reading`` with ``COPY``;
a batch that resends stored readings goes through a staging table and one
``INSERT ... ON CONFLICT DO UPDATE`` instead, so a resend overwrites what it resends.
No object is made per reading.

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
from itertools import groupby
from operator import itemgetter
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
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
_STREAM = itemgetter(0, 1)
_VALUE = itemgetter(1)


def _parse_timestamp(raw: Any) -> datetime | None:
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    # The contract's times are UTC; a device that leaves the zone out means UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _storable_text(text: str) -> bool:
    """Whether the text can be stored: JSON's escapes can carry a lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        return float(raw)
    except OverflowError:
        return math.inf


class Judge:
    """The whole set of rules for one reading, in the order its error is named.

    It also remembers the texts it found good (a metric name, a unit, a timestamp inside
    the window), so the batch's fast path can take the next reading that repeats them
    with a few dictionary look-ups: a gateway's batch repeats a handful of each.
    """

    def __init__(
        self,
        devices: dict[str, int],
        *,
        only_device: str | None,
        latest: datetime,
        earliest: datetime,
    ) -> None:
        self.devices = devices
        self.only_device = only_device
        self.latest = latest
        self.earliest = earliest
        self.moments: dict[str, datetime | None] = {}
        # What the fast path may take without asking again.
        self.good_devices = {
            code: pk for code, pk in devices.items() if only_device in (None, code)
        }
        self.good_metrics: dict[str, str] = {}
        self.good_units: set[str] = set()
        self.good_moments: dict[str, datetime] = {}

    def _moment(self, raw: Any) -> datetime | None:
        if not isinstance(raw, str):
            return None
        ts = self.moments.get(raw, False)
        if ts is False:
            ts = self.moments[raw] = _parse_timestamp(raw)
            if ts is not None and self.earliest <= ts <= self.latest:
                self.good_moments[raw] = ts
        return ts

    def judge(self, item: Any) -> tuple[str | None, Row | None]:
        """The reading's error, or its row."""
        if not isinstance(item, dict):
            return "A reading is an object {device_id, metric, value, unit, timestamp}.", None
        if not (item.keys() <= FIELDS and item.keys() >= REQUIRED_SET):
            unknown = [str(name)[:40] for name in item if name not in FIELDS]
            if unknown:
                return "Unknown field(s): " + ", ".join(sorted(unknown)) + ".", None
            missing = [name for name in REQUIRED if name not in item]
            return "Missing field(s): " + ", ".join(missing) + ".", None
        code, metric, unit = item["device_id"], item["metric"], item.get("unit", "")
        pk = self.devices.get(code) if isinstance(code, str) else None
        value = _number(item["value"])
        ts = self._moment(item["timestamp"])
        if pk is None:
            return "Unknown device.", None
        if self.only_device is not None and code != self.only_device:
            return "This token may only send readings of its own device.", None
        if not isinstance(metric, str) or not metric.strip() or len(metric) > METRIC_MAX:
            return f"metric must be a non-empty text of at most {METRIC_MAX} characters.", None
        if "\x00" in metric or (isinstance(unit, str) and "\x00" in unit):
            return "metric and unit may not contain NUL characters.", None
        if not _storable_text(metric) or (isinstance(unit, str) and not _storable_text(unit)):
            return "metric and unit must be Unicode text (no lone surrogates).", None
        self.good_metrics[metric] = metric.strip()
        if unit is None or not isinstance(unit, str) or len(unit) > UNIT_MAX:
            return f"unit must be a text of at most {UNIT_MAX} characters.", None
        self.good_units.add(unit)
        if value is None:
            return "value must be a number.", None
        if not math.isfinite(value):
            return "value must be a finite number.", None
        if abs(value) >= MAX_ABS_VALUE:
            return f"value must be between -{MAX_ABS_VALUE:g} and {MAX_ABS_VALUE:g}.", None
        if ts is None:
            return "timestamp must be an ISO-8601 date-time.", None
        if ts > self.latest:
            return "timestamp is more than 5 minutes in the future.", None
        if ts < self.earliest:
            return "timestamp is older than the readings kept (IOT_RETENTION_DAYS).", None
        return None, (pk, metric.strip(), ts, value, unit)


def validate_batch(
    items: list[Any], *, now: datetime, only_device: str | None = None
) -> tuple[dict[tuple[int, str, datetime], Row], list[dict[str, Any]], int]:
    """The good readings (deduplicated, later wins), the rejections by index, and how
    many items were good (duplicates included: each was accepted, the later one kept)."""
    try:
        codes = {item["device_id"] for item in items}
    except (KeyError, TypeError):
        codes = {
            code
            for item in items
            if isinstance(item, dict) and isinstance(code := item.get("device_id"), str)
        }
    devices = Asset.objects.filter(
        asset_id__in=[code for code in codes if isinstance(code, str) and _storable_text(code)]
    ).values_list("asset_id", "pk")
    judge = Judge(
        dict(devices),
        only_device=only_device,
        latest=now + FUTURE_SLACK,
        earliest=now - timedelta(days=settings.IOT_RETENTION_DAYS),
    )
    return readings_sorted_out(items, judge)


def readings_sorted_out(
    items: list[Any], judge: Judge
) -> tuple[dict[tuple[int, str, datetime], Row], list[dict[str, Any]], int]:
    """``validate_batch`` once the devices are known."""
    devices, metrics, units, moments = (
        judge.good_devices,
        judge.good_metrics,
        judge.good_units,
        judge.good_moments,
    )
    rows: dict[tuple[int, str, datetime], Row] = {}
    rejected: list[dict[str, Any]] = []
    accepted = 0
    for index, item in enumerate(items):
        # The fast path takes a reading whose every part is one the judge has already
        # found good; anything else (a first sight, a wrong type, a missing field: a
        # failed look-up) goes to the judge, which names the error or takes it.
        try:
            if item.keys() <= FIELDS:
                pk = devices[item["device_id"]]
                metric = metrics[item["metric"]]
                unit = item.get("unit", "")
                ts = moments[item["timestamp"]]
                value = item["value"]
                if unit in units and (type(value) is float or type(value) is int):
                    value = float(value)
                    if -MAX_ABS_VALUE < value < MAX_ABS_VALUE:
                        rows[(pk, metric, ts)] = (pk, metric, ts, value, unit)
                        accepted += 1
                        continue
        except (AttributeError, KeyError, TypeError, OverflowError):
            pass
        error, row = judge.judge(item)
        if row is None:
            rejected.append({"index": index, "error": error})
        else:
            rows[row[:3]] = row
            accepted += 1
    return rows, rejected, accepted


COLUMNS = "(device_id, metric, ts, value, unit)"
# Binary COPY: the server reads each value as it is stored instead of parsing text (a
# timestamp's text costs the server more than the rest of its row), and psycopg's C
# dumpers write the rows.
COPY_TYPES = ("int8", "varchar", "timestamptz", "float8", "varchar")


def _copy_into(raw: psycopg.Cursor, table: str, rows: list[Row]) -> None:
    with raw.copy(f"COPY {table} {COLUMNS} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(COPY_TYPES)
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _copy_rows(rows: list[Row]) -> None:
    """The rows (in key order) into the readings.

    Readings are nearly always new (a sensor moves on in time), so the batch is first
    copied straight into ``iot_reading``, as fast as any write can be. When some of it
    is already stored (a resend), the unique key refuses that copy; it is undone to its
    savepoint and the batch goes through staging and one upsert instead, so the later
    value wins. Rows go in key order either way: two batches that overlap wait for
    each other instead of deadlocking.
    """
    with connection.cursor() as cursor:
        raw = cursor.cursor
        try:
            with transaction.atomic():
                _copy_into(raw, "iot_reading", rows)
            return
        except (IntegrityError, psycopg.errors.UniqueViolation):
            pass
        cursor.execute(STAGING_DDL)
        _copy_into(raw, STAGING, rows)
        cursor.execute(UPSERT)
        # Emptied now, not only at commit: a caller's outer transaction may ingest again.
        cursor.execute(f"TRUNCATE {STAGING}")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.0001"))


def _threshold_alerts(
    series: dict[StreamKey, list[Point]], asset_types: dict[int, str], *, by: User | None
) -> int:
    """One alert call per (device, metric) whose extremes in the batch cross a threshold."""
    limits = thresholds_for_many(asset_types)
    breaches: list[tuple[int, str, Threshold, Point]] = []
    for (pk, metric), points in series.items():
        watched = limits.get(pk, {}).get(metric)
        if not watched:
            continue
        low = min(points, key=_VALUE)
        high = max(points, key=_VALUE)
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
        if worst is not None:
            breaches.append((pk, metric, *worst))
    # Only the assets that get an alert are loaded whole.
    assets = Asset.objects.in_bulk({pk for pk, *_ in breaches})
    raised = 0
    for pk, metric, threshold, (at, value) in breaches:
        asset = assets.get(pk)
        if asset is None:  # deleted since the batch was checked
            continue
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


def _streams(rows: list[Row]) -> tuple[dict[StreamKey, list[Point]], dict[StreamKey, str]]:
    """Each stream's readings in time order, and the unit of its newest; ``rows`` are in
    key order, so each stream is one run of them."""
    series: dict[StreamKey, list[Point]] = {}
    units: dict[StreamKey, str] = {}
    for key, run in groupby(rows, key=_STREAM):
        run_rows = list(run)
        series[key] = [(ts, value) for _, _, ts, value, _ in run_rows]
        units[key] = run_rows[-1][4]
    return series, units


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
    found, rejected, accepted = validate_batch(items, now=now, only_device=only_device)
    result = IngestResult(accepted=accepted, rejected=rejected)
    if not found:
        return result
    # The key (device, metric, ts) is unique among the rows, so tuples order by it alone.
    rows = sorted(found.values())
    series, units = _streams(rows)
    with transaction.atomic():
        _copy_rows(rows)
        asset_types = dict(
            Asset.objects.filter(pk__in={pk for pk, _ in series}).values_list("pk", "asset_type")
        )
        result.anomalies = streams_advance(series, units, by=by, now=now)
        result.alerts = _threshold_alerts(series, asset_types, by=by)
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
