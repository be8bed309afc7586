"""Training remaining-life models: a request records a version, a task fits it.

A training reads the tenant's own readings (daily averages per metric, computed by
PostgreSQL) and recorded failures, fits ``iot.prediction.learner`` and stores the
signed model bytes on its row. Each step moves the row with a conditional update
(``status = training``), so a redelivered task or two workers never train one
version twice, and a failed training only ever marks its own row: the ready model
before it keeps serving.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from assets.models import Failure
from config.celery import app
from core.audit import audit_record, changes_between
from core.models import User
from iot.choices import ModelStatus
from iot.models import MetricStream, PredictionModel
from iot.prediction.fleet import training_fleet
from iot.prediction.learner import LearnerSettings, PredictionError, dumps, train
from iot.prediction.serving import model_key

logger = structlog.get_logger(__name__)

TRAIN_TASK = "iot.tasks.train_model"
# A training row still "training" after this long lost its worker: it is failed.
STALE_TRAINING = timedelta(hours=2)


@transaction.atomic
def prediction_model_request(*, by: User | None, queue: bool = True) -> PredictionModel:
    """A new model version in ``training``; its training is queued after commit."""
    actor = by if by is not None and by.is_authenticated else None
    record = PredictionModel.objects.create(requested_by=actor)
    record.version = record.pk
    record.save(update_fields=["version"])
    audit_record(
        actor=actor,
        action="prediction_model.train",
        obj=record,
        changes=changes_between({}, {"status": record.status, "version": record.version}),
    )
    if queue:
        transaction.on_commit(lambda: _queue_training(record.pk))
    return record


def _queue_training(model_id: int) -> None:
    # By name: the task module imports this one, and a web process has not imported it
    # (tenant-schemas-celery stamps the tenant on the message). Celery's own eager mode
    # (tests) runs it in place.
    if app.conf.task_always_eager:
        app.tasks[TRAIN_TASK].apply(args=[model_id])
    else:
        app.send_task(TRAIN_TASK, args=[model_id])


def _finish(record_id: int, **fields: Any) -> bool:
    fields.setdefault("updated_at", timezone.now())
    return bool(
        PredictionModel.objects.filter(pk=record_id, status=ModelStatus.TRAINING).update(**fields)
    )


def prediction_model_train(
    *, model_id: int, settings: LearnerSettings | None = None
) -> PredictionModel | None:
    """Fit the model version ``model_id`` (once: a version already done is left alone)."""
    if not PredictionModel.objects.filter(pk=model_id, status=ModelStatus.TRAINING).exists():
        return None
    started = time.monotonic()
    try:
        fleet, metrics = training_fleet()
        trained = train(fleet, metrics, settings or LearnerSettings())
        blob = dumps(trained, model_key())
    except PredictionError as exc:
        _finish(model_id, status=ModelStatus.FAILED, error=str(exc), trained_at=timezone.now())
        logger.info("prediction_model_failed", model=model_id, error=str(exc))
    except Exception as exc:  # a training must end in a state a person can read
        logger.exception("prediction_model_crashed", model=model_id)
        _finish(
            model_id,
            status=ModelStatus.FAILED,
            error=f"Training failed unexpectedly ({type(exc).__name__}); see the worker log.",
            trained_at=timezone.now(),
        )
    else:
        _finish(
            model_id,
            status=ModelStatus.READY,
            error="",
            trained_at=timezone.now(),
            assets=trained.assets,
            failures=trained.failures,
            samples=trained.samples,
            features=len(trained.spec.feature_names()),
            metrics=[trained.metrics[i] for i in trained.spec.kept],
            validation={
                "rmse_days": trained.validation.rmse_days,
                "mae_days": trained.validation.mae_days,
                "folds": trained.validation.folds,
                "points": trained.validation.points,
                "horizon_days": trained.validation.horizon_days,
            },
            parameters={
                "cap_days": trained.settings.cap,
                "window_readings": trained.settings.window,
                "regimes": trained.spec.regimes,
            },
            train_seconds=round(time.monotonic() - started, 2),
            blob=blob,
        )
        logger.info(
            "prediction_model_ready",
            model=model_id,
            rmse_days=trained.validation.rmse_days,
            seconds=round(time.monotonic() - started, 1),
        )
    return PredictionModel.objects.defer("blob").get(pk=model_id)


def prediction_models_retrain() -> PredictionModel | None:
    """The weekly retraining of this tenant: a new version, trained now.

    Versions whose worker died long ago are failed first; while another training
    is running the week's one is skipped (it would read the same data).
    """
    now = timezone.now()
    PredictionModel.objects.filter(
        status=ModelStatus.TRAINING, created_at__lt=now - STALE_TRAINING
    ).update(
        status=ModelStatus.FAILED,
        error="The training did not finish (its worker stopped).",
        updated_at=now,
    )
    if PredictionModel.objects.filter(status=ModelStatus.TRAINING).exists():
        return None
    # A tenant without readings or failures has nothing to learn from: no weekly
    # failed version for it (a person asking still gets one, with the reason).
    if not (MetricStream.objects.exists() and Failure.objects.exists()):
        return None
    record = prediction_model_request(by=None, queue=False)
    return prediction_model_train(model_id=record.pk)
