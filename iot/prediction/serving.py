"""Serving remaining-life predictions from the tenant's newest ready model.

A prediction is cached per device under a key that names the tenant (the cache's
key function adds the schema), the model and the device's latest reading time, so
it stays until new readings arrive or a newer model is ready, and a model of one
tenant can never answer for another: models live in the tenant's own schema, and
the in-process copy of a loaded model is keyed by schema and model id.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from assets.models import Asset
from iot.choices import ModelStatus
from iot.models import PredictionModel
from iot.prediction.fleet import current_lives, to_days
from iot.prediction.learner import CorruptModel, TrainedModel, loads

logger = structlog.get_logger(__name__)

# Loaded models kept in memory per process (each is a few megabytes at most).
_LOADED_MAX = 8
_loaded: OrderedDict[tuple[str, int], TrainedModel] = OrderedDict()
_loaded_lock = Lock()
# Cached predictions outlive no reading: the key changes when one arrives.
PREDICTION_TTL_SECONDS = 7 * 24 * 3600
_NONE = "none"


@dataclass(frozen=True)
class Forecast:
    days: float
    model: int


def model_key() -> bytes:
    """The key model bytes are signed with (per installation)."""
    return ("cmms-prediction:" + settings.SECRET_KEY).encode()


def newest_ready_model() -> PredictionModel | None:
    return (
        PredictionModel.objects.filter(status=ModelStatus.READY)
        .defer("blob")
        .order_by("-trained_at", "-id")
        .first()
    )


def load_model(record: PredictionModel) -> TrainedModel:
    """The fitted learner of ``record`` (CorruptModel when its bytes are bad)."""
    key = (connection.schema_name, record.pk)
    with _loaded_lock:
        if key in _loaded:
            _loaded.move_to_end(key)
            return _loaded[key]
    blob = PredictionModel.objects.filter(pk=record.pk).values_list("blob", flat=True).first()
    model = loads(blob, model_key())
    with _loaded_lock:
        _loaded[key] = model
        while len(_loaded) > _LOADED_MAX:
            _loaded.popitem(last=False)
    return model


def model_unreadable(record: PredictionModel, error: str) -> None:
    """A ready model whose bytes cannot be read is failed with the reason, so the
    version before it answers from now on and the model list says what happened."""
    logger.warning("prediction_model_unreadable", model=record.pk, error=error)
    PredictionModel.objects.filter(pk=record.pk, status=ModelStatus.READY).update(
        status=ModelStatus.FAILED, error=error
    )


def forget_loaded_models() -> None:
    with _loaded_lock:
        _loaded.clear()


def _cache_key(model_id: int, asset_pk: int, as_of: datetime) -> str:
    return f"iot:prediction:{model_id}:{asset_pk}:{as_of.timestamp():.6f}"


def predictions_for(asset_ids: list[int], as_of: dict[int, datetime]) -> dict[int, Forecast]:
    """Days from each device's latest reading to its predicted failure (set-based).

    Devices without readings get no forecast; nor does any device while no model is
    ready, or when the newest ready model's bytes cannot be read (that model is then
    failed with the reason, and the health endpoint answers without a prediction
    rather than failing).
    """
    wanted = [pk for pk in asset_ids if pk in as_of]
    if not wanted:
        return {}
    record = newest_ready_model()
    if record is None:
        return {}
    keys = {pk: _cache_key(record.pk, pk, as_of[pk]) for pk in wanted}
    cached = cache.get_many(list(keys.values()))
    out: dict[int, Forecast] = {}
    missing = []
    for pk, key in keys.items():
        if key in cached:
            if cached[key] != _NONE:
                out[pk] = Forecast(days=cached[key], model=record.pk)
        else:
            missing.append(pk)
    if not missing:
        return out
    try:
        model = load_model(record)
    except CorruptModel as exc:
        model_unreadable(record, str(exc))
        return out
    lives = current_lives(missing, model.metrics)
    fresh: dict[str, object] = {}
    for pk in missing:
        days = None
        history = lives.get(pk)
        if history is not None and len(history.days):
            predicted = model.predict_days(history)
            if predicted is not None:
                # The last daily row starts its day; the latest reading may be later in it.
                elapsed = max(0.0, to_days(as_of[pk]) - float(history.days[-1]))
                days = round(max(0.0, predicted - elapsed), 1)
        fresh[keys[pk]] = _NONE if days is None else days
        if days is not None:
            out[pk] = Forecast(days=days, model=record.pk)
    cache.set_many(fresh, timeout=PREDICTION_TTL_SECONDS)
    return out


def predict_failure_within_days(asset: Asset) -> tuple[float, int] | None:
    """(days from the latest reading to the predicted failure, model id), or None."""
    from iot.selectors import latest_reading_at

    as_of = latest_reading_at([asset.pk])
    forecast = predictions_for([asset.pk], as_of).get(asset.pk)
    return None if forecast is None else (forecast.days, forecast.model)
