"""Online anomalies (one per episode, state kept between batches), diagnostics (run,
history, analyze, stored, announced) and device health (score, risk, factors)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assets.models import Alert, Failure
from iot.health import devices_health, remaining_life_factor
from iot.models import Anomaly, DiagnosticRun, MetricStream
from iot.services.ingestion import readings_ingest
from maintenance.models import WorkOrder
from maintenance.pm.schedules import schedule_create
from tests.assets.factories import AssetFactory, ThresholdFactory

pytestmark = pytest.mark.django_db


def batch(device: str, values: list[float], start, metric: str = "vibration") -> list[dict]:
    return [
        {
            "device_id": device,
            "metric": metric,
            "value": v,
            "timestamp": (start + timedelta(seconds=i)).isoformat(),
        }
        for i, v in enumerate(values)
    ]


NORMAL = [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.2, 1.0, 0.9, 1.1] * 3


def test_one_anomaly_per_episode_closing_after_ten_normal_readings(
    in_alpha, django_capture_on_commit_callbacks, settings
):
    settings.IOT_EPISODE_CLEAR_READINGS = 10
    pump = AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(hours=1)
    # Warm-up in one batch; the detection state carries over to the next batches.
    readings_ingest(items=batch("PUMP-1", NORMAL, start))
    assert MetricStream.objects.get(asset=pump).seen == 30

    with django_capture_on_commit_callbacks() as callbacks:
        # A spike, normal readings (fewer than ten), another spike: one episode.
        readings_ingest(items=batch("PUMP-1", [9.0, 1.0, 1.1, 8.5], start + timedelta(seconds=100)))
    assert Anomaly.objects.count() == 1
    anomaly = Anomaly.objects.get()
    assert anomaly.status == "open"
    assert anomaly.value == 9.0
    assert 0.9 < anomaly.expected < 1.1
    assert anomaly.score > settings.IOT_ANOMALY_Z
    assert len(callbacks) >= 1
    assert Alert.objects.filter(asset=pump, metric="anomaly:vibration", source="iot").count() == 1

    # Nine normal readings: still open; the tenth closes it.
    readings_ingest(items=batch("PUMP-1", [1.0] * 9, start + timedelta(seconds=200)))
    assert Anomaly.objects.get().status == "open"
    readings_ingest(items=batch("PUMP-1", [1.0], start + timedelta(seconds=300)))
    anomaly.refresh_from_db()
    assert anomaly.status == "closed"
    assert anomaly.closed_at is not None

    # A new spike after the episode ended opens a second anomaly.
    readings_ingest(items=batch("PUMP-1", [9.0], start + timedelta(seconds=400)))
    assert Anomaly.objects.count() == 2


def test_old_readings_are_stored_but_never_rejudged(in_alpha):
    AssetFactory(asset_id="PUMP-1")
    start = timezone.now() - timedelta(hours=1)
    readings_ingest(items=batch("PUMP-1", NORMAL, start))

    # A spike dated before the stream's latest reading: stored, not judged.
    readings_ingest(items=batch("PUMP-1", [50.0], start - timedelta(minutes=5)))

    assert Anomaly.objects.count() == 0


def test_anomalies_feed_condition_based_pm(in_alpha):
    pump = AssetFactory(asset_id="PUMP-1")
    schedule_create(
        by=None,
        name="Vibration survey",
        trigger_type="condition_based",
        condition_metric="anomaly:vibration",
        condition_operator="gt",
        condition_threshold=0,
        assets=[pump],
    )
    start = timezone.now() - timedelta(hours=1)
    readings_ingest(items=batch("PUMP-1", NORMAL, start))
    assert WorkOrder.objects.count() == 0

    readings_ingest(items=batch("PUMP-1", [25.0], start + timedelta(minutes=5)))

    assert WorkOrder.objects.filter(asset=pump).count() == 1


def test_anomalies_list_filters_and_tenants(api, beta, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    AssetFactory(asset_id="PUMP-2")
    start = timezone.now() - timedelta(hours=1)
    readings_ingest(items=batch("PUMP-1", [*NORMAL, 40.0], start))
    readings_ingest(items=batch("PUMP-2", [*NORMAL, 40.0], start, metric="temperature"))
    url = "/api/v1/iot/anomalies/"

    everything = api("viewer").get(url).json()
    assert everything["count"] == 2
    assert set(everything["results"][0]) == {
        "id", "device_id", "metric", "value", "expected", "score", "detected_at",
        "reading_timestamp", "status", "closed_at",
    }  # fmt: skip
    assert [
        a["device_id"] for a in api("viewer").get(f"{url}?device_id=PUMP-1").json()["results"]
    ] == ["PUMP-1"]
    assert api("viewer").get(f"{url}?metric=temperature").json()["count"] == 1
    assert api("viewer").get(f"{url}?device_id=NOPE").json()["count"] == 0
    future = (timezone.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert api("viewer").get(f"{url}?since={future}").json()["count"] == 0
    assert api("viewer").get(f"{url}?since=").status_code == 400
    assert api("manager", tenant=beta).get(url).json()["count"] == 0


def test_diagnostics_run_store_and_announce(api, in_alpha, django_capture_on_commit_callbacks):
    pump = AssetFactory(asset_id="PUMP-1")
    ThresholdFactory(asset=pump, metric="vibration", operator="gt", value=5, severity="high")
    start = timezone.now() - timedelta(hours=2)
    readings_ingest(items=batch("PUMP-1", [*NORMAL, 9.0], start))
    client = api("technician")

    with django_capture_on_commit_callbacks() as callbacks:
        ran = client.post(
            "/api/v1/diagnostics/run/",
            {"asset_id": "PUMP-1", "test_type": "full", "parameters": {"hours": 6}},
        )

    assert ran.status_code == 201, ran.content
    body = ran.json()
    assert body["result"] == "fail"
    checks = {finding["check"] for finding in body["findings"]}
    assert {"thresholds", "anomalies"} <= checks
    assert 0 <= body["score"] < 100
    assert len(callbacks) == 1
    assert DiagnosticRun.objects.count() == 1

    passed = client.post("/api/v1/diagnostics/run/", {"asset_id": "PUMP-1", "test_type": "trend"})
    assert passed.status_code == 201
    assert passed.json()["test_type"] == "trend"
    history = client.get("/api/v1/diagnostics/history/PUMP-1/").json()["results"]
    assert [run["id"] for run in history] == [passed.json()["id"], body["id"]]
    assert (
        client.post(
            "/api/v1/diagnostics/run/", {"asset_id": "PUMP-1", "test_type": "x"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/v1/diagnostics/run/",
            {"asset_id": "PUMP-1", "test_type": "full", "parameters": {"x": 1}},
        ).status_code
        == 400
    )
    assert (
        api("viewer")
        .post("/api/v1/diagnostics/run/", {"asset_id": "PUMP-1", "test_type": "full"})
        .status_code
        == 403
    )


def test_analyze_gives_slope_per_day_in_sql(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    now = timezone.now()
    # +2 per day over three days.
    items = [
        {
            "device_id": "PUMP-1",
            "metric": "wear",
            "value": 10 + 2 * d,
            "timestamp": (now - timedelta(days=3 - d)).isoformat(),
        }
        for d in range(4)
    ]
    readings_ingest(items=items)

    response = api("viewer").post("/api/v1/diagnostics/analyze/", {"asset_id": "PUMP-1", "days": 5})

    assert response.status_code == 200, response.content
    [wear] = [m for m in response.json()["metrics"] if m["metric"] == "wear"]
    assert wear["count"] == 4
    assert (wear["min"], wear["max"], wear["mean"]) == (10, 16, 13)
    assert wear["slope_per_day"] == pytest.approx(2.0)
    assert wear["anomalies"] == 0


def test_health_score_risk_and_factors(api, in_alpha):
    healthy = AssetFactory(asset_id="PUMP-1")
    worn = AssetFactory(asset_id="PUMP-2", condition="poor")
    now = timezone.now()
    for days in (10, 100, 200):
        Failure.objects.create(asset=worn, occurred_at=now - timedelta(days=days))
    readings_ingest(items=batch("PUMP-2", [*NORMAL, 30.0], now - timedelta(hours=1), "flow"))

    body = api("viewer").get("/api/v1/iot/devices/PUMP-2/health/").json()

    # Failures 3*10 + 10 (recent) = 40; one open anomaly 10 + 2 = 12; poor condition 15
    # and the anomaly's open high alert 5.
    factors = body["factors"]
    assert factors["failure_history"]["penalty"] == 40
    assert factors["anomalies"]["penalty"] == 12
    assert factors["condition"]["penalty"] == 20
    assert factors["diagnostics"]["penalty"] == 0
    assert factors["remaining_life"] is None
    assert body["health_score"] == 100 - 40 - 12 - 20
    assert body["risk_level"] == "critical"
    assert body["predicted_failure_within_days"] is None
    assert body["model"] is None
    assert body["as_of"] is not None

    calm = api("viewer").get("/api/v1/iot/devices/PUMP-1/health/").json()
    assert calm["health_score"] == 100
    assert calm["risk_level"] == "low"
    assert calm["as_of"] is None
    assert set(devices_health([healthy.pk, worn.pk])) == {healthy.pk, worn.pk}
    assert remaining_life_factor(5)["penalty"] == 30
    assert remaining_life_factor(None) is None


def test_health_of_many_devices_costs_the_queries_of_one(in_alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    few = [AssetFactory().pk for _ in range(2)]
    many = few + [AssetFactory().pk for _ in range(30)]

    with CaptureQueriesContext(connection) as one:
        devices_health(few)
    with CaptureQueriesContext(connection) as all_of_them:
        result = devices_health(many)

    assert len(all_of_them) == len(one)
    assert len(result) == 32
