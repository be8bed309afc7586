"""Predictive insights (riskiest first, with reasons) and health in device performance."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Failure
from iot.prediction import serving
from iot.services.prediction import prediction_model_request, prediction_model_train
from tests.assets.factories import AssetFactory
from tests.iot.prediction.fleet import probe, run_to_failure_fleet

pytestmark = pytest.mark.django_db


def _fail(asset, *days_ago):
    for days in days_ago:
        Failure.objects.create(asset=asset, occurred_at=timezone.now() - timedelta(days=days))


def test_insights_rank_riskiest_first_with_reasons(api, in_alpha):
    calm = AssetFactory(asset_id="CALM-1")
    worn = AssetFactory(asset_id="WORN-1", condition="critical")
    _fail(worn, 3, 60, 120, 200)  # 40 + 25: critical
    tired = AssetFactory(asset_id="TIRED-1", condition="poor")
    _fail(tired, 100, 200, 300)  # 30 + 15: high
    AssetFactory(asset_id="GONE-1", status="retired")
    rows = api("viewer").get("/api/v1/analytics/predictive-insights/").json()
    assert [r["asset_id"] for r in rows] == ["WORN-1", "TIRED-1", "CALM-1"]
    assert rows[0]["risk_level"] == "critical"
    assert rows[0]["health_score"] == 35
    assert rows[0]["predicted_failure_within_days"] is None
    assert any("Risk level critical" in reason for reason in rows[0]["reasons"])
    assert any("4 failure(s)" in reason for reason in rows[0]["reasons"])
    assert rows[1]["risk_level"] == "high"
    assert rows[2]["reasons"] == []
    # Device performance carries the same health
    perf = {
        r["asset_id"]: r
        for r in api("technician").get("/api/v1/analytics/device-performance/").json()
    }
    assert perf["WORN-1"]["health_score"] == 35
    assert perf["WORN-1"]["risk_level"] == "critical"
    assert perf[calm.asset_id]["health_score"] == 100
    assert perf["CALM-1"]["risk_level"] == "low"
    # Downloads, and the roles of analytics
    csv = api("viewer").get("/api/v1/analytics/predictive-insights/", {"format": "csv"})
    assert csv.status_code == 200
    assert csv["Content-Disposition"].startswith("attachment")
    assert b"WORN-1" in csv.content
    assert api("technician").get("/api/v1/analytics/predictive-insights/").status_code == 403
    assert api("requester").get("/api/v1/analytics/predictive-insights/").status_code == 403


def test_a_forecast_ranks_and_explains_and_beta_sees_none_of_it(api, in_alpha, beta):
    serving.forget_loaded_models()
    run_to_failure_fleet(4)
    probe("PUMP-LIVE", days_before_failure=5)
    record = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    assert record.status == "ready"
    rows = api("viewer").get("/api/v1/analytics/predictive-insights/").json()
    live = next(r for r in rows if r["asset_id"] == "PUMP-LIVE")
    assert live["model"] == record.pk
    assert live["predicted_failure_within_days"] is not None
    assert any("inside the 14-day lead time" in r for r in live["reasons"])
    assert rows.index(live) < len(rows) - 1 or len(rows) == 1
    beta_rows = api("viewer", beta).get("/api/v1/analytics/predictive-insights/").json()
    assert all(r["model"] is None for r in beta_rows)


def test_insight_queries_do_not_grow_with_the_assets(api, in_alpha):
    client = api("viewer")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    paths = ["/api/v1/analytics/predictive-insights/", "/api/v1/analytics/device-performance/"]
    AssetFactory()
    for path in paths:
        count(path)
    before = [count(path) for path in paths]
    for n in range(25):
        asset = AssetFactory(condition="poor")
        _fail(asset, 1 + n)
    assert [count(path) for path in paths] == before
