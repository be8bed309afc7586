"""Online anomaly detection, one (device, metric) stream at a time, once per batch.

Each stream keeps an exponentially weighted mean and variance (weight
``IOT_EWMA_ALPHA`` for each new reading) in ``MetricStream``. A reading more than
``IOT_ANOMALY_Z`` standard deviations from the mean, once the stream has seen
``IOT_ANOMALY_WARMUP`` readings, is anomalous and does not move the mean (one
spike would otherwise hide the next). The first anomalous reading opens an
episode, which is one ``Anomaly``, one ``iot:anomaly`` event and one asset alert;
the episode closes after ``IOT_EPISODE_CLEAR_READINGS`` normal readings in a row.

A batch reads the state of its streams once (locked, in a fixed order, so two
batches of one device serialise instead of deadlocking), follows each stream's new
readings in time order in memory, and writes the state back in one statement.
Readings older than a stream's latest are stored but not judged: detection moves
forward only, and never re-reads history.
"""

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from assets.choices import AlertSource, Severity
from assets.models import Asset
from assets.services.monitoring import AlertSpec, alert_raise
from core.events import Event, publish_many
from core.models import User
from iot.choices import AnomalyStatus
from iot.events import ANOMALY_EVENT, anomaly_payload
from iot.models import Anomaly, MetricStream

StreamKey = tuple[int, str]
Point = tuple[datetime, float]

# One statement for every stream of the batch (Django's bulk_update builds a CASE per
# field and row, which costs more to compile than the update itself).
SAVE_STATE = """
UPDATE iot_metricstream s SET unit = v.unit, last_value = v.last_value,
    last_reading_at = v.last_reading_at, readings = v.readings, seen = v.seen, mean = v.mean,
    variance = v.variance, normal_streak = v.normal_streak, open_anomaly_id = v.open_anomaly_id,
    updated_at = now()
FROM unnest(%s::bigint[], %s::text[], %s::float8[], %s::timestamptz[], %s::bigint[],
            %s::bigint[], %s::float8[], %s::float8[], %s::int[], %s::bigint[])
    AS v(id, unit, last_value, last_reading_at, readings, seen, mean, variance, normal_streak,
         open_anomaly_id)
WHERE s.id = v.id
"""


NEW_STREAMS = """
INSERT INTO iot_metricstream (asset_id, metric, unit, last_value, last_reading_at, readings,
    seen, mean, variance, normal_streak, created_at, updated_at)
SELECT v.asset_id, v.metric, v.unit, v.last_value, v.last_reading_at, 0, 0, 0, 0, 0, now(), now()
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::float8[], %s::timestamptz[])
    AS v(asset_id, metric, unit, last_value, last_reading_at)
ON CONFLICT (asset_id, metric) DO NOTHING
"""


def _new_stream_columns(
    series: dict[StreamKey, list[Point]], units: dict[StreamKey, str]
) -> list[list[Any]]:
    keys = sorted(series)  # a fixed order, as the locks that follow
    return [
        [pk for pk, _ in keys],
        [metric for _, metric in keys],
        [units[key] for key in keys],
        [series[key][-1][1] for key in keys],
        [series[key][-1][0] for key in keys],
    ]


def _save_state(streams: list[MetricStream]) -> None:
    columns: list[list[Any]] = [[] for _ in range(10)]
    for stream in streams:
        values = (
            stream.pk,
            stream.unit,
            stream.last_value,
            stream.last_reading_at,
            stream.readings,
            stream.seen,
            stream.mean,
            stream.variance,
            stream.normal_streak,
            stream.open_anomaly_id,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(SAVE_STATE, columns)


def _score(stream: MetricStream, value: float) -> float:
    spread = math.sqrt(max(stream.variance, 0.0))
    # A perfectly steady signal has no spread; a floor keeps the score finite.
    floor = max(1e-9, abs(stream.mean) * 1e-6)
    return abs(value - stream.mean) / max(spread, floor)


def _learn(stream: MetricStream, value: float, alpha: float) -> None:
    if stream.seen == 0:
        stream.mean, stream.variance = value, 0.0
    else:
        diff = value - stream.mean
        step = alpha * diff
        stream.mean += step
        stream.variance = (1 - alpha) * (stream.variance + diff * step)
    stream.seen += 1


def _alert_severity(score: float, limit: float) -> str:
    return Severity.HIGH if score >= 2 * limit else Severity.MEDIUM


def streams_advance(
    series: dict[StreamKey, list[Point]],
    units: dict[StreamKey, str],
    assets: dict[int, Asset],
    *,
    by: User | None,
    now: datetime,
) -> list[Anomaly]:
    """Move every stream of the batch on; returns the anomalies opened (saved)."""
    alpha = settings.IOT_EWMA_ALPHA
    limit = settings.IOT_ANOMALY_Z
    warmup = settings.IOT_ANOMALY_WARMUP
    clear_after = settings.IOT_EPISODE_CLEAR_READINGS
    with connection.cursor() as cursor:
        cursor.execute(NEW_STREAMS, _new_stream_columns(series, units))
    keys = set(series)
    streams = [
        stream
        for stream in MetricStream.objects.select_for_update(of=("self",))
        .filter(asset_id__in={pk for pk, _ in keys}, metric__in={m for _, m in keys})
        .select_related("open_anomaly")
        .order_by("pk")
        if (stream.asset_id, stream.metric) in keys
    ]
    opened: list[Anomaly] = []
    closed: list[Anomaly] = []
    for stream in streams:
        key = (stream.asset_id, stream.metric)
        points = series[key]
        fresh = stream.readings == 0
        stream.readings += len(points)
        for at, value in points:
            if not fresh and at <= stream.last_reading_at:
                continue
            score = _score(stream, value) if stream.seen >= warmup else 0.0
            if score > limit:
                stream.normal_streak = 0
                if stream.open_anomaly is None:
                    anomaly = Anomaly(
                        asset_id=stream.asset_id,
                        metric=stream.metric,
                        value=value,
                        expected=stream.mean,
                        score=min(score, 1e12),
                        detected_at=now,
                        reading_timestamp=at,
                    )
                    opened.append(anomaly)
                    stream.open_anomaly = anomaly
            else:
                _learn(stream, value, alpha)
                stream.normal_streak += 1
                if stream.open_anomaly is not None and stream.normal_streak >= clear_after:
                    stream.open_anomaly.status = AnomalyStatus.CLOSED
                    stream.open_anomaly.closed_at = at
                    closed.append(stream.open_anomaly)
                    stream.open_anomaly = None
        newest = points[-1]
        if fresh or newest[0] >= stream.last_reading_at:
            stream.last_reading_at, stream.last_value = newest
            stream.unit = units[key]
        stream.updated_at = now
    # Saved in one statement; an episode may have opened and closed within the batch.
    opened_here = {id(anomaly) for anomaly in opened}
    Anomaly.objects.bulk_create(opened)
    for anomaly in closed:
        if id(anomaly) not in opened_here:
            Anomaly.objects.filter(pk=anomaly.pk).update(
                status=AnomalyStatus.CLOSED, closed_at=anomaly.closed_at, updated_at=now
            )
    for stream in streams:
        stream.open_anomaly_id = stream.open_anomaly.pk if stream.open_anomaly else None
    _save_state(streams)
    _tell(opened, assets, by=by, limit=limit)
    return opened


def _tell(
    opened: list[Anomaly], assets: dict[int, Asset], *, by: User | None, limit: float
) -> None:
    """Each new anomaly once: ``iot:anomaly`` after commit and an alert on its asset."""
    for anomaly in opened:
        anomaly.asset = assets[anomaly.asset_id]
    publish_many([Event(ANOMALY_EVENT, anomaly_payload(anomaly)) for anomaly in opened])
    for anomaly in opened:
        spec = AlertSpec(
            metric=f"anomaly:{anomaly.metric}"[:64],
            severity=_alert_severity(anomaly.score, limit),
            message=(
                f"{anomaly.asset.asset_id}: {anomaly.metric} reads {anomaly.value:g}, "
                f"expected about {anomaly.expected:g} ({anomaly.score:.1f} standard deviations)"
            ),
            source=AlertSource.IOT,
        )
        alert_raise(by=by, asset=anomaly.asset, spec=spec, at=anomaly.reading_timestamp)
