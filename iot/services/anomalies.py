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
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.conf import settings
from django.db import connection

from assets.choices import AlertSource, Severity
from assets.models import Asset
from assets.services.monitoring import AlertSpec, alert_raise
from core.events import Event, publish_many
from core.models import User
from iot.choices import AnomalyStatus
from iot.events import ANOMALY_EVENT, anomaly_payload
from iot.models import Anomaly

StreamKey = tuple[int, str]
Point = tuple[datetime, float]

# One statement for every stream of the batch (Django's bulk_update builds a CASE per
# field and row, which costs more to compile than the update itself). The rows travel as
# one JSON document: psycopg's client-side cursor would quote each element of ten arrays
# in Python, which took twice as long.
SAVE_STATE = """
UPDATE iot_metricstream s SET unit = v.unit, last_value = v.last_value,
    last_reading_at = v.last_reading_at, readings = v.readings, seen = v.seen, mean = v.mean,
    variance = v.variance, normal_streak = v.normal_streak, open_anomaly_id = v.open_anomaly_id,
    updated_at = now()
FROM json_to_recordset(%s::json)
    AS v(id bigint, unit text, last_value float8, last_reading_at timestamptz, readings bigint,
         seen bigint, mean float8, variance float8, normal_streak int, open_anomaly_id bigint)
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

LOCK_STREAMS = """
SELECT s.id, s.asset_id, s.metric, s.unit, s.last_value, s.last_reading_at, s.readings, s.seen,
    s.mean, s.variance, s.normal_streak, s.open_anomaly_id
FROM iot_metricstream s
JOIN json_to_recordset(%s::json) AS k(asset_id bigint, metric text)
    ON s.asset_id = k.asset_id AND s.metric = k.metric
ORDER BY s.id
FOR UPDATE OF s
"""


@dataclass(slots=True)
class _Stream:
    """One stream's row while a batch moves it on (a plain record: the batch touches its
    fields thousands of times, and a model instance costs more to make and to read)."""

    pk: int
    asset_id: int
    metric: str
    unit: str
    last_value: float
    last_reading_at: datetime
    readings: int
    seen: int
    mean: float
    variance: float
    normal_streak: int
    open_anomaly_id: int | None
    episode: Anomaly | None = None


def _lock_streams(keys: list[StreamKey]) -> list[_Stream]:
    with connection.cursor() as cursor:
        keys_json = orjson.dumps([{"asset_id": pk, "metric": metric} for pk, metric in keys])
        cursor.execute(LOCK_STREAMS, [keys_json.decode()])
        return [_Stream(*row) for row in cursor.fetchall()]


def _streams_locked(
    series: dict[StreamKey, list[Point]], units: dict[StreamKey, str]
) -> list[_Stream]:
    """The batch's streams, locked (in id order, so two batches of one device serialise
    instead of deadlocking), the missing ones made first (in key order)."""
    keys = sorted(series)
    streams = _lock_streams(keys)
    if len(streams) < len(keys):
        known = {(stream.asset_id, stream.metric) for stream in streams}
        missing = [key for key in keys if key not in known]
        with connection.cursor() as cursor:
            cursor.execute(
                NEW_STREAMS,
                [
                    [pk for pk, _ in missing],
                    [metric for _, metric in missing],
                    [units[key] for key in missing],
                    [series[key][-1][1] for key in missing],
                    [series[key][-1][0] for key in missing],
                ],
            )
        streams += _lock_streams(missing)
    episodes = Anomaly.objects.in_bulk(
        [stream.open_anomaly_id for stream in streams if stream.open_anomaly_id]
    )
    for stream in streams:
        stream.episode = episodes.get(stream.open_anomaly_id)
    return streams


def _save_state(streams: list[_Stream]) -> None:
    state = orjson.dumps(
        [
            {
                "id": stream.pk,
                "unit": stream.unit,
                "last_value": stream.last_value,
                "last_reading_at": stream.last_reading_at,
                "readings": stream.readings,
                "seen": stream.seen,
                "mean": stream.mean,
                "variance": stream.variance,
                "normal_streak": stream.normal_streak,
                "open_anomaly_id": stream.open_anomaly_id,
            }
            for stream in streams
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(SAVE_STATE, [state.decode()])


def _alert_severity(score: float, limit: float) -> str:
    return Severity.HIGH if score >= 2 * limit else Severity.MEDIUM


def streams_advance(
    series: dict[StreamKey, list[Point]],
    units: dict[StreamKey, str],
    *,
    by: User | None,
    now: datetime,
) -> list[Anomaly]:
    """Move every stream of the batch on; returns the anomalies opened (saved)."""
    alpha = settings.IOT_EWMA_ALPHA
    limit = settings.IOT_ANOMALY_Z
    warmup = settings.IOT_ANOMALY_WARMUP
    clear_after = settings.IOT_EPISODE_CLEAR_READINGS
    streams = _streams_locked(series, units)
    opened: list[Anomaly] = []
    closed: list[Anomaly] = []
    for stream in streams:
        key = (stream.asset_id, stream.metric)
        points = series[key]
        fresh = stream.readings == 0
        stream.readings += len(points)
        # The state in locals while the batch runs through it: attribute access costs
        # more than the arithmetic, thousands of times.
        mean, variance, seen = stream.mean, stream.variance, stream.seen
        streak, episode = stream.normal_streak, stream.episode
        last_at = stream.last_reading_at
        for at, value in points:
            if not fresh and at <= last_at:
                continue
            score = 0.0
            if seen >= warmup:
                # A perfectly steady signal has no spread; a floor keeps the score finite.
                spread = max(math.sqrt(max(variance, 0.0)), 1e-9, abs(mean) * 1e-6)
                score = abs(value - mean) / spread
            if score > limit:
                streak = 0
                if episode is None:
                    episode = Anomaly(
                        asset_id=stream.asset_id,
                        metric=stream.metric,
                        value=value,
                        expected=mean,
                        score=min(score, 1e12),
                        detected_at=now,
                        reading_timestamp=at,
                    )
                    opened.append(episode)
                continue
            if seen == 0:
                mean, variance = value, 0.0
            else:
                diff = value - mean
                step = alpha * diff
                mean += step
                variance = (1 - alpha) * (variance + diff * step)
            seen += 1
            streak += 1
            if episode is not None and streak >= clear_after:
                episode.status = AnomalyStatus.CLOSED
                episode.closed_at = at
                closed.append(episode)
                episode = None
        stream.mean, stream.variance, stream.seen = mean, variance, seen
        stream.normal_streak, stream.episode = streak, episode
        newest = points[-1]
        if fresh or newest[0] >= stream.last_reading_at:
            stream.last_reading_at, stream.last_value = newest
            stream.unit = units[key]
    # Saved in one statement; an episode may have opened and closed within the batch.
    opened_here = {id(anomaly) for anomaly in opened}
    Anomaly.objects.bulk_create(opened)
    for anomaly in closed:
        if id(anomaly) not in opened_here:
            Anomaly.objects.filter(pk=anomaly.pk).update(
                status=AnomalyStatus.CLOSED, closed_at=anomaly.closed_at, updated_at=now
            )
    for stream in streams:
        stream.open_anomaly_id = stream.episode.pk if stream.episode else None
    _save_state(streams)
    _tell(opened, by=by, limit=limit)
    return opened


def _tell(opened: list[Anomaly], *, by: User | None, limit: float) -> None:
    """Each new anomaly once: ``iot:anomaly`` after commit and an alert on its asset."""
    if not opened:
        return
    assets = Asset.objects.in_bulk({anomaly.asset_id for anomaly in opened})
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
