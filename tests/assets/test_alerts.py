"""Performance records and condition assessments against thresholds, and the alerts they raise."""

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from assets.models import Alert, Asset, Threshold
from assets.services import monitoring
from core.models import AuditEntry
from tests.assets.factories import AssetFactory, ThresholdFactory

pytestmark = pytest.mark.django_db


def post_performance(client, asset_id, **metrics):
    return client.post(f"/api/v1/assets/{asset_id}/performance/", metrics, format="json")


def test_every_tenant_starts_with_default_thresholds(in_alpha):
    defaults = {
        (t.metric, t.operator, t.value, t.severity)
        for t in Threshold.objects.filter(asset=None, asset_type="")
    }

    assert ("temperature", "gt", Decimal("80"), "high") in defaults
    assert ("vibration", "gt", Decimal("2.5"), "high") in defaults
    assert ("uptime_percentage", "lt", Decimal("90"), "medium") in defaults


def test_a_reading_past_a_threshold_raises_one_alert_with_the_reading_behind_it(
    api, in_alpha, django_capture_on_commit_callbacks
):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    with django_capture_on_commit_callbacks() as callbacks:
        response = post_performance(
            client, "PUMP-1", temperature=91.5, vibration=1.1, uptime_percentage=97
        )

    assert response.status_code == 201, response.content
    alert = Alert.objects.get()
    assert alert.metric == "temperature"
    assert alert.severity == "high"
    assert alert.value == Decimal("91.5")
    assert alert.threshold_value == Decimal("80")
    assert alert.reading_id == response.json()["id"]
    assert response.json()["alerts"] == [alert.pk]
    assert "temperature 91.5 > 80" in alert.message
    assert len(callbacks) == 1  # the asset:alert event, sent after commit


def test_the_same_condition_does_not_raise_a_second_open_alert(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    for temperature in (85, 87, 90):
        post_performance(client, "PUMP-1", temperature=temperature)

    alert = Alert.objects.get()
    assert alert.occurrences == 3
    assert alert.value == Decimal("90")


def test_a_higher_threshold_escalates_the_open_alert(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    # The tenant's default is temperature > 80 (high); add a critical limit above it.
    ThresholdFactory(metric="temperature", operator="gt", value=100, severity="critical")
    client = api("technician")

    post_performance(client, "PUMP-1", temperature=85)
    post_performance(client, "PUMP-1", temperature=120)

    alert = Alert.objects.get()
    assert alert.severity == "critical"
    assert alert.threshold_value == Decimal("100")
    assert AuditEntry.objects.filter(action="alert.escalate", object_id=str(alert.pk)).exists()


def test_readings_within_limits_raise_nothing(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")

    post_performance(
        api("technician"), "PUMP-1", temperature=60, vibration=0.4, uptime_percentage=99.5
    )

    assert not Alert.objects.exists()


def test_asset_thresholds_override_type_thresholds_which_override_defaults(api, in_alpha):
    pump = AssetFactory(asset_id="PUMP-1", asset_type="equipment")
    AssetFactory(asset_id="OVEN-1", asset_type="machinery")
    AssetFactory(asset_id="TRUCK-1", asset_type="vehicle")
    ThresholdFactory(asset_type="machinery", metric="temperature", value=200, severity="medium")
    ThresholdFactory(asset=pump, metric="temperature", value=50, severity="low")
    client = api("technician")

    for asset_id in ("PUMP-1", "OVEN-1", "TRUCK-1"):
        post_performance(client, asset_id, temperature=90)

    raised = {a.asset.asset_id: a.severity for a in Alert.objects.select_related("asset")}
    assert raised == {"PUMP-1": "low", "TRUCK-1": "high"}  # the oven may run hot


def test_low_uptime_raises_an_alert(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")

    post_performance(api("technician"), "PUMP-1", uptime_percentage=82)

    assert Alert.objects.get().metric == "uptime_percentage"


@pytest.mark.parametrize(
    "metrics",
    [
        {"uptime_percentage": 140},
        {"uptime_percentage": -1},
        {"vibration": -2},
        {"error_count": -1},
        {"temperature": "hot"},
        {"temperature": 1e20},
        {"recorded_at": "not a time"},
    ],
)
def test_impossible_readings_are_400_and_change_nothing(api, in_alpha, metrics):
    AssetFactory(asset_id="PUMP-1")

    response = post_performance(api("technician"), "PUMP-1", **metrics)

    assert response.status_code == 400, response.content
    assert not Asset.objects.get().performance_records.exists()


def test_performance_history_is_newest_first(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")
    for n, when in enumerate(
        ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"]
    ):
        post_performance(client, "PUMP-1", recorded_at=when, throughput=n)

    rows = client.get("/api/v1/assets/PUMP-1/performance/").json()["results"]
    window = client.get(
        "/api/v1/assets/PUMP-1/performance/", {"start": "2026-01-15T00:00:00Z"}
    ).json()["results"]

    assert [r["recorded_at"][:7] for r in rows] == ["2026-03", "2026-02", "2026-01"]
    assert len(window) == 2


def test_condition_assessment_sets_condition_and_a_critical_one_raises_an_alert(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")

    fair = client.post("/api/v1/assets/PUMP-1/conditions/", {"condition": "fair", "score": 60})
    critical = client.post(
        "/api/v1/assets/PUMP-1/conditions/", {"condition": "critical", "notes": "cracked casing"}
    )

    assert fair.status_code == 201
    assert critical.status_code == 201
    assert Asset.objects.get().condition == "critical"
    alert = Alert.objects.get()
    assert (alert.metric, alert.source, alert.severity) == ("condition", "condition", "high")
    history = client.get("/api/v1/assets/PUMP-1/conditions/").json()["results"]
    assert [h["condition"] for h in history] == ["critical", "fair"]


def test_an_older_assessment_does_not_override_a_newer_one(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    client = api("technician")
    client.post(
        "/api/v1/assets/PUMP-1/conditions/",
        {"condition": "excellent", "assessed_at": "2026-06-01T00:00:00Z"},
    )
    client.post(
        "/api/v1/assets/PUMP-1/conditions/",
        {"condition": "poor", "assessed_at": "2026-01-01T00:00:00Z"},
    )

    assert Asset.objects.get().condition == "excellent"


def raised_alert(asset_id="PUMP-1"):
    asset = AssetFactory(asset_id=asset_id)
    monitoring.performance_record(by=None, asset=asset, temperature=Decimal(99))
    return Alert.objects.get(asset=asset)


def test_acknowledge_then_resolve_and_each_step_is_audited(api, in_alpha, alpha):
    alert = raised_alert()
    client = api("technician")

    acked = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "on my way"})
    resolved = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "cooling fan replaced"})

    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "technician"
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["note"] == "cooling fan replaced"
    actions = list(
        AuditEntry.objects.filter(object_type="assets.alert", object_id=str(alert.pk))
        .order_by("created_at", "id")
        .values_list("action", "actor_id")
    )
    technician = alpha.users["technician"].pk
    assert actions == [
        ("alert.raise", None),
        ("alert.acknowledge", technician),
        ("alert.resolve", technician),
    ]


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        ("acknowledge", "acknowledge", "alert_not_open"),
        ("resolve", "acknowledge", "alert_not_open"),
        ("resolve", "resolve", "alert_already_resolved"),
    ],
)
def test_illegal_alert_steps_are_409(api, in_alpha, first, second, code):
    alert = raised_alert()
    client = api("technician")
    assert client.post(f"/api/v1/alerts/{alert.pk}/{first}/").status_code == 200

    response = client.post(f"/api/v1/alerts/{alert.pk}/{second}/")

    assert response.status_code == 409
    assert response.json()["code"] == code


def test_resolving_directly_from_open_is_allowed(api, in_alpha):
    alert = raised_alert()

    assert (
        api("technician").post(f"/api/v1/alerts/{alert.pk}/resolve/").json()["status"] == "resolved"
    )


def test_after_resolution_the_next_breach_raises_a_new_alert(api, in_alpha):
    alert = raised_alert()
    monitoring.alert_resolve(by=None, alert=alert)

    monitoring.performance_record(by=None, asset=alert.asset, temperature=Decimal(95))

    assert Alert.objects.count() == 2
    assert Alert.objects.filter(status="open").count() == 1


def test_viewers_cannot_acknowledge(api, in_alpha):
    alert = raised_alert()

    assert api("viewer").post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    assert api("viewer").get("/api/v1/alerts/").json()["count"] == 1


def test_alert_filters(api, in_alpha):
    hot = raised_alert("HOT-1")
    raised_alert("HOT-2")
    monitoring.alert_resolve(by=None, alert=hot)
    client = api("viewer")

    assert client.get("/api/v1/alerts/", {"asset_id": "HOT-1"}).json()["count"] == 1
    assert client.get("/api/v1/alerts/", {"status": "open"}).json()["count"] == 1
    assert client.get("/api/v1/alerts/", {"active": "false"}).json()["count"] == 1
    assert client.get("/api/v1/alerts/", {"severity": "high"}).json()["count"] == 2


def test_alerts_are_per_tenant(api, alpha, beta):
    with tenant_context(beta.tenant):
        alert = raised_alert("BETA-1")

    client = api("manager", tenant=alpha)

    assert client.get("/api/v1/alerts/").json()["count"] == 0
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    with tenant_context(beta.tenant):
        assert Alert.objects.get(pk=alert.pk).status == "open"
