"""The public shape of IoT objects, as their endpoints return them and events carry them."""

from typing import Any

from iot.models import Anomaly, DeviceToken, DiagnosticRun, PredictionModel

ANOMALY_EVENT = "iot:anomaly"
DIAGNOSTICS_EVENT = "diagnostics:completed"


def anomaly_payload(anomaly: Anomaly) -> dict[str, Any]:
    """An anomaly as ``GET /api/v1/iot/anomalies/`` lists it and ``iot:anomaly`` carries it."""
    return {
        "id": anomaly.pk,
        "device_id": anomaly.asset.asset_id,
        "metric": anomaly.metric,
        "value": anomaly.value,
        "expected": anomaly.expected,
        "score": anomaly.score,
        "detected_at": anomaly.detected_at,
        "reading_timestamp": anomaly.reading_timestamp,
        "status": anomaly.status,
        "closed_at": anomaly.closed_at,
    }


def diagnostic_payload(run: DiagnosticRun) -> dict[str, Any]:
    """A diagnostic run as the run and history routes return it and
    ``diagnostics:completed`` carries it."""
    return {
        "id": run.pk,
        "asset_id": run.asset.asset_id,
        "test_type": run.test_type,
        "result": run.result,
        "score": run.score,
        "findings": run.findings,
        "parameters": run.parameters,
        "ran_at": run.ran_at,
    }


def device_token_payload(token: DeviceToken) -> dict[str, Any]:
    """A device token as listed: never the secret, only its first characters."""
    return {
        "id": token.pk,
        "device_id": token.asset.asset_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


# What a version still training (or failed) shows: no figures yet.
NO_VALIDATION: dict[str, Any] = {
    "rmse_days": None,
    "mae_days": None,
    "folds": 0,
    "points": 0,
    "horizon_days": None,
}


def prediction_model_payload(record: PredictionModel) -> dict[str, Any]:
    """A remaining-life model version as ``GET /api/v1/iot/models/{id}/`` returns it."""
    return {
        "id": record.pk,
        "version": record.version,
        "status": record.status,
        "error": record.error,
        "trained_at": record.trained_at,
        "target": record.target,
        "assets": record.assets,
        "failures": record.failures,
        "samples": record.samples,
        "features": record.features,
        "metrics": record.metrics,
        "validation": {**NO_VALIDATION, **(record.validation or {})},
        "parameters": record.parameters,
        "train_seconds": record.train_seconds,
        "created_at": record.created_at,
    }
