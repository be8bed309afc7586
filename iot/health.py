"""Device health: a 0-100 score and a risk level, with the part each factor played.

    health_score = max(0, 100 - failure_history - anomalies - diagnostics - condition
                               - remaining_life)

Each factor is a penalty with a cap:

- ``failure_history`` (up to 40): 10 per failure recorded in the last 365 days,
  plus 10 when the latest is less than 30 days old.
- ``anomalies`` (up to 25): 10 per open anomaly, plus 2 per anomaly detected in
  the last 30 days.
- ``diagnostics`` (up to 20): the latest run of the last 30 days: fail 20,
  warning 10, pass 0 (none: 0).
- ``condition`` (up to 25): the asset's assessed condition (excellent or good 0,
  fair 5, poor 15, critical 25) plus 5 per open high or critical alert.
- ``remaining_life`` (up to 30): from a failure prediction (days to failure):
  7 days or fewer 30, 30 or fewer 15, 90 or fewer 5, else 0. Until a model is
  trained there is no prediction: the factor is null and costs nothing.

Risk level: 80 and above low, 60 to 79 medium, 40 to 59 high, below 40 critical.

``devices_health`` computes all of it for many assets in a handful of queries
(one per factor), so a dashboard of a thousand devices costs what one costs.
``predictions_for`` asks the newest ready remaining-life model.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from assets.choices import ACTIVE_ALERT_STATUSES
from assets.models import Alert, Asset, Failure
from iot.choices import AnomalyStatus, RiskLevel
from iot.models import Anomaly, DiagnosticRun
from iot.prediction.serving import predictions_for as serving_predictions
from iot.selectors import latest_reading_at

CONDITION_PENALTY = {"excellent": 0, "good": 0, "fair": 5, "poor": 15, "critical": 25}
DIAGNOSTIC_PENALTY = {"fail": 20, "warning": 10, "pass": 0}
CAPS = {"failure_history": 40, "anomalies": 25, "diagnostics": 20, "condition": 25}
REMAINING_LIFE_CAP = 30


@dataclass(frozen=True)
class Prediction:
    """A model's forecast for one asset: days from its latest reading to failure."""

    days: float | None
    model: int | None


NO_PREDICTION = Prediction(days=None, model=None)


def predictions_for(asset_ids: list[int], as_of: dict[int, datetime]) -> dict[int, Prediction]:
    """Forecasts per asset from the newest ready model (see ``iot.prediction.serving``);
    devices without readings never get one: their forecast would count from nothing."""
    return {
        pk: Prediction(days=forecast.days, model=forecast.model)
        for pk, forecast in serving_predictions(asset_ids, as_of).items()
    }


def remaining_life_factor(days: float | None) -> dict[str, Any] | None:
    """The penalty of a predicted failure ``days`` away (None: no prediction)."""
    if days is None:
        return None
    if days <= 7:
        penalty = 30
    elif days <= 30:
        penalty = 15
    elif days <= 90:
        penalty = 5
    else:
        penalty = 0
    return {"penalty": penalty, "max": REMAINING_LIFE_CAP, "predicted_days": days}


def risk_level(score: int) -> str:
    if score >= 80:
        return RiskLevel.LOW
    if score >= 60:
        return RiskLevel.MEDIUM
    if score >= 40:
        return RiskLevel.HIGH
    return RiskLevel.CRITICAL


def devices_health(
    asset_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """The health of each asset, by primary key (set-based: one query per factor)."""
    now = now or timezone.now()
    ids = list(asset_ids)
    assets = {
        pk: (code, condition)
        for pk, code, condition in Asset.objects.filter(pk__in=ids).values_list(
            "pk", "asset_id", "condition"
        )
    }
    year, month = now - timedelta(days=365), now - timedelta(days=30)

    failures = {
        row["asset_id"]: row
        for row in Failure.objects.filter(asset_id__in=ids, occurred_at__gte=year)
        .values("asset_id")
        .annotate(count=Count("id"), last=Max("occurred_at"))
        .order_by()
    }
    anomalies = {
        row["asset_id"]: row
        for row in Anomaly.objects.filter(asset_id__in=ids)
        .filter(Q(status=AnomalyStatus.OPEN) | Q(reading_timestamp__gte=month))
        .values("asset_id")
        .annotate(
            open=Count("id", filter=Q(status=AnomalyStatus.OPEN)),
            recent=Count("id", filter=Q(reading_timestamp__gte=month)),
        )
        .order_by()
    }
    diagnostics = {
        run.asset_id: run
        for run in DiagnosticRun.objects.filter(asset_id__in=ids, ran_at__gte=month)
        .order_by("asset_id", "-ran_at", "-id")
        .distinct("asset_id")
    }
    alerts: dict[int, int] = defaultdict(int)
    for pk, count in (
        Alert.objects.filter(
            asset_id__in=ids, status__in=ACTIVE_ALERT_STATUSES, severity__in=["high", "critical"]
        )
        .values_list("asset_id")
        .annotate(count=Count("id"))
        .order_by()
    ):
        alerts[pk] = count
    as_of = latest_reading_at(ids)
    predictions = predictions_for(ids, as_of)

    health = {}
    for pk, (code, condition) in assets.items():
        failed = failures.get(pk, {"count": 0, "last": None})
        recent_failure = failed["last"] is not None and failed["last"] >= month
        found = anomalies.get(pk, {"open": 0, "recent": 0})
        run = diagnostics.get(pk)
        factors: dict[str, Any] = {
            "failure_history": {
                "penalty": min(
                    CAPS["failure_history"], 10 * failed["count"] + (10 if recent_failure else 0)
                ),
                "max": CAPS["failure_history"],
                "failures_last_365_days": failed["count"],
                "last_failure_at": failed["last"],
            },
            "anomalies": {
                "penalty": min(CAPS["anomalies"], 10 * found["open"] + 2 * found["recent"]),
                "max": CAPS["anomalies"],
                "open": found["open"],
                "last_30_days": found["recent"],
            },
            "diagnostics": {
                "penalty": DIAGNOSTIC_PENALTY[run.result] if run else 0,
                "max": CAPS["diagnostics"],
                "latest_result": run.result if run else None,
                "latest_score": run.score if run else None,
                "ran_at": run.ran_at if run else None,
            },
            "condition": {
                "penalty": min(
                    CAPS["condition"], CONDITION_PENALTY.get(condition, 0) + 5 * alerts[pk]
                ),
                "max": CAPS["condition"],
                "condition": condition,
                "open_severe_alerts": alerts[pk],
            },
        }
        reading_at = as_of.get(pk)
        prediction = predictions.get(pk, NO_PREDICTION) if reading_at else NO_PREDICTION
        factors["remaining_life"] = remaining_life_factor(prediction.days)
        penalty = sum(factor["penalty"] for factor in factors.values() if factor)
        score = max(0, 100 - penalty)
        health[pk] = {
            "device_id": code,
            "health_score": score,
            "risk_level": risk_level(score),
            "factors": factors,
            "predicted_failure_within_days": prediction.days,
            "model": prediction.model,
            "as_of": reading_at,
        }
    return health


def device_health(asset: Asset, *, now: datetime | None = None) -> dict[str, Any]:
    """The health of one device (see the module's formula)."""
    return devices_health([asset.pk], now=now)[asset.pk]
