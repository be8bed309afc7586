"""Remaining-life models through the API: training, serving in health, tenancy, bad bytes,
and the predictive work they open."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.models import Asset, Failure
from iot.models import MetricStream, PredictionModel
from iot.prediction import serving
from iot.services.ingestion import readings_ingest
from iot.services.prediction import prediction_model_request, prediction_model_train
from iot.services.predictive import predictive_pass
from iot.tasks import retrain_models
from maintenance.models import WorkOrder
from tests.iot.prediction.fleet import probe, run_to_failure_fleet

pytestmark = pytest.mark.django_db

# Synthetic wear rises exponentially over the last weeks of life: a model that learnt
# the fleet tells an asset 10 days from failure within this many days.
TOLERANCE_DAYS = 6


@pytest.fixture(autouse=True)
def _no_loaded_models():
    serving.forget_loaded_models()
    yield
    serving.forget_loaded_models()


def _train(api, role="manager", tenant=None):
    return api(role, tenant).post("/api/v1/iot/models/train/", {}, format="json")


def test_a_degrading_fleet_is_learnt_and_health_predicts_its_failure(
    api, in_alpha, celery_eager, django_capture_on_commit_callbacks
):
    # Given eight pumps that ran to a recorded failure, and one still running
    run_to_failure_fleet(8)
    probe("PUMP-LIVE", days_before_failure=10)
    # When a planner asks for a model
    with django_capture_on_commit_callbacks(execute=True):
        response = _train(api, "planner")
    assert response.status_code == 202, response.content
    model_id = response.json()["id"]
    # Then it is trained (eagerly here) and ready, with its validation figures
    body = api("viewer").get(f"/api/v1/iot/models/{model_id}/").json()
    assert body["status"] == "ready", body
    assert body["target"] == "days to failure"
    # The running pump has under `cap` days of readings: censored, none of its days count.
    assert body["assets"] == 8
    assert body["failures"] == 8
    assert body["samples"] > 300
    assert body["features"] > 0
    assert sorted(body["metrics"]) == ["bearing_temp", "vibration_rms"]
    assert body["validation"]["folds"] == 5
    assert body["validation"]["rmse_days"] < 15
    listed = api("viewer").get("/api/v1/iot/models/").json()
    assert listed["count"] == 1
    # And the health endpoint predicts the failure 10 days out, counted from the latest reading
    health = api("viewer").get("/api/v1/iot/devices/PUMP-LIVE/health/").json()
    assert health["model"] == model_id
    assert health["predicted_failure_within_days"] == pytest.approx(10, abs=TOLERANCE_DAYS)
    assert (
        health["factors"]["remaining_life"]["predicted_days"]
        == (health["predicted_failure_within_days"])
    )
    # And the predictive job opens one predictive work order with its reasons
    with django_capture_on_commit_callbacks(execute=True):
        report = predictive_pass()
    assert report.opened >= 1
    order = WorkOrder.objects.get(asset__asset_id="PUMP-LIVE")
    assert order.source == "predictive"
    assert order.work_type == "predictive"
    assert "Predicted to fail within" in order.description
    # and a second pass opens nothing more
    assert predictive_pass().opened == 0
    assert WorkOrder.objects.filter(asset__asset_id="PUMP-LIVE").count() == 1


def test_a_model_of_one_tenant_never_answers_in_another(api, alpha, beta, celery_eager):
    # Given alpha has a ready model and beta has the same device codes with readings
    connection.set_tenant(alpha.tenant)
    run_to_failure_fleet(4)
    probe("PUMP-LIVE", days_before_failure=10)
    record = prediction_model_request(by=None, queue=False)
    prediction_model_train(model_id=record.pk)
    assert PredictionModel.objects.get(pk=record.pk).status == "ready"
    assert serving.predict_failure_within_days(Asset.objects.get(asset_id="PUMP-LIVE"))
    connection.set_tenant(beta.tenant)
    probe("PUMP-LIVE", days_before_failure=10)
    connection.set_schema_to_public()
    # Then beta's health has no prediction and beta cannot see alpha's model
    health = api("viewer", beta).get("/api/v1/iot/devices/PUMP-LIVE/health/").json()
    assert health["predicted_failure_within_days"] is None
    assert health["model"] is None
    assert health["factors"]["remaining_life"] is None
    assert api("viewer", beta).get(f"/api/v1/iot/models/{record.pk}/").status_code == 404
    assert api("viewer", beta).get("/api/v1/iot/models/").json()["count"] == 0
    # while alpha's answers from its own
    health = api("viewer", alpha).get("/api/v1/iot/devices/PUMP-LIVE/health/").json()
    assert health["model"] == record.pk


def test_too_little_data_fails_clearly_and_never_replaces_a_ready_model(api, in_alpha):
    run_to_failure_fleet(4)
    probe("PUMP-LIVE", days_before_failure=10)
    ready = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    assert ready.status == "ready"
    # When two of the four failures turn out to be recorded by mistake
    Failure.objects.filter(asset__asset_id__in=["PUMP-00", "PUMP-01"]).delete()
    failed = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    assert failed.status == "failed"
    assert "at least 3" in failed.error
    body = api("viewer").get(f"/api/v1/iot/models/{failed.pk}/").json()
    assert body["status"] == "failed"
    assert "Too little data" in body["error"]
    health = api("viewer").get("/api/v1/iot/devices/PUMP-LIVE/health/").json()
    assert health["model"] == ready.pk


def test_no_readings_at_all_fails_with_a_reason(in_alpha):
    failed = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    assert failed.status == "failed"
    assert "at least 3" in failed.error or "no numeric readings" in failed.error


def test_corrupt_model_bytes_end_in_a_clear_error_not_a_500(api, in_alpha):
    run_to_failure_fleet(4)
    probe("PUMP-LIVE", days_before_failure=10)
    record = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    PredictionModel.objects.filter(pk=record.pk).update(blob=b"CMMS-RUL1" + b"\x00" * 64)
    response = api("viewer").get("/api/v1/iot/devices/PUMP-LIVE/health/")
    assert response.status_code == 200
    assert response.json()["predicted_failure_within_days"] is None
    body = api("viewer").get(f"/api/v1/iot/models/{record.pk}/").json()
    assert body["status"] == "failed"
    assert "corrupt" in body["error"]


@pytest.mark.parametrize(
    ("role", "expected"), [("technician", 403), ("viewer", 403), ("requester", 403)]
)
def test_only_managers_and_planners_train(api, role, expected):
    assert _train(api, role).status_code == expected


def test_train_refuses_unknown_fields_and_reads_need_a_role(api):
    response = api("manager").post("/api/v1/iot/models/train/", {"cap": 5}, format="json")
    assert response.status_code == 400
    assert "cap" in response.json()
    assert api("requester").get("/api/v1/iot/models/").status_code == 403
    assert api(None).get("/api/v1/iot/models/").status_code == 401
    assert api("viewer").get("/api/v1/iot/models/999999999999999999999/").status_code == 404


def test_weekly_retraining_and_the_command_train_a_new_version(in_alpha, alpha):
    # A tenant without readings or failures gets no weekly failed version
    assert retrain_models() is None
    assert PredictionModel.objects.count() == 0
    run_to_failure_fleet(4)
    first = retrain_models()
    assert PredictionModel.objects.get(pk=first).status == "ready"
    out = io.StringIO()
    call_command("train_models", "--tenant", alpha.schema, stdout=out)
    assert "ready" in out.getvalue()
    assert "CV RMSE" in out.getvalue()
    newest = PredictionModel.objects.order_by("-id").first()
    assert newest.pk != first
    assert newest.version == newest.pk
    with pytest.raises(CommandError):
        call_command("train_models", "--tenant", "nope")


def test_predictions_are_cached_until_new_readings_arrive(in_alpha):
    run_to_failure_fleet(4)
    live = probe("PUMP-LIVE", days_before_failure=20)
    record = prediction_model_train(model_id=prediction_model_request(by=None, queue=False).pk)
    first = serving.predict_failure_within_days(live)
    assert first is not None
    assert first[1] == record.pk
    # Served again from the cache: no read of the readings table
    with CaptureQueriesContext(connection) as queries:
        assert serving.predict_failure_within_days(live) == first
    assert not any("iot_reading" in q["sql"] for q in queries.captured_queries)
    # A new reading moves the device's latest reading time: the forecast is made afresh
    later = MetricStream.objects.filter(asset=live).latest(
        "last_reading_at"
    ).last_reading_at + timedelta(minutes=30)
    result = readings_ingest(
        items=[
            {"device_id": "PUMP-LIVE", "metric": m, "value": v, "timestamp": later.isoformat()}
            for m, v in (("bearing_temp", 80.0), ("vibration_rms", 4.5))
        ]
    )
    assert result.accepted == 2, result.rejected
    with CaptureQueriesContext(connection) as queries:
        again = serving.predict_failure_within_days(live)
    assert any("iot_reading" in q["sql"] for q in queries.captured_queries)
    assert again is not None
    assert again[1] == record.pk
