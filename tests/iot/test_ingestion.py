"""POST /api/v1/iot/metrics/: each reading refused alone with its reason, the good ones
stored once per (device, metric, timestamp) with the later one winning, the batch refused
whole when too large, thresholds and condition-based PM fed once per batch."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Alert
from iot.models import MetricStream
from maintenance.models import WorkOrder
from maintenance.pm.schedules import schedule_create
from tests.assets.factories import AssetFactory, ThresholdFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/iot/metrics/"


def reading(device="PUMP-1", metric="temperature", value=20.0, at=None, **extra) -> dict:
    at = at or timezone.now() - timedelta(minutes=1)
    return {
        "device_id": device,
        "metric": metric,
        "value": value,
        "unit": "C",
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        **extra,
    }


def stored(device_pk: int, metric: str = "temperature") -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts, value FROM iot_reading WHERE device_id = %s AND metric = %s ORDER BY ts",
            [device_pk, metric],
        )
        return cursor.fetchall()


def post_raw(client, text: str):
    return client.generic("POST", URL, text, content_type="application/json")


def test_each_bad_reading_is_refused_by_index_and_the_good_ones_land(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    now = timezone.now()
    good = reading(at=now - timedelta(minutes=2))
    body = [
        good,
        reading(device="NOPE-9"),
        reading(value="hot"),
        reading(value=True),
        reading(at=now + timedelta(minutes=10)),
        reading(colour="red"),
        {"device_id": "PUMP-1", "metric": "temperature", "value": 1},
        "not an object",
        reading(metric=""),
        reading(value=1e13),
        reading(at=now - timedelta(days=5000)),
        reading(metric="pressure", value=2.5, at=now - timedelta(minutes=3)),
        reading(),
    ]
    body[-1]["timestamp"] = "yesterday"

    response = api("technician").post(URL, body, format="json")

    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["accepted"] == 2
    errors = {item["index"]: item["error"] for item in answer["rejected"]}
    assert sorted(errors) == [*range(1, 11), 12]
    assert errors[1] == "Unknown device."
    assert errors[2] == errors[3] == "value must be a number."
    assert "future" in errors[4]
    assert "Unknown field(s): colour" in errors[5]
    assert "Missing field(s): timestamp" in errors[6]
    assert "object" in errors[7]
    assert "metric" in errors[8]
    assert "between" in errors[9]
    assert "older" in errors[10]
    assert "ISO-8601" in errors[12]
    assert len(stored(pump.pk)) == 1
    assert len(stored(pump.pk, "pressure")) == 1


def test_non_finite_values_are_refused_one_by_one(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    items = [
        '{"device_id": "PUMP-1", "metric": "t", "value": %s, "timestamp": "%s"}' % (raw, at)  # noqa: UP031
        for raw in ("NaN", "1e309", "-Infinity", "4")
    ]
    text = "[" + ", ".join(items) + "]"

    response = post_raw(api("technician"), text)

    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 1
    assert [r["error"] for r in response.json()["rejected"]] == [
        "value must be a finite number."
    ] * 3
    assert [value for _, value in stored(pump.pk, "t")] == [4.0]


def test_lone_surrogates_are_refused_one_by_one(api, in_alpha):
    # JSON's \u escapes can carry half of a surrogate pair, which no database text holds.
    pump = AssetFactory(asset_id="PUMP-1")
    at = (timezone.now() - timedelta(minutes=1)).isoformat()
    parts = [
        ("PUMP-1", "t\\ud800", "C"),
        ("PUMP-1", "t", "\\udfff"),
        ("\\ud800PUMP-1", "t", "C"),
        ("PUMP-1", "t", "C"),
    ]
    text = json.dumps(
        [
            {"device_id": "@d", "metric": "@m", "value": 1, "unit": "@u", "timestamp": at}
            for _ in parts
        ]
    )
    for device, metric, unit in parts:
        text = text.replace('"@d"', f'"{device}"', 1).replace('"@m"', f'"{metric}"', 1)
        text = text.replace('"@u"', f'"{unit}"', 1)

    response = post_raw(api("technician"), text)

    assert response.status_code == 202, response.content
    errors = [(r["index"], r["error"]) for r in response.json()["rejected"]]
    unicode_error = "metric and unit must be Unicode text (no lone surrogates)."
    assert errors == [(0, unicode_error), (1, unicode_error), (2, "Unknown device.")]
    assert [value for _, value in stored(pump.pk, "t")] == [1.0]


def test_a_resend_is_stored_once_and_the_later_value_wins(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    at = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    client = api("technician")

    # Within one batch the later item wins.
    first = client.post(URL, [reading(value=1, at=at), reading(value=2, at=at)], format="json")
    assert first.json() == {"accepted": 2, "rejected": []}
    assert stored(pump.pk) == [(at, 2.0)]

    # Across requests the later request wins.
    client.post(URL, reading(value=3, at=at), format="json")
    assert stored(pump.pk) == [(at, 3.0)]


def test_one_reading_or_a_list_and_nothing_else(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    assert client.post(URL, reading(), format="json").json()["accepted"] == 1
    assert post_raw(client, "42").status_code == 400
    assert post_raw(client, "{not json").status_code == 400
    assert post_raw(client, "[" * 5000 + "]" * 5000).status_code == 400
    assert post_raw(client, '{"a":' * 5000 + "1" + "}" * 5000).status_code == 400


def test_a_batch_over_ten_thousand_is_refused_whole(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(days=1)
    body = [reading(value=i, at=start + timedelta(seconds=i)) for i in range(10_001)]

    response = api("technician").post(URL, body, format="json")

    assert response.status_code == 413
    assert stored(pump.pk) == []


def test_a_body_over_the_limit_is_refused_before_parsing(api, in_alpha, settings):
    settings.IOT_MAX_BODY_BYTES = 1000
    AssetFactory(asset_id="PUMP-1")

    response = post_raw(api("technician"), json.dumps([reading()] * 20))

    assert response.status_code == 413


def test_who_may_post(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    for role in ("manager", "planner", "technician"):
        assert api(role).post(URL, reading(), format="json").status_code == 202, role
    for role in ("viewer", "requester"):
        assert api(role).post(URL, reading(), format="json").status_code == 403, role
    assert api(None).post(URL, reading(), format="json").status_code == 401


def test_the_batch_checks_thresholds_once_per_stream_and_raises_one_alert(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    ThresholdFactory(asset=pump, metric="vibration", operator="gt", value=5, severity="high")
    start = timezone.now() - timedelta(hours=1)
    body = [
        reading(metric="vibration", value=v, at=start + timedelta(seconds=i))
        for i, v in enumerate([1, 7, 9, 2, 6])
    ]

    response = api("technician").post(URL, body, format="json")

    assert response.status_code == 202
    alerts = Alert.objects.filter(asset=pump, metric="vibration")
    assert alerts.count() == 1
    alert = alerts.get()
    assert alert.source == "iot"
    assert alert.severity == "high"
    assert float(alert.value) == 9.0


def test_condition_based_pm_follows_the_batch_in_time_order(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    schedule_create(
        by=None,
        name="Bearing check",
        trigger_type="condition_based",
        condition_metric="temperature",
        condition_operator="gt",
        condition_threshold=90,
        condition_duration_minutes=10,
        assets=[pump],
    )
    start = timezone.now() - timedelta(hours=1)
    # Over 90 for 5 minutes, back to normal, then over 90 for 15 minutes: one work order.
    values = [95, 96, 50] + [95] * 4
    offsets = [0, 5, 6, 20, 25, 30, 35]
    body = [
        reading(value=v, at=start + timedelta(minutes=m))
        for v, m in zip(values, offsets, strict=True)
    ]

    api("technician").post(URL, body, format="json")

    assert WorkOrder.objects.filter(asset=pump).count() == 1
    stream = MetricStream.objects.get(asset=pump, metric="temperature")
    assert stream.last_value == 95
    assert stream.readings == 7


def test_queries_per_batch_do_not_grow_with_readings(api, in_alpha):
    pumps = [AssetFactory(asset_id=f"PUMP-{i}") for i in range(3)]
    client = api("technician")
    start = timezone.now() - timedelta(hours=2)

    def batch(size: int, offset: int) -> list[dict]:
        return [
            reading(device=p.asset_id, value=20 + (i % 3), at=start + timedelta(seconds=offset + i))
            for p in pumps
            for i in range(size)
        ]

    client.post(URL, batch(5, 0), format="json")
    with CaptureQueriesContext(connection) as small:
        client.post(URL, batch(10, 100), format="json")
    with CaptureQueriesContext(connection) as large:
        client.post(URL, batch(1000, 1000), format="json")

    assert len(large) == len(small)


def test_timestamps_without_zone_are_utc(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    at = datetime.now(UTC).replace(microsecond=0, tzinfo=None) - timedelta(minutes=1)
    body = reading()
    body["timestamp"] = at.isoformat()

    api("technician").post(URL, body, format="json")

    assert stored(pump.pk) == [(at.replace(tzinfo=UTC), 20.0)]


def test_a_single_reading_with_an_unknown_field_is_a_400_naming_it(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")

    response = api("technician").post(URL, reading(colour="red"), format="json")

    assert response.status_code == 400
    assert "colour" in response.json()


def test_a_full_batch_larger_than_django_s_upload_limit_is_read(api, in_alpha, settings):
    # 10,000 readings with long names pass Django's 2.5 MB form limit: the route has its own.
    pump = AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(days=1)
    body = [
        reading(
            metric="bearing_temperature_drive_end_" + "x" * 30,
            value=i,
            at=start + timedelta(seconds=i),
            unit="degrees Celsius",
        )
        for i in range(10_000)
    ]
    text = json.dumps(body, indent=8)  # pretty-printed, as some gateways send it
    assert len(text) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post_raw(api("technician"), text)

    assert response.status_code == 202, response.content[:300]
    assert response.json()["accepted"] == 10_000
    assert len(stored(pump.pk, body[0]["metric"])) == 10_000


def test_each_batch_updates_its_streams_in_place(api, in_alpha):
    # No index covers what a batch changes in a stream's row, so PostgreSQL rewrites the
    # row beside the old one (a HOT update) without touching any index.
    AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(hours=1)
    client = api("technician")

    def updates() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_updated(oid), "
                "pg_stat_get_xact_tuples_hot_updated(oid) FROM pg_class "
                "WHERE oid = 'iot_metricstream'::regclass"
            )
            return cursor.fetchone()

    client.post(URL, [reading(at=start), reading(metric="pressure", at=start)], format="json")
    updated_before, in_place_before = updates()
    for batch in range(1, 4):
        at = start + timedelta(minutes=batch)
        client.post(URL, [reading(at=at), reading(metric="pressure", at=at)], format="json")
    updated, in_place = updates()

    assert updated - updated_before == 6
    assert in_place - in_place_before == 6
